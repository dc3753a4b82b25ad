/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterboxctl: the clerk's events (docs/operations.md).
 *   account move-in | move-out | transfer
 *   meter exchange | fix | multiplier
 * Other `account` and `meter` subcommands go on to ctl_account.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_client.h"
#include "mb_money.h"
#include "meterboxctl.h"

static const char account_events_help[] =
    "usage: meterboxctl account move-in NUMBER --meter ADDRESS [--gateway NAME]\n"
    "                                   [--opening KWH] [--at TIME]\n"
    "       meterboxctl account move-out NUMBER [--final KWH] [--at TIME]\n"
    "       meterboxctl account transfer NUMBER --to NUMBER [--final KWH] [--at TIME]\n"
    "A register is in kWh with up to three decimals (1234.567); without one the\n"
    "meter's reading is used (move-in: its next, move-out and transfer: its last).\n"
    "TIME is when the register was read: YYYY-MM-DD, 'YYYY-MM-DD HH:MM' (local)\n"
    "or UTC seconds; default now.\n";

static const char meter_events_help[] =
    "usage: meterboxctl meter exchange OLD NEW --final KWH --initial KWH [--gateway NAME]\n"
    "                                  [--at TIME]\n"
    "       meterboxctl meter multiplier ADDRESS [--ct RATIO [--pt RATIO]\n"
    "                                   [--register KWH --at TIME]]\n"
    "       meterboxctl meter fix ADDRESS SEQ --as rollover|exchange|exclude --reason TEXT\n"
    "                             [--rollover KWH] [--final KWH] [--initial KWH]\n"
    "exchange: OLD's last register and NEW's first (NEW is never charged from zero).\n"
    "fix: what happened at the reading SEQ that went backwards: the register wrapped\n"
    "(at its range, or --rollover), was reset or replaced in place (--final: the last\n"
    "value before, default the reading before; --initial: the first after, default 0),\n"
    "or the reading is wrong (exclude).  The month held for it then settles.\n"
    "multiplier: the meter's CT and PT ratios (\"200/5\", \"10000/100\"; PT default 1):\n"
    "its energy is the register difference times CT x PT, from the register it\n"
    "had when they were changed (--register and --at; default its last reading)\n"
    "on; a month with a change is split there.  Without --ct: shows them.\n";

/* --NAME KWH into body[key] as Wh; 0, or 2 after a message. */
static int kwh_opt(const struct ctl_args *a, const char *name, json_object *b, const char *key)
{
        const char *s = ctl_opt(a, name);
        int64_t wh;

        if (s == NULL)
                return 0;
        if (mb_decimal_parse(s, 3, &wh) < 0 || wh < 0) {
                fprintf(stderr, "meterboxctl: --%s must be kWh such as 1234.567, not '%s'\n", name,
                        s);
                return 2;
        }
        json_object_object_add(b, key, json_object_new_int64(wh));
        return 0;
}

/* --at TIME into body "at" (UTC seconds); 0, or 2 after a message. */
static int at_opt(const struct ctl_args *a, json_object *b)
{
        const char *s = ctl_opt(a, "at");
        struct tm tm;
        char *end = NULL;
        long long v;

        if (s == NULL)
                return 0;
        v = strtoll(s, &end, 10);
        if (end == s || *end) { /* not seconds: a local date, with a time or not */
                memset(&tm, 0, sizeof(tm));
                end = strptime(s, "%Y-%m-%d %H:%M", &tm);
                if (end == NULL || *end) {
                        memset(&tm, 0, sizeof(tm));
                        end = strptime(s, "%Y-%m-%d", &tm);
                }
                tm.tm_isdst = -1;
                if (end == NULL || *end) {
                        fprintf(
                            stderr,
                            "meterboxctl: --at must be YYYY-MM-DD[ HH:MM] or seconds, not '%s'\n",
                            s);
                        return 2;
                }
                v = (long long)mktime(&tm);
        }
        json_object_object_add(b, "at", json_object_new_int64(v));
        return 0;
}

static const struct ctl_col account_cols[] = {
    {"ACCOUNT", "account", 's'},
    {"STATE", "state", 's'},
    {"METER", "meter", 's'},
    {"BALANCE", "balance_fen", 'y'},
    {"REFUNDABLE", "refundable_fen", 'y'},
    {"OWED", "owed_fen", 'y'},
    {"BILLS", "bills", 'j'},
};

/* The body of an account event from its options; NULL after a usage error. */
static json_object *account_body(const struct ctl_args *a)
{
        static const char *const strs[] = {"meter", "gateway", "to", NULL};
        json_object *b = ctl_body_from(a, strs);

        if (kwh_opt(a, "opening", b, "opening_wh") || kwh_opt(a, "final", b, "final_wh") ||
            at_opt(a, b)) {
                json_object_put(b);
                return NULL;
        }
        return b;
}

static int account_event(int argc, char **argv)
{
        static const char *const opts[] = {"meter", "gateway", "opening", "final",
                                           "to",    "at",      NULL};
        static const char *const subs[] = {"move-in", "move-out", "transfer", NULL};
        struct ctl_args a;
        char path[512], fmt[64];
        json_object *b;
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, account_events_help, opts)) != CTL_GO_ON)
                return rc;
        if (ctl_check_sub(&a, subs, account_events_help))
                return 2;
        if (a.npos != 2 || (strcmp(a.sub, "move-in") == 0 && !ctl_opt(&a, "meter")) ||
            (strcmp(a.sub, "transfer") == 0 && !ctl_opt(&a, "to")))
                return ctl_usage(account_events_help, 2);
        snprintf(fmt, sizeof(fmt), "/api/v1/accounts/%%s/%s", a.sub);
        if (ctl_path(path, sizeof(path), fmt, a.pos[1]))
                return 1;
        if ((b = account_body(&a)) == NULL)
                return 2;
        return ctl_call_show(&a, "POST", path, b, NULL, account_cols, CTL_NCOLS(account_cols));
}

int mbctl_account_events(int argc, char **argv)
{
        if (argc > 1 && (strcmp(argv[1], "move-in") == 0 || strcmp(argv[1], "move-out") == 0 ||
                         strcmp(argv[1], "transfer") == 0))
                return account_event(argc, argv);
        return mbctl_account(argc, argv);
}

static const struct ctl_col exchange_cols[] = {
    {"METER", "meter", 's'},
    {"NEW METER", "new_meter", 's'},
    {"FINAL", "final", 'j'},
    {"INITIAL", "initial", 'j'},
};
static const struct ctl_col fix_cols[] = {
    {"METER", "meter", 's'},    {"SEQ", "seq", 's'},       {"AS", "as", 's'},
    {"SHIFT", "shift_wh", 'k'}, {"REASON", "reason", 's'},
};

static int exchange(const struct ctl_args *a)
{
        static const char *const strs[] = {"gateway", NULL};
        char path[512];
        json_object *b;

        if (a->npos != 3 || !ctl_opt(a, "final") || !ctl_opt(a, "initial"))
                return ctl_usage(meter_events_help, 2);
        if (ctl_path(path, sizeof(path), "/api/v1/meters/%s/exchange", a->pos[1]))
                return 1;
        b = ctl_body_from(a, strs);
        json_object_object_add(b, "new_meter", json_object_new_string(a->pos[2]));
        if (kwh_opt(a, "final", b, "final_wh") || kwh_opt(a, "initial", b, "initial_wh") ||
            at_opt(a, b)) {
                json_object_put(b);
                return 2;
        }
        return ctl_call_show(a, "POST", path, b, NULL, exchange_cols, CTL_NCOLS(exchange_cols));
}

static int fix(const struct ctl_args *a)
{
        static const char *const strs[] = {"as", "reason", NULL};
        char path[512], *end = NULL;
        long long seq = a->npos == 3 ? strtoll(a->pos[2], &end, 10) : 0;
        json_object *b;

        if (a->npos != 3 || !end || *end || seq <= 0 || !ctl_opt(a, "as") || !ctl_opt(a, "reason"))
                return ctl_usage(meter_events_help, 2);
        if (ctl_path(path, sizeof(path), "/api/v1/meters/%s/fixes", a->pos[1]))
                return 1;
        b = ctl_body_from(a, strs);
        json_object_object_add(b, "seq", json_object_new_int64(seq));
        if (kwh_opt(a, "rollover", b, "rollover_wh") || kwh_opt(a, "final", b, "final_wh") ||
            kwh_opt(a, "initial", b, "initial_wh")) {
                json_object_put(b);
                return 2;
        }
        return ctl_call_show(a, "POST", path, b, NULL, fix_cols, CTL_NCOLS(fix_cols));
}

static const struct ctl_col multiplier_cols[] = {
    {"meter", "meter", 's'},
    {"multiplier", "multiplier", 's'},
    {"ct", "ct", 's'},
    {"pt", "pt", 's'},
};
static const struct ctl_col multiplier_history[] = {
    {"CT", "ct", 's'},
    {"PT", "pt", 's'},
    {"MULTIPLIER", "multiplier", 's'},
    {"FROM KWH", "register_wh", 'k'},
    {"AT", "at", 't'},
    {"AFTER SEQ", "after_seq", 's'},
    {"SET", "set_at", 't'},
    {"BY", "by", 's'},
};

/* meter multiplier ADDRESS [--ct R [--pt R] [--register KWH --at TIME]] */
static int multiplier(const struct ctl_args *a)
{
        static const char *const strs[] = {"ct", "pt", NULL};
        char path[512];
        json_object *b;

        if (a->npos != 2 || (!ctl_opt(a, "ct") && (ctl_opt(a, "pt") || ctl_opt(a, "register"))) ||
            (!ctl_opt(a, "register") != !ctl_opt(a, "at")))
                return ctl_usage(meter_events_help, 2);
        if (ctl_path(path, sizeof(path), "/api/v1/meters/%s/multiplier", a->pos[1]))
                return 1;
        if (!ctl_opt(a, "ct"))
                return ctl_call_show_record(a, "GET", path, NULL, multiplier_cols,
                                            CTL_NCOLS(multiplier_cols), "history",
                                            multiplier_history, CTL_NCOLS(multiplier_history));
        b = ctl_body_from(a, strs);
        if (kwh_opt(a, "register", b, "register_wh") || at_opt(a, b)) {
                json_object_put(b);
                return 2;
        }
        return ctl_call_show_record(a, "POST", path, b, multiplier_cols, CTL_NCOLS(multiplier_cols),
                                    "history", multiplier_history, CTL_NCOLS(multiplier_history));
}

int mbctl_meter_events(int argc, char **argv)
{
        static const char *const opts[] = {"gateway", "final",    "initial",  "at",
                                           "as",      "reason",   "rollover", "ct",
                                           "pt",      "register", NULL};
        struct ctl_args a;
        int rc;

        if (argc < 2 || (strcmp(argv[1], "exchange") != 0 && strcmp(argv[1], "fix") != 0 &&
                         strcmp(argv[1], "multiplier") != 0))
                return mbctl_meter(argc, argv);
        if ((rc = ctl_begin(argc, argv, &a, meter_events_help, opts)) != CTL_GO_ON)
                return rc;
        if (strcmp(a.sub, "multiplier") == 0)
                return multiplier(&a);
        return strcmp(a.sub, "exchange") == 0 ? exchange(&a) : fix(&a);
}
