/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: addresses, date_time_s, DAR names and scaling (dlt698_codec.h).
 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "dlt698_codec.h"

int d698_addr_parse(const char *text, uint8_t type, struct d698_addr *a)
{
        char digits[2 * D698_SA_MAX + 1];
        size_t n = text ? strlen(text) : 0, pad;

        memset(a, 0, sizeof(*a));
        if (n == 0 || n > 2 * D698_SA_MAX)
                return -1;
        for (size_t i = 0; i < n; i++) {
                int c = toupper((unsigned char)text[i]);
                if (!isdigit(c) && !(c == 'A' && type == D698_SA_WILDCARD))
                        return -1;
        }
        /* Twelve digits at least (a DL/T 698.45 meter address is 6 bytes);
         * more in pairs. */
        pad = n < 12 ? 12 - n : n % 2;
        memset(digits, '0', pad);
        for (size_t i = 0; i < n; i++)
                digits[pad + i] = (char)toupper((unsigned char)text[i]);
        n += pad;
        a->type = type;
        a->len = (uint8_t)(n / 2);
        for (size_t i = 0; i < a->len; i++) {
                /* The last pair of the text is the first byte on the wire. */
                const char *pair = digits + n - 2 * (i + 1);
                uint8_t hi = (uint8_t)(pair[0] == 'A' ? 0xA : pair[0] - '0');
                uint8_t lo = (uint8_t)(pair[1] == 'A' ? 0xA : pair[1] - '0');
                a->a[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

char *d698_addr_format(const struct d698_addr *a, char *out, size_t cap)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t k = 0;

        if (cap == 0)
                return out;
        for (size_t i = a->len; i > 0 && k + 2 < cap; i--) {
                out[k++] = hex[a->a[i - 1] >> 4];
                out[k++] = hex[a->a[i - 1] & 0x0F];
        }
        out[k] = '\0';
        return out;
}

void d698_addr_wildcard(struct d698_addr *a)
{
        memset(a, 0, sizeof(*a));
        a->type = D698_SA_WILDCARD;
        a->len = 6;
        memset(a->a, 0xAA, 6);
}

void d698_addr_broadcast(struct d698_addr *a)
{
        memset(a, 0, sizeof(*a));
        a->type = D698_SA_BROADCAST;
        a->len = 1;
        a->a[0] = 0xAA;
}

int d698_addr_is_bcd(const struct d698_addr *a)
{
        if (a->len == 0)
                return 0;
        for (size_t i = 0; i < a->len; i++)
                if ((a->a[i] >> 4) > 9 || (a->a[i] & 0x0F) > 9)
                        return 0;
        return 1;
}

void d698_dt_put(const struct d698_dt *t, uint8_t out[7])
{
        out[0] = (uint8_t)(t->year >> 8);
        out[1] = (uint8_t)t->year;
        out[2] = (uint8_t)t->mon;
        out[3] = (uint8_t)t->day;
        out[4] = (uint8_t)t->hour;
        out[5] = (uint8_t)t->min;
        out[6] = (uint8_t)t->sec;
}

int d698_dt_get(struct d698_cur *c, struct d698_dt *t)
{
        const uint8_t *p = d698_bytes(c, 7);

        if (!p)
                return c->err;
        t->year = p[0] << 8 | p[1];
        t->mon = p[2];
        t->day = p[3];
        t->hour = p[4];
        t->min = p[5];
        t->sec = p[6];
        return D698_OK;
}

static int leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int d698_dt_valid(const struct d698_dt *t)
{
        static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        if (t->year < 2000 || t->year > 2099 || t->mon < 1 || t->mon > 12 || t->day < 1)
                return 0;
        if (t->day > mdays[t->mon - 1] + (t->mon == 2 && leap(t->year)))
                return 0;
        return t->hour >= 0 && t->hour <= 23 && t->min >= 0 && t->min <= 59 && t->sec >= 0 &&
               t->sec <= 59;
}

/* The C library's calendar (timegm, gmtime_r): no zone is involved. */
int64_t d698_dt_to_epoch(const struct d698_dt *t)
{
        struct tm tm;

        memset(&tm, 0, sizeof(tm));
        tm.tm_year = t->year - 1900;
        tm.tm_mon = t->mon - 1;
        tm.tm_mday = t->day;
        tm.tm_hour = t->hour;
        tm.tm_min = t->min;
        tm.tm_sec = t->sec;
        return (int64_t)timegm(&tm);
}

void d698_epoch_to_dt(int64_t s, struct d698_dt *t)
{
        time_t when = (time_t)s;
        struct tm tm;

        memset(&tm, 0, sizeof(tm));
        gmtime_r(&when, &tm);
        t->year = tm.tm_year + 1900;
        t->mon = tm.tm_mon + 1;
        t->day = tm.tm_mday;
        t->hour = tm.tm_hour;
        t->min = tm.tm_min;
        t->sec = tm.tm_sec;
}

const char *d698_dar_str(int dar)
{
        static const char *const names[] = {
            "success",
            "hardware failure",
            "temporary failure",
            "read/write refused",
            "object undefined",
            "object interface class mismatch",
            "object does not exist",
            "type mismatch",
            "out of range",
            "data block unavailable",
            "split transfer cancelled",
            "not in split transfer",
            "block write cancelled",
            "no block write in progress",
            "invalid data block number",
            "unauthorised (password error)",
            "baud rate cannot change",
            "too many yearly time zones",
            "too many daily periods",
            "too many tariffs",
            "security authentication mismatch",
            "duplicate top-up",
            "ESAM verification failed",
            "security authentication failed",
            "customer number mismatch",
            "top-up count error",
            "purchase exceeds the hoarding limit",
            "address exception",
            "symmetric decryption error",
            "asymmetric decryption error",
            "signature error",
            "meter suspended",
            "time tag invalid",
            "request timed out",
            "ESAM P1P2 incorrect",
            "ESAM LC error",
        };

        if (dar >= 0 && (size_t)dar < sizeof(names) / sizeof(names[0]))
                return names[dar];
        return dar == 255 ? "other" : "unknown DAR";
}

const char *d698_error_str(int code)
{
        switch (code) {
        case 1:
                return "APDU cannot be parsed";
        case 2:
                return "service not supported";
        default:
                return "other error";
        }
}

int d698_scale(int64_t v, int exp, int64_t *out)
{
        if (exp < -18 || exp > 18)
                return D698_E_TOOBIG;
        for (; exp > 0; exp--) {
                if (v > INT64_MAX / 10 || v < INT64_MIN / 10)
                        return D698_E_TOOBIG;
                v *= 10;
        }
        for (; exp < 0; exp++)
                v /= 10;
        *out = v;
        return D698_OK;
}
