/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parsing the `tou` section of a tariff version: default day periods,
 * seasons and special days, each a list of periods that must cover the day
 * exactly once (a period may cross midnight).
 */
#include "mb_tariff_cfg.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MIN 1440

static const char *const tou_keys[] = {"periods", "seasons", "special_days", NULL};
static const char *const period_keys[] = {"from", "to", "rate", NULL};
static const char *const season_keys[] = {"name", "from", "to", "periods", NULL};
static const char *const special_keys[] = {"name", "dates", "periods", NULL};

static int parse_rate(struct mbt_pctx *c, const config_setting_t *g, int *rate)
{
        const char *s;
        int rc = mbt_cfg_string(c, g, "rate", 1, &s);

        if (rc < 0)
                return rc;
        for (int r = MB_RATE_SHARP; r < MB_TARIFF_NRATES; r++) {
                if (strcmp(s, mb_tariff_rate_name(r)) == 0) {
                        *rate = r;
                        return MB_OK;
                }
        }
        return mbt_cfg_error(c, config_setting_get_member(g, "rate"),
                             "unknown rate '%s' (use sharp, peak, flat or valley)", s);
}

static int parse_time(struct mbt_pctx *c, const config_setting_t *g, const char *key, int *min)
{
        const char *s;
        int rc = mbt_cfg_string(c, g, key, 1, &s);

        if (rc == MB_OK && mbt_parse_hhmm(s, min) < 0)
                return mbt_cfg_error(c, config_setting_get_member(g, key),
                                     "'%s' must be a time HH:MM from 00:00 to 24:00, not \"%s\"",
                                     key, s);
        return rc;
}

/* Mark the minutes of period idx in map[] (as idx + 1). */
static int mark_period(struct mbt_pctx *c, const config_setting_t *list, int idx,
                       int16_t map[DAY_MIN], int *rate)
{
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)idx);
        int from, to, len, rc = mbt_cfg_group(c, g, "a period", period_keys);

        if (rc == MB_OK)
                rc = parse_time(c, g, "from", &from);
        if (rc == MB_OK)
                rc = parse_time(c, g, "to", &to);
        if (rc == MB_OK)
                rc = parse_rate(c, g, rate);
        if (rc < 0)
                return rc;
        if (from == DAY_MIN)
                return mbt_cfg_error(c, g, "a period cannot start at 24:00");
        len = from == 0 && to == DAY_MIN ? DAY_MIN : (to - from + DAY_MIN) % DAY_MIN;
        if (len == 0)
                return mbt_cfg_error(c, g,
                                     "period from %02d:%02d to %02d:%02d is empty or "
                                     "ambiguous; for the whole day write from = \"00:00\"; "
                                     "to = \"24:00\"",
                                     from / 60, from % 60, to / 60, to % 60);
        for (int i = 0, m = from; i < len; i++, m = (m + 1) % DAY_MIN) {
                if (map[m] != 0)
                        return mbt_cfg_error(
                            c, g, "period %02d:%02d-%02d:%02d overlaps the period at line %d",
                            from / 60, from % 60, to / 60, to % 60,
                            mbt_cfg_line(config_setting_get_elem(list, (unsigned)map[m] - 1)));
                map[m] = (int16_t)(idx + 1);
        }
        return MB_OK;
}

static int check_covered(struct mbt_pctx *c, const config_setting_t *list,
                         const int16_t map[DAY_MIN])
{
        int a = 0, b;

        while (a < DAY_MIN && map[a] != 0)
                a++;
        if (a == DAY_MIN)
                return MB_OK;
        for (b = a; b < DAY_MIN && map[b] == 0; b++)
                ;
        return mbt_cfg_error(c, list,
                             "periods leave %02d:%02d-%02d:%02d uncovered; they must "
                             "cover the whole day",
                             a / 60, a % 60, b / 60, b % 60);
}

/* Parse a list of periods into a day schedule. */
static int parse_sched(struct mbt_pctx *c, const config_setting_t *g, struct mbt_sched *s,
                       unsigned *used)
{
        int16_t map[DAY_MIN];
        int rates[MBT_MAX_PERIODS], n;
        const config_setting_t *list;
        int rc = mbt_cfg_list(c, g, "periods", 1, MBT_MAX_PERIODS, &list);

        if (rc < 0)
                return rc;
        memset(map, 0, sizeof(map));
        n = config_setting_length(list);
        for (int i = 0; i < n && rc == MB_OK; i++) {
                rc = mark_period(c, list, i, map, &rates[i]);
                if (rc == MB_OK)
                        *used |= 1u << rates[i];
        }
        if (rc == MB_OK)
                rc = check_covered(c, list, map);
        if (rc < 0)
                return rc;
        s->n = 0;
        for (int m = 0; m < DAY_MIN; m++) {
                int r = rates[map[m] - 1];

                if (s->n == 0 || s->e[s->n - 1].rate != r)
                        s->e[s->n++] =
                            (struct mbt_entry){.start_min = (int16_t)m, .rate = (int16_t)r};
        }
        return MB_OK;
}

static int parse_md(struct mbt_pctx *c, const config_setting_t *g, const char *key, int *md)
{
        const char *s;
        int m, d, rc = mbt_cfg_string(c, g, key, 1, &s);

        if (rc == MB_OK && mbt_parse_md(s, &m, &d) < 0)
                return mbt_cfg_error(c, config_setting_get_member(g, key),
                                     "'%s' must be a date MM-DD, not \"%s\"", key, s);
        if (rc == MB_OK)
                *md = m * 100 + d;
        return rc;
}

static int parse_season(struct mbt_pctx *c, const config_setting_t *g, struct mbt_season *s,
                        unsigned *used)
{
        int rc = mbt_cfg_group(c, g, "a season", season_keys);

        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, g, "name", NULL, &s->name);
        if (rc == MB_OK && s->name == NULL)
                rc = mbt_cfg_error(c, g, "missing required key 'name'");
        if (rc == MB_OK)
                rc = parse_md(c, g, "from", &s->from_md);
        if (rc == MB_OK)
                rc = parse_md(c, g, "to", &s->to_md);
        if (rc == MB_OK)
                rc = parse_sched(c, g, &s->sched, used);
        return rc;
}

static int season_has(const struct mbt_season *s, int md)
{
        if (s->from_md <= s->to_md)
                return md >= s->from_md && md <= s->to_md;
        return md >= s->from_md || md <= s->to_md;
}

/* Seasons must not overlap, and must cover the year when there are no
 * default periods. */
static int check_seasons(struct mbt_pctx *c, const config_setting_t *tou,
                         const config_setting_t *list, const struct mbt_version *v)
{
        for (int m = 1; m <= 12; m++) {
                for (int d = 1; d <= 31; d++) {
                        int owner = -1, md = m * 100 + d;

                        if (!mbt_valid_date(2000, m, d))
                                continue;
                        for (size_t i = 0; i < v->nseasons; i++) {
                                if (!season_has(&v->seasons[i], md))
                                        continue;
                                if (owner >= 0)
                                        return mbt_cfg_error(
                                            c, config_setting_get_elem(list, (unsigned)i),
                                            "season '%s' overlaps season '%s' on %02d-%02d",
                                            v->seasons[i].name, v->seasons[owner].name, m, d);
                                owner = (int)i;
                        }
                        if (owner < 0 && !v->has_default)
                                return mbt_cfg_error(c, tou,
                                                     "no default 'periods' and no "
                                                     "season covers %02d-%02d",
                                                     m, d);
                }
        }
        return MB_OK;
}

static int parse_seasons(struct mbt_pctx *c, const config_setting_t *tou, struct mbt_version *v,
                         unsigned *used)
{
        const config_setting_t *list;
        int rc = mbt_cfg_list(c, tou, "seasons", 0, 366, &list);
        int n;

        if (rc < 0 || list == NULL)
                return rc;
        n = config_setting_length(list);
        v->seasons = calloc((size_t)n, sizeof(*v->seasons));
        if (v->seasons == NULL)
                return MB_ENOMEM;
        v->nseasons = (size_t)n;
        for (int i = 0; i < n && rc == MB_OK; i++)
                rc = parse_season(c, config_setting_get_elem(list, (unsigned)i), &v->seasons[i],
                                  used);
        return rc == MB_OK ? check_seasons(c, tou, list, v) : rc;
}

/* One date of a special-day group: YYYYMMDD, or MMDD for every year. */
static int parse_special_date(struct mbt_pctx *c, const config_setting_t *s, int32_t *out)
{
        const char *str = config_setting_get_string(s);
        int y, m, d;

        if (str != NULL && mbt_parse_date(str, &y, &m, &d) == MB_OK) {
                *out = y * 10000 + m * 100 + d;
                return MB_OK;
        }
        if (str != NULL && mbt_parse_md(str, &m, &d) == MB_OK) {
                *out = m * 100 + d;
                return MB_OK;
        }
        return mbt_cfg_error(c, s, "special day must be a string \"YYYY-MM-DD\" or \"MM-DD\"");
}

static int parse_dates(struct mbt_pctx *c, const config_setting_t *g, struct mbt_special *sp)
{
        const config_setting_t *list;
        int rc = mbt_cfg_list(c, g, "dates", 1, 10000, &list);
        int n;

        if (rc < 0)
                return rc;
        n = config_setting_length(list);
        sp->dates = calloc((size_t)n, sizeof(*sp->dates));
        if (sp->dates == NULL)
                return MB_ENOMEM;
        for (int i = 0; i < n && rc == MB_OK; i++) {
                rc = parse_special_date(c, config_setting_get_elem(list, (unsigned)i),
                                        &sp->dates[i]);
                sp->ndates += rc == MB_OK;
        }
        return rc;
}

static int same_day(int32_t a, int32_t b)
{
        return a == b || (a < 10000 && b % 10000 == a) || (b < 10000 && a % 10000 == b);
}

/* A date may be special in one way only. */
static int check_dates(struct mbt_pctx *c, const config_setting_t *g, const struct mbt_version *v,
                       size_t gi)
{
        const struct mbt_special *sp = &v->specials[gi];
        const config_setting_t *dates = config_setting_get_member(g, "dates");

        for (size_t i = 0; i < sp->ndates; i++) {
                for (size_t gj = 0; gj <= gi; gj++) {
                        const struct mbt_special *o = &v->specials[gj];
                        size_t lim = gj == gi ? i : o->ndates;

                        for (size_t k = 0; k < lim; k++)
                                if (same_day(sp->dates[i], o->dates[k]))
                                        return mbt_cfg_error(
                                            c, config_setting_get_elem(dates, (unsigned)i),
                                            "special day \"%s\" is already listed in '%s'",
                                            config_setting_get_string_elem(dates, (int)i), o->name);
                }
        }
        return MB_OK;
}

static int parse_special(struct mbt_pctx *c, const config_setting_t *g, struct mbt_version *v,
                         size_t gi, unsigned *used)
{
        struct mbt_special *sp = &v->specials[gi];
        int rc = mbt_cfg_group(c, g, "a special_days entry", special_keys);

        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, g, "name", NULL, &sp->name);
        if (rc == MB_OK && sp->name == NULL)
                rc = mbt_cfg_error(c, g, "missing required key 'name'");
        if (rc == MB_OK)
                rc = parse_dates(c, g, sp);
        if (rc == MB_OK)
                rc = check_dates(c, g, v, gi);
        if (rc == MB_OK)
                rc = parse_sched(c, g, &sp->sched, used);
        return rc;
}

static int parse_specials(struct mbt_pctx *c, const config_setting_t *tou, struct mbt_version *v,
                          unsigned *used)
{
        const config_setting_t *list;
        int rc = mbt_cfg_list(c, tou, "special_days", 0, 1000, &list);
        int n;

        if (rc < 0 || list == NULL)
                return rc;
        n = config_setting_length(list);
        v->specials = calloc((size_t)n, sizeof(*v->specials));
        if (v->specials == NULL)
                return MB_ENOMEM;
        v->nspecials = (size_t)n;
        for (int i = 0; i < n && rc == MB_OK; i++)
                rc = parse_special(c, config_setting_get_elem(list, (unsigned)i), v, (size_t)i,
                                   used);
        return rc;
}

int mbt_parse_tou(struct mbt_pctx *c, const config_setting_t *tou, struct mbt_version *v,
                  unsigned *used)
{
        int rc = mbt_cfg_group(c, tou, "tou", tou_keys);

        *used = 0;
        if (rc < 0)
                return rc;
        v->has_tou = 1;
        v->has_default = config_setting_get_member(tou, "periods") != NULL;
        if (v->has_default)
                rc = parse_sched(c, tou, &v->def, used);
        if (rc == MB_OK)
                rc = parse_seasons(c, tou, v, used);
        if (rc == MB_OK)
                rc = parse_specials(c, tou, v, used);
        if (rc == MB_OK && !v->has_default && v->nseasons == 0)
                rc = mbt_cfg_error(c, tou, "tou needs 'periods' (or seasons covering the year)");
        return rc;
}
