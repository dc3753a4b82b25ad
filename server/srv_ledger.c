/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_ledger.h"

#include "mb_time.h"
#include "srv.h"

int srv_ledger_post(srv_db *db, int64_t account_id, const struct srv_ledger_entry *e,
                    int64_t *ledger_id, int64_t *balance_after)
{
        int64_t before = 0;
        /* read-modify-write of the balance: one server at a time per account */
        int rc = srv_db_lock(db, SRV_LOCK_ACCOUNT, account_id);

        if (rc == MB_OK)
                rc = srv_db_query_i64(db, &before, "SELECT balance_fen FROM accounts WHERE id = $1",
                                      "i", account_id);
        if (rc < 0)
                return rc;
        if (rc == 0)
                return MB_ENOENT;
        return srv_ledger_post_from(db, account_id, before, e, ledger_id, balance_after);
}

int srv_ledger_post_from(srv_db *db, int64_t account_id, int64_t before,
                         const struct srv_ledger_entry *e, int64_t *ledger_id,
                         int64_t *balance_after)
{
        int64_t bal = 0, id = 0;
        int rc;

        if (__builtin_add_overflow(before, e->amount_fen, &bal))
                return MB_ERANGE;
        /* its outcome comes with the insert's (srv_db_exec_later) */
        rc = srv_db_exec_later(db, "UPDATE accounts SET balance_fen = $1 WHERE id = $2", "ii", bal,
                               account_id);
        if (rc < 0)
                return rc;
        rc = srv_db_query_i64(db, &id,
                              "INSERT INTO ledger (account_id, ts, kind, amount_fen,"
                              " balance_after_fen, month, reference, reason, by_name)"
                              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                              "iitiittt"
                              "t",
                              account_id, mb_realtime_s(), e->kind, e->amount_fen, bal, e->month,
                              e->reference, e->reason, e->by ? e->by : "server");
        if (rc < 0)
                return rc;
        if (ledger_id)
                *ledger_id = id;
        if (balance_after)
                *balance_after = bal;
        return MB_OK;
}

json_object *srv_ledger_row_json(srv_stmt *st)
{
        json_object *o = json_object_new_object();

        srv_jadd_i64(o, "id", srv_stmt_i64(st, 0));
        srv_jadd_i64(o, "ts", srv_stmt_i64(st, 1));
        srv_jadd_str(o, "kind", srv_stmt_text(st, 2));
        srv_jadd_i64(o, "amount_fen", srv_stmt_i64(st, 3));
        srv_jadd_i64(o, "balance_after_fen", srv_stmt_i64(st, 4));
        srv_jadd_str(o, "month", srv_stmt_text(st, 5));
        srv_jadd_str(o, "reference", srv_stmt_text(st, 6));
        srv_jadd_str(o, "reason", srv_stmt_text(st, 7));
        srv_jadd_str(o, "by", srv_stmt_text(st, 8));
        return o;
}
