/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: BCD values, addresses, error words and dates (dlt645_codec.h).
 * Pure: no I/O, no time zone.
 */
#include <stdio.h>
#include <string.h>

#include "dlt645_codec.h"

int dlt_bcd_u(const uint8_t *p, size_t n, uint64_t *out)
{
        uint64_t v = 0;

        if (n > 9)
                return -1;
        for (size_t i = n; i-- > 0;) {
                unsigned hi = p[i] >> 4, lo = p[i] & 0x0F;
                if (hi > 9 || lo > 9)
                        return -1;
                v = v * 100 + hi * 10 + lo;
        }
        *out = v;
        return 0;
}

int dlt_bcd_s(const uint8_t *p, size_t n, int64_t *out)
{
        uint8_t tmp[9];
        uint64_t v;

        if (n == 0 || n > 9)
                return -1;
        memcpy(tmp, p, n);
        tmp[n - 1] &= 0x7F;
        if (dlt_bcd_u(tmp, n, &v) < 0)
                return -1;
        *out = (p[n - 1] & 0x80) ? -(int64_t)v : (int64_t)v;
        return 0;
}

int dlt_put_bcd(uint8_t *p, size_t n, uint64_t v)
{
        for (size_t i = 0; i < n; i++) {
                unsigned lo = (unsigned)(v % 10), hi = (unsigned)(v / 10 % 10);
                p[i] = (uint8_t)(hi << 4 | lo);
                v /= 100;
        }
        return v == 0 ? 0 : -1;
}

static int hexval(int c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

int dlt_addr_parse(const char *text, uint8_t addr[DLT_ADDR_LEN])
{
        char digits[12];
        size_t n = text ? strlen(text) : 0;

        if (n == 0 || n > 12)
                return -1;
        memset(digits, '0', sizeof(digits));
        memcpy(digits + 12 - n, text, n);
        /* digits[0..1] are the highest byte, A5; A0 goes first on the wire. */
        for (int i = 0; i < DLT_ADDR_LEN; i++) {
                char h = digits[2 * i], l = digits[2 * i + 1];
                uint8_t *b = &addr[DLT_ADDR_LEN - 1 - i];
                if ((h == 'A' || h == 'a') && (l == 'A' || l == 'a'))
                        *b = DLT_WILDCARD;
                else if (h >= '0' && h <= '9' && l >= '0' && l <= '9')
                        *b = (uint8_t)((h - '0') << 4 | (l - '0'));
                else
                        return -1;
        }
        return 0;
}

void dlt_addr_format(const uint8_t addr[DLT_ADDR_LEN], char out[13])
{
        static const char hex[] = "0123456789ABCDEF";

        for (int i = 0; i < DLT_ADDR_LEN; i++) {
                uint8_t b = addr[DLT_ADDR_LEN - 1 - i];
                out[2 * i] = hex[b >> 4];
                out[2 * i + 1] = hex[b & 0x0F];
        }
        out[12] = '\0';
}

int dlt_hex4_parse(const char *text, uint8_t out[4])
{
        if (!text || strlen(text) != 8)
                return -1;
        for (int i = 0; i < 4; i++) {
                int h = hexval(text[2 * i]), l = hexval(text[2 * i + 1]);
                if (h < 0 || l < 0)
                        return -1;
                out[3 - i] = (uint8_t)(h << 4 | l);
        }
        return 0;
}

char *dlt_errword_str(int proto, uint8_t err, char *out, size_t cap)
{
        static const char *const names07[8] = {
            "other error",
            "no data requested",
            "password error or unauthorised",
            "baud rate cannot change",
            "annual time zone count exceeded",
            "daily period count exceeded",
            "tariff count exceeded",
            "reserved bit 7",
        };
        static const char *const names97[8] = {
            "illegal data",
            "wrong data identifier",
            "password error",
            "reserved bit 3",
            "annual time zone count exceeded",
            "daily period count exceeded",
            "tariff count exceeded",
            "reserved bit 7",
        };
        const char *const *names = proto == DLT_1997 ? names97 : names07;
        size_t used = 0;

        if (!cap)
                return out;
        out[0] = '\0';
        if (err == 0) {
                snprintf(out, cap, "no error bit set");
                return out;
        }
        for (int i = 0; i < 8 && used < cap; i++) {
                if (!(err & (1u << i)))
                        continue;
                int n = snprintf(out + used, cap - used, "%s%s", used ? ", " : "", names[i]);
                if (n < 0)
                        break;
                used += (size_t)n;
        }
        return out;
}

static int bcd2(uint8_t b, int *out)
{
        if ((b >> 4) > 9 || (b & 0x0F) > 9)
                return -1;
        *out = (b >> 4) * 10 + (b & 0x0F);
        return 0;
}

static int is_leap(int64_t y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
        static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

int dlt_datetime_valid(const struct dlt_datetime *t)
{
        return t->year >= 2000 && t->year <= 2099 && t->mon >= 1 && t->mon <= 12 && t->day >= 1 &&
               t->day <= days_in_month(t->year, t->mon) && t->hour >= 0 && t->hour <= 23 &&
               t->min >= 0 && t->min <= 59 && t->sec >= 0 && t->sec <= 59;
}

int dlt_decode_date(const uint8_t p[4], struct dlt_datetime *t)
{
        int wday, day, mon, yy;

        if (bcd2(p[0], &wday) || bcd2(p[1], &day) || bcd2(p[2], &mon) || bcd2(p[3], &yy))
                return -1;
        if (wday > 6 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(2000 + yy, mon))
                return -1;
        t->wday = wday;
        t->day = day;
        t->mon = mon;
        t->year = 2000 + yy;
        return 0;
}

int dlt_decode_time(const uint8_t p[3], struct dlt_datetime *t)
{
        int s, m, h;

        if (bcd2(p[0], &s) || bcd2(p[1], &m) || bcd2(p[2], &h) || s > 59 || m > 59 || h > 23)
                return -1;
        t->sec = s;
        t->min = m;
        t->hour = h;
        return 0;
}

int dlt_decode_minute(const uint8_t p[5], struct dlt_datetime *t)
{
        uint8_t date[4] = {0, p[2], p[3], p[4]}, time[3] = {0, p[0], p[1]};

        if (!(p[0] | p[1] | p[2] | p[3] | p[4]))
                return 0;
        if (dlt_decode_date(date, t) < 0 || dlt_decode_time(time, t) < 0)
                return -1;
        t->wday = -1;
        return 1;
}

int dlt_encode_datetime6(const struct dlt_datetime *t, uint8_t out[6])
{
        if (!dlt_datetime_valid(t))
                return -1;
        dlt_put_bcd(out + 0, 1, (uint64_t)t->sec);
        dlt_put_bcd(out + 1, 1, (uint64_t)t->min);
        dlt_put_bcd(out + 2, 1, (uint64_t)t->hour);
        dlt_put_bcd(out + 3, 1, (uint64_t)t->day);
        dlt_put_bcd(out + 4, 1, (uint64_t)t->mon);
        dlt_put_bcd(out + 5, 1, (uint64_t)(t->year % 100));
        return 0;
}

/* Howard Hinnant's days_from_civil. */
int64_t dlt_days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

int64_t dlt_datetime_to_epoch(const struct dlt_datetime *t)
{
        return dlt_days_from_civil(t->year, t->mon, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
               t->sec;
}

void dlt_epoch_to_datetime(int64_t s, struct dlt_datetime *t)
{
        int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
        int64_t rem = s - days * 86400, z = days + 719468, era, doe, yoe, doy, mp, y;

        t->hour = (int)(rem / 3600);
        t->min = (int)(rem % 3600 / 60);
        t->sec = (int)(rem % 60);
        t->wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        y = yoe + era * 400;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        t->day = (int)(doy - (153 * mp + 2) / 5 + 1);
        t->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
        t->year = (int)(y + (t->mon <= 2));
}
