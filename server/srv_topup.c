/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_topup.h"

#include <stdio.h>
#include <string.h>

#include "srv_accounts.h"
#include "srv_dunning.h"
#include "srv_ledger.h"

#define MAX_AMOUNT ((int64_t)1000000000000) /* 10^10 yuan: anything beyond is a typo */

struct money_req {
        const char *kind; /* SRV_LEDGER_* */
        int sign;         /* +1 credit, -1 debit, 0 signed amount (adjustment) */
        int need_reference;
        int need_reason;
        int capped; /* a debit above the balance only when stated (over_balance) */
};

/* A refund above the balance: refused (409, the balance in *balance) unless
 * the operator said so.  MB_OK, MB_ESTATE with e set, or an error. */
static int within_balance(srv_db *db, int64_t account_id, int64_t amount, int64_t *balance,
                          struct srv_err *e)
{
        int rc = srv_db_query_i64(db, balance, "SELECT balance_fen FROM accounts WHERE id = $1",
                                  "i", account_id);

        if (rc < 0 || -amount <= *balance)
                return rc < 0 ? rc : MB_OK;
        srv_err_set(e, 409, "insufficient_balance", "amount_fen",
                    "a refund of %lld fen is above the balance of %lld fen; give "
                    "\"over_balance\": true to refund it anyway",
                    (long long)-amount, (long long)*balance);
        return MB_ESTATE;
}

static json_object *entry_json(srv_db *db, int64_t ledger_id)
{
        srv_stmt *st = NULL;
        json_object *o = NULL;

        if (srv_db_query(db, &st, "SELECT " SRV_LEDGER_COLUMNS " FROM ledger WHERE id = $1", "i",
                         ledger_id) >= 0 &&
            srv_stmt_step(st) == SRV_DB_ROW)
                o = srv_ledger_row_json(st);
        srv_stmt_done(st);
        return o;
}

/* An earlier payment with this reference: 1 (*ledger_id; 409 in e when it
 * differs), 0 none, or error. */
static int earlier(srv_db *db, const char *reference, const char *kind, int64_t account_id,
                   int64_t amount, int64_t *ledger_id, struct srv_err *e)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT kind, account_id, amount_fen, ledger_id FROM payments"
                              " WHERE reference = $1",
                              "t", reference);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (strcmp(srv_stmt_text(st, 0), kind) != 0 || srv_stmt_i64(st, 1) != account_id ||
                    srv_stmt_i64(st, 2) != amount) {
                        srv_err_set(e, 409, "conflict", "reference",
                                    "reference '%s' was already used for a %s of %lld fen%s",
                                    reference, srv_stmt_text(st, 0), (long long)srv_stmt_i64(st, 2),
                                    srv_stmt_i64(st, 1) != account_id ? " to another account" : "");
                        rc = MB_EEXIST;
                } else {
                        *ledger_id = srv_stmt_i64(st, 3);
                        rc = 1;
                }
        }
        srv_stmt_done(st);
        return rc;
}

static int post_money(struct srv_req *rq, const struct money_req *m, int64_t account_id,
                      int64_t amount, const char *reference, const char *reason, int over,
                      int64_t *ledger_id, int64_t *balance, int *duplicate, struct srv_err *e)
{
        struct srv_ledger_entry le = {.kind = m->kind,
                                      .amount_fen = amount,
                                      .reference = reference,
                                      .reason = reason,
                                      .by = rq->auth.name};
        int rc = srv_db_begin(rq->db);

        *duplicate = 0;
        /* the payment reference check and the post, one server at a time */
        if (rc == MB_OK)
                rc = srv_db_lock(rq->db, SRV_LOCK_ACCOUNT, account_id);
        if (rc == MB_OK && reference) {
                rc = earlier(rq->db, reference, m->kind, account_id, amount, ledger_id, e);
                if (rc == 1) {
                        *duplicate = 1;
                        return srv_db_rollback(rq->db);
                }
        }
        if (rc >= 0 && m->capped && !over)
                rc = within_balance(rq->db, account_id, amount, balance, e);
        if (rc >= 0)
                rc = srv_ledger_post(rq->db, account_id, &le, ledger_id, NULL);
        /* money in: pending dunning and queued trips may be over */
        if (rc >= 0 && amount > 0)
                rc = srv_dunning_on_money(rq->srv, rq->db, account_id);
        if (rc >= 0 && reference)
                rc = srv_db_exec_args(rq->db,
                                      "INSERT INTO payments (reference, kind, account_id,"
                                      " amount_fen, ledger_id) VALUES ($1, $2, $3, $4, $5)",
                                      "ttiii", reference, m->kind, account_id, amount, *ledger_id);
        if (rc >= 0)
                rc = srv_db_commit(rq->db);
        if (rc < 0)
                srv_db_rollback(rq->db);
        return rc < 0 ? rc : MB_OK;
}

static void money(struct srv_req *rq, struct srv_resp *rs, const struct money_req *m)
{
        static const char *const keys[] = {"amount_fen", "reference", "reason", NULL};
        static const char *const capped_keys[] = {"amount_fen", "reference", "reason",
                                                  "over_balance", NULL};
        const char *reference = NULL, *reason = NULL;
        int64_t amount, account_id, ledger_id = 0, balance = 0;
        struct srv_err e = {0};
        json_object *b, *o;
        int rc, dup, over = 0;

        if (srv_req_body(rq, rs, m->capped ? capped_keys : keys, &b) < 0)
                return;
        if (srv_json_bool(b, "over_balance", "", 0, &over, &e) < 0 ||
            srv_json_int(b, "amount_fen", "", 1, m->sign ? 0 : -MAX_AMOUNT, MAX_AMOUNT, &amount,
                         &e) < 0 ||
            srv_json_string(b, "reference", "", m->need_reference, 128, &reference, &e) < 0 ||
            srv_json_string(b, "reason", "", m->need_reason, 512, &reason, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (amount == 0) {
                srv_reply_errorf(rs, 400, "out_of_range", "amount_fen",
                                 "'amount_fen' must not be zero");
                goto out;
        }
        rc = srv_account_id(rq->db, rq->params.v[0], &account_id);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
                goto out;
        }
        if (rc > 0)
                rc = post_money(rq, m, account_id, m->sign ? m->sign * amount : amount, reference,
                                reason, over, &ledger_id, &balance, &dup, &e);
        /* Another server posted the same reference to another account between
         * our check and our insert (each held only its own account's lock),
         * and its row won: decide again, now that it is there to see. */
        if (rc == MB_EEXIST && !e.status && reference)
                rc = post_money(rq, m, account_id, m->sign ? m->sign * amount : amount, reference,
                                reason, over, &ledger_id, &balance, &dup, &e);
        if (rc == MB_ESTATE && e.status) { /* above the balance: say what it is */
                json_object *j = srv_err_json(&e), *err;

                if (json_object_object_get_ex(j, "error", &err))
                        srv_jadd_i64(err, "balance_fen", balance);
                srv_reply_json(rs, e.status, j);
                goto out;
        }
        if (rc == MB_EEXIST && e.status) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                goto out;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "account", rq->params.v[0]);
        srv_jadd_bool(o, "duplicate", dup);
        json_object_object_add(o, "entry", entry_json(rq->db, ledger_id));
        srv_reply_json(rs, dup ? 200 : 201, o);
out:
        json_object_put(b);
}

void srv_h_topup(struct srv_req *rq, struct srv_resp *rs)
{
        static const struct money_req m = {SRV_LEDGER_TOPUP, 1, 1, 0, 0};

        money(rq, rs, &m);
}

void srv_h_refund(struct srv_req *rq, struct srv_resp *rs)
{
        static const struct money_req m = {SRV_LEDGER_REFUND, -1, 0, 1, 1};

        money(rq, rs, &m);
}

void srv_h_adjustment(struct srv_req *rq, struct srv_resp *rs)
{
        static const struct money_req m = {SRV_LEDGER_ADJUST, 0, 0, 1, 0};

        money(rq, rs, &m);
}
