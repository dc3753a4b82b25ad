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

static const struct ctl_col loss_cols[] = {
    {"DATE", "date", 's'},
    {"STATE", "state", 's'},
    {"SUPPLY KWH", "supply_wh", 'k'},
    {"SALES KWH", "sales_wh", 'k'},
    {"LOSS KWH", "loss_wh", 'k'},
    {"RATE %", "rate_bp", 'y'},
    {"REASON", "reason", 's'},
    {"METERS", "meters", 's'},
    {"COLLECTED", "collected", 's'},
    {"MISSING", "missing_list", 's'},
};
static const struct ctl_col ranking_cols[] = {
    {"CODE", "code", 's'},
    {"NAME", "name", 's'},
    {"STATE", "state", 's'},
    {"RATE %", "rate_bp", 'y'},
    {"OUTSIDE %", "outside_bp", 'y'},
    {"SUPPLY KWH", "supply_wh", 'k'},
    {"LOSS KWH", "loss_wh", 'k'},
    {"REASON", "reason", 's'},
    {"MISSING", "missing_list", 's'},
};
static const struct ctl_col member_cols[] = {
    {"METER", "meter", 's'},          {"ACCOUNT", "account", 's'},
    {"HOLDER", "holder", 's'},        {"STATE", "state", 's'},
    {"KWH", "energy_wh", 'k'},        {"BASELINE KWH", "baseline_wh", 'k'},
    {"CHANGE KWH", "change_wh", 'k'}, {"DAYS", "history_days", 's'},
};
static const struct ctl_col members_head[] = {
    {"area", "area", 's'},
    {"date", "date", 's'},
    {"state", "loss_state", 's'},
    {"rate %", "loss_rate_bp", 'y'},
    {"main meter", "main_meter", 's'},
    {"supply kWh", "main_wh", 'k'},
};
static const struct ctl_col collect_cols[] = {
    {"CODE", "code", 's'},
    {"NAME", "name", 's'},
    {"REGION", "region", 's'},
    {"EXPECTED", "expected", 's'},
    {"COLLECTED", "collected", 's'},
    {"RATE %", "rate_bp", 'y'},
    {"MISSING", "missing_list", 's'},
};

static const struct ctl_col region_cols[] = {
    {"REGION", "region", 's'},
    {"EXPECTED", "expected", 's'},
    {"COLLECTED", "collected", 's'},
    {"RATE %", "rate_bp", 'y'},
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
    "       meterboxctl area loss CODE [--from YYYY-MM-DD] [--to YYYY-MM-DD] | [--month YYYY-MM]\n"
    "       meterboxctl area members CODE [--day YYYY-MM-DD] [--history DAYS]\n"
    "       meterboxctl area ranking [--day YYYY-MM-DD]\n"
    "       meterboxctl area collection [--day YYYY-MM-DD]\n"
    "A transformer area (台区) has one main meter (总表: measures the transformer,\n"
    "bound to no account) and the households' meters as members. A meter stands\n"
    "where it was last assigned on or before a day: 'assign' moves it from the\n"
    "local date --effective on, 'remove' takes it out of every area from then.\n"
    "The qualified band of line loss is --loss-min..--loss-max percent\n"
    "(default 0 to 15, two decimals).\n"
    "'loss' prints each day's line loss (default the 30 days up to yesterday),\n"
    "or a month's; a day whose readings around midnight are missing is not\n"
    "computable and names the meters. 'members' sorts an area's meters by\n"
    "their change on a day against their own history (the meter behind a\n"
    "loss comes first); 'ranking' lists every area, anomalies first;\n"
    "'collection' the share of meters whose daily reading arrived, by region\n"
    "and by area, worst first. Days default to yesterday. Exports:\n"
    "meterboxctl export line-loss|collection.\n";

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

/* Each row's "missing" (meters, or {meter, ...} objects) as "H2;H5" in
 * missing_list, for a table. */
static void flatten_missing(json_object *rows)
{
        for (size_t i = 0; rows && i < json_object_array_length(rows); i++) {
                json_object *r = json_object_array_get_idx(rows, i), *miss = NULL;
                char buf[256] = "";

                if (!json_object_object_get_ex(r, "missing", &miss) ||
                    !json_object_is_type(miss, json_type_array))
                        continue;
                for (size_t k = 0; k < json_object_array_length(miss); k++) {
                        json_object *x = json_object_array_get_idx(miss, k), *m = x;
                        size_t n = strlen(buf);

                        if (json_object_is_type(x, json_type_object))
                                json_object_object_get_ex(x, "meter", &m);
                        snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? ";" : "",
                                 json_object_get_string(m));
                }
                json_object_object_add(r, "missing_list", json_object_new_string(buf));
        }
}

/* GET path and print list_key's rows (missing flattened) in cols. */
static int show_rows(const struct ctl_args *a, const char *path, const char *list_key,
                     const struct ctl_col *cols, int ncols)
{
        json_object *o, *rows = NULL;
        int rc = ctl_call_json(a, "GET", path, NULL, &o);

        if (rc || a->json)
                return rc ? rc : ctl_show(a, o, NULL, NULL, 0);
        json_object_object_get_ex(o, list_key, &rows);
        flatten_missing(rows);
        ctl_print_table(rows, cols, ncols);
        json_object_put(o);
        return 0;
}

/* area loss CODE: the month's row (labelled with the month) above its days */
static int area_loss(const struct ctl_args *a, const char *path)
{
        json_object *o, *days = NULL, *month = NULL, *rows;
        int rc = ctl_call_json(a, "GET", path, NULL, &o);

        if (rc || a->json)
                return rc ? rc : ctl_show(a, o, NULL, NULL, 0);
        json_object_object_get_ex(o, "days", &days);
        rows = json_object_new_array();
        if (json_object_object_get_ex(o, "month_loss", &month) && month) {
                json_object_object_add(month, "date", json_object_new_string(ctl_opt(a, "month")));
                json_object_array_add(rows, json_object_get(month));
        }
        for (size_t i = 0; days && i < json_object_array_length(days); i++)
                json_object_array_add(rows, json_object_get(json_object_array_get_idx(days, i)));
        flatten_missing(rows);
        ctl_print_table(rows, loss_cols, CTL_NCOLS(loss_cols));
        json_object_put(rows);
        json_object_put(o);
        return 0;
}

/* area members CODE: the day's loss and main meter, then the members */
static int area_members(const struct ctl_args *a, const char *path)
{
        json_object *o, *loss = NULL, *mains = NULL, *v = NULL;
        int rc = ctl_call_json(a, "GET", path, NULL, &o);

        if (rc || a->json)
                return rc ? rc : ctl_show(a, o, NULL, NULL, 0);
        if (json_object_object_get_ex(o, "loss", &loss)) {
                if (json_object_object_get_ex(loss, "state", &v))
                        json_object_object_add(o, "loss_state", json_object_get(v));
                if (json_object_object_get_ex(loss, "rate_bp", &v))
                        json_object_object_add(o, "loss_rate_bp", json_object_get(v));
        }
        if (json_object_object_get_ex(o, "main", &mains) && json_object_array_length(mains) > 0) {
                json_object *m0 = json_object_array_get_idx(mains, 0);

                if (json_object_object_get_ex(m0, "meter", &v))
                        json_object_object_add(o, "main_meter", json_object_get(v));
                if (json_object_object_get_ex(m0, "energy_wh", &v))
                        json_object_object_add(o, "main_wh", json_object_get(v));
        }
        ctl_print_fields(o, members_head, CTL_NCOLS(members_head));
        printf("\n");
        json_object_object_get_ex(o, "members", &v);
        ctl_print_table(v, member_cols, CTL_NCOLS(member_cols));
        json_object_put(o);
        return 0;
}

/* area collection: the fleet's share, then regions, then areas */
static int area_collection(const struct ctl_args *a, const char *path)
{
        json_object *o, *v = NULL;
        int rc = ctl_call_json(a, "GET", path, NULL, &o);

        if (rc || a->json)
                return rc ? rc : ctl_show(a, o, NULL, NULL, 0);
        {
                static const struct ctl_col head[] = {{"date", "date", 's'},
                                                      {"expected", "expected", 's'},
                                                      {"collected", "collected", 's'},
                                                      {"rate %", "rate_bp", 'y'}};

                ctl_print_fields(o, head, CTL_NCOLS(head));
        }
        json_object_object_get_ex(o, "regions", &v);
        printf("\n");
        ctl_print_table(v, region_cols, CTL_NCOLS(region_cols));
        json_object_object_get_ex(o, "areas", &v);
        flatten_missing(v);
        printf("\n");
        ctl_print_table(v, collect_cols, CTL_NCOLS(collect_cols));
        json_object_put(o);
        return 0;
}

/* loss, members, ranking, collection: the figures */
static int area_figures(const struct ctl_args *a)
{
        static const char *const range[] = {"from", "to", "month", NULL};
        static const char *const day[] = {"day", "history", NULL};
        int ranking = strcmp(a->sub, "ranking") == 0,
            collection = strcmp(a->sub, "collection") == 0;
        char base[512], path[640];

        if (a->npos != (ranking || collection ? 1 : 2))
                return ctl_usage(area_help, 2);
        if (ranking || collection)
                snprintf(base, sizeof(base), "/api/v1/stats/%s", ranking ? "areas" : "collection");
        else if (ctl_path(base, sizeof(base),
                          strcmp(a->sub, "loss") == 0 ? "/api/v1/areas/%s/loss"
                                                      : "/api/v1/stats/areas/%s/members",
                          a->pos[1]))
                return 1;
        if (ctl_query_path(path, sizeof(path), base, a, strcmp(a->sub, "loss") == 0 ? range : day))
                return 1;
        if (ranking)
                return show_rows(a, path, "areas", ranking_cols, CTL_NCOLS(ranking_cols));
        if (collection)
                return area_collection(a, path);
        return strcmp(a->sub, "loss") == 0 ? area_loss(a, path) : area_members(a, path);
}

int mbctl_area(int argc, char **argv)
{
        static const char *const subs[] = {"create",  "update",  "list",       "show",
                                           "assign",  "remove",  "where",      "loss",
                                           "members", "ranking", "collection", NULL};
        static const char *const opts[] = {"name",      "region",  "loss-min", "loss-max", "date",
                                           "effective", "role",    "from",     "to",       "month",
                                           "day",       "history", NULL};
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
        if (strcmp(a.sub, "loss") == 0 || strcmp(a.sub, "members") == 0 ||
            strcmp(a.sub, "ranking") == 0 || strcmp(a.sub, "collection") == 0)
                return area_figures(&a);
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
