/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterboxctl quote: price some energy under a tariff file and print the bill
 * as JSON.  Works offline, with the same engine the agent and server use.
 *
 * The energy is taken as consumed on one local day (--at, default today):
 * per-rate energy from --rates, or --kwh spread over that day's time-of-use
 * periods by time.  --tier-used places the tier position inside the tier
 * period containing that day.  The result is what a month's bill with this
 * energy would show: energy lines, the fixed monthly charge and, with
 * --demand-kw, the demand charge.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "mb_money.h"
#include "mb_multiplier.h"
#include "mb_tariff.h"
#include "meterboxctl.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

struct quote_opts {
        const char *tariff;
        char at[16];
        int has_kwh, has_rates;
        int64_t wh; /* --kwh, or the sum of --rates */
        int64_t rate_wh[MB_RATES];
        int64_t tier_used_wh;
        int64_t demand_w;
        int64_t ct, pt; /* --ct, --pt ratios (1 without) */
};

static void quote_help(FILE *f)
{
        fprintf(
            f,
            "usage: meterboxctl quote --tariff FILE [--at YYYY-MM-DD]\n"
            "                         [--kwh N | --rates SHARP,PEAK,FLAT,VALLEY]\n"
            "                         [--tier-used KWH] [--demand-kw N] [--ct R] [--pt R]\n\n"
            "Price energy under a tariff file and print the bill as JSON (no server\n"
            "needed).  Amounts in kWh and kW may have up to three decimals (12.345);\n"
            "they are read as exact integers (Wh, W), never as floating point.\n\n"
            "  --tariff FILE    tariff file (libconfig, see docs/tariffs.md)\n"
            "  --at DATE        local day the energy is consumed on (default today):\n"
            "                   picks the version, the season and the tier period\n"
            "  --kwh N          total energy; with time of use it is spread over the\n"
            "                   day's periods by time (\"time_split\": true)\n"
            "  --rates S,P,F,V  energy per rate: sharp, peak, flat, valley (kWh)\n"
            "  --tier-used KWH  energy already used in the current tier period\n"
            "  --demand-kw N    the month's maximum demand, for a demand charge\n"
            "  --ct R, --pt R   the meter's CT and PT ratios (\"200/5\", \"10000/100\"):\n"
            "                   --kwh, --rates and --demand-kw are then what the meter\n"
            "                   counts, billed times CT x PT (\"multiplier\")\n"
            "  --help           this text\n\n"
            "Output: {\"lines\": [{\"kind\", \"tier\", \"rate\", \"kwh\", \"price\", \"amount\",\n"
            "\"fen\", ...}], \"total\", \"total_fen\", ...}.  Each line is rounded to fen\n"
            "once, half away from zero; the total is the sum of the rounded lines.\n"
            "Exit status: 0 ok, 1 error, 2 bad usage.\n");
}

static int bad_value(const char *opt, const char *val)
{
        fprintf(stderr,
                "meterboxctl quote: bad value for %s: '%s' (a number such as 12.345, "
                "at most 3 decimals)\n",
                opt, val);
        return 2;
}

/* A non-negative amount with up to three decimals, as an integer in 1/1000. */
static int parse_milli(const char *opt, const char *s, int64_t *out)
{
        if (mb_decimal_parse(s, 3, out) < 0 || *out < 0)
                return bad_value(opt, s);
        return 0;
}

static int parse_rates(const char *s, struct quote_opts *o)
{
        char buf[256], *save = NULL, *tok;
        int n = 0;

        if (*s == '\0' || strlen(s) >= sizeof(buf) || s[strlen(s) - 1] == ',')
                return bad_value("--rates", s);
        strcpy(buf, s);
        o->wh = 0;
        for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (n == MB_RATES || parse_milli("--rates", tok, &o->rate_wh[n]) != 0 ||
                    __builtin_add_overflow(o->wh, o->rate_wh[n], &o->wh))
                        return bad_value("--rates", s);
                n++;
        }
        if (n != MB_RATES) {
                fprintf(stderr, "meterboxctl quote: --rates needs four values "
                                "SHARP,PEAK,FLAT,VALLEY (0 for none)\n");
                return 2;
        }
        o->has_rates = 1;
        return 0;
}

static void today(char *buf, size_t len)
{
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        strftime(buf, len, "%Y-%m-%d", &tm);
}

static int parse_opt(int c, const char *arg, struct quote_opts *o)
{
        switch (c) {
        case 't':
                o->tariff = arg;
                return 0;
        case 'a':
                snprintf(o->at, sizeof(o->at), "%s", arg);
                return 0;
        case 'k':
                o->has_kwh = 1;
                return parse_milli("--kwh", arg, &o->wh);
        case 'r':
                return parse_rates(arg, o);
        case 'u':
                return parse_milli("--tier-used", arg, &o->tier_used_wh);
        case 'd':
                return parse_milli("--demand-kw", arg, &o->demand_w);
        case 'c':
        case 'p': {
                char err[160];

                if (mb_ratio_parse(arg, c == 'c' ? &o->ct : &o->pt, err, sizeof(err)) == MB_OK)
                        return 0;
                fprintf(stderr, "meterboxctl quote: --%s: %s\n", c == 'c' ? "ct" : "pt", err);
                return 2;
        }
        default:
                return 2;
        }
}

/* 0 to go on, 2 on bad usage, -1 after --help. */
static int parse_args(int argc, char **argv, struct quote_opts *o)
{
        static const struct option opts[] = {{"tariff", required_argument, NULL, 't'},
                                             {"at", required_argument, NULL, 'a'},
                                             {"kwh", required_argument, NULL, 'k'},
                                             {"rates", required_argument, NULL, 'r'},
                                             {"tier-used", required_argument, NULL, 'u'},
                                             {"demand-kw", required_argument, NULL, 'd'},
                                             {"ct", required_argument, NULL, 'c'},
                                             {"pt", required_argument, NULL, 'p'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
        int c, rc;

        memset(o, 0, sizeof(*o));
        o->ct = o->pt = 1;
        today(o->at, sizeof(o->at));
        optind = 1;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 'h') {
                        quote_help(stdout);
                        return -1;
                }
                rc = parse_opt(c, optarg, o);
                if (rc != 0)
                        return rc;
        }
        if (optind < argc || o->tariff == NULL || (o->has_kwh && o->has_rates)) {
                fprintf(stderr, "meterboxctl quote: %s\n",
                        optind < argc       ? "unexpected argument"
                        : o->tariff == NULL ? "--tariff FILE is required"
                                            : "give --kwh or --rates, not both");
                quote_help(stderr);
                return 2;
        }
        return 0;
}

static json_object *jdec(int64_t v, int decimals)
{
        char buf[32];

        mb_decimal_format(v, decimals, buf, sizeof(buf));
        return json_object_new_string(buf);
}

static json_object *jdate(int32_t ymd)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
        return json_object_new_string(buf);
}

static json_object *line_json(const mb_tariff_line *l)
{
        static const char *kinds[] = {"energy", "fixed", "demand"};
        json_object *o = json_object_new_object();

        json_object_object_add(o, "kind", json_object_new_string(kinds[l->kind]));
        json_object_object_add(o, "version", jdate(l->version));
        if (l->kind == MB_LINE_ENERGY) {
                json_object_object_add(o, "tier", json_object_new_int(l->tier));
                json_object_object_add(o, "rate",
                                       json_object_new_string(mb_tariff_rate_name(l->rate)));
                json_object_object_add(o, "kwh", jdec(l->qty, 3));
                json_object_object_add(o, "wh", json_object_new_int64(l->qty));
        } else if (l->kind == MB_LINE_DEMAND) {
                json_object_object_add(o, "kw", jdec(l->qty, 3));
        } else {
                json_object_object_add(o, "months", json_object_new_int64(l->qty));
        }
        json_object_object_add(o, "price", jdec(l->price, 4));
        json_object_object_add(o, "exact", jdec(l->exact, 7));
        json_object_object_add(o, "amount", jdec(l->fen, 2));
        json_object_object_add(o, "fen", json_object_new_int64(l->fen));
        return o;
}

static json_object *flags_json(unsigned flags)
{
        static const char *names[] = {"time_split", "block_split", "rate_mismatch",
                                      "rate_unpriced"};
        json_object *a = json_object_new_array();

        for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (flags & (1u << i))
                        json_object_array_add(a, json_object_new_string(names[i]));
        return a;
}

struct quote_result {
        int64_t k; /* CT x PT */
        mb_tariff_version_info ver;
        mb_tier_pos before, after;
        int64_t total_fen;
};

static json_object *result_json(const mb_tariff *t, const struct quote_opts *o,
                                const mb_tariff_acc *acc, const struct quote_result *q)
{
        json_object *root = json_object_new_object(), *lines = json_object_new_array();
        mb_tariff_line l;

        json_object_object_add(root, "tariff", json_object_new_string(mb_tariff_id(t)));
        json_object_object_add(root, "name", json_object_new_string(mb_tariff_name(t)));
        json_object_object_add(root, "currency", json_object_new_string(mb_tariff_currency(t)));
        json_object_object_add(root, "date", json_object_new_string(o->at));
        json_object_object_add(root, "version", jdate(q->ver.from));
        json_object_object_add(root, "version_label", json_object_new_string(q->ver.label));
        json_object_object_add(root, "kwh", jdec(mb_tariff_acc_energy(acc), 3));
        if (q->k > 1) { /* behind CT and PT: what the meter counted, and the multiplier */
                json_object_object_add(root, "multiplier", json_object_new_int64(q->k));
                json_object_object_add(root, "register_kwh", jdec(o->wh, 3));
        }
        json_object_object_add(root, "tier_used_kwh_before", jdec(q->before.used_wh, 3));
        json_object_object_add(root, "tier_used_kwh_after", jdec(q->after.used_wh, 3));
        json_object_object_add(
            root, "time_split",
            json_object_new_boolean(mb_tariff_acc_flags(acc) & MB_CHARGE_TIME_SPLIT));
        json_object_object_add(root, "flags", flags_json(mb_tariff_acc_flags(acc)));
        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++)
                json_object_array_add(lines, line_json(&l));
        json_object_object_add(root, "lines", lines);
        json_object_object_add(root, "total", jdec(q->total_fen, 2));
        json_object_object_add(root, "total_fen", json_object_new_int64(q->total_fen));
        return root;
}

/* Charge the day's energy as a month's bill. */
static int compute(const mb_tariff *t, const struct quote_opts *o, mb_tariff_acc *acc,
                   struct quote_result *q, char *err, size_t errlen)
{
        mb_tariff_reading r0 = {.has_rates = o->has_rates}, r1 = r0;
        int64_t end, pend, demand = 0;
        int rc = mb_tariff_local_day(o->at, &r0.t, &end), vi;

        if (rc < 0) {
                snprintf(err, errlen, "--at: not a date YYYY-MM-DD: '%s'", o->at);
                return rc;
        }
        vi = mb_tariff_version_at(t, r0.t);
        if (vi < 0) {
                snprintf(err, errlen, "no version of tariff '%s' in force on %s", mb_tariff_id(t),
                         o->at);
                return vi;
        }
        mb_tariff_version(t, (size_t)vi, &q->ver);
        mb_tariff_tier_period(t, r0.t, &q->before.period_start, &pend);
        q->before.used_wh = o->tier_used_wh;
        q->after = q->before;
        r1.t = end;
        r1.import_wh = o->wh;
        memcpy(r1.rate_wh, o->rate_wh, sizeof(r1.rate_wh));
        /* behind CT and PT the meter counts the secondary side: energy and
         * demand are billed times the multiplier (exact integers) */
        if (mb_multiplier(o->ct, o->pt, &q->k) != MB_OK ||
            mb_multiplier_reading(&r1, q->k) != MB_OK ||
            __builtin_mul_overflow(o->demand_w, q->k, &demand)) {
                snprintf(err, errlen, "--ct x --pt is above %d, or the energy times it overflows",
                         MB_MULTIPLIER_MAX);
                return MB_ERANGE;
        }
        rc = mb_tariff_bill_month(t, &r0, &r1, demand, &q->after, acc, err, errlen);
        if (rc == MB_OK)
                rc = mb_tariff_acc_total(acc, &q->total_fen);
        return rc;
}

int mbctl_quote(int argc, char **argv)
{
        struct quote_opts o;
        struct quote_result q;
        mb_tariff *t = NULL;
        mb_tariff_acc *acc = NULL;
        char err[512];
        int rc = parse_args(argc, argv, &o);

        if (rc != 0)
                return rc < 0 ? 0 : rc;
        rc = mb_tariff_parse_file(o.tariff, &t, err, sizeof(err));
        if (rc == MB_OK) {
                acc = mb_tariff_acc_new();
                rc = acc ? compute(t, &o, acc, &q, err, sizeof(err)) : MB_ENOMEM;
                if (acc == NULL)
                        snprintf(err, sizeof(err), "out of memory");
        }
        if (rc == MB_OK) {
                json_object *j = result_json(t, &o, acc, &q);

                printf("%s\n", json_object_to_json_string_ext(
                                   j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                          JSON_C_TO_STRING_NOSLASHESCAPE));
                json_object_put(j);
        } else {
                fprintf(stderr, "meterboxctl quote: %s\n", err);
        }
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
        return rc == MB_OK ? 0 : 1;
}
