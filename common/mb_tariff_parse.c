/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tariff file parser (libconfig syntax, docs/tariffs.md): top level,
 * versions, tiers and prices.  The `tou` section is in mb_tariff_parse_tou.c.
 * Every error is reported as "FILE:LINE: reason" and stops the parse.
 */
#include "mb_tariff_cfg.h"

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

static const char *const root_keys[] = {"id", "name", "currency", "versions", NULL};
static const char *const version_keys[] = {
    "from",  "label", "tier_period",   "settlement_day",  "settlement_month", "price", "prices",
    "tiers", "tou",   "fixed_monthly", "demand_price_kw", "origin",           NULL};
static const char *const origin_keys[] = {"tariff", "from", NULL};
static const char *const tier_keys[] = {"upto_kwh", "price", "prices", NULL};
static const char *const rate_keys[] = {"sharp", "peak", "flat", "valley", NULL};

static int parse_rate_prices(struct mbt_pctx *c, const config_setting_t *s, struct mbt_tier *tier)
{
        int present, any = 0, rc = mbt_cfg_group(c, s, "prices", rate_keys);

        for (int r = MB_RATE_SHARP; r < MB_TARIFF_NRATES && rc == MB_OK; r++) {
                rc = mbt_cfg_decimal(c, s, mb_tariff_rate_name(r), 4, &present, &tier->price[r]);
                any |= present;
        }
        if (rc == MB_OK && !any)
                rc = mbt_cfg_error(c, s, "'prices' gives no rate (sharp, peak, flat, valley)");
        return rc;
}

/* `price` (untimed) or `prices` (by rate) of a tier or a tierless version. */
static int parse_prices(struct mbt_pctx *c, const config_setting_t *g, struct mbt_tier *tier,
                        int has_tou)
{
        const config_setting_t *one = config_setting_get_member(g, "price");
        const config_setting_t *by_rate = config_setting_get_member(g, "prices");

        for (int r = 0; r < MB_TARIFF_NRATES; r++)
                tier->price[r] = MBT_NONE;
        if (one && by_rate)
                return mbt_cfg_error(c, by_rate, "give either 'price' or 'prices', not both");
        if (one && has_tou)
                return mbt_cfg_error(c, one,
                                     "the version has tou: give prices by rate, e.g. "
                                     "prices = { peak = \"0.568\"; valley = \"0.288\"; }");
        if (one)
                return mbt_cfg_decimal_of(c, one, "price", 4, &tier->price[MB_RATE_NONE]);
        if (by_rate && !has_tou)
                return mbt_cfg_error(c, by_rate,
                                     "'prices' by rate needs a 'tou' section in "
                                     "the version; without tou write price = \"0.4883\"");
        if (by_rate)
                return parse_rate_prices(c, by_rate, tier);
        return mbt_cfg_error(c, g, "missing 'price' (or 'prices' by rate with tou)");
}

static int parse_upto(struct mbt_pctx *c, const config_setting_t *g, int k, int last,
                      const struct mbt_version *v, int64_t *upto)
{
        const config_setting_t *s = config_setting_get_member(g, "upto_kwh");
        int rc;

        *upto = MBT_NONE;
        if (s == NULL)
                return last ? MB_OK
                            : mbt_cfg_error(c, g,
                                            "tier %d needs 'upto_kwh' (only the last tier "
                                            "is unbounded)",
                                            k + 1);
        if (last)
                return mbt_cfg_error(c, s,
                                     "the last tier must not have 'upto_kwh': energy "
                                     "above it would have no price");
        rc = mbt_cfg_decimal_of(c, s, "upto_kwh", 3, upto);
        if (rc == MB_OK && *upto == 0)
                return mbt_cfg_error(c, s, "tier %d: 'upto_kwh' must be above 0", k + 1);
        if (rc == MB_OK && k > 0 && *upto <= v->tiers[k - 1].upto_wh)
                return mbt_cfg_error(c, s,
                                     "tier %d: 'upto_kwh' must be above tier %d's "
                                     "(%lld Wh): tiers must increase",
                                     k + 1, k, (long long)v->tiers[k - 1].upto_wh);
        return rc;
}

static int parse_tier(struct mbt_pctx *c, const config_setting_t *list, int k,
                      struct mbt_version *v)
{
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)k);
        int last = k == config_setting_length(list) - 1;
        int rc = mbt_cfg_group(c, g, "a tier", tier_keys);

        if (rc == MB_OK)
                rc = parse_upto(c, g, k, last, v, &v->tiers[k].upto_wh);
        if (rc == MB_OK)
                rc = parse_prices(c, g, &v->tiers[k], v->has_tou);
        return rc;
}

static int parse_tiers(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v)
{
        const config_setting_t *tiers = config_setting_get_member(vg, "tiers");
        const config_setting_t *list;
        int rc;

        if (tiers == NULL) {
                v->ntiers = 1;
                v->tiers[0].upto_wh = MBT_NONE;
                return parse_prices(c, vg, &v->tiers[0], v->has_tou);
        }
        if (config_setting_get_member(vg, "price") || config_setting_get_member(vg, "prices"))
                return mbt_cfg_error(c, tiers,
                                     "with 'tiers', give the prices inside each "
                                     "tier, not beside them");
        rc = mbt_cfg_list(c, vg, "tiers", 1, MB_TARIFF_MAX_TIERS, &list);
        if (rc < 0)
                return rc;
        v->ntiers = config_setting_length(list);
        for (int k = 0; k < v->ntiers && rc == MB_OK; k++)
                rc = parse_tier(c, list, k, v);
        return rc;
}

static unsigned priced(const struct mbt_tier *t)
{
        unsigned m = 0;

        for (int r = 0; r < MB_TARIFF_NRATES; r++)
                if (t->price[r] >= 0)
                        m |= 1u << r;
        return m;
}

/* Every tier prices the same rates, and every rate the periods use. */
static int check_rates(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v,
                       unsigned used)
{
        const config_setting_t *tiers = config_setting_get_member(vg, "tiers");
        unsigned missing;

        v->rates = priced(&v->tiers[0]);
        for (int k = 1; k < v->ntiers; k++)
                if (priced(&v->tiers[k]) != v->rates)
                        return mbt_cfg_error(c, config_setting_get_elem(tiers, (unsigned)k),
                                             "tier %d prices other rates than tier 1: every "
                                             "tier must price the same rates",
                                             k + 1);
        missing = used & ~v->rates;
        for (int r = MB_RATE_SHARP; r < MB_TARIFF_NRATES; r++)
                if (missing & (1u << r))
                        return mbt_cfg_error(c, tiers ? config_setting_get_elem(tiers, 0) : vg,
                                             "rate '%s' is used by tou periods but has no "
                                             "price",
                                             mb_tariff_rate_name(r));
        return MB_OK;
}

static int parse_tier_period(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v)
{
        const char *kind;
        int64_t day, month = 1;
        int rc = mbt_cfg_string(c, vg, "tier_period", 0, &kind);

        if (rc < 0)
                return rc;
        if (kind == NULL || strcmp(kind, "month") == 0)
                v->tier_period = MB_TIER_MONTH;
        else if (strcmp(kind, "year") == 0)
                v->tier_period = MB_TIER_YEAR;
        else
                return mbt_cfg_error(c, config_setting_get_member(vg, "tier_period"),
                                     "'tier_period' must be \"month\" or \"year\", not \"%s\"",
                                     kind);
        rc = mbt_cfg_int(c, vg, "settlement_day", 1, 1, 28, &day);
        if (rc == MB_OK && v->tier_period == MB_TIER_MONTH &&
            config_setting_get_member(vg, "settlement_month"))
                return mbt_cfg_error(c, config_setting_get_member(vg, "settlement_month"),
                                     "'settlement_month' needs tier_period = \"year\"");
        if (rc == MB_OK)
                rc = mbt_cfg_int(c, vg, "settlement_month", 1, 1, 12, &month);
        v->settle_day = (int)day;
        v->settle_month = (int)month;
        return rc;
}

/* The required date member "from" of g, as YYYYMMDD. */
static int parse_from(struct mbt_pctx *c, const config_setting_t *g, int32_t *out)
{
        const char *s;
        int y, m, d, rc = mbt_cfg_string(c, g, "from", 1, &s);

        if (rc == MB_OK && mbt_parse_date(s, &y, &m, &d) < 0)
                return mbt_cfg_error(c, config_setting_get_member(g, "from"),
                                     "'from' must be a date \"YYYY-MM-DD\", not \"%s\"", s);
        if (rc == MB_OK)
                *out = y * 10000 + m * 100 + d;
        return rc;
}

/* `origin` of a spliced plan's version: the tariff and version it was taken
 * from (mb_tariff_splice). */
static int parse_origin(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v)
{
        const config_setting_t *o = config_setting_get_member(vg, "origin");
        int rc;

        if (o == NULL)
                return MB_OK;
        rc = mbt_cfg_group(c, o, "'origin'", origin_keys);
        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, o, "tariff", NULL, &v->origin_id);
        if (rc == MB_OK && v->origin_id == NULL)
                return mbt_cfg_error(c, o, "'origin' needs 'tariff'");
        return rc == MB_OK ? parse_from(c, o, &v->origin_from) : rc;
}

static int parse_charges(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v)
{
        int present;
        int rc = mbt_cfg_decimal(c, vg, "fixed_monthly", 4, &present, &v->fixed_e4);

        if (rc == MB_OK)
                rc = mbt_cfg_decimal(c, vg, "demand_price_kw", 4, &present, &v->demand_e4);
        return rc;
}

static int parse_version(struct mbt_pctx *c, const config_setting_t *vg, struct mbt_version *v)
{
        const config_setting_t *tou;
        unsigned used = 0;
        int rc = mbt_cfg_group(c, vg, "a version", version_keys);

        if (rc == MB_OK)
                rc = parse_from(c, vg, &v->from);
        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, vg, "label", NULL, &v->label);
        if (rc == MB_OK)
                rc = parse_origin(c, vg, v);
        if (rc == MB_OK)
                rc = parse_tier_period(c, vg, v);
        tou = config_setting_get_member(vg, "tou");
        if (rc == MB_OK && tou != NULL)
                rc = mbt_parse_tou(c, tou, v, &used);
        if (rc == MB_OK)
                rc = parse_tiers(c, vg, v);
        if (rc == MB_OK)
                rc = check_rates(c, vg, v, used);
        if (rc == MB_OK)
                rc = parse_charges(c, vg, v);
        return rc;
}

static int parse_versions(struct mbt_pctx *c, const config_setting_t *root, mb_tariff *t)
{
        const config_setting_t *list;
        int rc = mbt_cfg_list(c, root, "versions", 1, 1000, &list);

        if (rc < 0)
                return rc;
        t->nv = (size_t)config_setting_length(list);
        t->v = calloc(t->nv, sizeof(*t->v));
        if (t->v == NULL) {
                t->nv = 0;
                return MB_ENOMEM;
        }
        for (size_t i = 0; i < t->nv && rc == MB_OK; i++) {
                const config_setting_t *vg = config_setting_get_elem(list, (unsigned)i);

                rc = parse_version(c, vg, &t->v[i]);
                if (rc == MB_OK && i > 0 && t->v[i].from <= t->v[i - 1].from)
                        rc = mbt_cfg_error(c, vg,
                                           "versions must be in date order: %d is not "
                                           "after %d",
                                           t->v[i].from, t->v[i - 1].from);
        }
        return rc;
}

/* Ids go into URLs, file names and the database: keep them plain. */
static int check_word(struct mbt_pctx *c, const config_setting_t *root, const char *key,
                      const char *s, const char *extra)
{
        for (const char *p = s; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                      (*p >= '0' && *p <= '9') || strchr(extra, *p)))
                        return mbt_cfg_error(c, config_setting_get_member(root, key),
                                             "'%s' may only hold letters, digits and \"%s\"", key,
                                             extra);
        if (strlen(s) > 64)
                return mbt_cfg_error(c, config_setting_get_member(root, key),
                                     "'%s' is longer than 64 characters", key);
        return MB_OK;
}

static int parse_root(struct mbt_pctx *c, const config_setting_t *root, mb_tariff *t)
{
        const char *id;
        int rc = mbt_cfg_group(c, root, "the top level", root_keys);

        if (rc == MB_OK)
                rc = mbt_cfg_string(c, root, "id", 1, &id);
        if (rc == MB_OK)
                rc = check_word(c, root, "id", id, "._-");
        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, root, "id", NULL, &t->id);
        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, root, "name", id, &t->name);
        if (rc == MB_OK)
                rc = mbt_cfg_strdup(c, root, "currency", "CNY", &t->currency);
        if (rc == MB_OK)
                rc = check_word(c, root, "currency", t->currency, "");
        if (rc == MB_OK)
                rc = parse_versions(c, root, t);
        return rc;
}

static int build(struct mbt_pctx *c, const config_t *cfg, mb_tariff **out)
{
        mb_tariff *t = calloc(1, sizeof(*t));
        int rc;

        if (t == NULL)
                return MB_ENOMEM;
        rc = parse_root(c, config_root_setting(cfg), t);
        if (rc == MB_ENOMEM)
                mbt_err(c->err, c->errlen, "%s: out of memory", c->name);
        if (rc < 0) {
                mb_tariff_free(t);
                return rc;
        }
        *out = t;
        return MB_OK;
}

static int syntax_error(struct mbt_pctx *c, const config_t *cfg)
{
        const char *file = config_error_file(cfg) ? config_error_file(cfg) : c->name;

        mbt_err(c->err, c->errlen, "%s:%d: %s", file, config_error_line(cfg),
                config_error_text(cfg) ? config_error_text(cfg) : "syntax error");
        return MB_ECONFIG;
}

int mb_tariff_parse_file(const char *path, mb_tariff **out, char *err, size_t errlen)
{
        struct mbt_pctx c = {.name = path, .err = err, .errlen = errlen};
        config_t cfg;
        char *dir;
        int rc;

        mbt_err(err, errlen, "%s", "");
        if (path == NULL || out == NULL)
                return MB_EINVAL;
        dir = strdup(path);
        if (dir == NULL)
                return MB_ENOMEM;
        config_init(&cfg);
        config_set_include_dir(&cfg, dirname(dir));
        errno = 0;
        if (!config_read_file(&cfg, path)) {
                if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
                        mbt_err(err, errlen, "%s: cannot read: %s", path,
                                errno ? strerror(errno) : "I/O error");
                        rc = MB_EIO;
                } else {
                        rc = syntax_error(&c, &cfg);
                }
        } else {
                rc = build(&c, &cfg, out);
        }
        config_destroy(&cfg);
        free(dir);
        return rc;
}

int mb_tariff_parse_string(const char *text, const char *name, mb_tariff **out, char *err,
                           size_t errlen)
{
        struct mbt_pctx c = {.name = name ? name : "tariff", .err = err, .errlen = errlen};
        const char *inc;
        config_t cfg;
        int rc, line = 1;

        mbt_err(err, errlen, "%s", "");
        if (text == NULL || out == NULL)
                return MB_EINVAL;
        /* Text from the network must not make us read local files. */
        inc = strstr(text, "@include");
        if (inc != NULL) {
                for (const char *p = text; p < inc; p++)
                        line += *p == '\n';
                mbt_err(err, errlen, "%s:%d: @include is not allowed in tariff text", c.name, line);
                return MB_ECONFIG;
        }
        config_init(&cfg);
        if (!config_read_string(&cfg, text))
                rc = syntax_error(&c, &cfg);
        else
                rc = build(&c, &cfg, out);
        config_destroy(&cfg);
        return rc;
}
