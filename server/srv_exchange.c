/* SPDX-License-Identifier: Apache-2.0 */
/* Meter exchange and an operator's word on a register that went backwards:
 * see srv_lifecycle.h. */
#define MB_LOG_MODULE "accounts"
#include <stdio.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_charge.h"
#include "srv_lifecycle.h"
#include "srv_reading_check.h"
#include "srv_settle.h"
#include "srv_supply.h"

/* A meter by address: id, gateway, account (0: none).  1, 0, or error. */
static int meter_row(srv_db *db, const char *address, int64_t *id, int64_t *gw, int64_t *account)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT id, gateway_id, coalesce(account_id, 0) FROM meters"
                              " WHERE address = $1",
                              "t", address);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                *id = srv_stmt_i64(st, 0);
                *gw = srv_stmt_i64(st, 1);
                *account = srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        return rc;
}

/* The new meter of an exchange: created on the gateway named (or the old
 * meter's) when unknown; it must measure no account.  Its id, or -1 with e
 * set, or a database error. */
static int new_meter(struct srv_req *rq, const char *address, const char *gateway, int64_t old_gw,
                     int64_t *id, struct srv_err *e)
{
        int64_t gw = old_gw, account = 0, mgw = 0;
        int rc = meter_row(rq->db, address, id, &mgw, &account);

        if (rc > 0 && account) {
                srv_err_set(e, 409, "meter_bound", "new_meter",
                            "meter '%s' measures another account", address);
                return -1;
        }
        if (rc != 0)
                return rc < 0 ? rc : MB_OK;
        if (strlen(address) >= 32) {
                srv_err_set(e, 400, "bad_field", "new_meter",
                            "a meter address has at most 31 bytes");
                return -1;
        }
        if (gateway &&
            (rc = srv_db_query_i64(rq->db, &gw, "SELECT id FROM gateways WHERE name = $1", "t",
                                   gateway)) == 0) {
                srv_err_set(e, 422, "unknown_gateway", "gateway", "no gateway '%s'", gateway);
                return -1;
        }
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, id,
                                      "INSERT INTO meters (address, gateway_id, bound_at)"
                                      " VALUES ($1, $2, $3) RETURNING id",
                                      "tii", address, gw, mb_realtime_s());
        return rc < 0 ? rc : MB_OK;
}

static json_object *register_json(const struct srv_register *r)
{
        json_object *o;

        if (!r->given)
                return NULL;
        o = json_object_new_object();
        srv_jadd_i64(o, "ts", r->t);
        srv_jadd_i64(o, "wh", r->wh);
        return o;
}

void srv_h_meter_exchange(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"new_meter",  "gateway", "final_wh",
                                           "initial_wh", "at",      NULL};
        const char *newaddr, *gateway = NULL;
        struct srv_register fin, init;
        struct srv_err e = {0};
        int64_t old = 0, gw = 0, account = 0, nid = 0;
        json_object *b, *o;
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_string(b, "new_meter", "", 1, 64, &newaddr, &e) < 0 ||
            srv_json_string(b, "gateway", "", 0, 64, &gateway, &e) < 0 ||
            srv_register_field(b, "final_wh", &fin, &e) < 0 ||
            srv_register_field(b, "initial_wh", &init, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = meter_row(rq->db, rq->params.v[0], &old, &gw, &account);
        if (rc == 0 || (rc > 0 && account == 0)) {
                srv_reply_errorf(rs, rc == 0 ? 404 : 409, rc == 0 ? "not_found" : "no_account", "",
                                 rc == 0 ? "no meter '%s'" : "meter '%s' measures no account",
                                 rq->params.v[0]);
                goto out;
        }
        if (rc > 0 && strcmp(newaddr, rq->params.v[0]) == 0) {
                srv_reply_errorf(rs, 400, "bad_field", "new_meter",
                                 "a meter is exchanged for another; a register reset in place is "
                                 "an operator's fix (POST /meters/ADDRESS/fixes)");
                goto out;
        }
        if (rc > 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_lock(rq->db, SRV_LOCK_ACCOUNT, account);
        if (rc >= 0)
                rc = new_meter(rq, newaddr, gateway, gw, &nid, &e);
        /* the old meter's supply ends at its final register, the new one's
         * begins at its initial register: the month is both pieces, the tier
         * position carried (same account) */
        if (rc >= 0 &&
            (rc = srv_supply_close(rq->db, account, "exchange", &fin, rq->auth.name, NULL)) >= 0)
                rc = srv_supply_open(rq->db, account, nid, "exchange", &init, NULL, rq->auth.name,
                                     NULL);
        if (rc >= 0)
                rc = srv_charge_recompute(rq->srv, rq->db, account);
        if (rc >= 0 && (rc = srv_db_commit(rq->db)) >= 0) {
                o = json_object_new_object();
                srv_jadd_str(o, "meter", rq->params.v[0]);
                srv_jadd_str(o, "new_meter", newaddr);
                json_object_object_add(o, "final", register_json(&fin));
                json_object_object_add(o, "initial", register_json(&init));
                srv_reply_json(rs, 201, o);
                goto out;
        }
        srv_db_rollback(rq->db);
        if (e.status)
                srv_reply_error(rs, &e);
        else
                srv_reply_db_error(rs, rq, rc);
out:
        json_object_put(b);
}

/* The shift an operator's fix gives the step into reading seq: a rollover's
 * range, an exchange in place's final less initial register.  MB_OK, or -1
 * with e set. */
static int fix_shift(srv_db *db, json_object *b, int as, int64_t meter, int64_t seq, int64_t *shift,
                     struct srv_err *e)
{
        int64_t range = 0, fin = 0, init = 0;
        int rc = MB_OK, has;

        *shift = 0;
        if (as == 0) { /* rollover: at the range given, or the meter's */
                has = srv_json_int(b, "rollover_wh", "", 0, 1, SRV_BILLABLE_MAX_WH, &range, e);
                if (has == 0)
                        rc = srv_db_query_i64(db, &range,
                                              "SELECT coalesce(rollover_wh, 0) FROM meters"
                                              " WHERE id = $1",
                                              "i", meter);
                if (has < 0 || rc < 0)
                        return has < 0 ? -1 : rc;
                if (range <= 0) {
                        srv_err_set(e, 422, "no_range", "rollover_wh",
                                    "the meter has no register range: give 'rollover_wh'");
                        return -1;
                }
                *shift = range;
        } else if (as == 1) { /* exchange in place: final before, initial after */
                has = srv_json_int(b, "final_wh", "", 0, 0, SRV_BILLABLE_MAX_WH, &fin, e);
                if (has == 0)
                        rc = srv_db_query_i64(db, &fin,
                                              "SELECT import_wh FROM readings WHERE meter_id = $1"
                                              " AND seq < $2 AND import_wh IS NOT NULL"
                                              " ORDER BY seq DESC LIMIT 1",
                                              "ii", meter, seq);
                if (has < 0 || rc < 0 ||
                    srv_json_int(b, "initial_wh", "", 0, 0, SRV_BILLABLE_MAX_WH, &init, e) < 0)
                        return has < 0 || rc >= 0 ? -1 : rc;
                *shift = fin - init;
        }
        return MB_OK;
}

/* Accounts measured by meter at some time: settle their held months. */
static void settle_meter_accounts(struct srv_req *rq, int64_t meter)
{
        int64_t ids[16];
        size_t n = 0;
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st,
                              "SELECT DISTINCT account_id FROM supplies WHERE meter_id = $1", "i",
                              meter);

        while (rc >= 0 && n < 16 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                ids[n++] = srv_stmt_i64(st, 0);
        srv_stmt_done(st);
        for (size_t i = 0; i < n; i++)
                srv_settle_held(rq->srv, rq->db, ids[i]);
}

void srv_h_meter_fix(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"seq",      "as",         "reason", "rollover_wh",
                                           "final_wh", "initial_wh", NULL};
        static const char *const kinds[] = {"rollover", "exchange", "exclude", NULL};
        const char *reason;
        struct srv_err e = {0};
        int64_t meter = 0, gw = 0, account = 0, seq, shift = 0, n = 0;
        json_object *b, *o;
        int as, rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_int(b, "seq", "", 1, 1, INT64_MAX / 2, &seq, &e) < 0 ||
            srv_json_enum(b, "as", "", 1, kinds, &as, &e) < 0 ||
            srv_json_string(b, "reason", "", 1, 512, &reason, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = meter_row(rq->db, rq->params.v[0], &meter, &gw, &account);
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, &n,
                                      "SELECT count(*) FROM readings WHERE meter_id = $1"
                                      " AND seq = $2",
                                      "ii", meter, seq);
        if (rc == 0 || (rc > 0 && n == 0)) {
                srv_reply_errorf(rs, 404, "not_found", rc == 0 ? "" : "seq",
                                 rc == 0 ? "no meter '%s'"
                                         : "meter '%s' has no reading at that seq",
                                 rq->params.v[0]);
                goto out;
        }
        if (rc > 0 && fix_shift(rq->db, b, as, meter, seq, &shift, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (rc > 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_exec_args(
                    rq->db,
                    "INSERT INTO register_fixes (meter_id, seq, kind, shift_wh, reason, by_name,"
                    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT (meter_id, seq) DO UPDATE SET kind = excluded.kind,"
                    " shift_wh = excluded.shift_wh, reason = excluded.reason,"
                    " by_name = excluded.by_name, created_at = excluded.created_at",
                    "iititti", meter, seq, kinds[as], shift, reason, rq->auth.name,
                    mb_realtime_s());
        if (rc >= 0 && account) /* the current month, charged again with the fix */
                rc = srv_charge_recompute(rq->srv, rq->db, account);
        if (srv_req_commit(rq, rs, rc) < 0)
                goto out;
        mb_notice("meter %s seq %lld: %s (%lld Wh) by %s: %s", rq->params.v[0], (long long)seq,
                  kinds[as], (long long)shift, rq->auth.name, reason);
        settle_meter_accounts(rq, meter); /* months held for it may settle now */
        o = json_object_new_object();
        srv_jadd_str(o, "meter", rq->params.v[0]);
        srv_jadd_i64(o, "seq", seq);
        srv_jadd_str(o, "as", kinds[as]);
        srv_jadd_i64(o, "shift_wh", shift);
        srv_jadd_str(o, "reason", reason);
        srv_reply_json(rs, 201, o);
out:
        json_object_put(b);
}
