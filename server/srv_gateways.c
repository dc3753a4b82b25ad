/* SPDX-License-Identifier: Apache-2.0 */
/* Gateways (register, list, show) and meter bindings. */
#include <stdio.h>
#include <string.h>

#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_areas.h"
#include "srv_auth.h"
#include "srv_snapshot.h"
#include "srv_reading_check.h"
#include "srv_supply.h"
#include "srv_token.h"
#include "srv_uplink.h"
#include "mb_cmdsig.h"

static json_object *gateway_json(srv_stmt *st)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "name", srv_stmt_text(st, 1));
        srv_jadd_str(o, "region", srv_stmt_text(st, 2));
        srv_jadd_i64(o, "created_at", srv_stmt_i64(st, 3));
        srv_jadd_i64_or_null(o, "last_seen", srv_stmt_is_null(st, 4), srv_stmt_i64(st, 4));
        srv_jadd_i64(o, "events_upto", srv_stmt_i64(st, 5));
        srv_jadd_i64(o, "meters", srv_stmt_i64(st, 6));
        json_object_object_add(o, "uplink", srv_uplink_json(st, 7));
        return o;
}

#define GATEWAY_SELECT                                                                             \
        "SELECT g.id, g.name, g.region, g.created_at, g.last_seen, g.events_upto,"                 \
        " (SELECT count(*) FROM meters m WHERE m.gateway_id = g.id), " SRV_UPLINK_COLUMNS          \
        " FROM gateways g" SRV_UPLINK_JOIN

void srv_h_gateway_register(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"name", "region", NULL};
        char token[SRV_TOKEN_MAX], tname[80];
        const char *name, *region = "";
        struct srv_err e;
        json_object *b, *o;
        int64_t id = 0;
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_string(b, "name", "", 1, 64, &name, &e) < 0 ||
            srv_json_string(b, "region", "", 0, 32, &region, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (!srv_json_ident_ok(name)) {
                srv_reply_errorf(rs, 400, "bad_field", "name",
                                 "'name' may hold letters, digits, '-', '_' and '.'");
                goto out;
        }
        snprintf(tname, sizeof(tname), "gateway:%s", name);
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &id,
                                      "INSERT INTO gateways (name, region, created_at)"
                                      " VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING"
                                      " RETURNING id",
                                      "tti", name, region, mb_realtime_s());
        if (rc == 0) {
                srv_db_rollback(rq->db);
                srv_reply_errorf(rs, 409, "exists", "name", "gateway '%s' is already registered",
                                 name);
                goto out;
        }
        if (rc >= 0)
                rc = srv_auth_create_token(rq->db, tname, SRV_ROLE_GATEWAY, id, token);
        if (srv_req_commit(rq, rs, rc) < 0)
                goto out;
        o = json_object_new_object();
        srv_jadd_str(o, "name", name);
        srv_jadd_str(o, "region", region);
        srv_jadd_str(o, "token", token);
        if (rq->srv->cfg->cmd_secret_len) {
                char key[MB_CMDSIG_HEX];
                mb_cmdsig_gateway_key(rq->srv->cfg->cmd_secret, rq->srv->cfg->cmd_secret_len, name,
                                      key);
                srv_jadd_str(o, "command_key", key);
        }
        srv_jadd_str(o, "note", "the token is shown only once; store it in the gateway's config");
        srv_reply_json(rs, 201, o);
out:
        json_object_put(b);
}

void srv_h_gateway_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, GATEWAY_SELECT " ORDER BY g.name", "");

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, gateway_json(st));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "gateways", a);
}

static json_object *meter_json(srv_stmt *st)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "meter", srv_stmt_text(st, 0));
        srv_jadd_str(o, "gateway", srv_stmt_text(st, 1));
        srv_jadd_str(o, "account", srv_stmt_text(st, 2));
        srv_jadd_str(o, "holder", srv_stmt_text(st, 3));
        srv_jadd_i64(o, "high_seq", srv_stmt_i64(st, 4));
        srv_jadd_i64_or_null(o, "last_ts", srv_stmt_is_null(st, 5), srv_stmt_i64(st, 5));
        srv_jadd_i64_or_null(o, "last_import_wh", srv_stmt_is_null(st, 6), srv_stmt_i64(st, 6));
        return o;
}

#define METER_SELECT                                                                               \
        "SELECT m.address, g.name, a.number, a.holder, m.high_seq, m.last_ts, m.last_import_wh"    \
        " FROM meters m JOIN gateways g ON g.id = m.gateway_id"                                    \
        " LEFT JOIN accounts a ON a.id = m.account_id"

void srv_h_gateway_show(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *o = NULL, *meters = json_object_new_array();
        srv_stmt *st = NULL;
        int64_t id = 0;
        int rc =
            srv_db_query(rq->db, &st, GATEWAY_SELECT " WHERE g.name = $1", "t", rq->params.v[0]);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                id = srv_stmt_i64(st, 0);
                o = gateway_json(st);
        }
        srv_stmt_done(st);
        if (rc >= 0 &&
            (o == NULL || (rq->auth.role == SRV_ROLE_GATEWAY && id != rq->auth.gateway_id))) {
                json_object_put(o);
                json_object_put(meters);
                if (rq->auth.role == SRV_ROLE_GATEWAY)
                        srv_reply_errorf(rs, 403, "forbidden", "",
                                         "a gateway token may only read its own gateway");
                else
                        srv_reply_errorf(rs, 404, "not_found", "", "no gateway '%s'",
                                         rq->params.v[0]);
                return;
        }
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  METER_SELECT " WHERE m.gateway_id = $1 ORDER BY m.address", "i",
                                  id);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(meters, meter_json(st));
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(o);
                json_object_put(meters);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        json_object_object_add(o, "meter_list", meters);
        srv_reply_json(rs, 200, o);
}

void srv_h_meter_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st,
                              METER_SELECT " WHERE (CAST($1 AS TEXT) IS NULL OR g.name = $1)"
                                           " ORDER BY m.address",
                              "t", srv_req_query(rq, "gateway"));

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, meter_json(st));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "meters", a);
}

void srv_h_meter_show(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id, gw = 0;
        json_object *o;
        int rc = srv_meter_id(rq->db, rq->params.v[0], &id, &gw);

        if (rc == 0 || (rc > 0 && rq->auth.role == SRV_ROLE_GATEWAY && gw != rq->auth.gateway_id)) {
                /* a gateway learns nothing about other gateways' meters */
                if (rq->auth.role == SRV_ROLE_GATEWAY)
                        srv_reply_errorf(rs, 403, "forbidden", "",
                                         "meter '%s' is not bound to this gateway",
                                         rq->params.v[0]);
                else
                        srv_reply_errorf(rs, 404, "not_found", "", "no meter '%s'",
                                         rq->params.v[0]);
                return;
        }
        if (rc > 0)
                rc = srv_snapshot_meter(rq->srv, rq->db, id, NULL, &o);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        srv_reply_json(rs, 200, o);
}

static void show_meter(struct srv_req *rq, struct srv_resp *rs, int64_t mid)
{
        srv_stmt *st = NULL;
        json_object *o = NULL;
        int rc = srv_db_query(rq->db, &st, METER_SELECT " WHERE m.id = $1", "i", mid);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                o = meter_json(st);
        srv_stmt_done(st);
        if (o)
                srv_reply_json(rs, 200, o);
        else
                srv_reply_db_error(rs, rq, rc < 0 ? rc : MB_ESTORE);
}

/* Bind (or create) meter `address`: to a gateway, and to an account with the
 * holder's name and address. */
void srv_h_meter_bind(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"gateway", "account",     "holder",
                                           "address", "rollover_wh", NULL};
        const char *gateway = NULL, *number = NULL, *holder = NULL, *addr = NULL;
        int64_t range = 0;
        int has_range;
        const char *meter = rq->params.v[0];
        int64_t gw = 0, account = 0, mid = 0, mgw = 0, bound = 0;
        struct srv_err e;
        json_object *b;
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_string(b, "gateway", "", 0, 64, &gateway, &e) < 0 ||
            srv_json_string(b, "account", "", 0, 64, &number, &e) < 0 ||
            srv_json_string(b, "holder", "", 0, 256, &holder, &e) < 0 ||
            srv_json_string(b, "address", "", 0, 512, &addr, &e) < 0 ||
            (has_range =
                 srv_json_int(b, "rollover_wh", "", 0, 0, SRV_BILLABLE_MAX_WH, &range, &e)) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (json_object_object_get_ex(b, "account", NULL) && number == NULL) {
                /* unbinding would leave the account's month without its end */
                srv_reply_errorf(rs, 409, "use_move_out", "account",
                                 "a meter leaves its account by a move-out (POST "
                                 "/api/v1/accounts/NUMBER/move-out) or a meter exchange (POST "
                                 "/api/v1/meters/ADDRESS/exchange)");
                goto out;
        }
        if (strlen(meter) >= 32) {
                srv_reply_errorf(rs, 400, "bad_field", "meter",
                                 "a meter address has at most 31 bytes");
                goto out;
        }
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_meter_id(rq->db, meter, &mid, &mgw);
        if (rc >= 0 && gateway) {
                rc = srv_db_query_i64(rq->db, &gw, "SELECT id FROM gateways WHERE name = $1", "t",
                                      gateway);
                if (rc == 0) {
                        srv_err_set(&e, 422, "unknown_gateway", "gateway", "no gateway '%s'",
                                    gateway);
                        goto fail;
                }
        }
        if (rc >= 0 && number) {
                rc = srv_account_id(rq->db, number, &account);
                if (rc == 0) {
                        srv_err_set(&e, 422, "unknown_account", "account", "no account '%s'",
                                    number);
                        goto fail;
                }
        }
        if (rc >= 0 && mid == 0 && gw == 0) {
                srv_err_set(&e, 400, "missing_field", "gateway",
                            "a new meter needs the 'gateway' that reads it");
                goto fail;
        }
        if (rc >= 0 && account) {
                rc =
                    srv_db_query_i64(rq->db, &bound,
                                     "SELECT coalesce(sum(CASE WHEN id <> $2 THEN 1 ELSE 0 END), 0)"
                                     " FROM meters WHERE account_id = $1",
                                     "ii", account, mid);
                if (rc >= 0 && bound > 0) {
                        srv_err_set(&e, 409, "conflict", "account",
                                    "account '%s' is already bound to another meter", number);
                        goto fail;
                }
                rc = rc < 0 ? rc
                            : srv_db_query_i64(rq->db, &bound,
                                               "SELECT coalesce(account_id, 0) FROM meters"
                                               " WHERE id = $1",
                                               "i", mid);
                if (rc > 0 && bound != 0 && bound != account) {
                        srv_err_set(&e, 409, "conflict", "account",
                                    "meter '%s' is already bound to another account", meter);
                        goto fail;
                }
        }
        /* an area's main meter measures a transformer, billed to no one */
        if (rc >= 0 && account && mid &&
            (rc = srv_area_is_main(rq->db, mid, mb_realtime_s())) > 0) {
                srv_err_set(&e, 409, "main_meter", "account",
                            "meter '%s' is a transformer area's main meter", meter);
                goto fail;
        }
        if (rc >= 0 && mid == 0)
                rc = srv_db_query_i64(rq->db, &mid,
                                      "INSERT INTO meters (address, gateway_id, bound_at)"
                                      " VALUES ($1, $2, $3) RETURNING id",
                                      "tii", meter, gw, mb_realtime_s());
        if (rc >= 0 && gw)
                rc = srv_db_exec_args(rq->db, "UPDATE meters SET gateway_id = $1 WHERE id = $2",
                                      "ii", gw, mid);
        /* a new binding opens a supply: the account is measured from the
         * meter's next reading (srv_supply.h) */
        if (rc >= 0 && account && bound != account)
                rc = srv_supply_open(rq->db, account, mid, "bind", NULL, NULL, rq->auth.name, NULL);
        /* the register's range: it wraps there (0: it never does) */
        if (rc >= 0 && has_range)
                rc = srv_db_exec_args(rq->db, "UPDATE meters SET rollover_wh = $1 WHERE id = $2",
                                      "Ii", range ? range : SRV_DB_NULL_I64, mid);
        if (rc >= 0 && account && holder)
                rc = srv_db_exec_args(rq->db, "UPDATE accounts SET holder = $1 WHERE id = $2", "ti",
                                      holder, account);
        if (rc >= 0 && account && addr)
                rc = srv_db_exec_args(rq->db, "UPDATE accounts SET address = $1 WHERE id = $2",
                                      "ti", addr, account);
        if (srv_req_commit(rq, rs, rc) < 0)
                goto out;
        show_meter(rq, rs, mid);
        goto out;
fail:
        srv_db_rollback(rq->db);
        srv_reply_error(rs, &e);
out:
        json_object_put(b);
}

/* POST /api/v1/gateways/NAME/token: a new token for a gateway (a stolen or
 * leaked one is then worthless); every older token of it is revoked in the
 * same transaction.  The new token is shown once. */
void srv_h_gateway_rotate(struct srv_req *rq, struct srv_resp *rs)
{
        const char *name = rq->params.v[0];
        char token[SRV_TOKEN_MAX], tname[160];
        int64_t id = 0;
        json_object *o;
        int rc = srv_db_begin(rq->db);

        snprintf(tname, sizeof(tname), "gateway:%s", name);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &id, "SELECT id FROM gateways WHERE name = $1", "t",
                                      name);
        if (rc == 0 || (rc >= 0 && id == 0)) {
                srv_db_rollback(rq->db);
                srv_reply_errorf(rs, 404, "not_found", "", "no gateway '%s'", name);
                return;
        }
        /* Revoked tokens keep their row (the audit log names them) under a
         * name of their own, so the gateway's name is free for the new one. */
        if (rc >= 0)
                rc = srv_db_exec_args(
                    rq->db,
                    "UPDATE tokens SET revoked = 1, name = name || ':revoked:' || id"
                    " WHERE gateway_id = $1 AND revoked = 0",
                    "i", id);
        if (rc >= 0)
                rc = srv_auth_create_token(rq->db, tname, SRV_ROLE_GATEWAY, id, token);
        if (srv_req_commit(rq, rs, rc) < 0)
                return;
        o = json_object_new_object();
        srv_jadd_str(o, "name", name);
        srv_jadd_str(o, "token", token);
        srv_jadd_str(o, "note", "the old token no longer works; this one is shown only once");
        srv_reply_json(rs, 201, o);
}
