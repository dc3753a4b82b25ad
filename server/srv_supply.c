/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_supply.h"

#include <string.h>

#include "mb_time.h"
#include "srv_reading_check.h"

/* 2000-01-01 .. 2100-01-01, as readings' times */
#define MIN_AT 946684800
#define MAX_AT 4102444800

int srv_register_field(json_object *b, const char *key, struct srv_register *r, struct srv_err *e)
{
        int64_t at = mb_realtime_s();
        int rc;

        memset(r, 0, sizeof(*r));
        if (srv_json_int(b, "at", "", 0, MIN_AT, MAX_AT, &at, e) < 0)
                return -1;
        rc = srv_json_int(b, key, "", 0, 0, SRV_BILLABLE_MAX_WH, &r->wh, e);
        if (rc < 0)
                return -1;
        r->given = rc;
        r->t = at;
        return MB_OK;
}

int srv_meter_last(srv_db *db, int64_t meter_id, struct srv_register *r)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st, "SELECT last_ts, last_import_wh FROM meters WHERE id = $1",
                              "i", meter_id);

        memset(r, 0, sizeof(*r));
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW && !srv_stmt_is_null(st, 0) &&
            !srv_stmt_is_null(st, 1)) {
                r->given = 1;
                r->t = srv_stmt_i64(st, 0);
                r->wh = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_supply_open(srv_db *db, int64_t account_id, int64_t meter_id, const char *how,
                    const struct srv_register *open, const mb_tier_pos *pos, const char *by,
                    int64_t *id)
{
        int64_t high = 0, sid = 0, now = mb_realtime_s();
        int rc =
            srv_db_query_i64(db, &high, "SELECT high_seq FROM meters WHERE id = $1", "i", meter_id);

        if (rc >= 0)
                rc = srv_db_query_i64(
                    db, &sid,
                    "INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, from_ts,"
                    " from_import_wh, tier_start, tier_used_wh, opened_at, opened_by, multiplier)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, " SRV_METER_MULTIPLIER(
                        "$2") ") RETURNING id",
                    "iitiIIiiit", account_id, meter_id, how, high,
                    open && open->given ? open->t : SRV_DB_NULL_I64,
                    open && open->given ? open->wh : SRV_DB_NULL_I64, pos ? pos->period_start : 0,
                    pos ? pos->used_wh : 0, now, by);
        if (rc >= 0)
                rc = srv_db_exec_args(db,
                                      "UPDATE meters SET account_id = $1, bound_at = $2"
                                      " WHERE id = $3",
                                      "iii", account_id, now, meter_id);
        if (rc >= 0 && id)
                *id = sid;
        return rc < 0 ? rc : MB_OK;
}

int srv_supply_close(srv_db *db, int64_t account_id, const char *how,
                     const struct srv_register *close, const char *by, int64_t *meter_id)
{
        srv_stmt *st = NULL;
        int64_t sid = 0, meter = 0, high = 0;
        int rc = srv_db_query(db, &st,
                              "SELECT s.id, s.meter_id, m.high_seq FROM supplies s"
                              " JOIN meters m ON m.id = s.meter_id WHERE s.account_id = $1"
                              " AND s.to_seq IS NULL ORDER BY s.id DESC LIMIT 1",
                              "i", account_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                sid = srv_stmt_i64(st, 0);
                meter = srv_stmt_i64(st, 1);
                high = srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        if (rc <= 0)
                return rc;
        rc = srv_db_exec_args(
            db,
            "UPDATE supplies SET closed_how = $1, to_seq = $2, to_ts = $3,"
            " to_import_wh = $4, closed_at = $5, closed_by = $6 WHERE id = $7",
            "tiIIiti", how, high, close && close->given ? close->t : SRV_DB_NULL_I64,
            close && close->given ? close->wh : SRV_DB_NULL_I64, mb_realtime_s(), by, sid);
        if (rc >= 0)
                rc = srv_db_exec_args(db, "UPDATE meters SET account_id = NULL WHERE id = $1", "i",
                                      meter);
        if (rc >= 0 && meter_id)
                *meter_id = meter;
        return rc < 0 ? rc : 1;
}

int srv_supply_split(srv_db *db, int64_t account_id, int64_t meter_id, int64_t after_seq,
                     const struct srv_register *at, int64_t multiplier, const char *by)
{
        int64_t sid = 0, now = mb_realtime_s();
        int rc = srv_db_query_i64(db, &sid,
                                  "SELECT id FROM supplies WHERE account_id = $1 AND meter_id = $2"
                                  " AND to_seq IS NULL ORDER BY id DESC LIMIT 1",
                                  "ii", account_id, meter_id);

        if (rc <= 0)
                return rc;
        /* the readings after after_seq belong to the new supply, also those
         * stored already: continuous deduction charges them again */
        rc = srv_db_exec_args(db,
                              "UPDATE supplies SET closed_how = 'multiplier', to_seq = $1,"
                              " to_ts = $2, to_import_wh = $3, closed_at = $4, closed_by = $5"
                              " WHERE id = $6",
                              "iIIiti", after_seq, at->given ? at->t : SRV_DB_NULL_I64,
                              at->given ? at->wh : SRV_DB_NULL_I64, now, by, sid);
        if (rc >= 0)
                rc = srv_db_exec_args(
                    db,
                    "INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, from_ts,"
                    " from_import_wh, opened_at, opened_by, multiplier)"
                    " VALUES ($1, $2, 'multiplier', $3, $4, $5, $6, $7, $8)",
                    "iiiIIiti", account_id, meter_id, after_seq,
                    at->given ? at->t : SRV_DB_NULL_I64, at->given ? at->wh : SRV_DB_NULL_I64, now,
                    by, multiplier);
        return rc < 0 ? rc : 1;
}
