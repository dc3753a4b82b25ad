/* SPDX-License-Identifier: Apache-2.0 */
/* Consumption series and month-end progress (definitions in srv_stats.h). */
#include "srv_stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_tariff_wire.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_month.h"

#define QUANTUM 900 /* every zone's offset is a multiple of 15 minutes */

/*
 * One grouped query: energy per 15-minute quantum after from.  Each reading
 * pairs with the meter's previous reading (by seq, with a register): inside
 * the range through a window (one sort, no lookups); the first reading of
 * each meter in the range looks its predecessor up, first within the last
 * LOOKBACK seconds before the range (PostgreSQL then searches only those
 * months' partitions of readings), and only when there is none there, in
 * all of them.  So the cost is one sort of the range's readings and about
 * one index probe per meter, not one per reading: at 50,000 meters a
 * month's figures take well under a second on both stores.
 */
#define LOOKBACK (62 * 86400)
#define PREV_SQL(extra)                                                                            \
        "(SELECT q.import_wh FROM readings q WHERE q.meter_id = r.meter_id AND q.seq < r.seq"      \
        " AND q.import_wh IS NOT NULL" extra " ORDER BY q.seq DESC LIMIT 1)"

int srv_stats_energy(srv_db *db, int64_t from, int64_t to, const int64_t *edges, int nbins,
                     int64_t meter_id, const char *region, int64_t *out)
{
        srv_stmt *st = NULL;
        int rc;

        memset(out, 0, sizeof(*out) * (size_t)nbins);
        rc = srv_db_query_replan(
            db, &st,
            "SELECT (x.ts - $1) / 900 AS qn, sum(x.import_wh - x.p) FROM ("
            " SELECT r.ts, r.import_wh, coalesce(r.prev, " PREV_SQL(
                " AND q.ts >= $5") ", " PREV_SQL("") ") AS p FROM ("
                                                     "  SELECT meter_id, seq, ts, import_wh,"
                                                     "  lag(import_wh) OVER (PARTITION BY meter_id "
                                                     "ORDER BY seq) AS prev"
                                                     "  FROM readings WHERE ts >= $1 AND ts < $2 "
                                                     "AND import_wh IS NOT NULL"
                                                     "  AND ($3 = 0 OR meter_id = $3)"
                                                     "  AND ($4 = '' OR meter_id IN (SELECT m.id "
                                                     "FROM meters m"
                                                     "  JOIN gateways g ON g.id = m.gateway_id "
                                                     "WHERE g.region = $4))) r) x"
                                                     " WHERE x.import_wh >= x.p GROUP BY (x.ts - "
                                                     "$1) / 900",
            "iiiti", from, to, meter_id, region ? region : "", from - LOOKBACK);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t t = from + srv_stmt_i64(st, 0) * QUANTUM;
                int b = nbins - 1;

                while (b > 0 && edges[b] > t)
                        b--;
                out[b] += srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/* Bin starts: 24 local hours ending with the current one, or 30 local days
 * ending with today. */
static int edges_for(const char *range, int64_t now, int64_t *edges, int *bin_s)
{
        time_t t = (time_t)now;
        struct tm tm;

        localtime_r(&t, &tm);
        if (strcmp(range, "24h") == 0) {
                tm.tm_min = tm.tm_sec = 0;
                tm.tm_isdst = -1;
                int64_t hour = (int64_t)mktime(&tm);

                for (int i = 0; i < 24; i++)
                        edges[i] = hour - (int64_t)(23 - i) * 3600;
                *bin_s = 3600;
                return 24;
        }
        if (strcmp(range, "30d") == 0) {
                for (int i = 0; i < 30; i++) {
                        struct tm d = tm;

                        d.tm_mday -= 29 - i;
                        d.tm_hour = d.tm_min = d.tm_sec = 0;
                        d.tm_isdst = -1;
                        edges[i] = (int64_t)mktime(&d);
                }
                *bin_s = 86400;
                return 30;
        }
        return -1;
}

void srv_h_stats_consumption(struct srv_req *rq, struct srv_resp *rs)
{
        const char *range = srv_req_query(rq, "range"), *meter = srv_req_query(rq, "meter"),
                   *region = srv_req_query(rq, "region");
        int64_t now = mb_realtime_s(), edges[30], out[30], mid = 0;
        int n, bin_s, rc;
        json_object *o, *bins;

        n = edges_for(range ? range : "24h", now, edges, &bin_s);
        if (n < 0) {
                srv_reply_errorf(rs, 400, "bad_field", "range", "'range' must be 24h or 30d");
                return;
        }
        if (meter) {
                rc = srv_meter_id(rq->db, meter, &mid, NULL);
                if (rc < 0) {
                        srv_reply_db_error(rs, rq, rc);
                        return;
                }
                if (rc == 0) {
                        srv_reply_errorf(rs, 404, "not_found", "meter", "no meter '%s'", meter);
                        return;
                }
        }
        rc = srv_stats_energy(rq->db, edges[0], now + 1, edges, n, mid, region, out);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "range", range ? range : "24h");
        srv_jadd_i64(o, "bin_s", bin_s);
        srv_jadd_i64(o, "from", edges[0]);
        srv_jadd_i64(o, "to", now);
        if (meter)
                srv_jadd_str(o, "meter", meter);
        if (region)
                srv_jadd_str(o, "region", region);
        bins = json_object_new_array();
        for (int i = 0; i < n; i++) {
                json_object *b = json_object_new_object();

                srv_jadd_i64(b, "t", edges[i]);
                srv_jadd_i64(b, "energy_wh", out[i]);
                json_object_array_add(bins, b);
        }
        json_object_object_add(o, "bins", bins);
        srv_reply_json(rs, 200, o);
}

static int64_t member_i64(const json_object *o, const char *k)
{
        return json_object_get_int64(json_object_object_get(o, k));
}

/* Furthest behind first: the smallest share of boundary readings in, then
 * the most missing, then by code. */
static int cmp_progress(const void *pa, const void *pb)
{
        const json_object *a = *(const json_object *const *)pa,
                          *b = *(const json_object *const *)pb;
        int64_t ea = member_i64(a, "expected"), ra = member_i64(a, "received");
        int64_t eb = member_i64(b, "expected"), rb = member_i64(b, "received");

        /* ra/ea < rb/eb without division (expected > 0 for every row) */
        if (ra * eb != rb * ea)
                return ra * eb < rb * ea ? -1 : 1;
        if (ea - ra != eb - rb)
                return ea - ra > eb - rb ? -1 : 1;
        return strcmp(json_object_get_string(json_object_object_get(a, "region")),
                      json_object_get_string(json_object_object_get(b, "region")));
}

/* month: ?month= or the month before the current one. */
static int month_param(struct srv_req *rq, struct srv_resp *rs, char month[8])
{
        const char *m = srv_req_query(rq, "month");
        char cur[8];

        if (m) {
                if (!mb_tariff_wire_month_ok(m)) {
                        srv_reply_errorf(rs, 400, "bad_field", "month",
                                         "'month' must be \"YYYY-MM\"");
                        return -1;
                }
                snprintf(month, 8, "%s", m);
                return 0;
        }
        if (srv_month_of(mb_realtime_s(), cur) < 0 || srv_month_add(cur, -1, month) < 0) {
                srv_reply_errorf(rs, 500, "internal", "", "cannot tell the current month");
                return -1;
        }
        return 0;
}

void srv_h_stats_month_end(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        char month[8], next[8], after[8];
        int64_t b0, b1, now = mb_realtime_s(), exp_total = 0, got_total = 0, settled = 0, held = 0;
        json_object *o, *list;
        srv_stmt *st = NULL;
        int rc;

        if (month_param(rq, rs, month) < 0)
                return;
        if (srv_month_add(month, 1, next) < 0 || srv_month_add(month, 2, after) < 0 ||
            srv_month_start(next, &b0) < 0 || srv_month_start(after, &b1) < 0) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "month %s is out of range", month);
                return;
        }
        list = json_object_new_array();
        rc = srv_db_query(
            rq->db, &st,
            "SELECT g.region, count(*), sum(CASE WHEN EXISTS (SELECT 1 FROM readings r"
            " WHERE r.meter_id = m.id AND r.kind = 'boundary' AND r.ts >= $1 AND r.ts < $2)"
            " OR EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = m.id"
            " AND r.frozen_time >= $1 AND r.frozen_time < $2) THEN 1 ELSE 0 END)"
            " FROM meters m JOIN gateways g ON g.id = m.gateway_id"
            " JOIN accounts a ON a.id = m.account_id WHERE a.state != 'closed'"
            " GROUP BY g.region ORDER BY g.region",
            "ii", b0, b1);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *e = json_object_new_object();

                srv_jadd_str(e, "region", srv_stmt_text(st, 0));
                srv_jadd_i64(e, "expected", srv_stmt_i64(st, 1));
                srv_jadd_i64(e, "received", srv_stmt_i64(st, 2));
                exp_total += srv_stmt_i64(st, 1);
                got_total += srv_stmt_i64(st, 2);
                json_object_array_add(list, e);
        }
        srv_stmt_done(st);
        json_object_array_sort(list, cmp_progress);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &settled,
                                      "SELECT count(*) FROM bills WHERE month = $1"
                                      " AND state = 'settled'",
                                      "t", month);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &held,
                                      "SELECT count(*) FROM bills WHERE month = $1"
                                      " AND state = 'held'",
                                      "t", month);
        if (rc < 0) {
                json_object_put(list);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "month", month);
        srv_jadd_i64(o, "boundary_at", b0);
        srv_jadd_i64(o, "window_days", cfg->mon.month_end_window_days);
        srv_jadd_bool(o, "window_open",
                      now >= b0 && now < b0 + (int64_t)cfg->mon.month_end_window_days * 86400);
        srv_jadd_i64(o, "expected", exp_total);
        srv_jadd_i64(o, "received", got_total);
        json_object_object_add(o, "regions", list);
        json_object_object_add(o, "bills", json_object_new_object());
        srv_jadd_i64(json_object_object_get(o, "bills"), "settled", settled);
        srv_jadd_i64(json_object_object_get(o, "bills"), "held", held);
        srv_reply_json(rs, 200, o);
}
