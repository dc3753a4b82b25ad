/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register values to integers (see modbus_decode.h).  Everything here
 * is a pure function of its arguments.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_decode.h"

static const char *const type_names[MBD_TYPE_COUNT] = {"u16", "s16", "u32", "s32",
                                                       "u64", "s64", "f32", "f64"};
static const int type_regs[MBD_TYPE_COUNT] = {1, 1, 2, 2, 4, 4, 2, 4};
static const char *const order_names[MBD_ORDER_COUNT] = {"ABCD", "CDAB", "BADC", "DCBA"};

int mbd_type_regs(int type)
{
        return type >= 0 && type < MBD_TYPE_COUNT ? type_regs[type] : 0;
}

const char *mbd_type_name(int type)
{
        return type >= 0 && type < MBD_TYPE_COUNT ? type_names[type] : "?";
}

static int lower(int c)
{
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* s[0..len) equals the NUL-terminated name, ignoring ASCII case. */
static int name_eq(const char *s, size_t len, const char *name)
{
        size_t n = strlen(name);

        if (n != len)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (lower((unsigned char)s[i]) != lower((unsigned char)name[i]))
                        return 0;
        return 1;
}

int mbd_type_parse(const char *s, size_t len)
{
        for (int t = 0; t < MBD_TYPE_COUNT; t++)
                if (name_eq(s, len, type_names[t]))
                        return t;
        return -1;
}

const char *mbd_order_name(int order)
{
        return order >= 0 && order < MBD_ORDER_COUNT ? order_names[order] : "?";
}

int mbd_order_parse(const char *s, size_t len)
{
        for (int o = 0; o < MBD_ORDER_COUNT; o++)
                if (name_eq(s, len, order_names[o]))
                        return o;
        return -1;
}

void mbd_gather(const uint8_t *wire, int nregs, int order, uint8_t *be)
{
        int low_word_first = order == MBD_CDAB || order == MBD_DCBA;
        int swap_bytes = order == MBD_BADC || order == MBD_DCBA;

        for (int i = 0; i < nregs; i++) {
                /* Register i on the wire holds the word of significance s
                 * (0: the most significant word). */
                int s = low_word_first ? nregs - 1 - i : i;
                uint8_t hi = wire[2 * i], lo = wire[2 * i + 1];

                be[2 * s] = swap_bytes ? lo : hi;
                be[2 * s + 1] = swap_bytes ? hi : lo;
        }
}

double mbd_f32_from_bits(uint32_t bits)
{
        int neg = (bits >> 31) != 0;
        int exp = (int)((bits >> 23) & 0xFFu);
        uint32_t mant = bits & 0x7FFFFFu;
        double v;

        if (exp == 0xFF)
                v = mant ? NAN : INFINITY;
        else if (exp == 0)
                v = ldexp((double)mant, -149); /* subnormal */
        else
                v = ldexp((double)(mant | 0x800000u), exp - 150);
        return neg ? -v : v;
}

double mbd_f64_from_bits(uint64_t bits)
{
        int neg = (bits >> 63) != 0;
        int exp = (int)((bits >> 52) & 0x7FFu);
        uint64_t mant = bits & UINT64_C(0xFFFFFFFFFFFFF);
        double v;

        if (exp == 0x7FF)
                v = mant ? NAN : INFINITY;
        else if (exp == 0)
                v = ldexp((double)mant, -1074);
        else
                v = ldexp((double)(mant | (UINT64_C(1) << 52)), exp - 1075);
        return neg ? -v : v;
}

int mbd_decode(const uint8_t *wire, size_t len, int type, int order, mbd_raw *out)
{
        uint8_t be[8];
        uint64_t u = 0;
        int nregs = mbd_type_regs(type);

        if (!nregs || order < 0 || order >= MBD_ORDER_COUNT || len < (size_t)nregs * 2)
                return MB_EINVAL;
        mbd_gather(wire, nregs, order, be);
        for (int i = 0; i < 2 * nregs; i++)
                u = (u << 8) | be[i];
        memset(out, 0, sizeof(*out));
        out->kind = MBD_RAW_INT;
        switch (type) {
        case MBD_U16:
        case MBD_U32:
                out->i = (int64_t)u;
                break;
        case MBD_S16:
                out->i = u >= 0x8000u ? (int64_t)u - 0x10000 : (int64_t)u;
                break;
        case MBD_S32:
                out->i = u >= UINT64_C(0x80000000) ? (int64_t)u - INT64_C(0x100000000) : (int64_t)u;
                break;
        case MBD_S64:
                /* Two's complement without relying on the conversion of an
                 * out-of-range unsigned value. */
                out->i = u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
                break;
        case MBD_U64:
                out->kind = MBD_RAW_UINT;
                out->u = u;
                break;
        case MBD_F32:
                out->kind = MBD_RAW_FLOAT;
                out->f = mbd_f32_from_bits((uint32_t)u);
                break;
        case MBD_F64:
                out->kind = MBD_RAW_FLOAT;
                out->f = mbd_f64_from_bits(u);
                break;
        }
        return MB_OK;
}

/* |v| as uint64, for any int64 including INT64_MIN. */
static uint64_t magnitude(int64_t v)
{
        return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

/* mag × num / den rounded half away from zero, then signed. */
static int scale_magnitude(uint64_t mag, int neg, const mbd_scale *s, int64_t *out)
{
        uint64_t num = magnitude(s->num), den = (uint64_t)s->den;
        uint64_t q = mag / den, r = mag % den, whole, part, res;

        if (s->num < 0)
                neg = !neg;
        if (__builtin_mul_overflow(q, num, &whole) || __builtin_mul_overflow(r, num, &part))
                return MB_ERANGE;
        /* r < den, so part / den is the fraction's whole part; round on the
         * remainder: up when it is at least half of den. */
        if (__builtin_add_overflow(whole, part / den, &res))
                return MB_ERANGE;
        if (part % den >= den - part % den && __builtin_add_overflow(res, 1, &res))
                return MB_ERANGE;
        if (neg) {
                if (res > (uint64_t)INT64_MAX + 1)
                        return MB_ERANGE;
                *out = res == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)res;
        } else {
                if (res > (uint64_t)INT64_MAX)
                        return MB_ERANGE;
                *out = (int64_t)res;
        }
        return MB_OK;
}

int mbd_apply(const mbd_raw *raw, const mbd_scale *s, int64_t *out)
{
        double x;

        if (s->den <= 0)
                return MB_EINVAL;
        switch (raw->kind) {
        case MBD_RAW_INT:
                return scale_magnitude(magnitude(raw->i), raw->i < 0, s, out);
        case MBD_RAW_UINT:
                return scale_magnitude(raw->u, 0, s, out);
        case MBD_RAW_FLOAT:
                if (!isfinite(raw->f))
                        return MB_ERANGE;
                x = raw->f * (double)s->num;
                if (s->den != 1)
                        x /= (double)s->den;
                x = round(x); /* halves away from zero */
                /* 2^63 is exactly representable; anything at or beyond it
                 * (or NaN/inf from overflow) does not fit. */
                if (!(x < 9223372036854775808.0 && x >= -9223372036854775808.0))
                        return MB_ERANGE;
                *out = (int64_t)x;
                return MB_OK;
        }
        return MB_EINVAL;
}

int mbd_value(const uint8_t *wire, size_t len, int type, int order, const mbd_scale *s,
              int64_t *out)
{
        mbd_raw raw;
        int rc = mbd_decode(wire, len, type, order, &raw);

        return rc < 0 ? rc : mbd_apply(&raw, s, out);
}

static uint64_t gcd_u64(uint64_t a, uint64_t b)
{
        while (b) {
                uint64_t t = a % b;
                a = b;
                b = t;
        }
        return a;
}

static void reduce(mbd_scale *s)
{
        uint64_t g = gcd_u64(magnitude(s->num), (uint64_t)s->den);

        if (g > 1) {
                s->num /= (int64_t)g;
                s->den /= (int64_t)g;
        }
}

/* Digits s[0..len) as an integer, at most 18 of them after leading zeros.
 * Returns MB_OK, MB_EINVAL (empty, not digits) or MB_ERANGE. */
static int parse_digits(const char *s, size_t len, int64_t *out, int *ndigits)
{
        int64_t v = 0;
        int sig = 0;

        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return MB_EINVAL;
                if (v || s[i] != '0')
                        sig++;
                if (sig > 18)
                        return MB_ERANGE;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        if (ndigits)
                *ndigits = (int)len;
        return MB_OK;
}

int mbd_scale_parse(const char *s, size_t len, mbd_scale *out)
{
        const char *slash = memchr(s, '/', len), *dot;
        int neg = 0, rc, nfrac = 0;
        int64_t whole = 0, frac = 0, num, den = 1;
        size_t i = 0;

        if (len && (s[0] == '-' || s[0] == '+')) {
                neg = s[0] == '-';
                i = 1;
        }
        if (i == len)
                return MB_EINVAL;
        if (slash) {
                size_t at = (size_t)(slash - s);
                if (at == i || at + 1 == len)
                        return MB_EINVAL;
                if ((rc = parse_digits(s + i, at - i, &num, NULL)) < 0 ||
                    (rc = parse_digits(slash + 1, len - at - 1, &den, NULL)) < 0)
                        return rc;
        } else {
                dot = memchr(s + i, '.', len - i);
                size_t wl = dot ? (size_t)(dot - (s + i)) : len - i;
                size_t fl = dot ? len - i - wl - 1 : 0;
                if (wl == 0 && fl == 0)
                        return MB_EINVAL;
                if ((wl && (rc = parse_digits(s + i, wl, &whole, NULL)) < 0) ||
                    (fl && (rc = parse_digits(dot + 1, fl, &frac, &nfrac)) < 0))
                        return rc;
                if (nfrac > 18)
                        return MB_ERANGE;
                for (int k = 0; k < nfrac; k++)
                        den *= 10;
                if (__builtin_mul_overflow(whole, den, &num) ||
                    __builtin_add_overflow(num, frac, &num))
                        return MB_ERANGE;
        }
        if (num == 0 || den == 0)
                return MB_EINVAL;
        out->num = neg ? -num : num;
        out->den = den;
        reduce(out);
        return MB_OK;
}

int mbd_scale_mul(const mbd_scale *a, int64_t num, int64_t den, mbd_scale *out)
{
        mbd_scale x = *a, y = {num, den};
        int64_t n, d;

        if (x.den <= 0 || den <= 0)
                return MB_EINVAL;
        reduce(&x);
        reduce(&y);
        /* Cross-reduce first so that the products stay as small as they can. */
        uint64_t g1 = gcd_u64(magnitude(x.num), (uint64_t)y.den);
        uint64_t g2 = gcd_u64(magnitude(y.num), (uint64_t)x.den);
        if (g1 > 1) {
                x.num /= (int64_t)g1;
                y.den /= (int64_t)g1;
        }
        if (g2 > 1) {
                y.num /= (int64_t)g2;
                x.den /= (int64_t)g2;
        }
        if (__builtin_mul_overflow(x.num, y.num, &n) || __builtin_mul_overflow(x.den, y.den, &d))
                return MB_ERANGE;
        out->num = n;
        out->den = d;
        reduce(out);
        return MB_OK;
}

void mbd_scale_format(const mbd_scale *s, char *buf, size_t size)
{
        if (s->den == 1)
                snprintf(buf, size, "%" PRId64, s->num);
        else
                snprintf(buf, size, "%" PRId64 "/%" PRId64, s->num, s->den);
}

void mbd_raw_format(const mbd_raw *raw, char *buf, size_t size)
{
        switch (raw->kind) {
        case MBD_RAW_INT:
                snprintf(buf, size, "%" PRId64, raw->i);
                break;
        case MBD_RAW_UINT:
                snprintf(buf, size, "%" PRIu64, raw->u);
                break;
        default:
                if (isnan(raw->f))
                        snprintf(buf, size, "NaN");
                else
                        snprintf(buf, size, "%.9g", raw->f);
                break;
        }
}
