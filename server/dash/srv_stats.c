/* SPDX-License-Identifier: Apache-2.0 */
/* GET /stats/overview and /stats/regions: the wall's counts, per region and
 * in total (definitions in srv_stats.h). */
#include "srv_stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_time.h"
#include "srv_month.h"

static const char *const meter_states[] = {"ok", "stale", "fault"};
static const char *const account_states[] = {"normal",    "alarm1",   "alarm2", "cut",
                                             "protected", "inactive", NULL};
#define NMS 3
#define NAS 6

struct region {
        char name[72];
        int64_t gw, online, meters[NMS], accounts[NAS];
};

struct regions {
        struct region *r;
        size_t n, cap;
        int failed;
};

enum srv_health srv_stats_health(int64_t gateways, int64_t online, int64_t meters, int64_t faulty)
{
        int64_t offline = gateways - online;

        if ((gateways > 0 && offline * 5 >= gateways && offline > 0) ||
            (meters > 0 && faulty * 5 >= meters && faulty > 0))
                return SRV_HEALTH_BAD;
        if (offline > 0 || faulty > 0)
                return SRV_HEALTH_WARN;
        return SRV_HEALTH_OK;
}

const char *srv_health_name(enum srv_health h)
{
        return h == SRV_HEALTH_BAD ? "bad" : h == SRV_HEALTH_WARN ? "warn" : "ok";
}

int64_t srv_stats_day_start(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

int64_t srv_stats_month_start(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        tm.tm_mday = 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

static struct region *region(struct regions *rs, const char *name)
{
        name = name ? name : "";
        for (size_t i = 0; i < rs->n; i++)
                if (strcmp(rs->r[i].name, name) == 0)
                        return &rs->r[i];
        if (rs->n == rs->cap) {
                size_t cap = rs->cap ? rs->cap * 2 : 16;
                struct region *p = realloc(rs->r, cap * sizeof(*p));

                if (p == NULL) {
                        rs->failed = 1;
                        return NULL;
                }
                rs->r = p;
                rs->cap = cap;
        }
        memset(&rs->r[rs->n], 0, sizeof(rs->r[0]));
        snprintf(rs->r[rs->n].name, sizeof(rs->r[0].name), "%s", name);
        return &rs->r[rs->n++];
}

static int index_of(const char *const *names, int n, const char *s)
{
        for (int i = 0; s && i < n; i++)
                if (strcmp(names[i], s) == 0)
                        return i;
        return -1;
}

/* Fill rs from three grouped queries. */
static int collect(struct srv_req *rq, struct regions *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        int64_t now = mb_realtime_s();
        srv_stmt *st = NULL;
        int rc;

        rc = srv_db_query(rq->db, &st,
                          "SELECT region, count(*),"
                          " sum(CASE WHEN last_seen >= $1 THEN 1 ELSE 0 END)"
                          " FROM gateways GROUP BY region",
                          "i", now - cfg->mon.gateway_offline_s);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct region *r = region(rs, srv_stmt_text(st, 0));

                if (r) {
                        r->gw = srv_stmt_i64(st, 1);
                        r->online = srv_stmt_i64(st, 2);
                }
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        rc = srv_db_query(
            rq->db, &st,
            "SELECT x.region, x.status, count(*) FROM (SELECT g.region AS region,"
            " CASE WHEN EXISTS (SELECT 1 FROM events e WHERE e.meter_id = m.id"
            "   AND e.type IN ('meter_fault', 'relay_fault') AND e.ts >= coalesce(m.last_ts, 0))"
            "  THEN 'fault'"
            " WHEN coalesce(m.last_ts, 0) < $1 THEN 'stale' ELSE 'ok' END AS status"
            " FROM meters m JOIN gateways g ON g.id = m.gateway_id) x"
            " GROUP BY x.region, x.status",
            "i", now - cfg->mon.meter_stale_s);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct region *r = region(rs, srv_stmt_text(st, 0));
                int i = index_of(meter_states, NMS, srv_stmt_text(st, 1));

                if (r && i >= 0)
                        r->meters[i] += srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        rc = srv_db_query(rq->db, &st,
                          "SELECT x.region, x.status, count(*) FROM (SELECT a.region AS "
                          "region, " SRV_ACCOUNT_STATUS_SQL
                          " AS status FROM accounts a WHERE $1 = $1) x"
                          " GROUP BY x.region, x.status",
                          "i", (int64_t)0);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct region *r = region(rs, srv_stmt_text(st, 0));
                int i = index_of(account_states, NAS, srv_stmt_text(st, 1));

                if (r && i >= 0)
                        r->accounts[i] += srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        if (rc >= 0 && rs->failed)
                rc = MB_ENOMEM;
        return rc < 0 ? rc : MB_OK;
}

static enum srv_health health_of(const struct region *r)
{
        return srv_stats_health(r->gw, r->online, r->meters[0] + r->meters[1] + r->meters[2],
                                r->meters[1] + r->meters[2]);
}

/* Attention first: bad before warn before ok; then more gateways offline,
 * more meters faulty, more accounts cut, more in alarm; then by code. */
static int cmp_region(const void *pa, const void *pb)
{
        const struct region *a = pa, *b = pb;
        int64_t ka[5] = {health_of(a), a->gw - a->online, a->meters[1] + a->meters[2],
                         a->accounts[3], a->accounts[1] + a->accounts[2]};
        int64_t kb[5] = {health_of(b), b->gw - b->online, b->meters[1] + b->meters[2],
                         b->accounts[3], b->accounts[1] + b->accounts[2]};

        for (int i = 0; i < 5; i++)
                if (ka[i] != kb[i])
                        return ka[i] > kb[i] ? -1 : 1;
        return strcmp(a->name, b->name);
}

static json_object *gateways_json(int64_t total, int64_t online)
{
        json_object *o = json_object_new_object();

        srv_jadd_i64(o, "total", total);
        srv_jadd_i64(o, "online", online);
        srv_jadd_i64(o, "offline", total - online);
        return o;
}

static json_object *meters_json(const int64_t *m)
{
        json_object *o = json_object_new_object();

        srv_jadd_i64(o, "total", m[0] + m[1] + m[2]);
        srv_jadd_i64(o, "ok", m[0]);
        srv_jadd_i64(o, "faulty", m[1] + m[2]);
        srv_jadd_i64(o, "stale", m[1]);
        srv_jadd_i64(o, "fault", m[2]);
        return o;
}

static json_object *accounts_json(const int64_t *a)
{
        json_object *o = json_object_new_object();
        int64_t total = 0;

        for (int i = 0; i < NAS; i++) {
                srv_jadd_i64(o, account_states[i], a[i]);
                total += a[i];
        }
        srv_jadd_i64(o, "total", total);
        return o;
}

void srv_h_stats_regions(struct srv_req *rq, struct srv_resp *rs)
{
        struct regions regs = {0};
        json_object *o, *list;
        int rc = collect(rq, &regs);

        if (rc < 0) {
                free(regs.r);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        if (regs.n)
                qsort(regs.r, regs.n, sizeof(regs.r[0]), cmp_region);
        list = json_object_new_array();
        for (size_t i = 0; i < regs.n; i++) {
                const struct region *r = &regs.r[i];
                json_object *e = json_object_new_object();

                srv_jadd_str(e, "region", r->name);
                srv_jadd_str(e, "health", srv_health_name(health_of(r)));
                json_object_object_add(e, "gateways", gateways_json(r->gw, r->online));
                json_object_object_add(e, "meters", meters_json(r->meters));
                json_object_object_add(e, "accounts", accounts_json(r->accounts));
                json_object_array_add(list, e);
        }
        free(regs.r);
        o = json_object_new_object();
        json_object_object_add(o, "regions", list);
        srv_reply_json(rs, 200, o);
}

/* -sum of the ledger kinds that charge customers, and the top-ups, since from. */
static int money_since(srv_db *db, int64_t from, int64_t *revenue, int64_t *topup_n,
                       int64_t *topup_fen)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT coalesce(sum(CASE WHEN kind IN ('charge', 'bill', 'settle')"
                              " THEN -amount_fen ELSE 0 END), 0),"
                              " coalesce(sum(CASE WHEN kind = 'topup' THEN 1 ELSE 0 END), 0),"
                              " coalesce(sum(CASE WHEN kind = 'topup' THEN amount_fen ELSE 0"
                              " END), 0) FROM ledger WHERE ts >= $1",
                              "i", from);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                *revenue = srv_stmt_i64(st, 0);
                *topup_n = srv_stmt_i64(st, 1);
                *topup_fen = srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

static json_object *pair(const char *k1, int64_t v1, const char *k2, int64_t v2)
{
        json_object *o = json_object_new_object();

        srv_jadd_i64(o, k1, v1);
        srv_jadd_i64(o, k2, v2);
        return o;
}

void srv_h_stats_overview(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        struct regions regs = {0};
        int64_t now = mb_realtime_s(), day = srv_stats_day_start(now),
                month = srv_stats_month_start(now);
        int64_t gw = 0, online = 0, meters[NMS] = {0}, accounts[NAS] = {0};
        int64_t e_day = 0, e_month = 0, rev_d = 0, rev_m = 0, tn_d = 0, tf_d = 0, tn_m = 0,
                tf_m = 0, pending = 0;
        char mname[8] = "";
        json_object *o, *g, *m;
        int rc = collect(rq, &regs);

        for (size_t i = 0; i < regs.n; i++) {
                gw += regs.r[i].gw;
                online += regs.r[i].online;
                for (int k = 0; k < NMS; k++)
                        meters[k] += regs.r[i].meters[k];
                for (int k = 0; k < NAS; k++)
                        accounts[k] += regs.r[i].accounts[k];
        }
        free(regs.r);
        /* one pass over the month: before today, and today */
        if (rc >= 0) {
                int64_t edges[2] = {month, day}, out[2];

                rc = srv_stats_energy(rq->db, month, now + 1, edges, 2, 0, NULL, out);
                e_day = out[1];
                e_month = out[0] + out[1];
        }
        if (rc >= 0)
                rc = money_since(rq->db, day, &rev_d, &tn_d, &tf_d);
        if (rc >= 0)
                rc = money_since(rq->db, month, &rev_m, &tn_m, &tf_m);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &pending,
                                      "SELECT count(*) FROM commands WHERE state IN"
                                      " ('pending', 'delivered') AND expires_at > $1",
                                      "i", now);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        srv_month_of(now, mname);
        o = json_object_new_object();
        srv_jadd_i64(o, "server_time", now);
        srv_jadd_str(o, "timezone", cfg->timezone);
        srv_jadd_i64(o, "day_start", day);
        srv_jadd_str(o, "month", mname);
        srv_jadd_i64(o, "month_start", month);
        g = gateways_json(gw, online);
        srv_jadd_i64(g, "offline_after_s", cfg->mon.gateway_offline_s);
        json_object_object_add(o, "gateways", g);
        m = meters_json(meters);
        srv_jadd_i64(m, "stale_after_s", cfg->mon.meter_stale_s);
        json_object_object_add(o, "meters", m);
        json_object_object_add(o, "accounts", accounts_json(accounts));
        json_object_object_add(o, "energy_wh", pair("today", e_day, "month", e_month));
        json_object_object_add(o, "revenue_fen", pair("today", rev_d, "month", rev_m));
        g = pair("today_count", tn_d, "today_fen", tf_d);
        srv_jadd_i64(g, "month_count", tn_m);
        srv_jadd_i64(g, "month_fen", tf_m);
        json_object_object_add(o, "topups", g);
        srv_jadd_i64(o, "commands_open", pending);
        srv_reply_json(rs, 200, o);
}
