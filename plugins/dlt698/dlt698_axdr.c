/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: A-XDR reading (dlt698_codec.h).  Data is a type tag and a value;
 * fixed-size types have their size from the tag, strings a length, arrays
 * and structures an element count.  Numbers travel high byte first.
 */
#include <string.h>

#include "dlt698_codec.h"

#define MAX_DEPTH 8

void d698_cur_init(struct d698_cur *c, const uint8_t *p, size_t n)
{
        c->p = p;
        c->n = n;
        c->off = 0;
        c->err = 0;
}

static int fail(struct d698_cur *c, int err)
{
        if (!c->err)
                c->err = err;
        return c->err;
}

const uint8_t *d698_bytes(struct d698_cur *c, size_t n)
{
        const uint8_t *p;

        if (c->err)
                return NULL;
        if (n > c->n - c->off) {
                fail(c, D698_E_SHORT);
                return NULL;
        }
        p = c->p + c->off;
        c->off += n;
        return p;
}

uint8_t d698_u8(struct d698_cur *c)
{
        const uint8_t *p = d698_bytes(c, 1);

        return p ? p[0] : 0;
}

uint64_t d698_be(struct d698_cur *c, size_t n)
{
        const uint8_t *p = n <= 8 ? d698_bytes(c, n) : NULL;
        uint64_t v = 0;

        if (!p)
                return 0;
        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[i];
        return v;
}

size_t d698_len(struct d698_cur *c)
{
        uint8_t b = d698_u8(c);

        if (b < 0x80)
                return b;
        if ((b & 0x7F) == 0 || (b & 0x7F) > 2) {
                fail(c, D698_E_DATA);
                return 0;
        }
        return (size_t)d698_be(c, b & 0x7F);
}

size_t d698_put_len(uint8_t *out, size_t cap, size_t len)
{
        if (len < 0x80 && cap >= 1) {
                out[0] = (uint8_t)len;
                return 1;
        }
        if (len <= 0xFF && cap >= 2) {
                out[0] = 0x81;
                out[1] = (uint8_t)len;
                return 2;
        }
        if (len <= 0xFFFF && cap >= 3) {
                out[0] = 0x82;
                out[1] = (uint8_t)(len >> 8);
                out[2] = (uint8_t)len;
                return 3;
        }
        return 0;
}

/* Bytes of a fixed-size value, 0 for a variable one, -1 for an unknown tag. */
static int fixed_size(uint8_t tag)
{
        switch (tag) {
        case D698_T_NULL:
                return 0;
        case D698_T_BOOL:
        case D698_T_INTEGER:
        case D698_T_UNSIGNED:
        case D698_T_ENUM:
        case D698_T_BCD:
                return 1;
        case D698_T_LONG:
        case D698_T_LONG_U:
        case D698_T_OI:
        case D698_T_SCALER_UNIT:
                return 2;
        case D698_T_TIME:
        case D698_T_TI:
                return 3;
        case D698_T_DOUBLE_LONG:
        case D698_T_DOUBLE_LONG_U:
        case D698_T_FLOAT32:
        case D698_T_OAD:
        case D698_T_OMD:
                return 4;
        case D698_T_DATE:
        case D698_T_COMDCB:
                return 5;
        case D698_T_DATE_TIME_S:
                return 7;
        case D698_T_LONG64:
        case D698_T_LONG64_U:
        case D698_T_FLOAT64:
                return 8;
        case D698_T_DATE_TIME:
                return 10;
        default:
                return -1;
        }
}

static int skip_value(struct d698_cur *c, uint8_t tag, int depth);

/* A CSD: 0 OAD, or 1 ROAD (OAD and a count of OADs). */
static int skip_csd(struct d698_cur *c)
{
        uint8_t choice = d698_u8(c);

        d698_bytes(c, 4);
        if (choice == 1)
                d698_bytes(c, 4 * (size_t)d698_u8(c));
        else if (choice != 0)
                fail(c, D698_E_DATA);
        return c->err;
}

/* An RSD selector the plugin may meet inside a Data (RCSD-bearing
 * structures are rare in replies); other selectors are refused. */
static int skip_rsd(struct d698_cur *c, int depth)
{
        uint8_t sel = d698_u8(c);

        switch (sel) {
        case 0:
                return c->err;
        case 1: /* OAD, Data */
                d698_bytes(c, 4);
                return skip_value(c, d698_u8(c), depth + 1);
        case 9: /* the n-th latest record */
                d698_u8(c);
                return c->err;
        default:
                return fail(c, D698_E_DATA);
        }
}

static int skip_value(struct d698_cur *c, uint8_t tag, int depth)
{
        int size = fixed_size(tag);
        size_t n;

        if (size >= 0) {
                d698_bytes(c, (size_t)size);
                return c->err;
        }
        if (depth > MAX_DEPTH)
                return fail(c, D698_E_NEST);
        switch (tag) {
        case D698_T_ARRAY:
        case D698_T_STRUCT:
                n = d698_len(c);
                for (size_t i = 0; i < n && !c->err; i++)
                        skip_value(c, d698_u8(c), depth + 1);
                return c->err;
        case D698_T_BITSTRING:
                n = d698_len(c);
                d698_bytes(c, (n + 7) / 8);
                return c->err;
        case D698_T_OCTETS:
        case D698_T_VISIBLE:
        case D698_T_UTF8:
        case D698_T_MAC:
        case D698_T_RN:
                d698_bytes(c, d698_len(c));
                return c->err;
        case D698_T_ROAD:
                d698_bytes(c, 4);
                d698_bytes(c, 4 * (size_t)d698_u8(c));
                return c->err;
        case D698_T_TSA:
                d698_bytes(c, d698_len(c));
                return c->err;
        case D698_T_REGION:
                d698_u8(c);
                skip_value(c, d698_u8(c), depth + 1);
                skip_value(c, d698_u8(c), depth + 1);
                return c->err;
        case D698_T_CSD:
                return skip_csd(c);
        case D698_T_RCSD:
                n = d698_u8(c);
                for (size_t i = 0; i < n && !c->err; i++)
                        skip_csd(c);
                return c->err;
        case D698_T_RSD:
                return skip_rsd(c, depth + 1);
        case D698_T_SID:
                d698_bytes(c, 4);
                d698_bytes(c, d698_len(c));
                return c->err;
        case D698_T_SID_MAC:
                d698_bytes(c, 4);
                d698_bytes(c, d698_len(c));
                d698_bytes(c, d698_len(c));
                return c->err;
        default:
                return fail(c, D698_E_DATA);
        }
}

int d698_skip_data(struct d698_cur *c)
{
        uint8_t tag = d698_u8(c);

        if (c->err)
                return c->err;
        return skip_value(c, tag, 0);
}

int d698_take_data(struct d698_cur *c, struct d698_cur *one)
{
        size_t start = c->off;

        d698_cur_init(one, c->p, 0);
        if (d698_skip_data(c))
                return c->err;
        d698_cur_init(one, c->p + start, c->off - start);
        return D698_OK;
}

static int64_t sign_extend(uint64_t v, size_t bytes)
{
        if (bytes < 8 && (v & ((uint64_t)1 << (8 * bytes - 1))))
                v |= ~(uint64_t)0 << (8 * bytes);
        return (int64_t)v;
}

int d698_number(struct d698_cur *c, int64_t *v, uint8_t *type)
{
        uint8_t tag = d698_u8(c);
        int size = fixed_size(tag), is_signed = 0;
        uint64_t raw;

        *v = 0;
        *type = tag;
        if (c->err)
                return c->err;
        switch (tag) {
        case D698_T_INTEGER:
        case D698_T_LONG:
        case D698_T_DOUBLE_LONG:
        case D698_T_LONG64:
                is_signed = 1;
                break;
        case D698_T_BOOL:
        case D698_T_UNSIGNED:
        case D698_T_LONG_U:
        case D698_T_DOUBLE_LONG_U:
        case D698_T_ENUM:
                break;
        case D698_T_LONG64_U:
                raw = d698_be(c, 8);
                if (raw > INT64_MAX)
                        return fail(c, D698_E_TOOBIG);
                *v = (int64_t)raw;
                return c->err;
        default:
                skip_value(c, tag, 0);
                return c->err ? c->err : D698_E_DATA;
        }
        raw = d698_be(c, (size_t)size);
        *v = is_signed ? sign_extend(raw, (size_t)size) : (int64_t)raw;
        return c->err;
}

int d698_aggregate(struct d698_cur *c, uint8_t tag, size_t *count)
{
        *count = 0;
        if (c->err)
                return c->err;
        if (c->off >= c->n)
                return fail(c, D698_E_SHORT);
        if (c->p[c->off] != tag)
                return D698_E_DATA;
        c->off++;
        *count = d698_len(c);
        return c->err;
}
