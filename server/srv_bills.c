/* SPDX-License-Identifier: Apache-2.0 */
/* Bills and the month close over HTTP. */
#include <stdio.h>
#include <string.h>

#include "mb_tariff_wire.h"
#include "srv_accounts.h"
#include "srv_settle.h"

#define BILL_COLUMNS                                                                               \
        "SELECT a.number, b.month, b.state, b.mode, b.energy_wh, b.total_fen, b.flags,"            \
        " b.posted_fen, b.charged_fen, b.tariff_id, b.tariff_hash, b.from_ts, b.to_ts,"            \
        " b.from_import_wh, b.to_import_wh, b.prev_wh, b.prev_fen, b.last_year_wh,"                \
        " b.last_year_fen, b.lines, b.ledger_id, b.created_at, b.settled_at, m.address,"           \
        " b.reason, b.pieces, b.plan, b.due_at, b.grace_until, b.dunning"                          \
        " FROM bills b JOIN accounts a ON a.id = b.account_id"                                     \
        " LEFT JOIN meters m ON m.id = b.meter_id"

static void add_opt(json_object *o, const char *k, srv_stmt *st, int col)
{
        srv_jadd_i64_or_null(o, k, srv_stmt_is_null(st, col), srv_stmt_i64(st, col));
}

/* Difference against a reference month, or null. */
static void add_delta(json_object *o, const char *k, srv_stmt *st, int cur, int ref)
{
        int null = srv_stmt_is_null(st, cur) || srv_stmt_is_null(st, ref);

        srv_jadd_i64_or_null(o, k, null, srv_stmt_i64(st, cur) - srv_stmt_i64(st, ref));
}

static json_object *bill_json(srv_stmt *st, int full)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "account", srv_stmt_text(st, 0));
        srv_jadd_str(o, "month", srv_stmt_text(st, 1));
        srv_jadd_str(o, "state", srv_stmt_text(st, 2));
        srv_jadd_str(o, "mode", srv_stmt_text(st, 3));
        add_opt(o, "energy_wh", st, 4);
        add_opt(o, "total_fen", st, 5);
        json_object_object_add(o, "flags", srv_jparse_stored(srv_stmt_text(st, 6)));
        add_opt(o, "posted_fen", st, 7);
        srv_jadd_str(o, "reason", srv_stmt_text(st, 24)); /* why it is held, or null */
        if (!full)
                return o;
        add_opt(o, "charged_fen", st, 8);
        srv_jadd_str(o, "tariff", srv_stmt_text(st, 9));
        srv_jadd_str(o, "tariff_hash", srv_stmt_text(st, 10));
        srv_jadd_str(o, "meter", srv_stmt_text(st, 23));
        add_opt(o, "from_ts", st, 11);
        add_opt(o, "to_ts", st, 12);
        add_opt(o, "from_import_wh", st, 13);
        add_opt(o, "to_import_wh", st, 14);
        add_opt(o, "prev_energy_wh", st, 15);
        add_opt(o, "prev_total_fen", st, 16);
        add_delta(o, "change_wh", st, 4, 15);
        add_delta(o, "change_fen", st, 5, 16);
        add_opt(o, "last_year_energy_wh", st, 17);
        add_opt(o, "last_year_total_fen", st, 18);
        add_delta(o, "change_year_wh", st, 4, 17);
        add_delta(o, "change_year_fen", st, 5, 18);
        json_object_object_add(o, "lines", srv_jparse_stored(srv_stmt_text(st, 19)));
        /* each meter's part of the month (more than one after an exchange) */
        json_object_object_add(o, "pieces", srv_jparse_stored(srv_stmt_text(st, 25)));
        /* the tariffs of the month when it changed inside it, else null */
        json_object_object_add(o, "tariffs", srv_jparse_stored(srv_stmt_text(st, 26)));
        /* a monthly bill: issued at settlement, due, grace, dunning state */
        add_opt(o, "due_at", st, 27);
        add_opt(o, "grace_until", st, 28);
        srv_jadd_str(o, "dunning", srv_stmt_text(st, 29));
        add_opt(o, "ledger_id", st, 20);
        add_opt(o, "created_at", st, 21);
        add_opt(o, "settled_at", st, 22);
        return o;
}

static void bill_query(struct srv_req *rq, struct srv_resp *rs, const char *sql, const char *types,
                       const char *a1, const char *a2, int one)
{
        json_object *a = json_object_new_array(), *o;
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, sql, types, a1, a2);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, bill_json(st, one));
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(a);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        if (one) {
                if (json_object_array_length(a) == 0)
                        srv_reply_errorf(rs, 404, "not_found", "", "no bill for %s in %s", a1, a2);
                else
                        srv_reply_json(rs, 200, json_object_get(json_object_array_get_idx(a, 0)));
                json_object_put(a);
                return;
        }
        o = json_object_new_object();
        json_object_object_add(o, "bills", a);
        srv_reply_json(rs, 200, o);
}

void srv_h_bill_list(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id;
        int rc = srv_account_id(rq->db, rq->params.v[0], &id);

        if (rc <= 0) {
                if (rc == 0)
                        srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'",
                                         rq->params.v[0]);
                else
                        srv_reply_db_error(rs, rq, rc);
                return;
        }
        bill_query(rq, rs, BILL_COLUMNS " WHERE a.number = $1 ORDER BY b.month", "t",
                   rq->params.v[0], NULL, 0);
}

void srv_h_bill_show(struct srv_req *rq, struct srv_resp *rs)
{
        bill_query(rq, rs, BILL_COLUMNS " WHERE a.number = $1 AND b.month = $2", "tt",
                   rq->params.v[0], rq->params.v[1], 1);
}

void srv_h_bills_month(struct srv_req *rq, struct srv_resp *rs)
{
        bill_query(rq, rs,
                   BILL_COLUMNS " WHERE (CAST($1 AS TEXT) IS NULL OR b.month = $1)"
                                " AND (CAST($2 AS TEXT) IS NULL OR b.state = $2)"
                                " ORDER BY b.month, a.number",
                   "tt", srv_req_query(rq, "month"), srv_req_query(rq, "state"), 0);
}
