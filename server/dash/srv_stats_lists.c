/* SPDX-License-Identifier: Apache-2.0 */
/* GET /events (latest agent events) and GET /stats/anomalies (bills held or
 * flagged in a month). */
#include "srv_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_tariff_wire.h"
#include "srv_accounts.h"

/* An integer query parameter in [min, max], def when absent; -1 after a 400. */
static int int_param(struct srv_req *rq, struct srv_resp *rs, const char *key, int64_t min,
                     int64_t max, int64_t def, int64_t *out)
{
        const char *s = srv_req_query(rq, key);
        char *end;
        long long v;

        *out = def;
        if (s == NULL)
                return 0;
        v = strtoll(s, &end, 10);
        if (*s == '\0' || *end != '\0' || v < min || v > max) {
                srv_reply_errorf(rs, 400, "bad_field", key, "'%s' must be an integer in %lld..%lld",
                                 key, (long long)min, (long long)max);
                return -1;
        }
        *out = v;
        return 0;
}

#define EVENT_COLUMNS                                                                              \
        "SELECT g.name, g.region, e.id, m.address, a.number, a.holder, e.ts, e.type,"              \
        " e.reason, e.stored_at, e.body FROM events e JOIN gateways g ON g.id = e.gateway_id"      \
        " LEFT JOIN meters m ON m.id = e.meter_id LEFT JOIN accounts a ON a.id = m.account_id"
#define EVENT_TYPE_MATCH                                                                           \
        "($2 = '' OR $2 LIKE '%,' || replace(replace(replace(e.type,"                              \
        " '\\', '\\\\'), '%', '\\%'), '_', '\\_') || ',%' ESCAPE '\\')"

void srv_h_events(struct srv_req *rq, struct srv_resp *rs)
{
        const char *types = srv_req_query(rq, "type"), *meter = srv_req_query(rq, "meter");
        char filter[512];
        int64_t limit, before, mid = 0;
        json_object *list;
        srv_stmt *st = NULL;
        int rc = 0;

        if (int_param(rq, rs, "limit", 1, 500, 50, &limit) < 0 ||
            int_param(rq, rs, "before", 0, INT64_MAX, INT64_MAX, &before) < 0)
                return;
        if (types && (strlen(types) > sizeof(filter) - 3 ||
                      strspn(types, "abcdefghijklmnopqrstuvwxyz0123456789_,") != strlen(types))) {
                srv_reply_errorf(rs, 400, "bad_field", "type",
                                 "'type' is a comma-separated list of event types");
                return;
        }
        /* ",trip,close," matched with LIKE '%,' || type || ',%', the stored
         * type's own % _ and \ escaped: a gateway chose that text, and an
         * event typed "%" must not match every filter */
        snprintf(filter, sizeof(filter), "%s%s%s", types ? "," : "", types ? types : "",
                 types ? "," : "");
        if (meter && (rc = srv_meter_id(rq->db, meter, &mid, NULL)) == 0) {
                srv_reply_errorf(rs, 404, "not_found", "meter", "no meter '%s'", meter);
                return;
        }
        list = json_object_new_array();
        /* one meter's events (the desk's account page) through their index */
        if (rc >= 0 && meter)
                rc = srv_db_query(rq->db, &st,
                                  EVENT_COLUMNS " WHERE e.meter_id = $4 AND e.ts < $1"
                                                " AND " EVENT_TYPE_MATCH
                                                " ORDER BY e.ts DESC, e.gateway_id, e.id DESC"
                                                " LIMIT $3",
                                  "itii", before, filter, limit, mid);
        else if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  EVENT_COLUMNS " WHERE e.ts < $1 AND " EVENT_TYPE_MATCH
                                                " ORDER BY e.ts DESC, e.gateway_id, e.id DESC"
                                                " LIMIT $3",
                                  "iti", before, filter, limit);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *e = json_object_new_object(), *body;

                srv_jadd_str(e, "gateway", srv_stmt_text(st, 0));
                srv_jadd_str(e, "region", srv_stmt_text(st, 1));
                srv_jadd_i64(e, "id", srv_stmt_i64(st, 2));
                srv_jadd_str(e, "meter", srv_stmt_text(st, 3));
                srv_jadd_str(e, "account", srv_stmt_text(st, 4));
                srv_jadd_str(e, "holder", srv_stmt_text(st, 5));
                srv_jadd_i64(e, "ts", srv_stmt_i64(st, 6));
                srv_jadd_str(e, "type", srv_stmt_text(st, 7));
                srv_jadd_str(e, "reason", srv_stmt_text(st, 8));
                srv_jadd_i64(e, "stored_at", srv_stmt_i64(st, 9));
                body = srv_jparse_stored(srv_stmt_text(st, 10));
                if (body && json_object_object_get_ex(body, "data", NULL)) {
                        json_object *d = json_object_object_get(body, "data");

                        json_object_object_add(e, "data", json_object_get(d));
                }
                json_object_put(body);
                json_object_array_add(list, e);
        }
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "events", list);
}

/* How many bills of month are held or carry each flag: {"held": n, "jump": n, ...}. */
static int anomaly_kinds(srv_db *db, const char *month, json_object *kinds, int64_t *total)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT state, flags, count(*) FROM bills WHERE month = $1"
                              " AND (state = 'held' OR flags != '[]') GROUP BY state, flags",
                              "t", month);

        *total = 0;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *flags = srv_jparse_stored(srv_stmt_text(st, 1)), *v;
                int64_t n = srv_stmt_i64(st, 2);
                size_t nf = json_object_is_type(flags, json_type_array)
                                ? json_object_array_length(flags)
                                : 0;

                *total += n;
                for (size_t i = 0; i <= nf; i++) {
                        const char *k =
                            i < nf ? json_object_get_string(json_object_array_get_idx(flags, i))
                            : strcmp(srv_stmt_text(st, 0), "held") == 0 ? "held"
                                                                        : NULL;

                        if (k == NULL)
                                continue;
                        v = json_object_object_get(kinds, k);
                        srv_jadd_i64(kinds, k, (v ? json_object_get_int64(v) : 0) + n);
                }
                json_object_put(flags);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/*
 * Worst first: the biggest jumps (against last month or last year, up or
 * down), a register that went backwards, bills held, other flags, zero use;
 * ties by account.  sev and the symmetric jump ratio (x1000, 0 for none)
 * are columns 9 and 10.
 */
#define ANOMALY_SQL                                                                                \
        "SELECT a.number, a.holder, a.region, b.state, b.flags, b.energy_wh, b.total_fen,"         \
        " b.prev_wh, m.address,"                                                                   \
        " CASE WHEN b.flags LIKE '%\"jump%' THEN 0"                                                \
        " WHEN b.flags LIKE '%\"register_backwards\"%' THEN 1 WHEN b.state = 'held' THEN 2"        \
        " WHEN b.flags LIKE '%\"zero_use\"%' THEN 4 ELSE 3 END,"                                   \
        " CASE WHEN b.prev_wh > 0 AND b.energy_wh > 0 THEN"                                        \
        "  CASE WHEN b.energy_wh >= b.prev_wh THEN b.energy_wh * 1000 / b.prev_wh"                 \
        "  ELSE b.prev_wh * 1000 / b.energy_wh END ELSE 0 END,"                                    \
        " b.last_year_wh"                                                                          \
        " FROM bills b JOIN accounts a ON a.id = b.account_id"                                     \
        " LEFT JOIN meters m ON m.id = b.meter_id"                                                 \
        " WHERE b.month = $1 AND (b.state = 'held' OR b.flags != '[]')"                            \
        " ORDER BY 10, 11 DESC, a.number LIMIT $2"

static json_object *anomaly_json(srv_stmt *st)
{
        static const char *const sev[] = {"jump", "register_backwards", "held", "flag", "zero_use"};
        json_object *e = json_object_new_object();
        int64_t energy = srv_stmt_i64(st, 5), prev = srv_stmt_i64(st, 7);
        int64_t s = srv_stmt_i64(st, 9);

        srv_jadd_str(e, "account", srv_stmt_text(st, 0));
        srv_jadd_str(e, "holder", srv_stmt_text(st, 1));
        srv_jadd_str(e, "region", srv_stmt_text(st, 2));
        srv_jadd_str(e, "state", srv_stmt_text(st, 3));
        json_object_object_add(e, "flags", srv_jparse_stored(srv_stmt_text(st, 4)));
        srv_jadd_i64_or_null(e, "energy_wh", srv_stmt_is_null(st, 5), energy);
        srv_jadd_i64_or_null(e, "total_fen", srv_stmt_is_null(st, 6), srv_stmt_i64(st, 6));
        srv_jadd_i64_or_null(e, "prev_energy_wh", srv_stmt_is_null(st, 7), prev);
        srv_jadd_i64_or_null(e, "last_year_energy_wh", srv_stmt_is_null(st, 11),
                             srv_stmt_i64(st, 11));
        srv_jadd_str(e, "meter", srv_stmt_text(st, 8));
        srv_jadd_str(e, "severity", s >= 0 && s <= 4 ? sev[s] : "flag");
        /* this month against last month, x1000 (4500: 4.5 times): integer */
        srv_jadd_i64_or_null(e, "ratio_milli",
                             srv_stmt_is_null(st, 5) || srv_stmt_is_null(st, 7) || prev <= 0,
                             prev > 0 ? energy * 1000 / prev : 0);
        return e;
}

/* month: ?month=, else the latest month with bills ("" when none). */
static int anomaly_month(struct srv_req *rq, struct srv_resp *rs, char month[8])
{
        const char *m = srv_req_query(rq, "month");
        srv_stmt *st = NULL;
        int rc;

        month[0] = '\0';
        if (m && !mb_tariff_wire_month_ok(m)) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "'month' must be \"YYYY-MM\"");
                return -1;
        }
        if (m) {
                snprintf(month, 8, "%s", m);
                return 0;
        }
        rc = srv_db_query(rq->db, &st, "SELECT max(month) FROM bills WHERE $1 = $1", "i",
                          (int64_t)0);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW && srv_stmt_text(st, 0))
                snprintf(month, 8, "%s", srv_stmt_text(st, 0));
        srv_stmt_done(st);
        if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        return rc < 0 ? -1 : 0;
}

void srv_h_stats_anomalies(struct srv_req *rq, struct srv_resp *rs)
{
        char month[8];
        int64_t bills = 0, total = 0, limit;
        json_object *o, *list, *kinds;
        srv_stmt *st = NULL;
        int rc;

        if (anomaly_month(rq, rs, month) < 0 || int_param(rq, rs, "limit", 1, 500, 500, &limit) < 0)
                return;
        list = json_object_new_array();
        kinds = json_object_new_object();
        rc = srv_db_query_i64(rq->db, &bills, "SELECT count(*) FROM bills WHERE month = $1", "t",
                              month);
        if (rc >= 0)
                rc = anomaly_kinds(rq->db, month, kinds, &total);
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st, ANOMALY_SQL, "ti", month, limit);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(list, anomaly_json(st));
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(list);
                json_object_put(kinds);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "month", month[0] ? month : NULL);
        srv_jadd_i64(o, "bills", bills);
        srv_jadd_i64(o, "total", total);
        srv_jadd_i64(o, "count", (int64_t)json_object_array_length(list));
        json_object_object_add(o, "kinds", kinds);
        json_object_object_add(o, "anomalies", list);
        srv_reply_json(rs, 200, o);
}
