/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl area: transformer areas (台区), their main meters and members
 * with effective dates (docs/operations.md, Transformer areas). */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "mb_money.h"
#include "meterboxctl.h"

/* Rates and bands are hundredths of a percent: shown with two decimals as
 * money is ('y' formats any integer of hundredths). */
static const struct ctl_col area_cols[] = {
    {"code", "code", 's'},
    {"name", "name", 's'},
    {"region", "region", 's'},
    {"main meter", "main_meter", 's'},
    {"members", "members", 's'},
    {"loss min %", "loss_min_bp", 'y'},
    {"loss max %", "loss_max_bp", 'y'},
    {"date", "date", 's'},
};
static const struct ctl_col area_list_cols[] = {
    {"CODE", "code", 's'},         {"NAME", "name", 's'},
    {"REGION", "region", 's'},     {"MAIN METER", "main_meter", 's'},
    {"MEMBERS", "members", 's'},   {"MIN %", "loss_min_bp", 'y'},
    {"MAX %", "loss_max_bp", 'y'},
};
static const struct ctl_col area_meter_cols[] = {
    {"METER", "meter", 's'},     {"ROLE", "role", 's'},     {"SINCE", "since", 's'},
    {"ACCOUNT", "account", 's'}, {"HOLDER", "holder", 's'}, {"GATEWAY", "gateway", 's'},
};
static const struct ctl_col place_cols[] = {
    {"meter", "meter", 's'},
    {"area", "area", 's'},
    {"role", "role", 's'},
    {"effective", "effective", 's'},
};
static const struct ctl_col history_cols[] = {
    {"EFFECTIVE", "effective", 's'},  {"AREA", "area", 's'}, {"ROLE", "role", 's'},
    {"ASSIGNED", "assigned_at", 't'}, {"BY", "by", 's'},
};

static const char area_help[] =
    "usage: meterboxctl area create CODE [--name NAME] [--region CODE]\n"
    "                               [--loss-min PERCENT] [--loss-max PERCENT]\n"
    "       meterboxctl area update CODE [--name NAME] [--region CODE]\n"
    "                               [--loss-min PERCENT] [--loss-max PERCENT]\n"
    "       meterboxctl area list [--date YYYY-MM-DD]\n"
    "       meterboxctl area show CODE [--date YYYY-MM-DD]\n"
    "       meterboxctl area assign METER AREA --effective YYYY-MM-DD [--role member|main]\n"
    "       meterboxctl area remove METER --effective YYYY-MM-DD\n"
    "       meterboxctl area where METER [--date YYYY-MM-DD]\n"
    "A transformer area (台区) has one main meter (总表: measures the transformer,\n"
    "bound to no account) and the households' meters as members. A meter stands\n"
    "where it was last assigned on or before a day: 'assign' moves it from the\n"
    "local date --effective on, 'remove' takes it out of every area from then.\n"
    "The qualified band of line loss is --loss-min..--loss-max percent\n"
    "(default 0 to 15, two decimals).\n";

/* --loss-min/--loss-max PERCENT into the body as hundredths: 0 or 2. */
static int band_opt(const struct ctl_args *a, json_object *b, const char *opt, const char *key)
{
        const char *v = ctl_opt(a, opt);
        int64_t bp;

        if (v == NULL)
                return 0;
        if (mb_decimal_parse(v, 2, &bp) < 0) {
                fprintf(stderr,
                        "meterboxctl: --%s must be a percentage such as 15 or 12.5, not '%s'\n",
                        opt, v);
                return 2;
        }
        json_object_object_add(b, key, json_object_new_int64(bp));
        return 0;
}

static int area_write(const struct ctl_args *a)
{
        static const char *const fields[] = {"name", "region", NULL};
        char path[512];
        json_object *b;

        if (a->npos != 2 || ctl_path(path, sizeof(path), "/api/v1/areas/%s", a->pos[1]))
                return ctl_usage(area_help, 2);
        b = ctl_body_from(a, fields);
        if (band_opt(a, b, "loss-min", "loss_min_bp") ||
            band_opt(a, b, "loss-max", "loss_max_bp")) {
                json_object_put(b);
                return 2;
        }
        if (strcmp(a->sub, "create") == 0) {
                json_object_object_add(b, "code", json_object_new_string(a->pos[1]));
                return ctl_call_show(a, "POST", "/api/v1/areas", b, NULL, area_cols,
                                     CTL_NCOLS(area_cols));
        }
        return ctl_call_show(a, "PATCH", path, b, NULL, area_cols, CTL_NCOLS(area_cols));
}

/* assign METER AREA / remove METER: where the meter stands from a date. */
static int area_place(const struct ctl_args *a)
{
        int assign = strcmp(a->sub, "assign") == 0;
        const char *eff = ctl_opt(a, "effective"), *role = ctl_opt(a, "role");
        char path[512];
        json_object *b;

        if (a->npos != (assign ? 3 : 2) || eff == NULL || (!assign && role) ||
            ctl_path(path, sizeof(path), "/api/v1/meters/%s/area", a->pos[1]))
                return ctl_usage(area_help, 2);
        b = json_object_new_object();
        json_object_object_add(b, "area", assign ? json_object_new_string(a->pos[2]) : NULL);
        json_object_object_add(b, "effective", json_object_new_string(eff));
        if (role)
                json_object_object_add(b, "role", json_object_new_string(role));
        return ctl_call_show(a, "PUT", path, b, NULL, place_cols, CTL_NCOLS(place_cols));
}

int mbctl_area(int argc, char **argv)
{
        static const char *const subs[] = {"create", "update", "list",  "show",
                                           "assign", "remove", "where", NULL};
        static const char *const opts[] = {"name", "region",    "loss-min", "loss-max",
                                           "date", "effective", "role",     NULL};
        static const char *const dated[] = {"date", NULL};
        struct ctl_args a;
        char base[512], path[600];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, area_help, opts)) != CTL_GO_ON)
                return rc;
        if (ctl_check_sub(&a, subs, area_help))
                return 2;
        if (strcmp(a.sub, "create") == 0 || strcmp(a.sub, "update") == 0)
                return area_write(&a);
        if (strcmp(a.sub, "assign") == 0 || strcmp(a.sub, "remove") == 0)
                return area_place(&a);
        if (strcmp(a.sub, "list") == 0) {
                if (a.npos != 1 || ctl_query_path(path, sizeof(path), "/api/v1/areas", &a, dated))
                        return ctl_usage(area_help, 2);
                return ctl_call_show(&a, "GET", path, NULL, "areas", area_list_cols,
                                     CTL_NCOLS(area_list_cols));
        }
        if (a.npos != 2 ||
            ctl_path(base, sizeof(base),
                     strcmp(a.sub, "show") == 0 ? "/api/v1/areas/%s" : "/api/v1/meters/%s/area",
                     a.pos[1]) ||
            ctl_query_path(path, sizeof(path), base, &a, dated))
                return ctl_usage(area_help, 2);
        if (strcmp(a.sub, "show") == 0)
                return ctl_call_show_record(&a, "GET", path, NULL, area_cols, CTL_NCOLS(area_cols),
                                            "meters", area_meter_cols, CTL_NCOLS(area_meter_cols));
        return ctl_call_show_record(&a, "GET", path, NULL, place_cols, 3, "history", history_cols,
                                    CTL_NCOLS(history_cols));
}
