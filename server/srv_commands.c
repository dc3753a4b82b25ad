/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_commands.h"

#include <stdio.h>
#include <string.h>

#include "mb_time.h"
#include "srv_accounts.h"

static const char *const ops[] = {"trip", "close", "protect", "unprotect", NULL};

int srv_command_queue(srv_db *db, int64_t meter_id, const char *op, const char *reason,
                      const char *by, int ttl_s, int64_t *id)
{
        int64_t now = mb_realtime_s(), cid = 0;
        int rc = srv_db_query_i64(db, &cid,
                                  "INSERT INTO commands (meter_id, op, reason, by_name, issued_at,"
                                  " expires_at, state, updated_at)"
                                  " VALUES ($1, $2, $3, $4, $5, $6, 'pending', $5) RETURNING id",
                                  "itttii", meter_id, op, reason, by, now, now + ttl_s);

        if (rc < 0)
                return rc;
        if (strcmp(op, "protect") == 0 || strcmp(op, "unprotect") == 0) {
                rc = srv_db_exec_args(
                    db,
                    "UPDATE accounts SET protected = $1, updated_at = $2 WHERE id ="
                    " (SELECT account_id FROM meters WHERE id = $3)",
                    "iii", (int64_t)(op[0] == 'p'), now, meter_id);
                if (rc < 0)
                        return rc;
        }
        if (id)
                *id = cid;
        return MB_OK;
}

int srv_commands_for_gateway(srv_db *db, int64_t gateway_id, json_object **out)
{
        int64_t now = mb_realtime_s();
        json_object *map = json_object_new_object();
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT c.meter_id, c.id, c.op, c.reason, c.by_name, c.issued_at,"
                              " c.expires_at FROM meters m JOIN commands c ON c.meter_id = m.id"
                              " WHERE m.gateway_id = $1 AND c.state IN ('pending', 'delivered')"
                              " AND c.expires_at > $2 ORDER BY c.meter_id, c.id",
                              "ii", gateway_id, now);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *c = json_object_new_object(), *a = NULL;
                char key[24];

                snprintf(key, sizeof(key), "%lld", (long long)srv_stmt_i64(st, 0));
                if (!json_object_object_get_ex(map, key, &a)) {
                        a = json_object_new_array();
                        json_object_object_add(map, key, a);
                }
                srv_jadd_i64(c, "id", srv_stmt_i64(st, 1));
                srv_jadd_str(c, "op", srv_stmt_text(st, 2));
                srv_jadd_str(c, "reason", srv_stmt_text(st, 3));
                srv_jadd_str(c, "by", srv_stmt_text(st, 4));
                srv_jadd_i64(c, "issued_at", srv_stmt_i64(st, 5));
                srv_jadd_i64(c, "expires_at", srv_stmt_i64(st, 6));
                json_object_array_add(a, c);
        }
        srv_stmt_done(st);
        /* a batch of a gateway without commands, the usual one, stops here */
        if (rc >= 0 && json_object_object_length(map) > 0)
                rc = srv_db_exec_args(
                    db,
                    "UPDATE commands SET state = 'delivered', updated_at = $2"
                    " WHERE state = 'pending' AND expires_at > $2"
                    " AND meter_id IN (SELECT id FROM meters WHERE gateway_id = $1)",
                    "ii", gateway_id, now);
        if (rc < 0) {
                json_object_put(map);
                return rc;
        }
        *out = map;
        return MB_OK;
}

int srv_command_result(srv_db *db, int64_t gateway_id, int64_t command, const char *state,
                       const char *relay)
{
        int rc = srv_db_exec_args(db,
                                  "UPDATE commands SET state = $1, relay = $2, updated_at = $3"
                                  " WHERE id = $4 AND state IN ('pending', 'delivered') AND"
                                  " meter_id IN (SELECT id FROM meters WHERE gateway_id = $5)",
                                  "ttiii", state, relay, mb_realtime_s(), command, gateway_id);

        return rc < 0 ? rc : MB_OK;
}

static json_object *command_row(srv_stmt *st, int64_t now)
{
        json_object *c = json_object_new_object();

        srv_jadd_i64(c, "id", srv_stmt_i64(st, 0));
        srv_jadd_str(c, "meter", srv_stmt_text(st, 1));
        srv_jadd_str(c, "op", srv_stmt_text(st, 2));
        srv_jadd_str(c, "reason", srv_stmt_text(st, 3));
        srv_jadd_str(c, "by", srv_stmt_text(st, 4));
        srv_jadd_i64(c, "issued_at", srv_stmt_i64(st, 5));
        srv_jadd_i64(c, "expires_at", srv_stmt_i64(st, 6));
        srv_jadd_str(c, "state", srv_stmt_text(st, 7));
        srv_jadd_str(c, "relay", srv_stmt_text(st, 8));
        srv_jadd_i64(c, "updated_at", srv_stmt_i64(st, 9));
        srv_jadd_bool(c, "expired",
                      srv_stmt_i64(st, 6) <= now &&
                          (strcmp(srv_stmt_text(st, 7), "pending") == 0 ||
                           strcmp(srv_stmt_text(st, 7), "delivered") == 0));
        return c;
}

#define COMMAND_SELECT                                                                             \
        "SELECT c.id, m.address, c.op, c.reason, c.by_name, c.issued_at, c.expires_at, c.state,"   \
        " c.relay, c.updated_at FROM commands c JOIN meters m ON m.id = c.meter_id"

static void list(struct srv_req *rq, struct srv_resp *rs, const char *sql, const char *types,
                 const char *a1)
{
        int64_t now = mb_realtime_s();
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, sql, types, a1);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, command_row(st, now));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "commands", a);
}

void srv_h_command_list_meter(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id, gw = 0;
        int rc = srv_meter_id(rq->db, rq->params.v[0], &id, &gw);

        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        if (rc == 0 || (rq->auth.role == SRV_ROLE_GATEWAY && gw != rq->auth.gateway_id)) {
                srv_reply_errorf(rs, rc == 0 ? 404 : 403, rc == 0 ? "not_found" : "forbidden", "",
                                 rc == 0 ? "no meter '%s'"
                                         : "meter '%s' belongs to another gateway",
                                 rq->params.v[0]);
                return;
        }
        list(rq, rs, COMMAND_SELECT " WHERE m.address = $1 ORDER BY c.id", "t", rq->params.v[0]);
}

void srv_h_command_list(struct srv_req *rq, struct srv_resp *rs)
{
        const char *state = srv_req_query(rq, "state");

        list(rq, rs,
             COMMAND_SELECT " WHERE (CAST($1 AS TEXT) IS NULL OR c.state = $1) ORDER BY c.id", "t",
             state);
}

/* Command id as JSON (the caller's), or NULL with the error in *rc. */
static json_object *one(srv_db *db, int64_t id, int *rc)
{
        srv_stmt *st = NULL;
        json_object *o = NULL;

        *rc = srv_db_query(db, &st, COMMAND_SELECT " WHERE c.id = $1", "i", id);
        if (*rc >= 0 && (*rc = srv_stmt_step(st)) == SRV_DB_ROW)
                o = command_row(st, mb_realtime_s());
        srv_stmt_done(st);
        if (o == NULL && *rc >= 0)
                *rc = MB_ESTORE;
        return o;
}

void srv_h_command_issue(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"op", "reason", NULL};
        const char *reason;
        struct srv_err e;
        json_object *b, *o = NULL;
        int64_t meter_id, id = 0;
        int op, rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_enum(b, "op", "", 1, ops, &op, &e) < 0 ||
            srv_json_string(b, "reason", "", 1, 512, &reason, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = srv_meter_id(rq->db, rq->params.v[0], &meter_id, NULL);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no meter '%s'", rq->params.v[0]);
                goto out;
        }
        if (rc > 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_command_queue(rq->db, meter_id, ops[op], reason, rq->auth.name,
                                       rq->srv->cfg->command_ttl_s, &id);
        /* the answer is read before the commit: nothing is left to fail
         * after it (a failover then would leave the client unsure) */
        if (rc >= 0 && (o = one(rq->db, id, &rc)) != NULL && (rc = srv_db_commit(rq->db)) < 0) {
                json_object_put(o);
                o = NULL;
        }
        if (o == NULL) {
                srv_db_rollback(rq->db);
                srv_reply_db_error(rs, rq, rc);
                goto out;
        }
        srv_reply_json(rs, 201, o);
out:
        json_object_put(b);
}
