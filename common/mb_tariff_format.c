/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Canonical text of a parsed tariff (mb_tariff_to_text): the file format with
 * a fixed key order and fixed number formats, so equal tariffs give equal
 * bytes and the text parses back to an equal tariff.
 */
#include "mb_tariff_priv.h"

#include <stdio.h>
#include <stdlib.h>

#include "mb_money.h"

static void put_str(FILE *f, const char *s)
{
        fputc('"', f);
        for (; *s; s++) {
                unsigned char ch = (unsigned char)*s;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\x%02x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

/* `key = "v";` followed by `sep`. */
static void put_dec(FILE *f, const char *key, int64_t v, int decimals, const char *sep)
{
        char buf[32];

        mb_decimal_format(v, decimals, buf, sizeof(buf));
        fprintf(f, "%s = \"%s\";%s", key, buf, sep);
}

static void put_sched(FILE *f, const struct mbt_sched *s, const char *indent)
{
        fprintf(f, "%speriods = (\n", indent);
        for (int i = 0; i < s->n; i++) {
                int a = s->e[i].start_min, b = i + 1 < s->n ? s->e[i + 1].start_min : 1440;

                fprintf(f, "%s  { from = \"%02d:%02d\"; to = \"%02d:%02d\"; rate = \"%s\"; }%s\n",
                        indent, a / 60, a % 60, b / 60, b % 60, mb_tariff_rate_name(s->e[i].rate),
                        i + 1 < s->n ? "," : "");
        }
        fprintf(f, "%s);\n", indent);
}

static void put_date(FILE *f, int32_t d)
{
        if (d >= 10000)
                fprintf(f, "\"%04d-%02d-%02d\"", d / 10000, d / 100 % 100, d % 100);
        else
                fprintf(f, "\"%02d-%02d\"", d / 100, d % 100);
}

static void put_seasons(FILE *f, const struct mbt_version *v)
{
        fprintf(f, "      seasons = (\n");
        for (size_t i = 0; i < v->nseasons; i++) {
                const struct mbt_season *s = &v->seasons[i];

                fprintf(f, "        {\n          name = ");
                put_str(f, s->name);
                fprintf(f, ";\n          from = \"%02d-%02d\"; to = \"%02d-%02d\";\n",
                        s->from_md / 100, s->from_md % 100, s->to_md / 100, s->to_md % 100);
                put_sched(f, &s->sched, "          ");
                fprintf(f, "        }%s\n", i + 1 < v->nseasons ? "," : "");
        }
        fprintf(f, "      );\n");
}

static void put_specials(FILE *f, const struct mbt_version *v)
{
        fprintf(f, "      special_days = (\n");
        for (size_t i = 0; i < v->nspecials; i++) {
                const struct mbt_special *s = &v->specials[i];

                fprintf(f, "        {\n          name = ");
                put_str(f, s->name);
                fprintf(f, ";\n          dates = [ ");
                for (size_t k = 0; k < s->ndates; k++) {
                        put_date(f, s->dates[k]);
                        fprintf(f, "%s", k + 1 < s->ndates ? ", " : " ];\n");
                }
                put_sched(f, &s->sched, "          ");
                fprintf(f, "        }%s\n", i + 1 < v->nspecials ? "," : "");
        }
        fprintf(f, "      );\n");
}

static void put_tou(FILE *f, const struct mbt_version *v)
{
        if (!v->has_tou)
                return;
        fprintf(f, "    tou = {\n");
        if (v->has_default)
                put_sched(f, &v->def, "      ");
        if (v->nseasons > 0)
                put_seasons(f, v);
        if (v->nspecials > 0)
                put_specials(f, v);
        fprintf(f, "    };\n");
}

static void put_tier(FILE *f, const struct mbt_version *v, int k)
{
        const struct mbt_tier *t = &v->tiers[k];

        fprintf(f, "      { ");
        if (t->upto_wh != MBT_NONE)
                put_dec(f, "upto_kwh", t->upto_wh, 3, " ");
        if (!v->has_tou) {
                put_dec(f, "price", t->price[MB_RATE_NONE], 4, " ");
        } else {
                fprintf(f, "prices = { ");
                for (int r = MB_RATE_SHARP; r < MB_TARIFF_NRATES; r++)
                        if (t->price[r] >= 0)
                                put_dec(f, mb_tariff_rate_name(r), t->price[r], 4, " ");
                fprintf(f, "}; ");
        }
        fprintf(f, "}%s\n", k + 1 < v->ntiers ? "," : "");
}

static void put_version(FILE *f, const struct mbt_version *v, int last)
{
        fprintf(f, "  {\n    from = \"%04d-%02d-%02d\";\n", v->from / 10000, v->from / 100 % 100,
                v->from % 100);
        if (v->label) {
                fprintf(f, "    label = ");
                put_str(f, v->label);
                fprintf(f, ";\n");
        }
        if (v->origin_id) {
                fprintf(f, "    origin = { tariff = ");
                put_str(f, v->origin_id);
                fprintf(f, "; from = \"%04d-%02d-%02d\"; };\n", v->origin_from / 10000,
                        v->origin_from / 100 % 100, v->origin_from % 100);
        }
        fprintf(f, "    tier_period = \"%s\";\n    settlement_day = %d;\n",
                v->tier_period == MB_TIER_YEAR ? "year" : "month", v->settle_day);
        if (v->tier_period == MB_TIER_YEAR)
                fprintf(f, "    settlement_month = %d;\n", v->settle_month);
        fprintf(f, "    ");
        put_dec(f, "fixed_monthly", v->fixed_e4, 4, "\n    ");
        put_dec(f, "demand_price_kw", v->demand_e4, 4, "\n");
        put_tou(f, v);
        fprintf(f, "    tiers = (\n");
        for (int k = 0; k < v->ntiers; k++)
                put_tier(f, v, k);
        fprintf(f, "    );\n  }%s\n", last ? "" : ",");
}

char *mb_tariff_to_text(const mb_tariff *t)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (f == NULL)
                return NULL;
        fprintf(f, "id = ");
        put_str(f, t->id);
        fprintf(f, ";\nname = ");
        put_str(f, t->name);
        fprintf(f, ";\ncurrency = ");
        put_str(f, t->currency);
        fprintf(f, ";\nversions = (\n");
        for (size_t i = 0; i < t->nv; i++)
                put_version(f, &t->v[i], i + 1 == t->nv);
        fprintf(f, ");\n");
        if (ferror(f)) {
                fclose(f);
                free(buf);
                return NULL;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}
