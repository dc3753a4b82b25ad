/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time of use: which day schedule applies to a local date (special day,
 * else season, else the default periods) and how many seconds of an interval
 * fall into each rate.
 *
 * Each local calendar day follows its own schedule from 00:00 to 24:00: the
 * part after midnight of a period that crosses midnight (22:00-08:00) belongs
 * to the next day's schedule, so a special day starts at its own midnight.
 */
#include "mb_tariff_priv.h"

#include <string.h>
#include <time.h>

static int in_season(const struct mbt_season *s, int md)
{
        if (s->from_md <= s->to_md)
                return md >= s->from_md && md <= s->to_md;
        return md >= s->from_md || md <= s->to_md; /* wraps over new year */
}

static int is_special(const struct mbt_special *sp, int32_t ymd)
{
        for (size_t i = 0; i < sp->ndates; i++)
                if (sp->dates[i] == ymd || sp->dates[i] == ymd % 10000)
                        return 1;
        return 0;
}

const struct mbt_sched *mbt_sched_for(const struct mbt_version *v, int y, int m, int d)
{
        int32_t ymd = y * 10000 + m * 100 + d;

        if (!v->has_tou)
                return NULL;
        for (size_t i = 0; i < v->nspecials; i++)
                if (is_special(&v->specials[i], ymd))
                        return &v->specials[i].sched;
        for (size_t i = 0; i < v->nseasons; i++)
                if (in_season(&v->seasons[i], ymd % 10000))
                        return &v->seasons[i].sched;
        return &v->def; /* the parser makes sure it exists when needed */
}

/* One local day: UTC start/end and the UTC start of each schedule entry. */
struct day {
        int64_t start, end;
        int64_t at[MBT_MAX_PERIODS + 2];
        const struct mbt_sched *s;
};

static int64_t local_hm(int y, int m, int d, int min, int64_t fallback)
{
        struct tm tm;
        time_t t;

        memset(&tm, 0, sizeof(tm));
        tm.tm_year = y - 1900;
        tm.tm_mon = m - 1;
        tm.tm_mday = d;
        tm.tm_hour = min / 60;
        tm.tm_min = min % 60;
        tm.tm_isdst = -1;
        t = mktime(&tm);
        return t == (time_t)-1 ? fallback : (int64_t)t;
}

/* Entry times of the day containing t.  A day of exactly 24 h has no clock
 * change, so entries are offsets from midnight; otherwise ask mktime and
 * keep the times ordered and inside the day. */
static int load_day(const struct mbt_version *v, int64_t t, struct day *dy)
{
        int y, m, d, rc;

        rc = mbt_local_date(t, &y, &m, &d);
        if (rc == MB_OK)
                rc = mbt_midnight(y, m, d, &dy->start);
        if (rc == MB_OK)
                rc = mbt_midnight(y, m, d + 1, &dy->end);
        if (rc < 0 || dy->end <= t || dy->start > t)
                return MB_ERANGE;
        dy->s = mbt_sched_for(v, y, m, d);
        for (int i = 0; i < dy->s->n; i++) {
                int64_t x, prev = i == 0 ? dy->start : dy->at[i - 1];

                if (dy->end - dy->start == 86400)
                        x = dy->start + dy->s->e[i].start_min * 60;
                else
                        x = local_hm(y, m, d, dy->s->e[i].start_min, prev);
                dy->at[i] = i == 0 ? dy->start : (x < prev ? prev : x > dy->end ? dy->end : x);
        }
        dy->at[dy->s->n] = dy->end;
        return MB_OK;
}

int mbt_rate_secs(const struct mbt_version *v, int64_t a, int64_t b, int64_t secs[MB_TARIFF_NRATES])
{
        struct day dy;

        if (!v->has_tou) {
                secs[MB_RATE_NONE] += b - a;
                return MB_OK;
        }
        while (a < b) {
                int rc = load_day(v, a, &dy);

                if (rc < 0)
                        return rc;
                for (int i = 0; i < dy.s->n; i++) {
                        int64_t lo = dy.at[i] > a ? dy.at[i] : a;
                        int64_t hi = dy.at[i + 1] < b ? dy.at[i + 1] : b;

                        if (hi > lo)
                                secs[dy.s->e[i].rate] += hi - lo;
                }
                a = dy.end;
        }
        return MB_OK;
}

int mbt_rate_at(const struct mbt_version *v, int64_t t)
{
        struct day dy;
        int rc;

        if (!v->has_tou)
                return MB_RATE_NONE;
        rc = load_day(v, t, &dy);
        if (rc < 0)
                return rc;
        for (int i = dy.s->n - 1; i > 0; i--)
                if (dy.at[i] <= t)
                        return dy.s->e[i].rate;
        return dy.s->e[0].rate;
}
