/* SPDX-License-Identifier: Apache-2.0 */
/* Accounts: create, update, show, list. */
#include "srv_accounts.h"

#include <stdio.h>
#include <string.h>

#include "mb_time.h"
#include "srv_tariffs.h"

#define MAX_FEN ((int64_t)1 << 50)

static const char *const modes[] = {"prepaid", "monthly", NULL};
static const char *const states[] = {"active", "suspended", "closed", NULL};

int srv_account_id(srv_db *db, const char *number, int64_t *id)
{
        return srv_db_query_i64(db, id, "SELECT id FROM accounts WHERE number = $1", "t", number);
}

int srv_meter_id(srv_db *db, const char *address, int64_t *id, int64_t *gateway_id)
{
        srv_stmt *st;
        int rc = srv_db_query(db, &st, "SELECT id, gateway_id FROM meters WHERE address = $1", "t",
                              address);

        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW) {
                *id = srv_stmt_i64(st, 0);
                if (gateway_id)
                        *gateway_id = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc;
}

/* Every optional field of create and update. */
struct account_fields {
        const char *holder, *address, *region;
        int mode, state, protect;
        int64_t alarm1, alarm2, credit, reconnect;
        int has_mode, has_state, has_protect, has_alarm1, has_alarm2, has_credit, has_reconnect;
        /* dunning terms of a monthly account (srv_dunning.h) */
        int64_t due_days, grace_days, trip_days;
        int has_due, has_grace, has_trip;
};

static int read_fields(json_object *b, struct account_fields *f, struct srv_err *e)
{
        int rc;

        f->holder = f->address = f->region = NULL;
        if (srv_json_string(b, "holder", "", 0, 256, &f->holder, e) < 0 ||
            srv_json_string(b, "address", "", 0, 512, &f->address, e) < 0 ||
            srv_json_string(b, "region", "", 0, 32, &f->region, e) < 0)
                return -1;
        if ((rc = srv_json_enum(b, "mode", "", 0, modes, &f->mode, e)) < 0)
                return -1;
        f->has_mode = rc;
        if ((rc = srv_json_enum(b, "state", "", 0, states, &f->state, e)) < 0)
                return -1;
        f->has_state = rc;
        if ((rc = srv_json_bool(b, "protected", "", 0, &f->protect, e)) < 0)
                return -1;
        f->has_protect = rc;
        if ((f->has_alarm1 =
                 srv_json_int(b, "alarm1_fen", "", 0, -MAX_FEN, MAX_FEN, &f->alarm1, e)) < 0 ||
            (f->has_alarm2 =
                 srv_json_int(b, "alarm2_fen", "", 0, -MAX_FEN, MAX_FEN, &f->alarm2, e)) < 0 ||
            (f->has_credit = srv_json_int(b, "credit_limit_fen", "", 0, -MAX_FEN, MAX_FEN,
                                          &f->credit, e)) < 0 ||
            (f->has_reconnect = srv_json_int(b, "reconnect_fen", "", 0, -MAX_FEN, MAX_FEN,
                                             &f->reconnect, e)) < 0 ||
            (f->has_due = srv_json_int(b, "due_days", "", 0, 0, 365, &f->due_days, e)) < 0 ||
            (f->has_grace = srv_json_int(b, "grace_days", "", 0, 0, 365, &f->grace_days, e)) < 0 ||
            (f->has_trip = srv_json_int(b, "overdue_trip_days", "", 0, -1, 365, &f->trip_days, e)) <
                0)
                return -1;
        return 0;
}

static const char *const account_keys[] = {"number",
                                           "holder",
                                           "address",
                                           "region",
                                           "mode",
                                           "state",
                                           "protected",
                                           "alarm1_fen",
                                           "alarm2_fen",
                                           "credit_limit_fen",
                                           "reconnect_fen",
                                           "due_days",
                                           "grace_days",
                                           "overdue_trip_days",
                                           NULL};

/* The account as JSON, or NULL when unknown (*rc 0) or on error (*rc < 0). */
static json_object *account_json(struct srv_req *rq, int64_t id, int *rc)
{
        srv_stmt *st;
        json_object *o = NULL;

        *rc = srv_db_query(rq->db, &st,
                           "SELECT a.number, a.holder, a.address, a.region, a.mode, a.state,"
                           " a.protected, a.balance_fen, a.alarm1_fen, a.alarm2_fen,"
                           " a.credit_limit_fen, a.reconnect_fen, a.created_at, a.updated_at,"
                           " m.address, c.month, c.charged_fen, g.name, a.due_days, a.grace_days,"
                           " a.overdue_trip_days"
                           " FROM accounts a LEFT JOIN meters m ON m.account_id = a.id"
                           " LEFT JOIN gateways g ON g.id = m.gateway_id"
                           " LEFT JOIN charge_state c ON c.account_id = a.id WHERE a.id = $1",
                           "i", id);
        if (*rc < 0)
                return NULL;
        *rc = srv_stmt_step(st);
        if (*rc == SRV_DB_ROW) {
                int monthly = strcmp(srv_stmt_text(st, 4), "monthly") == 0;
                int64_t month_charge = srv_stmt_is_null(st, 16) ? 0 : srv_stmt_i64(st, 16);

                o = json_object_new_object();
                srv_jadd_str(o, "number", srv_stmt_text(st, 0));
                srv_jadd_str(o, "holder", srv_stmt_text(st, 1));
                srv_jadd_str(o, "address", srv_stmt_text(st, 2));
                srv_jadd_str(o, "region", srv_stmt_text(st, 3));
                srv_jadd_str(o, "mode", srv_stmt_text(st, 4));
                srv_jadd_str(o, "state", srv_stmt_text(st, 5));
                srv_jadd_bool(o, "protected", (int)srv_stmt_i64(st, 6));
                srv_jadd_i64(o, "balance_fen", srv_stmt_i64(st, 7));
                srv_jadd_str(o, "charge_month", srv_stmt_text(st, 15));
                /* prepaid: already deducted this month; monthly: accrued, not yet
                 * deducted (the provisional charge shown beside the balance) */
                srv_jadd_i64(o, monthly ? "provisional_fen" : "month_charged_fen", month_charge);
                srv_jadd_i64(o, "alarm1_fen", srv_stmt_i64(st, 8));
                srv_jadd_i64(o, "alarm2_fen", srv_stmt_i64(st, 9));
                srv_jadd_i64(o, "credit_limit_fen", srv_stmt_i64(st, 10));
                srv_jadd_i64(o, "reconnect_fen", srv_stmt_i64(st, 11));
                srv_jadd_i64(o, "created_at", srv_stmt_i64(st, 12));
                srv_jadd_i64(o, "updated_at", srv_stmt_i64(st, 13));
                srv_jadd_str(o, "meter", srv_stmt_text(st, 14));
                srv_jadd_str(o, "gateway", srv_stmt_text(st, 17));
                /* dunning terms; null: server.conf's (settlement) */
                srv_jadd_i64_or_null(o, "due_days", srv_stmt_is_null(st, 18), srv_stmt_i64(st, 18));
                srv_jadd_i64_or_null(o, "grace_days", srv_stmt_is_null(st, 19),
                                     srv_stmt_i64(st, 19));
                srv_jadd_i64_or_null(o, "overdue_trip_days", srv_stmt_is_null(st, 20),
                                     srv_stmt_i64(st, 20));
                *rc = 1;
        }
        srv_stmt_done(st);
        if (o && *rc > 0) {
                char tid[72], hash[SRV_TOKEN_HASH_HEX + 1];
                const mb_tariff *t;
                int r = srv_tariff_for_account(rq->srv, rq->db, id, mb_realtime_s(), &t, tid, hash);

                if (r < 0) {
                        *rc = r;
                        json_object_put(o);
                        return NULL;
                }
                srv_jadd_str(o, "tariff", r > 0 ? tid : NULL);
        }
        return o;
}

/* The row a create writes: the fields given, server.conf's for the rest. */
struct account_row {
        const char *holder, *address, *region, *mode, *state;
        int64_t protect, alarm1, alarm2, credit, reconnect, due, grace, trip;
};

static void row_of(const struct account_fields *f, const struct srv_config *cfg,
                   struct account_row *r)
{
        r->holder = f->holder ? f->holder : "";
        r->address = f->address ? f->address : "";
        r->region = f->region ? f->region : "";
        r->mode = modes[f->has_mode ? f->mode : 0];
        r->state = states[f->has_state ? f->state : 0];
        r->protect = f->has_protect && f->protect;
        r->alarm1 = f->has_alarm1 ? f->alarm1 : cfg->alarm1_fen;
        r->alarm2 = f->has_alarm2 ? f->alarm2 : cfg->alarm2_fen;
        r->credit = f->has_credit ? f->credit : cfg->credit_limit_fen;
        r->reconnect = f->has_reconnect ? f->reconnect : cfg->reconnect_fen;
        r->due = f->has_due ? f->due_days : SRV_DB_NULL_I64;
        r->grace = f->has_grace ? f->grace_days : SRV_DB_NULL_I64;
        r->trip = f->has_trip ? f->trip_days : SRV_DB_NULL_I64;
}

/* A new account: its id (1), or 0 when the number exists: then *id is set
 * if it holds what this create would have written (the same request sent
 * again, docs/api.md Retries), else 0.  Or an error. */
static int insert(srv_db *db, const char *number, const struct account_row *r, int64_t *id)
{
        int rc = srv_db_query_i64(
            db, id,
            "INSERT INTO accounts (number, holder, address, region, mode, state, protected,"
            " alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at,"
            " due_days, grace_days, overdue_trip_days)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15)"
            " ON CONFLICT (number) DO NOTHING RETURNING id",
            "ttttttiiiiiiIII", number, r->holder, r->address, r->region, r->mode, r->state,
            r->protect, r->alarm1, r->alarm2, r->credit, r->reconnect, mb_realtime_s(), r->due,
            r->grace, r->trip);

        if (rc != 0)
                return rc;
        *id = 0;
        rc = srv_db_query_i64(
            db, id,
            "SELECT id FROM accounts WHERE number = $1 AND holder = $2 AND address = $3"
            " AND region = $4 AND mode = $5 AND state = $6 AND protected = $7"
            " AND alarm1_fen = $8 AND alarm2_fen = $9 AND credit_limit_fen = $10"
            " AND reconnect_fen = $11 AND due_days IS NOT DISTINCT FROM $12"
            " AND grace_days IS NOT DISTINCT FROM $13"
            " AND overdue_trip_days IS NOT DISTINCT FROM $14",
            "ttttttiiiiiIII", number, r->holder, r->address, r->region, r->mode, r->state,
            r->protect, r->alarm1, r->alarm2, r->credit, r->reconnect, r->due, r->grace, r->trip);
        return rc < 0 ? rc : 0;
}

/* Idempotent by number: the same create again answers 200 with the
 * account; another one with that number 409.  The answer is read before
 * the commit, so that nothing is left to fail after it. */
void srv_h_account_create(struct srv_req *rq, struct srv_resp *rs)
{
        struct account_fields f;
        struct account_row row;
        struct srv_err e;
        const char *number;
        json_object *b, *o = NULL;
        int64_t id = 0;
        int rc, created;

        if (srv_req_body(rq, rs, account_keys, &b) < 0)
                return;
        if (srv_json_string(b, "number", "", 1, 64, &number, &e) < 0 ||
            read_fields(b, &f, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (!srv_json_ident_ok(number)) {
                srv_reply_errorf(rs, 400, "bad_field", "number",
                                 "'number' may hold letters, digits, '-', '_' and '.'");
                goto out;
        }
        row_of(&f, rq->srv->cfg, &row);
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = created = insert(rq->db, number, &row, &id);
        if (rc >= 0 && id && (o = account_json(rq, id, &rc)) != NULL &&
            (rc = srv_db_commit(rq->db)) >= 0) {
                srv_reply_json(rs, created ? 201 : 200, o);
                goto out;
        }
        json_object_put(o);
        srv_db_rollback(rq->db);
        if (rc >= 0)
                srv_reply_errorf(rs, 409, "exists", "number",
                                 "account '%s' already exists with other fields", number);
        else
                srv_reply_db_error(rs, rq, rc);
out:
        json_object_put(b);
}

/* UPDATE one column when the field was given. */
static int set_text(srv_db *db, int64_t id, const char *sql, const char *v)
{
        return v ? srv_db_exec_args(db, sql, "ti", v, id) : 0;
}

static int set_int(srv_db *db, int64_t id, const char *sql, int has, int64_t v)
{
        return has ? srv_db_exec_args(db, sql, "ii", v, id) : 0;
}

static int apply_update(srv_db *db, int64_t id, const struct account_fields *f)
{
        int rc = srv_db_begin(db);

        if (rc >= 0)
                rc = set_text(db, id, "UPDATE accounts SET holder = $1 WHERE id = $2", f->holder);
        if (rc >= 0)
                rc = set_text(db, id, "UPDATE accounts SET address = $1 WHERE id = $2", f->address);
        if (rc >= 0)
                rc = set_text(db, id, "UPDATE accounts SET region = $1 WHERE id = $2", f->region);
        if (rc >= 0)
                rc = set_text(db, id, "UPDATE accounts SET mode = $1 WHERE id = $2",
                              f->has_mode ? modes[f->mode] : NULL);
        if (rc >= 0)
                rc = set_text(db, id, "UPDATE accounts SET state = $1 WHERE id = $2",
                              f->has_state ? states[f->state] : NULL);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET protected = $1 WHERE id = $2",
                             f->has_protect, f->protect);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET alarm1_fen = $1 WHERE id = $2",
                             f->has_alarm1, f->alarm1);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET alarm2_fen = $1 WHERE id = $2",
                             f->has_alarm2, f->alarm2);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET credit_limit_fen = $1 WHERE id = $2",
                             f->has_credit, f->credit);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET reconnect_fen = $1 WHERE id = $2",
                             f->has_reconnect, f->reconnect);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET due_days = $1 WHERE id = $2", f->has_due,
                             f->due_days);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET grace_days = $1 WHERE id = $2",
                             f->has_grace, f->grace_days);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET overdue_trip_days = $1 WHERE id = $2",
                             f->has_trip, f->trip_days);
        if (rc >= 0)
                rc = set_int(db, id, "UPDATE accounts SET updated_at = $1 WHERE id = $2", 1,
                             mb_realtime_s());
        if (rc >= 0)
                rc = srv_db_commit(db);
        if (rc < 0)
                srv_db_rollback(db);
        return rc;
}

void srv_h_account_update(struct srv_req *rq, struct srv_resp *rs)
{
        /* every field but the number (account_keys starts with it) */
        const char *const *keys = account_keys + 1;
        struct account_fields f;
        struct srv_err e;
        json_object *b, *o;
        int64_t id;
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (read_fields(b, &f, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = srv_account_id(rq->db, rq->params.v[0], &id);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
                goto out;
        }
        if (rc > 0)
                rc = apply_update(rq->db, id, &f);
        o = rc >= 0 ? account_json(rq, id, &rc) : NULL;
        if (o)
                srv_reply_json(rs, 200, o);
        else
                srv_reply_db_error(rs, rq, rc);
out:
        json_object_put(b);
}

void srv_h_account_show(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id;
        int rc = srv_account_id(rq->db, rq->params.v[0], &id);
        json_object *o = NULL;

        if (rc > 0)
                o = account_json(rq, id, &rc);
        if (rc == 0)
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
        else if (o)
                srv_reply_json(rs, 200, o);
        else
                srv_reply_db_error(rs, rq, rc);
}

void srv_h_account_list(struct srv_req *rq, struct srv_resp *rs)
{
        const char *region = srv_req_query(rq, "region"), *state = srv_req_query(rq, "state");
        const char *mode = srv_req_query(rq, "mode");
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st,
                              "SELECT a.number, a.holder, a.region, a.mode, a.state,"
                              " a.balance_fen, a.protected, m.address FROM accounts a"
                              " LEFT JOIN meters m ON m.account_id = a.id"
                              " WHERE (CAST($1 AS TEXT) IS NULL OR a.region = $1)"
                              " AND (CAST($2 AS TEXT) IS NULL OR a.state = $2)"
                              " AND (CAST($3 AS TEXT) IS NULL OR a.mode = $3) ORDER BY a.number",
                              "ttt", region, state, mode);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *x = json_object_new_object();

                srv_jadd_str(x, "number", srv_stmt_text(st, 0));
                srv_jadd_str(x, "holder", srv_stmt_text(st, 1));
                srv_jadd_str(x, "region", srv_stmt_text(st, 2));
                srv_jadd_str(x, "mode", srv_stmt_text(st, 3));
                srv_jadd_str(x, "state", srv_stmt_text(st, 4));
                srv_jadd_i64(x, "balance_fen", srv_stmt_i64(st, 5));
                srv_jadd_bool(x, "protected", (int)srv_stmt_i64(st, 6));
                srv_jadd_str(x, "meter", srv_stmt_text(st, 7));
                json_object_array_add(a, x);
        }
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "accounts", a);
}
