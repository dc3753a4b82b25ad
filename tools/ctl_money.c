/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl topup | refund | adjust | ledger: money in and out by hand. */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const struct ctl_col entry_cols[] = {
    {"ID", "id", 's'},
    {"TIME", "ts", 't'},
    {"KIND", "kind", 's'},
    {"AMOUNT", "amount_fen", 'y'},
    {"BALANCE", "balance_after_fen", 'y'},
    {"MONTH", "month", 's'},
    {"REFERENCE", "reference", 's'},
    {"REASON", "reason", 's'},
    {"BY", "by", 's'},
};

static const char money_help[] =
    "usage: meterboxctl topup NUMBER YUAN --reference PAYMENT-REF [--reason TEXT]\n"
    "       meterboxctl refund NUMBER YUAN --reason TEXT [--reference REF] [--over-balance yes]\n"
    "       meterboxctl adjust NUMBER [-]YUAN --reason TEXT [--reference REF]\n"
    "A top-up is credited once per payment reference: repeating it is safe.\n"
    "A refund above the balance is refused unless --over-balance yes says it is meant.\n"
    "Amounts in yuan with up to two decimals (12.34).\n";

static int post(int argc, char **argv, const char *what)
{
        static const char *const opts[] = {"reference", "reason", NULL};
        static const char *const refund_opts[] = {"reference", "reason", "over-balance", NULL};
        const char *over;
        struct ctl_args a;
        char path[512], fmt[64];
        json_object *b, *o, *entry;
        int64_t fen;
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, money_help, NULL)) != CTL_GO_ON)
                return rc;
        if (a.npos != 2 || ctl_opts_only(&a, strcmp(what, "refunds") == 0 ? refund_opts : opts))
                return ctl_usage(money_help, 2);
        over = ctl_opt(&a, "over-balance");
        if (over && strcmp(over, "yes") != 0)
                return ctl_usage(money_help, 2);
        if (ctl_parse_yuan("the amount", a.pos[1], &fen))
                return 2;
        snprintf(fmt, sizeof(fmt), "/api/v1/accounts/%%s/%s", what);
        if (ctl_path(path, sizeof(path), fmt, a.pos[0]))
                return 1;
        b = ctl_body_from(&a, opts);
        json_object_object_add(b, "amount_fen", json_object_new_int64(fen));
        if (over)
                json_object_object_add(b, "over_balance", json_object_new_boolean(1));
        if ((rc = ctl_call_json(&a, "POST", path, b, &o)))
                return rc;
        if (a.json) {
                ctl_print_json(o);
        } else if (json_object_object_get_ex(o, "entry", &entry)) {
                json_object *dup;

                if (json_object_object_get_ex(o, "duplicate", &dup) && json_object_get_boolean(dup))
                        printf("already recorded (same reference): nothing changed\n");
                ctl_print_fields(entry, entry_cols, CTL_NCOLS(entry_cols));
        }
        json_object_put(o);
        return 0;
}

int mbctl_topup(int argc, char **argv)
{
        return post(argc, argv, "topups");
}

int mbctl_refund(int argc, char **argv)
{
        return post(argc, argv, "refunds");
}

int mbctl_adjust(int argc, char **argv)
{
        return post(argc, argv, "adjustments");
}

int mbctl_ledger(int argc, char **argv)
{
        static const struct ctl_col balance_cols[] = {{"account", "account", 's'},
                                                      {"balance", "balance_fen", 'y'}};
        static const char *const opts[] = {"detail", NULL};
        static const char help[] =
            "usage: meterboxctl ledger NUMBER [--detail all] [--json]\n"
            "The account's ledger with the balance after each line: a day's continuous\n"
            "deduction of a month as one line; --detail all shows every entry.\n";
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, help, NULL)) != CTL_GO_ON)
                return rc;
        if (a.npos != 1 || ctl_opts_only(&a, opts) ||
            (ctl_opt(&a, "detail") && strcmp(ctl_opt(&a, "detail"), "all") != 0) ||
            ctl_path(path, sizeof(path), "/api/v1/accounts/%s/ledger", a.pos[0]))
                return ctl_usage(help, 2);
        if (ctl_opt(&a, "detail"))
                strncat(path, "?detail=all", sizeof(path) - strlen(path) - 1);
        return ctl_call_show_record(&a, "GET", path, NULL, balance_cols, CTL_NCOLS(balance_cols),
                                    "entries", entry_cols, CTL_NCOLS(entry_cols));
}
