/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl gateway | account | meter: the admin's records. */
#include <string.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const struct ctl_col account_cols[] = {
    {"number", "number", 's'},
    {"holder", "holder", 's'},
    {"address", "address", 's'},
    {"region", "region", 's'},
    {"mode", "mode", 's'},
    {"state", "state", 's'},
    {"protected", "protected", 's'},
    {"balance", "balance_fen", 'y'},
    {"month charged", "month_charged_fen", 'y'},
    {"provisional", "provisional_fen", 'y'},
    {"charge month", "charge_month", 's'},
    {"meter", "meter", 's'},
    {"gateway", "gateway", 's'},
    {"tariff", "tariff", 's'},
    {"alarm1", "alarm1_fen", 'y'},
    {"alarm2", "alarm2_fen", 'y'},
    {"credit limit", "credit_limit_fen", 'y'},
    {"reconnect", "reconnect_fen", 'y'},
};
static const struct ctl_col account_list_cols[] = {
    {"NUMBER", "number", 's'}, {"HOLDER", "holder", 's'}, {"REGION", "region", 's'},
    {"MODE", "mode", 's'},     {"STATE", "state", 's'},   {"BALANCE", "balance_fen", 'y'},
    {"METER", "meter", 's'},
};
static const struct ctl_col meter_cols[] = {
    {"METER", "meter", 's'},        {"GATEWAY", "gateway", 's'}, {"ACCOUNT", "account", 's'},
    {"HOLDER", "holder", 's'},      {"SEQ", "high_seq", 's'},    {"LAST READING", "last_ts", 't'},
    {"KWH", "last_import_wh", 'k'},
};
static const struct ctl_col gateway_cols[] = {
    {"NAME", "name", 's'},           {"REGION", "region", 's'},      {"METERS", "meters", 's'},
    {"LAST SEEN", "last_seen", 't'}, {"EVENTS", "events_upto", 's'},
};

static const char account_help[] =
    "usage: meterboxctl account create NUMBER [--holder NAME] [--address A] [--region R]\n"
    "                                  [--mode prepaid|monthly] [--credit-limit YUAN]\n"
    "       meterboxctl account update NUMBER [same options] [--state active|suspended|closed]\n"
    "       meterboxctl account show NUMBER\n"
    "       meterboxctl account list [--region R] [--state S] [--mode M]\n"
    "Common: --server URL --token TOKEN (or METERBOX_URL, METERBOX_TOKEN), --json.\n";

static int money_opt(const struct ctl_args *a, json_object *b, const char *opt, const char *key)
{
        int64_t fen;

        if (!ctl_opt(a, opt))
                return 0;
        if (ctl_parse_yuan(opt, ctl_opt(a, opt), &fen))
                return 2;
        json_object_object_add(b, key, json_object_new_int64(fen));
        return 0;
}

int mbctl_account(int argc, char **argv)
{
        static const char *const fields[] = {"holder", "address", "region", "mode", "state", NULL};
        static const char *const opts[] = {"holder",    "address", "region", "mode",
                                           "state",     "alarm1",  "alarm2", "credit-limit",
                                           "reconnect", NULL};
        static const char *const filters[] = {"region", "state", "mode", NULL};
        struct ctl_args a;
        char path[512];
        json_object *b;
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, account_help, NULL)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"create", "update", "show", "list", NULL};

                if (ctl_check_sub(&a, subs, account_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0) {
                if (ctl_opts_only(&a, filters))
                        return 2;
                if (ctl_query_path(path, sizeof(path), "/api/v1/accounts", &a, filters))
                        return 1;
                return ctl_call_show(&a, "GET", path, NULL, "accounts", account_list_cols,
                                     CTL_NCOLS(account_list_cols));
        }
        if (a.npos != 2 || ctl_opts_only(&a, opts))
                return ctl_usage(account_help, 2);
        if (ctl_path(path, sizeof(path), "/api/v1/accounts/%s", a.pos[1]))
                return 1;
        if (strcmp(a.sub, "show") == 0)
                return ctl_call_show(&a, "GET", path, NULL, NULL, account_cols,
                                     CTL_NCOLS(account_cols));
        if (strcmp(a.sub, "create") != 0 && strcmp(a.sub, "update") != 0)
                return ctl_usage(account_help, 2);
        b = ctl_body_from(&a, fields);
        if (money_opt(&a, b, "alarm1", "alarm1_fen") || money_opt(&a, b, "alarm2", "alarm2_fen") ||
            money_opt(&a, b, "credit-limit", "credit_limit_fen") ||
            money_opt(&a, b, "reconnect", "reconnect_fen")) {
                json_object_put(b);
                return 2;
        }
        if (a.sub[0] == 'c') {
                json_object_object_add(b, "number", json_object_new_string(a.pos[1]));
                return ctl_call_show(&a, "POST", "/api/v1/accounts", b, NULL, account_cols,
                                     CTL_NCOLS(account_cols));
        }
        return ctl_call_show(&a, "PATCH", path, b, NULL, account_cols, CTL_NCOLS(account_cols));
}

static const char meter_help[] =
    "usage: meterboxctl meter bind ADDRESS [--gateway NAME] [--account NUMBER]\n"
    "                                [--holder NAME] [--address TEXT]\n"
    "       meterboxctl meter show ADDRESS      (the balance snapshot sent to the agent)\n"
    "       meterboxctl meter list [--gateway NAME]\n";

int mbctl_meter(int argc, char **argv)
{
        static const char *const fields[] = {"gateway", "account", "holder", "address", NULL};
        static const char *const filters[] = {"gateway", NULL};
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, meter_help, fields)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"bind", "show", "list", NULL};

                if (ctl_check_sub(&a, subs, meter_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0) {
                if (ctl_query_path(path, sizeof(path), "/api/v1/meters", &a, filters))
                        return 1;
                return ctl_call_show(&a, "GET", path, NULL, "meters", meter_cols,
                                     CTL_NCOLS(meter_cols));
        }
        if (a.npos != 2 || ctl_path(path, sizeof(path), "/api/v1/meters/%s", a.pos[1]))
                return ctl_usage(meter_help, 2);
        if (strcmp(a.sub, "bind") == 0)
                return ctl_call_show(&a, "PUT", path, ctl_body_from(&a, fields), NULL, meter_cols,
                                     CTL_NCOLS(meter_cols));
        if (strcmp(a.sub, "show") == 0) {
                json_object *o;

                if ((rc = ctl_call_json(&a, "GET", path, NULL, &o)) == 0) {
                        /* the snapshot is nested: JSON says it best */
                        ctl_print_json(o);
                        json_object_put(o);
                }
                return rc;
        }
        return ctl_usage(meter_help, 2);
}

static const char gateway_help[] =
    "usage: meterboxctl gateway register NAME [--region CODE]   (prints its token once)\n"
    "       meterboxctl gateway show NAME\n"
    "       meterboxctl gateway list\n";

int mbctl_gateway(int argc, char **argv)
{
        static const char *const fields[] = {"region", NULL};
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, gateway_help, fields)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"register", "show", "list", NULL};

                if (ctl_check_sub(&a, subs, gateway_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0)
                return ctl_call_show(&a, "GET", "/api/v1/gateways", NULL, "gateways", gateway_cols,
                                     CTL_NCOLS(gateway_cols));
        if (a.npos != 2)
                return ctl_usage(gateway_help, 2);
        if (strcmp(a.sub, "register") == 0) {
                static const struct ctl_col cols[] = {{"name", "name", 's'},
                                                      {"region", "region", 's'},
                                                      {"token", "token", 's'},
                                                      {"note", "note", 's'}};
                json_object *b = ctl_body_from(&a, fields);

                json_object_object_add(b, "name", json_object_new_string(a.pos[1]));
                return ctl_call_show(&a, "POST", "/api/v1/gateways", b, NULL, cols,
                                     CTL_NCOLS(cols));
        }
        if (strcmp(a.sub, "show") == 0) {
                if (ctl_path(path, sizeof(path), "/api/v1/gateways/%s", a.pos[1]))
                        return 1;
                return ctl_call_show_record(&a, "GET", path, NULL, gateway_cols,
                                            CTL_NCOLS(gateway_cols), "meter_list", meter_cols,
                                            CTL_NCOLS(meter_cols));
        }
        return ctl_usage(gateway_help, 2);
}
