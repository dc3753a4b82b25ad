/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "ingest"
#include "srv_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_binding.h"
#include "srv_charge.h"
#include "srv_commands.h"
#include "srv_metrics.h"
#include "srv_reading_row.h"
#include "srv_settle.h"
#include "srv_snapshot.h"
#include "srv_uplink.h"
#include "srv_webhook.h"

static int db_fail(struct srv_err *e, srv_db *db, int rc)
{
        mb_err_log("ingest: %s", srv_db_errmsg(db));
        if (rc == MB_EBUSY)
                srv_err_set(e, 503, "busy", "", "the database is busy; try again");
        else if (rc == MB_ENOSPC)
                srv_err_set(e, 507, "storage_full", "",
                            "the server's disk is full; nothing was stored; try again later");
        else
                srv_err_set(e, 500, "internal", "", "database error");
        return rc;
}

/* Resolve each reading's meter (the batch is sorted by meter), checking that
 * it is bound to this gateway. */
static int resolve_meters(srv_db *db, int64_t gw, struct srv_batch *b, struct srv_err *e)
{
        const char *last = NULL;
        int64_t id = 0, mgw = 0;
        char f[64];

        for (size_t i = 0; i < b->n_readings; i++) {
                struct srv_reading *r = &b->readings[i];

                if (last == NULL || strcmp(last, r->meter) != 0) {
                        int rc = srv_meter_id(db, r->meter, &id, &mgw);

                        snprintf(f, sizeof(f), "readings[%zu].meter", r->index);
                        if (rc < 0)
                                return db_fail(e, db, rc);
                        if (rc == 0) {
                                srv_err_set(e, 422, "unknown_meter", f,
                                            "meter '%s' is not bound on this server", r->meter);
                                return MB_ENOENT;
                        }
                        if (mgw != gw) {
                                srv_err_set(e, 403, "forbidden", f,
                                            "meter '%s' belongs to another gateway", r->meter);
                                return MB_EAUTH;
                        }
                        last = r->meter;
                }
                r->meter_id = id;
        }
        return MB_OK;
}

/* One meter's readings [from, to) of the sorted batch. */
struct group {
        size_t from, to;
        int64_t meter_id, high, account, top;
        size_t nf;
        struct srv_reading **fresh; /* the readings to store and charge */
};

/*
 * Which readings of group g are new: those above the meter's high-water seq,
 * and those at or below it that are not stored yet (an agent filling a gap).
 * The stored ones at or below it come back in one range query; one whose
 * body differs is a 409.  The same reading twice in a batch counts once.
 */
static int classify(srv_db *db, struct srv_batch *b, struct group *g, struct srv_err *e)
{
        struct srv_reading *lo = &b->readings[g->from];
        srv_stmt *st = NULL;
        int have = 0, rc = MB_OK;
        int64_t sseq = 0;
        char f[48];

        if (lo->seq <= g->high) {
                rc = srv_db_query(db, &st,
                                  "SELECT " SRV_READING_VALUES " FROM readings WHERE meter_id = $1"
                                  " AND seq >= $2 AND seq <= $3 ORDER BY seq",
                                  "iii", g->meter_id, lo->seq, g->high);
                if (rc < 0)
                        return db_fail(e, db, rc);
                have = 1;
                rc = srv_stmt_step(st);
        }
        for (size_t i = g->from; rc >= 0 && i < g->to; i++) {
                struct srv_reading *r = &b->readings[i];

                if (i > g->from && b->readings[i - 1].seq == r->seq)
                        continue; /* the same reading twice in one batch */
                if (r->seq > g->top)
                        g->top = r->seq;
                if (r->seq > g->high) {
                        g->fresh[g->nf++] = r;
                        continue;
                }
                while (have && rc == SRV_DB_ROW && (sseq = srv_stmt_i64(st, 0)) < r->seq)
                        rc = srv_stmt_step(st);
                if (rc < 0)
                        break;
                if (rc != SRV_DB_ROW || sseq != r->seq) {
                        g->fresh[g->nf++] = r;
                        continue;
                }
                if (!srv_reading_row_same(st, r)) {
                        snprintf(f, sizeof(f), "readings[%zu]", r->index);
                        srv_err_set(e, 409, "conflict", f,
                                    "meter %s seq %lld is already stored with other values",
                                    r->meter, (long long)r->seq);
                        rc = MB_EEXIST;
                }
        }
        srv_stmt_done(st);
        if (rc < 0 && rc != MB_EEXIST)
                return db_fail(e, db, rc);
        return rc == MB_EEXIST ? rc : MB_OK;
}

static int cmp_group_meter(const void *a, const void *b)
{
        const struct group *x = *(const struct group *const *)a,
                           *y = *(const struct group *const *)b;

        return (x->meter_id > y->meter_id) - (x->meter_id < y->meter_id);
}

/* Every new reading of the batch in one bulk insert (COPY on PostgreSQL),
 * in key order (meter_id, seq): the batch is sorted by address, and the
 * table's B-tree is cheapest to fill along its key (DESIGN.md, measured
 * facts). */
static int insert_fresh(srv_db *db, struct group *gs, size_t ng, struct srv_err *e)
{
        struct group **order = malloc((ng + 1) * sizeof(*order));
        int64_t now = mb_realtime_s(), n;
        srv_bulk *bk = NULL;
        size_t total = 0;
        int rc;

        if (order == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return MB_ENOMEM;
        }
        for (size_t k = 0; k < ng; k++) {
                total += gs[k].nf;
                order[k] = &gs[k];
        }
        if (total == 0) {
                free(order);
                return MB_OK;
        }
        qsort(order, ng, sizeof(*order), cmp_group_meter);
        rc = srv_reading_bulk_begin(db, &bk);
        for (size_t k = 0; rc == MB_OK && k < ng; k++)
                for (size_t i = 0; rc == MB_OK && i < order[k]->nf; i++)
                        rc = srv_reading_bulk_row(bk, order[k]->fresh[i], now);
        free(order);
        n = srv_db_bulk_end(bk, rc < 0);
        if (rc == MB_OK && n < 0)
                rc = (int)n;
        return rc < 0 ? db_fail(e, db, rc) : MB_OK;
}

/* Move the meter's high-water mark and charge its account. */
static int finish_group(struct srv *s, srv_db *db, struct srv_batch *b, struct group *g,
                        struct srv_err *e)
{
        int rc = MB_OK;

        if (g->nf && g->top > g->high) {
                const struct srv_reading *last = &b->readings[g->to - 1];

                rc = srv_db_exec_args(
                    db,
                    "UPDATE meters SET high_seq = $1, last_ts = $2,"
                    " last_import_wh = coalesce($3, last_import_wh) WHERE id = $4",
                    "iiIi", g->top, last->ts, last->has_import ? last->import_wh : SRV_DB_NULL_I64,
                    g->meter_id);
        }
        if (rc >= 0 && g->account && g->nf)
                rc = srv_charge_readings(s, db, g->account, g->meter_id, g->fresh, g->nf);
        return rc < 0 ? db_fail(e, db, rc) : MB_OK;
}

static int cmp_id(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

        return (x > y) - (x < y);
}

/* The accounts this batch charges, locked up front in ascending order, the
 * order month close takes them in too (srv_settle_chunk.c), so the two can
 * never wait on each other in a cycle. */
static int lock_accounts(srv_db *db, const struct group *gs, size_t ng, struct srv_err *e)
{
        int64_t *ids = malloc((ng + 1) * sizeof(*ids));
        size_t n = 0;
        int rc;

        if (ids == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return MB_ENOMEM;
        }
        for (size_t k = 0; k < ng; k++)
                if (gs[k].account && gs[k].nf)
                        ids[n++] = gs[k].account;
        qsort(ids, n, sizeof(*ids), cmp_id);
        rc = srv_db_lock_many(db, SRV_LOCK_ACCOUNT, ids, n);
        free(ids);
        return rc < 0 ? db_fail(e, db, rc) : MB_OK;
}

/* Store the batch's readings: classify per meter, insert the new ones in
 * bulk, then per meter move the high-water mark and charge. */
static int store_readings(struct srv *s, srv_db *db, struct srv_batch *b, struct srv_err *e)
{
        struct srv_reading **fresh = calloc(b->n_readings + 1, sizeof(*fresh));
        struct group *gs = calloc(b->n_readings + 1, sizeof(*gs));
        size_t ng = 0;
        int rc = MB_OK;

        if (fresh == NULL || gs == NULL) {
                free(fresh);
                free(gs);
                srv_err_set(e, 500, "internal", "", "out of memory");
                return MB_ENOMEM;
        }
        for (size_t i = 0; rc == MB_OK && i < b->n_readings; ng++) {
                struct group *g = &gs[ng];
                srv_stmt *st = NULL;

                g->from = i;
                g->meter_id = b->readings[i].meter_id;
                while (i < b->n_readings && b->readings[i].meter_id == g->meter_id)
                        i++;
                g->to = i;
                g->fresh = fresh + g->from;
                rc = srv_db_query(db, &st, "SELECT high_seq, account_id FROM meters WHERE id = $1",
                                  "i", g->meter_id);
                if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                        g->high = srv_stmt_i64(st, 0);
                        g->account = srv_stmt_is_null(st, 1) ? 0 : srv_stmt_i64(st, 1);
                }
                srv_stmt_done(st);
                rc = rc < 0 ? db_fail(e, db, rc) : classify(db, b, g, e);
        }
        if (rc == MB_OK)
                rc = lock_accounts(db, gs, ng, e);
        if (rc == MB_OK)
                rc = insert_fresh(db, gs, ng, e);
        for (size_t k = 0; rc == MB_OK && k < ng; k++)
                rc = finish_group(s, db, b, &gs[k], e);
        free(fresh);
        free(gs);
        return rc;
}

static int store_events(srv_db *db, int64_t gw, struct srv_batch *b, int64_t *upto,
                        struct srv_err *e)
{
        int rc =
            srv_db_query_i64(db, upto, "SELECT events_upto FROM gateways WHERE id = $1", "i", gw);

        for (size_t i = 0; rc >= 0 && i < b->n_events; i++) {
                const struct srv_event *ev = &b->events[i];
                int64_t mid = SRV_DB_NULL_I64, tmp, mgw = 0;

                if (ev->meter && (rc = srv_meter_id(db, ev->meter, &tmp, &mgw)) > 0)
                        mid = tmp;
                if (rc < 0)
                        break;
                /* an event names only this gateway's meters: another's tamper
                 * or alarm would show on the wall, flag that customer's bill
                 * and send their webhooks (a meter not bound yet is kept
                 * without a meter) */
                if (mid != SRV_DB_NULL_I64 && mgw != gw) {
                        char f[64];

                        snprintf(f, sizeof(f), "events[%zu].meter", ev->index);
                        srv_err_set(e, 403, "forbidden", f, "meter '%s' belongs to another gateway",
                                    ev->meter);
                        return MB_EAUTH;
                }
                rc = srv_db_exec_args(db,
                                      "INSERT INTO events (gateway_id, id, meter_id, ts, type,"
                                      " reason, body, stored_at) VALUES ($1, $2, $3, $4, $5, $6,"
                                      " $7, $8) ON CONFLICT (gateway_id, id) DO NOTHING",
                                      "iiIittti", gw, ev->id, mid, ev->ts, ev->type, ev->reason,
                                      ev->body, mb_realtime_s());
                if (rc > 0 && ev->is_command_result)
                        rc = srv_command_result(db, gw, ev->command, ev->state, ev->relay);
                else if (rc > 0) /* a new event: queue its webhooks in this transaction */
                        rc = srv_webhook_on_event(db, gw, ev);
                if (rc >= 0 && mid != SRV_DB_NULL_I64)
                        rc = srv_binding_check(db, gw, mid, ev);
                if (ev->id > *upto)
                        *upto = ev->id;
        }
        if (rc >= 0)
                rc = srv_db_exec_args(db,
                                      "UPDATE gateways SET events_upto = $1, last_seen = $2"
                                      " WHERE id = $3",
                                      "iii", *upto, mb_realtime_s(), gw);
        return rc < 0 ? db_fail(e, db, rc) : MB_OK;
}

/* acked.readings: consecutive seq runs per meter. */
static json_object *acked_json(const struct srv_batch *b)
{
        json_object *a = json_object_new_array();

        for (size_t i = 0; i < b->n_readings;) {
                size_t j = i;

                while (j + 1 < b->n_readings &&
                       strcmp(b->readings[j + 1].meter, b->readings[i].meter) == 0 &&
                       b->readings[j + 1].seq <= b->readings[j].seq + 1)
                        j++;
                json_object *r = json_object_new_object();

                srv_jadd_str(r, "meter", b->readings[i].meter);
                srv_jadd_i64(r, "from_seq", b->readings[i].seq);
                srv_jadd_i64(r, "to_seq", b->readings[j].seq);
                json_object_array_add(a, r);
                i = j + 1;
        }
        return a;
}

static int gateway_of(srv_db *db, const struct srv_auth *a, const char *name, int64_t *gw,
                      struct srv_err *e)
{
        int rc = srv_db_query_i64(db, gw, "SELECT id FROM gateways WHERE name = $1", "t", name);

        if (rc < 0)
                return db_fail(e, db, rc);
        if (rc == 0) {
                srv_err_set(e, a->role == SRV_ROLE_GATEWAY ? 403 : 422,
                            a->role == SRV_ROLE_GATEWAY ? "forbidden" : "unknown_gateway",
                            "gateway", "no gateway '%s'", name);
                return MB_ENOENT;
        }
        if (a->role == SRV_ROLE_GATEWAY && *gw != a->gateway_id) {
                srv_err_set(e, 403, "forbidden", "gateway",
                            "this token belongs to another gateway than '%s'", name);
                return MB_EAUTH;
        }
        return MB_OK;
}

/* For an agent whose store is new (agent.db lost or replaced, docs/durability.md,
 * Store loss): each meter's high-water seq, so it numbers its readings after
 * them, and the newest command id this gateway completed, so a signed
 * command already carried out can never run again.  The event ids go on
 * after acked.events_upto. */
static int resume_json(srv_db *db, int64_t gw, json_object **out)
{
        json_object *o = json_object_new_object(), *m = json_object_new_object();
        srv_stmt *st = NULL;
        int64_t last = 0;
        int rc = srv_db_query(db, &st, "SELECT address, high_seq FROM meters WHERE gateway_id = $1",
                              "i", gw);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                srv_jadd_i64(m, srv_stmt_text(st, 0), srv_stmt_i64(st, 1));
        srv_stmt_done(st);
        if (rc >= 0)
                rc = srv_db_query_i64(db, &last,
                                      "SELECT coalesce(max(c.id), 0) FROM commands c JOIN meters m"
                                      " ON m.id = c.meter_id WHERE m.gateway_id = $1"
                                      " AND c.state IN ('done', 'failed')",
                                      "i", gw);
        json_object_object_add(o, "high_seq", m);
        srv_jadd_i64(o, "last_command", last);
        if (rc < 0) {
                json_object_put(o);
                return rc;
        }
        *out = o;
        return MB_OK;
}

int srv_ingest(struct srv *s, srv_db *db, const struct srv_auth *a, struct srv_batch *b,
               json_object **resp, struct srv_err *e)
{
        json_object *resume = NULL;
        json_object *meters = NULL, *acked;
        int64_t gw = 0, upto = 0;
        int rc = srv_db_begin(db);

        if (rc < 0)
                return db_fail(e, db, rc);
        srv_batch_sort(b);
        rc = gateway_of(db, a, b->gateway, &gw, e);
        /* One gateway's batches are stored one at a time across every server
         * on the database: its meters' high-water marks, charges and command
         * delivery (srv_db.h, lock order). */
        if (rc == MB_OK && (rc = srv_db_lock(db, SRV_LOCK_GATEWAY, gw)) < 0)
                db_fail(e, db, rc);
        if (rc == MB_OK)
                rc = resolve_meters(db, gw, b, e);
        if (rc == MB_OK && b->n_readings)
                rc = store_readings(s, db, b, e);
        if (rc == MB_OK)
                rc = store_events(db, gw, b, &upto, e);
        if (rc == MB_OK && b->uplink.present &&
            (rc = srv_uplink_store(db, gw, &b->uplink, s->cfg->mon.uplink_weak_pct,
                                   mb_realtime_s())) < 0)
                db_fail(e, db, rc);
        if (rc == MB_OK && (rc = srv_snapshot_gateway(s, db, gw, 1, &meters)) < 0)
                db_fail(e, db, rc);
        if (rc == MB_OK && b->resume && (rc = resume_json(db, gw, &resume)) < 0)
                db_fail(e, db, rc);
        if (rc == MB_OK && (rc = srv_db_commit(db)) < 0)
                db_fail(e, db, rc);
        if (rc < 0) {
                srv_db_rollback(db);
                json_object_put(meters);
                json_object_put(resume);
                return rc;
        }
        *resp = json_object_new_object();
        srv_jadd_i64(*resp, "server_time", mb_realtime_s());
        acked = json_object_new_object();
        json_object_object_add(acked, "readings", acked_json(b));
        srv_jadd_i64(acked, "events_upto", upto);
        json_object_object_add(*resp, "acked", acked);
        json_object_object_add(*resp, "meters", meters);
        if (resume)
                json_object_object_add(*resp, "resume", resume);
        return MB_OK;
}

/* After a batch with boundary readings, months held for missing data may now
 * settle (each in its own transaction). */
static void settle_held(struct srv *s, srv_db *db, const struct srv_batch *b)
{
        int64_t last = 0, any = 0;

        /* most of the time no month is held at all: one query, not one per
         * meter (DL/T 645 meters send their frozen register every time) */
        if (srv_db_query_i64(db, &any,
                             "SELECT count(*) FROM (SELECT 1 FROM bills"
                             " WHERE state = 'held' LIMIT 1) x",
                             "") <= 0 ||
            any == 0)
                return;
        for (size_t i = 0; i < b->n_readings; i++) {
                const struct srv_reading *r = &b->readings[i];
                int64_t account = 0;

                if ((r->kind != SRV_KIND_BOUNDARY && !r->has_frozen) || r->meter_id == last)
                        continue;
                last = r->meter_id;
                if (srv_db_query_i64(db, &account, "SELECT account_id FROM meters WHERE id = $1",
                                     "i", r->meter_id) > 0)
                        srv_settle_held(s, db, account);
        }
}

void srv_h_readings(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        struct srv_batch b;
        struct srv_err e;
        json_object *resp = NULL;
        int rc;

        /* Parsing touches no shared state: let another request use the
         * database meanwhile (the caller holds srv->lock; bench/RESULTS.md). */
        srv_unlock(rq->srv);
        rc = srv_batch_parse(rq->body, rq->body_len, (size_t)cfg->max_readings,
                             (size_t)cfg->max_events, &b, &e);
        srv_lock(rq->srv);
        if (rc < 0) {
                srv_metrics_batch_rejected(e.code);
                srv_reply_error(rs, &e);
                return;
        }
        if (srv_ingest(rq->srv, rq->db, &rq->auth, &b, &resp, &e) < 0) {
                srv_metrics_batch_rejected(e.code);
                srv_reply_error(rs, &e);
        } else {
                srv_metrics_batch_accepted(b.n_readings, b.n_events);
                srv_reply_json(rs, 200, resp);
                settle_held(rq->srv, rq->db, &b);
        }
        srv_batch_free(&b);
}
