/* SPDX-License-Identifier: Apache-2.0 */
/* Move-in, move-out and change of holder: see srv_lifecycle.h. */
#define MB_LOG_MODULE "accounts"
#include "srv_lifecycle.h"

#include <stdio.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_charge.h"
#include "srv_settle.h"
#include "srv_supply.h"

/* An account by number: id and state ("active", "closed", ...), 1, 0 when
 * unknown, or an error. */
static int account_of(srv_db *db, const char *number, int64_t *id, char state[16])
{
        srv_stmt *st = NULL;
        int rc =
            srv_db_query(db, &st, "SELECT id, state FROM accounts WHERE number = $1", "t", number);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                *id = srv_stmt_i64(st, 0);
                snprintf(state, 16, "%s", srv_stmt_text(st, 1));
        }
        srv_stmt_done(st);
        return rc;
}

/* The account's open supply's meter: 1 and *meter_id, 0 none, or an error. */
static int open_meter(srv_db *db, int64_t account_id, int64_t *meter_id)
{
        return srv_db_query_i64(db, meter_id,
                                "SELECT meter_id FROM supplies WHERE account_id = $1"
                                " AND to_seq IS NULL ORDER BY id DESC LIMIT 1",
                                "i", account_id);
}

/* The answer about an account after an event: number, state, meter,
 * balance, what is refundable or owed, and bills settled by it. */
static json_object *account_answer(srv_db *db, int64_t id, json_object *bills)
{
        srv_stmt *st = NULL;
        json_object *o = json_object_new_object();
        int rc = srv_db_query(db, &st,
                              "SELECT a.number, a.state, a.balance_fen, m.address FROM accounts a"
                              " LEFT JOIN meters m ON m.account_id = a.id WHERE a.id = $1",
                              "i", id);

        if (rc >= 0 && srv_stmt_step(st) == SRV_DB_ROW) {
                int64_t bal = srv_stmt_i64(st, 2);

                srv_jadd_str(o, "account", srv_stmt_text(st, 0));
                srv_jadd_str(o, "state", srv_stmt_text(st, 1));
                srv_jadd_str(o, "meter", srv_stmt_text(st, 3));
                srv_jadd_i64(o, "balance_fen", bal);
                srv_jadd_i64(o, "refundable_fen", bal > 0 ? bal : 0);
                srv_jadd_i64(o, "owed_fen", bal < 0 ? -bal : 0);
        }
        srv_stmt_done(st);
        if (bills)
                json_object_object_add(o, "bills", bills);
        return o;
}

/* A meter by address, created on the gateway named when it is new: its id
 * and account (0: none).  MB_OK, or -1 with e set. */
static int meter_for(struct srv_req *rq, const char *address, const char *gateway, int64_t *id,
                     int64_t *account, struct srv_err *e)
{
        int64_t gw = 0;
        int rc = srv_meter_id(rq->db, address, id, NULL);

        *account = 0;
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, account,
                                      "SELECT coalesce(account_id, 0) FROM meters WHERE id = $1",
                                      "i", *id);
        if (rc != 0)
                return rc < 0 ? rc : MB_OK;
        if (gateway == NULL || strlen(address) >= 32) {
                srv_err_set(e, 400, gateway ? "bad_field" : "missing_field", "gateway",
                            gateway ? "a meter address has at most 31 bytes"
                                    : "a new meter needs the 'gateway' that reads it");
                return -1;
        }
        rc = srv_db_query_i64(rq->db, &gw, "SELECT id FROM gateways WHERE name = $1", "t", gateway);
        if (rc == 0) {
                srv_err_set(e, 422, "unknown_gateway", "gateway", "no gateway '%s'", gateway);
                return -1;
        }
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, id,
                                      "INSERT INTO meters (address, gateway_id, bound_at)"
                                      " VALUES ($1, $2, $3) RETURNING id",
                                      "tii", address, gw, mb_realtime_s());
        return rc < 0 ? rc : MB_OK;
}

/* End of a handler's transaction: commit, or roll back and answer the
 * error (e when set, else the database's).  0 when committed. */
static int finish(struct srv_req *rq, struct srv_resp *rs, int rc, const struct srv_err *e)
{
        if (rc >= 0 && (rc = srv_db_commit(rq->db)) >= 0)
                return 0;
        srv_db_rollback(rq->db);
        if (e->status)
                srv_reply_error(rs, e);
        else
                srv_reply_db_error(rs, rq, rc);
        return -1;
}

/* The start of an account event: the body (its keys known) and the
 * account of the path.  0 with *b (the caller's) and *id, state; -1 after
 * answering. */
static int event_of(struct srv_req *rq, struct srv_resp *rs, const char *const *keys,
                    json_object **b, int64_t *id, char state[16])
{
        int rc;

        if (srv_req_body(rq, rs, keys, b) < 0)
                return -1;
        if ((rc = account_of(rq->db, rq->params.v[0], id, state)) == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
        } else if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
        } else {
                return 0;
        }
        json_object_put(*b);
        return -1;
}

void srv_h_move_in(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"meter", "gateway", "opening_wh", "at", NULL};
        const char *meter, *gateway = NULL;
        struct srv_register open;
        struct srv_err e = {0};
        int64_t id = 0, mid = 0, bound = 0, has = 0;
        char state[16] = "";
        json_object *b;
        int rc;

        if (event_of(rq, rs, keys, &b, &id, state) < 0)
                return;
        if (srv_json_string(b, "meter", "", 1, 64, &meter, &e) < 0 ||
            srv_json_string(b, "gateway", "", 0, 64, &gateway, &e) < 0 ||
            srv_register_field(b, "opening_wh", &open, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_lock(rq->db, SRV_LOCK_ACCOUNT, id);
        if (rc >= 0)
                rc = meter_for(rq, meter, gateway, &mid, &bound, &e);
        if (rc >= 0 && (rc = open_meter(rq->db, id, &has)) > 0)
                srv_err_set(&e, 409, "has_meter", "meter",
                            "account '%s' already has a meter: a meter exchange replaces it",
                            rq->params.v[0]);
        else if (rc >= 0 && bound)
                srv_err_set(&e, 409, "meter_bound", "meter",
                            "meter '%s' measures another account: a change of holder (transfer) "
                            "moves it",
                            meter);
        else if (rc >= 0 && strcmp(state, "closed") == 0)
                srv_err_set(&e, 409, "closed", "", "account '%s' is closed", rq->params.v[0]);
        if (e.status)
                rc = -1;
        if (rc >= 0)
                rc = srv_supply_open(rq->db, id, mid, "move_in", &open, NULL, rq->auth.name, NULL);
        if (rc >= 0) /* with an opening register, charging starts there now */
                rc = srv_charge_recompute(rq->srv, rq->db, id);
        if (finish(rq, rs, rc, &e) == 0)
                srv_reply_json(rs, 201, account_answer(rq->db, id, NULL));
out:
        json_object_put(b);
}

/* After a closing: the account's final bills, settled now. */
static json_object *final_bills(struct srv_req *rq, int64_t id)
{
        struct srv_settle_summary sum = {0};

        sum.bills = json_object_new_array();
        srv_settle_account(rq->srv, rq->db, id, rq->auth.name, &sum);
        return sum.bills;
}

void srv_h_move_out(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"final_wh", "at", NULL};
        struct srv_register fin;
        struct srv_err e = {0};
        char state[16] = "";
        int64_t id = 0;
        json_object *b;
        int rc;

        if (event_of(rq, rs, keys, &b, &id, state) < 0)
                return;
        if (srv_register_field(b, "final_wh", &fin, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_lock(rq->db, SRV_LOCK_ACCOUNT, id);
        if (rc >= 0)
                rc = srv_supply_close(rq->db, id, "move_out", &fin, rq->auth.name, NULL);
        /* again after a move-out: its final bills once more (idempotent) */
        if (rc == 0 && strcmp(state, "closed") != 0) {
                srv_err_set(&e, 409, "no_meter", "", "account '%s' has no meter to move out of",
                            rq->params.v[0]);
                rc = -1;
        }
        if (rc >= 0)
                rc = srv_db_exec_args(rq->db,
                                      "UPDATE accounts SET state = 'closed', updated_at = $1"
                                      " WHERE id = $2",
                                      "ii", mb_realtime_s(), id);
        if (rc >= 0) /* charged up to the final register */
                rc = srv_charge_recompute(rq->srv, rq->db, id);
        if (finish(rq, rs, rc, &e) == 0)
                srv_reply_json(rs, 200, account_answer(rq->db, id, final_bills(rq, id)));
out:
        json_object_put(b);
}

/* Close `from`'s supply at the register (or the meter's newest reading) and
 * open `to`'s on the same meter at the same point with from's tier position:
 * the same supply point, a new holder. */
static int hand_over(struct srv_req *rq, int64_t from, int64_t to, const struct srv_register *fin,
                     struct srv_err *e)
{
        struct srv_charge_state cs;
        struct srv_register at = *fin;
        int64_t meter = 0;
        int rc = srv_supply_close(rq->db, from, "transfer", fin, rq->auth.name, &meter);

        if (rc == 0) {
                srv_err_set(e, 409, "no_meter", "", "account '%s' has no meter to hand over",
                            rq->params.v[0]);
                return -1;
        }
        if (rc > 0 && !at.given)
                rc = srv_meter_last(rq->db, meter, &at);
        if (rc >= 0)
                rc = srv_charge_recompute(rq->srv, rq->db, from);
        if (rc >= 0)
                rc = srv_charge_load(rq->db, from, &cs);
        if (rc >= 0)
                rc = srv_supply_open(rq->db, to, meter, "transfer", &at, cs.exists ? &cs.pos : NULL,
                                     rq->auth.name, NULL);
        srv_charge_fini(&cs);
        if (rc >= 0)
                rc = srv_charge_recompute(rq->srv, rq->db, to);
        return rc;
}

void srv_h_transfer(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"to", "final_wh", "at", NULL};
        const char *to;
        struct srv_register fin;
        struct srv_err e = {0};
        char state[16] = "", tstate[16] = "";
        int64_t id = 0, tid = 0, has = 0, ids[2];
        json_object *b;
        int rc;

        if (event_of(rq, rs, keys, &b, &id, state) < 0)
                return;
        if (srv_json_string(b, "to", "", 1, 64, &to, &e) < 0 ||
            srv_register_field(b, "final_wh", &fin, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if ((rc = account_of(rq->db, to, &tid, tstate)) == 0) {
                srv_reply_errorf(rs, 422, "unknown_account", "to", "no account '%s'", to);
                goto out;
        }
        if (rc > 0 && tid == id) {
                srv_reply_errorf(rs, 400, "bad_field", "to", "a holder changes to another account");
                goto out;
        }
        ids[0] = id < tid ? id : tid;
        ids[1] = id < tid ? tid : id;
        if (rc > 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_lock_many(rq->db, SRV_LOCK_ACCOUNT, ids, 2);
        if (rc >= 0 &&
            ((rc = open_meter(rq->db, tid, &has)) > 0 || strcmp(tstate, "closed") == 0)) {
                srv_err_set(&e, 409, "has_meter", "to",
                            "account '%s' already has a meter or is closed: the new holder's "
                            "account is a new one",
                            to);
                rc = -1;
        }
        if (rc >= 0)
                rc = hand_over(rq, id, tid, &fin, &e);
        if (rc >= 0)
                rc = srv_db_exec_args(rq->db,
                                      "UPDATE accounts SET state = 'closed', updated_at = $1"
                                      " WHERE id = $2",
                                      "ii", mb_realtime_s(), id);
        if (finish(rq, rs, rc, &e) == 0) {
                json_object *o = account_answer(rq->db, id, final_bills(rq, id));

                json_object_object_add(o, "to", account_answer(rq->db, tid, NULL));
                srv_reply_json(rs, 200, o);
        }
out:
        json_object_put(b);
}
