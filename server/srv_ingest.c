#define MB_LOG_MODULE "ingest"
#include "srv_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_charge.h"
#include "srv_commands.h"
#include "srv_settle.h"
#include "srv_snapshot.h"

static int db_fail(struct srv_err *e, srv_db *db, int rc)
{
        mb_err_log("ingest: %s", srv_db_errmsg(db));
        if (rc == MB_EBUSY)
                srv_err_set(e, 503, "busy", "", "the database is busy; try again");
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

/* Store one reading unless already stored.  1 stored, 0 duplicate, or error
 * (409 in *e when the stored one differs). */
static int store_reading(srv_db *db, const struct srv_reading *r, int64_t high, struct srv_err *e)
{
        char rates[128], f[48];
        int rc;

        if (r->seq <= high) {
                srv_stmt *st = NULL;
                int same = 0;

                rc = srv_db_query(db, &st,
                                  "SELECT body FROM readings WHERE meter_id = $1 AND seq = $2",
                                  "ii", r->meter_id, r->seq);
                if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                        same = strcmp(srv_stmt_text(st, 0), r->body) == 0;
                srv_stmt_done(st);
                if (rc < 0)
                        return db_fail(e, db, rc);
                if (rc == SRV_DB_ROW) {
                        if (same)
                                return 0;
                        snprintf(f, sizeof(f), "readings[%zu]", r->index);
                        srv_err_set(e, 409, "conflict", f,
                                    "meter %s seq %lld is already stored with other values",
                                    r->meter, (long long)r->seq);
                        return MB_EEXIST;
                }
        }
        snprintf(rates, sizeof(rates), "[%lld,%lld,%lld,%lld]", (long long)r->rate_wh[0],
                 (long long)r->rate_wh[1], (long long)r->rate_wh[2], (long long)r->rate_wh[3]);
        rc = srv_db_exec_args(
            db,
            "INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh,"
            " rates, frozen_import_wh, frozen_time, body, stored_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            "iiitiItIIti", r->meter_id, r->seq, r->ts,
            r->kind == SRV_KIND_BOUNDARY ? "boundary" : "routine", r->quality,
            r->has_import ? r->import_wh : SRV_DB_NULL_I64, r->has_rates ? rates : NULL,
            r->has_frozen ? r->frozen_import_wh : SRV_DB_NULL_I64,
            r->has_frozen ? r->frozen_time : SRV_DB_NULL_I64, r->body, mb_realtime_s());
        return rc < 0 ? db_fail(e, db, rc) : 1;
}

/* Store the readings of one meter group [from, to) and charge its account. */
static int store_group(struct srv *s, srv_db *db, struct srv_batch *b, size_t from, size_t to,
                       struct srv_err *e)
{
        struct srv_reading **fresh = calloc(to - from, sizeof(*fresh));
        int64_t mid = b->readings[from].meter_id, high = 0, account = 0, top = 0;
        size_t nf = 0;
        int rc;

        if (fresh == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return MB_ENOMEM;
        }
        rc = srv_db_query_i64(db, &high, "SELECT high_seq FROM meters WHERE id = $1", "i", mid);
        if (rc < 0)
                goto db;
        for (size_t i = from; rc >= 0 && i < to; i++) {
                struct srv_reading *r = &b->readings[i];

                if (i > from && b->readings[i - 1].seq == r->seq)
                        continue; /* the same reading twice in one batch */
                rc = store_reading(db, r, high, e);
                if (rc > 0)
                        fresh[nf++] = r;
                if (rc >= 0 && r->seq > top)
                        top = r->seq;
        }
        if (rc < 0)
                goto out;
        if (nf && top > high) {
                const struct srv_reading *last = &b->readings[to - 1];

                rc =
                    srv_db_exec_args(db,
                                     "UPDATE meters SET high_seq = $1, last_ts = $2,"
                                     " last_import_wh = coalesce($3, last_import_wh) WHERE id = $4",
                                     "iiIi", top, last->ts,
                                     last->has_import ? last->import_wh : SRV_DB_NULL_I64, mid);
                if (rc < 0)
                        goto db;
        }
        rc =
            srv_db_query_i64(db, &account, "SELECT account_id FROM meters WHERE id = $1", "i", mid);
        if (rc < 0)
                goto db;
        if (rc > 0 && nf)
                rc = srv_charge_readings(s, db, account, mid, fresh, nf);
        if (rc < 0)
                goto db;
        rc = MB_OK;
        goto out;
db:
        db_fail(e, db, rc);
out:
        free(fresh);
        return rc;
}

static int store_events(srv_db *db, int64_t gw, struct srv_batch *b, int64_t *upto,
                        struct srv_err *e)
{
        int rc =
            srv_db_query_i64(db, upto, "SELECT events_upto FROM gateways WHERE id = $1", "i", gw);

        for (size_t i = 0; rc >= 0 && i < b->n_events; i++) {
                const struct srv_event *ev = &b->events[i];
                int64_t mid = SRV_DB_NULL_I64, tmp;

                if (ev->meter && (rc = srv_meter_id(db, ev->meter, &tmp, NULL)) > 0)
                        mid = tmp;
                if (rc < 0)
                        break;
                rc = srv_db_exec_args(db,
                                      "INSERT INTO events (gateway_id, id, meter_id, ts, type,"
                                      " reason, body, stored_at) VALUES ($1, $2, $3, $4, $5, $6,"
                                      " $7, $8) ON CONFLICT (gateway_id, id) DO NOTHING",
                                      "iiIittti", gw, ev->id, mid, ev->ts, ev->type, ev->reason,
                                      ev->body, mb_realtime_s());
                if (rc > 0 && ev->is_command_result)
                        rc = srv_command_result(db, gw, ev->command, ev->state, ev->relay);
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

int srv_ingest(struct srv *s, srv_db *db, const struct srv_auth *a, struct srv_batch *b,
               json_object **resp, struct srv_err *e)
{
        json_object *meters = NULL, *acked;
        int64_t gw = 0, upto = 0;
        int rc = srv_db_begin(db);

        if (rc < 0)
                return db_fail(e, db, rc);
        srv_batch_sort(b);
        rc = gateway_of(db, a, b->gateway, &gw, e);
        if (rc == MB_OK)
                rc = resolve_meters(db, gw, b, e);
        for (size_t i = 0; rc == MB_OK && i < b->n_readings;) {
                size_t j = i + 1;

                while (j < b->n_readings && b->readings[j].meter_id == b->readings[i].meter_id)
                        j++;
                rc = store_group(s, db, b, i, j, e);
                i = j;
        }
        if (rc == MB_OK)
                rc = store_events(db, gw, b, &upto, e);
        if (rc == MB_OK && (rc = srv_snapshot_gateway(s, db, gw, 1, &meters)) < 0)
                db_fail(e, db, rc);
        if (rc == MB_OK && (rc = srv_db_commit(db)) < 0)
                db_fail(e, db, rc);
        if (rc < 0) {
                srv_db_rollback(db);
                json_object_put(meters);
                return rc;
        }
        *resp = json_object_new_object();
        srv_jadd_i64(*resp, "server_time", mb_realtime_s());
        acked = json_object_new_object();
        json_object_object_add(acked, "readings", acked_json(b));
        srv_jadd_i64(acked, "events_upto", upto);
        json_object_object_add(*resp, "acked", acked);
        json_object_object_add(*resp, "meters", meters);
        return MB_OK;
}

/* After a batch with boundary readings, months held for missing data may now
 * settle (each in its own transaction). */
static void settle_held(struct srv *s, srv_db *db, const struct srv_batch *b)
{
        int64_t last = 0;

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

        if (srv_batch_parse(rq->body, rq->body_len, (size_t)cfg->max_readings,
                            (size_t)cfg->max_events, &b, &e) < 0) {
                srv_reply_error(rs, &e);
                return;
        }
        if (srv_ingest(rq->srv, rq->db, &rq->auth, &b, &resp, &e) < 0) {
                srv_reply_error(rs, &e);
        } else {
                srv_reply_json(rs, 200, resp);
                settle_held(rq->srv, rq->db, &b);
        }
        srv_batch_free(&b);
}
