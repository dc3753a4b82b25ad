/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `meterbox-agent status [--json]`: what the box is doing, for an installer
 * on site: each meter's last reading, local balance, relay and policy state,
 * the upload backlog and the last successful sync.
 *
 * It reads agent.db beside a running agent and must never slow it down: the
 * file is opened read-only with query_only, everything is read in one WAL
 * read transaction (a consistent picture, and a reader never blocks the
 * agent's writer), and no plugin is loaded and no meter touched.
 */
#define MB_LOG_MODULE "status"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "agent.h"
#include "agent_status.h"
#include "mb_time.h"
#include "mb_wire.h"

/* One integer from sql with ?1 bound to arg; *found 0 for no row or NULL
 * (and for a table an older agent.db lacks). */
static int64_t q_int(sqlite3 *db, const char *sql, int64_t arg, int *found)
{
        sqlite3_stmt *s;
        int64_t v = 0;

        *found = 0;
        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
                return 0;
        if (sqlite3_bind_parameter_count(s) > 0)
                sqlite3_bind_int64(s, 1, arg);
        if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
                v = sqlite3_column_int64(s, 0);
                *found = 1;
        }
        sqlite3_finalize(s);
        return v;
}

/* The integer, or JSON null when there is none. */
static json_object *j_int(sqlite3 *db, const char *sql, int64_t arg)
{
        int found;
        int64_t v = q_int(db, sql, arg, &found);

        return found ? json_object_new_int64(v) : NULL;
}

static int64_t count(sqlite3 *db, const char *sql, int64_t arg)
{
        int found;

        return q_int(db, sql, arg, &found);
}

static void add(json_object *o, const char *k, json_object *v)
{
        json_object_object_add(o, k, v);
}

static json_object *j_str(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

/* The newest reading of meter id: {seq, ts, kind, import_wh, power_mw} and
 * the relay as the meter reported it, into m. */
static void last_reading(sqlite3 *db, int64_t id, json_object *m)
{
        static const char sql[] = "SELECT seq, ts, kind, fields, import_wh, power_mw, relay"
                                  " FROM readings WHERE meter_id = ?1 ORDER BY seq DESC LIMIT 1";
        json_object *r = NULL, *relay = NULL;
        sqlite3_stmt *s;

        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(s, 1, id);
                if (sqlite3_step(s) == SQLITE_ROW) {
                        unsigned fields = (unsigned)sqlite3_column_int64(s, 3);

                        r = json_object_new_object();
                        add(r, "seq", json_object_new_int64(sqlite3_column_int64(s, 0)));
                        add(r, "ts", json_object_new_int64(sqlite3_column_int64(s, 1)));
                        add(r, "kind",
                            json_object_new_string(
                                sqlite3_column_int(s, 2) == AGENT_READING_BOUNDARY ? "boundary"
                                                                                   : "routine"));
                        if (fields & MB_F_IMPORT)
                                add(r, "import_wh",
                                    json_object_new_int64(sqlite3_column_int64(s, 4)));
                        if (fields & MB_F_POWER)
                                add(r, "power_mw",
                                    json_object_new_int64(sqlite3_column_int64(s, 5)));
                        if (fields & MB_F_RELAY)
                                relay = json_object_new_string(
                                    mb_wire_relay_name(sqlite3_column_int(s, 6)));
                }
                sqlite3_finalize(s);
        }
        add(m, "last_reading", r);
        add(m, "relay", relay);
}

/* The newest relay decision of meter id: {type, ts, reason}. */
static json_object *last_decision(sqlite3 *db, int64_t id)
{
        static const char sql[] = "SELECT type, ts, reason FROM events WHERE meter_id = ?1 AND"
                                  " type IN ('trip', 'close', 'arm') ORDER BY id DESC LIMIT 1";
        json_object *d = NULL;
        sqlite3_stmt *s;

        if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
                return NULL;
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW) {
                d = json_object_new_object();
                add(d, "type", json_object_new_string((const char *)sqlite3_column_text(s, 0)));
                add(d, "ts", json_object_new_int64(sqlite3_column_int64(s, 1)));
                add(d, "reason", j_str((const char *)sqlite3_column_text(s, 2)));
        }
        sqlite3_finalize(s);
        return d;
}

/* The id of the configured meter in agent.db, and its address (the stored
 * one: the meter's own, else the configured one) into m.  0 when the agent
 * has not recorded the meter yet. */
static int meter_id(sqlite3 *db, const struct agent_meter_cfg *mc, int64_t *id, json_object *m)
{
        const char *addr = mc->address;
        sqlite3_stmt *s;
        int found = 0;

        if (sqlite3_prepare_v2(db, "SELECT id, address FROM meters WHERE name = ?1", -1, &s,
                               NULL) == SQLITE_OK) {
                sqlite3_bind_text(s, 1, mc->name, -1, SQLITE_STATIC);
                if (sqlite3_step(s) == SQLITE_ROW) {
                        found = 1;
                        *id = sqlite3_column_int64(s, 0);
                        if (sqlite3_column_type(s, 1) != SQLITE_NULL)
                                addr = (const char *)sqlite3_column_text(s, 1);
                }
                add(m, "address", j_str(addr));
                sqlite3_finalize(s);
        }
        return found;
}

static json_object *meter_status(sqlite3 *db, const struct agent_meter_cfg *mc)
{
        json_object *m = json_object_new_object();
        int found, level;
        int64_t id = 0;

        add(m, "name", json_object_new_string(mc->name));
        add(m, "account", j_str(mc->account));
        if (!meter_id(db, mc, &id, m)) {
                /* Configured, never recorded: the agent has not run with it yet. */
                add(m, "last_reading", NULL);
                return m;
        }
        last_reading(db, id, m);
        add(m, "last_decision", last_decision(db, id));
        add(m, "balance_fen",
            j_int(db,
                  "SELECT balance_fen FROM readings WHERE meter_id = ?1 AND balance_fen IS NOT"
                  " NULL ORDER BY seq DESC LIMIT 1",
                  id));
        level = (int)q_int(db, "SELECT level FROM policy_state WHERE meter_id = ?1", id, &found);
        add(m, "policy", found ? json_object_new_string(agent_level_name(level)) : NULL);
        add(m, "snapshot_at",
            j_int(db, "SELECT received_at FROM snapshots WHERE meter_id = ?1", id));
        add(m, "waiting",
            json_object_new_int64(
                count(db, "SELECT count(*) FROM readings WHERE meter_id = ?1 AND acked = 0", id)));
        add(m, "set_aside",
            json_object_new_int64(
                count(db, "SELECT count(*) FROM readings WHERE meter_id = ?1 AND acked = 2", id)));
        return m;
}

/* What the uploader last saw of the uplink: its object (agent_uplink_status)
 * with "looked_at", or NULL before the first look. */
static json_object *uplink_status(sqlite3 *db)
{
        json_object *o = NULL;
        sqlite3_stmt *s;

        if (sqlite3_prepare_v2(db, "SELECT looked_at, json FROM uplink_state WHERE id = 1", -1, &s,
                               NULL) != SQLITE_OK)
                return NULL; /* an agent.db from before the uplink was kept */
        if (sqlite3_step(s) == SQLITE_ROW) {
                o = json_tokener_parse((const char *)sqlite3_column_text(s, 1));
                if (o && json_object_is_type(o, json_type_object))
                        add(o, "looked_at", json_object_new_int64(sqlite3_column_int64(s, 0)));
                else {
                        json_object_put(o);
                        o = NULL;
                }
        }
        sqlite3_finalize(s);
        return o;
}

static json_object *gateway_status(sqlite3 *db, const struct agent_config *c)
{
        json_object *g = json_object_new_object(), *b, *meters = json_object_new_array();

        add(g, "gateway", json_object_new_string(c->gateway_id));
        add(g, "region", j_str(c->region));
        add(g, "timezone", j_str(c->timezone));
        add(g, "store", json_object_new_string(c->store_path));
        add(g, "now", json_object_new_int64(mb_realtime_s()));
        add(g, "server", j_str(c->server.url));
        add(g, "last_sync", j_int(db, "SELECT ok_at FROM sync_state WHERE id = 1", 0));
        add(g, "uplink", uplink_status(db));
        b = json_object_new_object();
        add(b, "readings",
            json_object_new_int64(count(db, "SELECT count(*) FROM readings WHERE acked = 0", 0)));
        add(b, "boundary_readings",
            json_object_new_int64(
                count(db, "SELECT count(*) FROM readings WHERE acked = 0 AND kind = 1", 0)));
        add(b, "events",
            json_object_new_int64(count(db, "SELECT count(*) FROM events WHERE acked = 0", 0)));
        add(b, "set_aside_readings",
            json_object_new_int64(count(db, "SELECT count(*) FROM readings WHERE acked = 2", 0)));
        add(b, "set_aside_events",
            json_object_new_int64(count(db, "SELECT count(*) FROM events WHERE acked = 2", 0)));
        add(g, "upload", b);
        add(g, "commands_pending",
            json_object_new_int64(
                count(db, "SELECT count(*) FROM commands WHERE state IN ('new', 'running')", 0)));
        for (int i = 0; i < c->n_meters; i++)
                json_object_array_add(meters, meter_status(db, &c->meters[i]));
        add(g, "meters", meters);
        return g;
}

/* agent.db read-only, or NULL after saying why. */
static sqlite3 *open_readonly(const char *path)
{
        sqlite3 *db = NULL;
        int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);

        if (rc != SQLITE_OK) {
                fprintf(stderr,
                        "meterbox-agent: cannot open %s: %s (the agent has not run yet, or "
                        "store.path names another file)\n",
                        path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
                sqlite3_close(db);
                return NULL;
        }
        /* A read in WAL mode waits only while the file is being recovered. */
        sqlite3_busy_timeout(db, 2000);
        sqlite3_exec(db, "PRAGMA query_only = 1", NULL, NULL, NULL);
        return db;
}

int agent_status(const char *config_path, int as_json)
{
        mb_diag *d = mb_diag_new();
        struct agent_config *cfg = d ? agent_config_load(config_path, d) : NULL;
        json_object *status = NULL;
        sqlite3 *db = NULL;
        int rc = 2;

        mb_diag_print(d, stderr);
        mb_diag_free(d);
        if (!cfg)
                return 2;
        if (cfg->timezone)
                setenv("TZ", cfg->timezone, 1);
        tzset();
        if ((db = open_readonly(cfg->store_path)) != NULL &&
            sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
                int found;
                int64_t schema = q_int(db, "PRAGMA user_version", 0, &found);

                if (found) {
                        status = gateway_status(db, cfg);
                        add(status, "schema", json_object_new_int64(schema));
                } else {
                        fprintf(stderr, "meterbox-agent: %s: %s\n", cfg->store_path,
                                sqlite3_errmsg(db));
                }
                sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
        if (status && as_json)
                rc = printf("%s\n", json_object_to_json_string_ext(
                                        status, JSON_C_TO_STRING_PRETTY |
                                                    JSON_C_TO_STRING_NOSLASHESCAPE)) < 0
                         ? 2
                         : 0;
        else if (status)
                rc = agent_status_text(status, stdout) < 0 ? 2 : 0;
        json_object_put(status);
        sqlite3_close(db);
        agent_config_free(cfg);
        return rc;
}
