/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the tariff engine, shared by the mb_tariff_*.c files only.
 * Nothing outside common/mb_tariff*.c includes this.
 */
#ifndef MB_TARIFF_PRIV_H
#define MB_TARIFF_PRIV_H

#include <stdarg.h>

#include "mb_tariff.h"

#define MBT_MAX_PERIODS 48 /* periods per day schedule in a file */
#define MBT_NONE (-1)      /* no limit (upto_wh), no price */

/* One day's schedule: from e[i].start_min until the next entry's start (or
 * 24:00) the rate is e[i].rate.  e[0].start_min is 0, starts increase, and
 * neighbouring entries have different rates. */
struct mbt_entry {
        int16_t start_min;
        int16_t rate;
};
struct mbt_sched {
        int n;
        struct mbt_entry e[MBT_MAX_PERIODS + 1];
};

/* A season: from_md .. to_md inclusive (MMDD; may wrap over new year). */
struct mbt_season {
        char *name;
        int from_md, to_md;
        struct mbt_sched sched;
};

/* Special days: dates are YYYYMMDD, or MMDD for every year. */
struct mbt_special {
        char *name;
        int32_t *dates;
        size_t ndates;
        struct mbt_sched sched;
};

struct mbt_tier {
        int64_t upto_wh;                 /* MBT_NONE: no limit */
        int64_t price[MB_TARIFF_NRATES]; /* MBT_NONE: not priced */
};

struct mbt_version {
        int32_t from; /* YYYYMMDD */
        char *label;
        /* Spliced plans (mb_tariff_splice): the tariff and version this one
         * was taken from.  Lines are keyed by origin_from when set, so a
         * version keeps its line keys whatever date it is re-dated to. */
        char *origin_id;
        int32_t origin_from; /* YYYYMMDD, 0: none */
        int tier_period, settle_day, settle_month;
        int ntiers;
        struct mbt_tier tiers[MB_TARIFF_MAX_TIERS];
        int has_tou;
        unsigned rates; /* bit r: rate r priced */
        int has_default;
        struct mbt_sched def;
        struct mbt_season *seasons;
        size_t nseasons;
        struct mbt_special *specials;
        size_t nspecials;
        int64_t fixed_e4;  /* per month */
        int64_t demand_e4; /* per kW per month */
};

struct mb_tariff {
        char *id, *name, *currency;
        struct mbt_version *v;
        size_t nv;
};

struct mb_tariff_acc {
        mb_tariff_line *lines;
        size_t n, cap;
        unsigned flags;
};

/* Write a message into err (may be NULL). */
void mbt_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- local time (mb_tariff_time.c) ---- */

/* UTC time of local 00:00 on y-m-d (m and d may be out of range: normalised
 * as mktime does).  MB_OK or MB_ERANGE. */
int mbt_midnight(int y, int m, int d, int64_t *out);
/* Local date of UTC time t.  MB_OK or MB_ERANGE. */
int mbt_local_date(int64_t t, int *y, int *m, int *d);
/* "YYYY-MM-DD HH:MM" local, for messages. */
void mbt_fmt_time(int64_t t, char *buf, size_t len);
/* Strict "YYYY-MM-DD" (a real date), "MM-DD" (a date in a leap year) and
 * "HH:MM" (00:00..24:00, in minutes).  MB_OK or MB_EINVAL. */
int mbt_parse_date(const char *s, int *y, int *m, int *d);
int mbt_parse_md(const char *s, int *m, int *d);
int mbt_parse_hhmm(const char *s, int *min);
/* Valid calendar date?  (y 1..9999). */
int mbt_valid_date(int y, int m, int d);
/* Version in force at t: *vi, and the UTC start of the next version in *vend
 * (INT64_MAX for the last).  MB_ENOENT before the first version. */
int mbt_version_at(const mb_tariff *t, int64_t at, size_t *vi, int64_t *vend);
/* Tier period of version v containing t. */
int mbt_tier_period(const struct mbt_version *v, int64_t t, int64_t *ps, int64_t *pe);

/* ---- time of use (mb_tariff_tou.c) ---- */

/* The schedule of the local day y-m-d (special day, else season, else the
 * default), or NULL for a version without TOU. */
const struct mbt_sched *mbt_sched_for(const struct mbt_version *v, int y, int m, int d);
/* Add to secs[rate] the seconds of [a, b) in each rate.  For a version
 * without TOU everything goes to MB_RATE_NONE. */
int mbt_rate_secs(const struct mbt_version *v, int64_t a, int64_t b,
                  int64_t secs[MB_TARIFF_NRATES]);
/* Rate in force at t under version v. */
int mbt_rate_at(const struct mbt_version *v, int64_t t);

/* ---- charging (mb_tariff_calc.c) ---- */

/* Charge r0 -> r1 into acc (no rollback: the caller passes scratch state). */
int mbt_charge(const mb_tariff *t, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
               mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen);

/* ---- monthly charges (mb_tariff_monthly.c) ---- */

/* The demand line of version v on demand_w W into acc (nothing without a
 * demand price or demand).  MB_OK, MB_ERANGE, MB_ENOMEM. */
int mbt_demand_line(const struct mbt_version *v, int64_t demand_w, mb_tariff_acc *acc, char *err,
                    size_t errlen);

/* ---- accumulator (mb_tariff_acc.c) ---- */

void mbt_acc_init(mb_tariff_acc *acc);
void mbt_acc_fini(mb_tariff_acc *acc);
/* Add one line (fen ignored), merging with an equal-key line.  MB_OK,
 * MB_ERANGE, MB_ENOMEM (acc unchanged on failure). */
int mbt_acc_add(mb_tariff_acc *acc, const mb_tariff_line *l);

/* ---- freeing and copying parsed parts (mb_tariff.c) ---- */
void mbt_version_clear(struct mbt_version *v);
/* Deep copy of src into dst (zeroed on failure).  MB_OK or MB_ENOMEM. */
int mbt_version_copy(struct mbt_version *dst, const struct mbt_version *src);
/* The date lines of v are keyed by: its origin's, else its own. */
int32_t mbt_line_version(const struct mbt_version *v);

#endif
