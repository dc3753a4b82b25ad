/* SPDX-License-Identifier: Apache-2.0 */
/* A gateway's uplink: read from its batch, kept, shown (srv_uplink.h). */
#include "srv_uplink.h"

#include <string.h>

#include "srv.h"

#define PATH "uplink"

static int text(json_object *o, const char *key, size_t max, const char **out, struct srv_err *e)
{
        return srv_json_string(o, key, PATH, 0, max, out, e) < 0 ? -1 : 0;
}

static int number(json_object *o, const char *key, int64_t min, int64_t max, int64_t *out,
                  struct srv_err *e)
{
        *out = SRV_DB_NULL_I64;
        return srv_json_int(o, key, PATH, 0, min, max, out, e) < 0 ? -1 : 0;
}

int srv_uplink_parse(json_object *o, struct srv_uplink *u, struct srv_err *e)
{
        memset(u, 0, sizeof(*u));
        if (!json_object_is_type(o, json_type_object)) {
                srv_err_set(e, 400, "bad_field", PATH, "'uplink' must be an object");
                return -1;
        }
        if (text(o, "interface", 32, &u->interface, e) < 0 ||
            text(o, "kind", 16, &u->kind, e) < 0 || text(o, "source", 16, &u->source, e) < 0 ||
            text(o, "technology", 32, &u->technology, e) < 0 ||
            text(o, "operator", 64, &u->operator_name, e) < 0 ||
            text(o, "operator_code", 16, &u->operator_code, e) < 0 ||
            text(o, "state", 32, &u->state, e) < 0 ||
            text(o, "registration", 32, &u->registration, e) < 0 ||
            number(o, "signal_pct", 0, 100, &u->signal_pct, e) < 0 ||
            number(o, "rssi_dbm", -200, 0, &u->rssi_dbm, e) < 0 ||
            number(o, "retries", 0, 1000000, &u->retries, e) < 0)
                return -1;
        u->present = 1;
        return 0;
}

const char *srv_uplink_health(const struct srv_uplink *u, int weak_below_pct)
{
        if ((u->retries != SRV_DB_NULL_I64 && u->retries >= SRV_UPLINK_FAILING_RETRIES) ||
            (u->state && strcmp(u->state, "failed") == 0))
                return "failing";
        if (u->signal_pct != SRV_DB_NULL_I64 && u->signal_pct < weak_below_pct)
                return "weak";
        return "ok";
}

int srv_uplink_store(srv_db *db, int64_t gw, const struct srv_uplink *u, int weak_below_pct,
                     int64_t now)
{
        int64_t retries = u->retries == SRV_DB_NULL_I64 ? 0 : u->retries;

        return srv_db_exec_later(
            db,
            "INSERT INTO gateway_uplinks (gateway_id, reported_at, iface, kind, source, signal_pct,"
            " rssi_dbm, technology, operator_name, operator_code, state, registration, retries,"
            " health) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            " ON CONFLICT (gateway_id) DO UPDATE SET reported_at = excluded.reported_at,"
            " iface = excluded.iface, kind = excluded.kind, source = excluded.source,"
            " signal_pct = excluded.signal_pct, rssi_dbm = excluded.rssi_dbm,"
            " technology = excluded.technology, operator_name = excluded.operator_name,"
            " operator_code = excluded.operator_code, state = excluded.state,"
            " registration = excluded.registration, retries = excluded.retries,"
            " health = excluded.health",
            "iitttIItttttit", gw, now, u->interface, u->kind, u->source, u->signal_pct, u->rssi_dbm,
            u->technology, u->operator_name, u->operator_code, u->state, u->registration, retries,
            srv_uplink_health(u, weak_below_pct));
}

static void add_text(json_object *o, const char *k, srv_stmt *st, int col)
{
        if (!srv_stmt_is_null(st, col))
                srv_jadd_str(o, k, srv_stmt_text(st, col));
}

static void add_int(json_object *o, const char *k, srv_stmt *st, int col)
{
        if (!srv_stmt_is_null(st, col))
                srv_jadd_i64(o, k, srv_stmt_i64(st, col));
}

json_object *srv_uplink_json(srv_stmt *st, int col)
{
        json_object *o;

        if (srv_stmt_is_null(st, col))
                return NULL;
        o = json_object_new_object();
        srv_jadd_i64(o, "reported_at", srv_stmt_i64(st, col));
        add_text(o, "interface", st, col + 1);
        add_text(o, "kind", st, col + 2);
        add_text(o, "source", st, col + 3);
        add_int(o, "signal_pct", st, col + 4);
        add_int(o, "rssi_dbm", st, col + 5);
        add_text(o, "technology", st, col + 6);
        add_text(o, "operator", st, col + 7);
        add_text(o, "operator_code", st, col + 8);
        add_text(o, "state", st, col + 9);
        add_text(o, "registration", st, col + 10);
        srv_jadd_i64(o, "retries", srv_stmt_i64(st, col + 11));
        srv_jadd_str(o, "health", srv_stmt_text(st, col + 12));
        return o;
}
