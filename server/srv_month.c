/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_month.h"

#include <stdio.h>
#include <time.h>

#include <meterbox/errors.h>

#include "mb_tariff_wire.h"

static void fmt(char out[8], int y, int m)
{
        snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
}

int srv_month_of(int64_t t, char out[8])
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (localtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1970 || tm.tm_year + 1900 > 9999)
                return MB_ERANGE;
        fmt(out, tm.tm_year + 1900, tm.tm_mon + 1);
        return MB_OK;
}

static int split(const char *month, int *y, int *m)
{
        if (!mb_tariff_wire_month_ok(month) || sscanf(month, "%4d-%2d", y, m) != 2)
                return MB_EINVAL;
        return MB_OK;
}

int srv_month_start(const char *month, int64_t *start)
{
        struct tm tm = {0};
        time_t t;
        int y, m;

        if (split(month, &y, &m) < 0)
                return MB_EINVAL;
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = 1;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        if (t == (time_t)-1)
                return MB_ERANGE;
        *start = (int64_t)t;
        return MB_OK;
}

int srv_month_add(const char *month, int delta, char out[8])
{
        int y, m, idx;

        if (split(month, &y, &m) < 0)
                return MB_EINVAL;
        idx = y * 12 + (m - 1) + delta;
        if (idx < 1970 * 12 || idx > 9999 * 12 + 11)
                return MB_ERANGE;
        fmt(out, idx / 12, idx % 12 + 1);
        return MB_OK;
}

int srv_month_ended(const char *month, int64_t now)
{
        char next[8];
        int64_t start;
        int rc = srv_month_add(month, 1, next);

        if (rc == MB_OK)
                rc = srv_month_start(next, &start);
        if (rc < 0)
                return rc;
        return now >= start;
}
