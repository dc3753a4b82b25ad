/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Local time for the tariff engine: local midnights, version start times and
 * tier periods, all through the process time zone (localtime_r / mktime).
 */
#include "mb_tariff_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* mktime and localtime_r re-derive the zone's rules on every call (glibc
 * re-parses the zone's rule string with sscanf for dates past its last
 * transition), and were 6% of a month close, where every bill asks for the
 * same few days; then 12% once each bill walked every day of its month for
 * the monthly charge.  So each thread keeps its answers, for the TZ they
 * were computed under (the C library itself reloads zone rules only when TZ
 * changes): midnights by date, direct-mapped so that a month's days never
 * collide, and the dates of the last few days by their [start, end). */
#define MIDNIGHTS 128
#define DAYS 8
static _Thread_local struct midnight {
        int y, m, d; /* y == 0: an empty slot */
        int64_t t;
} midnights[MIDNIGHTS];
static _Thread_local struct day {
        int64_t start, end; /* end == 0: an empty slot */
        int y, m, d;
} days[DAYS];
static _Thread_local unsigned days_next;
static _Thread_local char cached_tz[64];

/* Forget every answer when TZ is not the one they were computed under. */
static void same_tz(void)
{
        const char *tz = getenv("TZ");

        if (tz == NULL)
                tz = "";
        if (strncmp(tz, cached_tz, sizeof(cached_tz)) != 0) {
                memset(midnights, 0, sizeof(midnights));
                memset(days, 0, sizeof(days));
                snprintf(cached_tz, sizeof(cached_tz), "%s", tz);
        }
}

static struct midnight *midnight_slot(int y, int m, int d)
{
        return &midnights[((unsigned)y * 416u + (unsigned)m * 32u + (unsigned)d) % MIDNIGHTS];
}

static int midnight(int y, int m, int d, int64_t *out)
{
        struct midnight *c = midnight_slot(y, m, d);
        struct tm tm;
        time_t t;

        if (c->y == y && c->m == m && c->d == d && y != 0) {
                *out = c->t;
                return MB_OK;
        }
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
                return MB_ERANGE; /* (a real local midnight is never -1 s) */
        *out = (int64_t)t;
        if (y != 0)
                *c = (struct midnight){y, m, d, *out};
        return MB_OK;
}

int mbt_midnight(int y, int m, int d, int64_t *out)
{
        same_tz();
        return midnight(y, m, d, out);
}

int mbt_local_date(int64_t t, int *y, int *m, int *d)
{
        time_t tt = (time_t)t;
        struct day *c;
        struct tm tm;
        int64_t start, end;

        same_tz();
        for (unsigned i = 0; i < DAYS; i++)
                if (days[i].end && days[i].start <= t && t < days[i].end) {
                        *y = days[i].y;
                        *m = days[i].m;
                        *d = days[i].d;
                        return MB_OK;
                }
        if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL)
                return MB_ERANGE;
        *y = tm.tm_year + 1900;
        *m = tm.tm_mon + 1;
        *d = tm.tm_mday;
        /* the day's bounds, kept when they hold t and the day has 24 hours
         * (a day a clock change shortens or stretches is asked again) */
        if (midnight(*y, *m, *d, &start) == MB_OK && midnight(*y, *m, *d + 1, &end) == MB_OK &&
            start <= t && t < end && end - start == 86400) {
                c = &days[days_next++ % DAYS];
                *c = (struct day){start, end, *y, *m, *d};
        }
        return MB_OK;
}

void mbt_fmt_time(int64_t t, char *buf, size_t len)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if ((int64_t)tt != t || localtime_r(&tt, &tm) == NULL ||
            strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(buf, len, "@%lld", (long long)t);
}

int mbt_valid_date(int y, int m, int d)
{
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

        if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
                return 0;
        return !(m == 2 && d == 29 && !leap);
}

/* Parse exactly `width` decimal digits. */
static int digits(const char *s, int width, int *out)
{
        int v = 0;

        for (int i = 0; i < width; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return MB_EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *out = v;
        return MB_OK;
}

int mbt_parse_date(const char *s, int *y, int *m, int *d)
{
        if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, y) < 0 ||
            digits(s + 5, 2, m) < 0 || digits(s + 8, 2, d) < 0 || !mbt_valid_date(*y, *m, *d))
                return MB_EINVAL;
        return MB_OK;
}

int mbt_parse_md(const char *s, int *m, int *d)
{
        if (strlen(s) != 5 || s[2] != '-' || digits(s, 2, m) < 0 || digits(s + 3, 2, d) < 0 ||
            !mbt_valid_date(2000, *m, *d))
                return MB_EINVAL;
        return MB_OK;
}

int mbt_parse_hhmm(const char *s, int *min)
{
        int h, m;

        if (strlen(s) != 5 || s[2] != ':' || digits(s, 2, &h) < 0 || digits(s + 3, 2, &m) < 0 ||
            m > 59 || h > 24 || (h == 24 && m != 0))
                return MB_EINVAL;
        *min = h * 60 + m;
        return MB_OK;
}

static int version_start(const struct mbt_version *v, int64_t *out)
{
        return mbt_midnight(v->from / 10000, v->from / 100 % 100, v->from % 100, out);
}

int mbt_version_at(const mb_tariff *t, int64_t at, size_t *vi, int64_t *vend)
{
        int64_t start;
        int rc;

        /* Versions are few; walk back from the newest. */
        *vend = INT64_MAX;
        for (size_t i = t->nv; i-- > 0;) {
                rc = version_start(&t->v[i], &start);
                if (rc < 0)
                        return rc;
                if (start <= at) {
                        *vi = i;
                        return MB_OK;
                }
                *vend = start;
        }
        return MB_ENOENT;
}

int mbt_tier_period(const struct mbt_version *v, int64_t t, int64_t *ps, int64_t *pe)
{
        int y, m, d, rc;

        rc = mbt_local_date(t, &y, &m, &d);
        if (rc < 0)
                return rc;
        if (v->tier_period == MB_TIER_YEAR) {
                if (m < v->settle_month || (m == v->settle_month && d < v->settle_day))
                        y--;
                m = v->settle_month;
                rc = mbt_midnight(y, m, v->settle_day, ps);
                if (rc == MB_OK)
                        rc = mbt_midnight(y + 1, m, v->settle_day, pe);
        } else {
                if (d < v->settle_day)
                        m--; /* mktime normalises month 0 to December */
                rc = mbt_midnight(y, m, v->settle_day, ps);
                if (rc == MB_OK)
                        rc = mbt_midnight(y, m + 1, v->settle_day, pe);
        }
        if (rc == MB_OK && !(*ps <= t && t < *pe))
                return MB_ERANGE; /* time zone data without a sane period */
        return rc;
}

int mb_tariff_local_day(const char *date, int64_t *start, int64_t *end)
{
        int y, m, d, rc;

        if (date == NULL || mbt_parse_date(date, &y, &m, &d) < 0)
                return MB_EINVAL;
        rc = mbt_midnight(y, m, d, start);
        if (rc == MB_OK)
                rc = mbt_midnight(y, m, d + 1, end);
        return rc;
}
