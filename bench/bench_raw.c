/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_raw: the in-run baselines, straight into the store in one process.
 *
 *   bench_raw ingest sqlite|postgresql DB GATEWAYS BATCHES PER RPM T0 ID_OFFSET
 *     the readings bench_load sends (bench_gen.h), the same rows in the same
 *     arrival order into the same table (the server's typed readings
 *     columns), one prepared INSERT per row, one transaction per 1,000-row
 *     batch, through the database's own C API and nothing of the server:
 *     sqlite3_* with the server's shipped settings (WAL, foreign keys) and
 *     synchronous=FULL, the durability the server gives every commit it
 *     acknowledges; or libpq (PQexecPrepared) with PostgreSQL's durable
 *     commit.  Meter ids are shifted by ID_OFFSET so they do not collide
 *     with the rows the server stored.
 *   bench_raw settle sqlite|postgresql DB N FROM_TS TO_TS
 *     the least work a month close does per account: one prepared query for
 *     both boundary readings of account i's meter (id i) and one prepared
 *     insert of a bill-shaped row into a scratch table, 1,000 accounts per
 *     transaction (through srv_db).
 *
 * DB is the SQLite path or the libpq conninfo.  Prints "rows N seconds S
 * rate R".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "bench_gen.h"
#include "srv_db.h"

#define NCOLS 28
static const char insert_sql[] =
    "INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, export_wh, rate1_wh,"
    " rate2_wh, rate3_wh, rate4_wh, power_mw, voltage1_mv, voltage2_mv, voltage3_mv,"
    " current1_ma, current2_ma, current3_ma, pf_milli, freq_mhz, relay, address, meter_time,"
    " frozen_import_wh, frozen_time, remain_fen, overdraft_fen, stored_at) VALUES ($1, $2, $3,"
    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,"
    " $23, $24, $25, $26, $27, $28)";

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int check(srv_db *db, int rc, const char *what)
{
        if (rc < 0) {
                fprintf(stderr, "bench_raw: %s: %s\n", what, srv_db_errmsg(db));
                exit(1);
        }
        return rc;
}

/* The row's integer columns in table order; -1 marks relay and address. */
static void row_values(const struct bench_reading *r, int64_t meter_id, int64_t now,
                       int64_t v[NCOLS])
{
        int64_t x[NCOLS] = {meter_id,
                            r->seq,
                            r->ts,
                            -1,
                            0,
                            r->import_wh,
                            r->export_wh,
                            r->rate_wh[0],
                            r->rate_wh[1],
                            r->rate_wh[2],
                            r->rate_wh[3],
                            r->power_mw,
                            r->voltage_mv[0],
                            r->voltage_mv[1],
                            r->voltage_mv[2],
                            r->current_ma[0],
                            r->current_ma[1],
                            r->current_ma[2],
                            r->pf_milli,
                            r->freq_mhz,
                            -1,
                            -1,
                            r->meter_time,
                            r->frozen_import_wh,
                            r->frozen_time,
                            r->remain_fen,
                            r->overdraft_fen,
                            now};

        memcpy(v, x, sizeof(x));
}

static void lite_check(sqlite3 *h, int rc, const char *what)
{
        if (rc != SQLITE_OK && rc != SQLITE_DONE) {
                fprintf(stderr, "bench_raw: %s: %s\n", what, sqlite3_errmsg(h));
                exit(1);
        }
}

static int64_t ingest_sqlite(const char *path, char **a)
{
        int64_t gws = atoll(a[0]), batches = atoll(a[1]), per = atoll(a[2]), rpm = atoll(a[3]);
        int64_t t0 = atoll(a[4]), off = atoll(a[5]), rows = 0, v[NCOLS];
        struct bench_reading r;
        sqlite3_stmt *st;
        sqlite3 *h = NULL;
        int rc = sqlite3_open(path, &h);

        lite_check(h, rc, "open");
        sqlite3_busy_timeout(h, 60000);
        lite_check(h,
                   sqlite3_exec(h,
                                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                " PRAGMA foreign_keys=ON;",
                                NULL, NULL, NULL),
                   "pragmas");
        lite_check(h, sqlite3_prepare_v2(h, insert_sql, -1, &st, NULL), "prepare");
        for (int64_t k = 0; k < batches; k++) {
                for (int64_t g = 0; g < gws; g++) {
                        lite_check(h, sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                                   "begin");
                        for (int64_t j = 0; j < per * rpm; j++) {
                                bench_reading(g, per, rpm, k, j, t0, &r);
                                row_values(&r, r.meter + 1 + off, (int64_t)time(NULL), v);
                                for (int c = 0; c < NCOLS; c++)
                                        sqlite3_bind_int64(st, c + 1, v[c]);
                                sqlite3_bind_text(st, 4, "routine", -1, SQLITE_STATIC);
                                sqlite3_bind_text(st, 21, "closed", -1, SQLITE_STATIC);
                                sqlite3_bind_text(st, 22, r.address, -1, SQLITE_TRANSIENT);
                                lite_check(h, sqlite3_step(st), "insert");
                                sqlite3_reset(st);
                                rows++;
                        }
                        lite_check(h, sqlite3_exec(h, "COMMIT", NULL, NULL, NULL), "commit");
                }
        }
        sqlite3_finalize(st);
        sqlite3_close(h);
        return rows;
}

static void pg_check(PGconn *c, PGresult *res, const char *what)
{
        ExecStatusType s = PQresultStatus(res);

        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
                fprintf(stderr, "bench_raw: %s: %s\n", what, PQerrorMessage(c));
                exit(1);
        }
        PQclear(res);
}

static int64_t ingest_pg(const char *conninfo, char **a)
{
        int64_t gws = atoll(a[0]), batches = atoll(a[1]), per = atoll(a[2]), rpm = atoll(a[3]);
        int64_t t0 = atoll(a[4]), off = atoll(a[5]), rows = 0, v[NCOLS];
        char text[NCOLS][24];
        const char *params[NCOLS];
        struct bench_reading r;
        PGconn *c = PQconnectdb(conninfo);

        if (PQstatus(c) != CONNECTION_OK) {
                fprintf(stderr, "bench_raw: %s\n", PQerrorMessage(c));
                exit(1);
        }
        pg_check(c, PQprepare(c, "ins", insert_sql, NCOLS, NULL), "prepare");
        for (int64_t k = 0; k < batches; k++) {
                for (int64_t g = 0; g < gws; g++) {
                        pg_check(c, PQexec(c, "BEGIN"), "begin");
                        for (int64_t j = 0; j < per * rpm; j++) {
                                bench_reading(g, per, rpm, k, j, t0, &r);
                                row_values(&r, r.meter + 1 + off, (int64_t)time(NULL), v);
                                for (int i = 0; i < NCOLS; i++) {
                                        snprintf(text[i], sizeof(text[i]), "%lld", (long long)v[i]);
                                        params[i] = text[i];
                                }
                                params[3] = "routine";
                                params[20] = "closed";
                                params[21] = r.address;
                                pg_check(c, PQexecPrepared(c, "ins", NCOLS, params, NULL, NULL, 0),
                                         "insert");
                                rows++;
                        }
                        pg_check(c, PQexec(c, "COMMIT"), "commit");
                }
        }
        PQfinish(c);
        return rows;
}

static void ingest(const char *backend, const char *db, char **a)
{
        double t = now_s();
        int64_t rows = strcmp(backend, "postgresql") == 0 ? ingest_pg(db, a) : ingest_sqlite(db, a);

        t = now_s() - t;
        printf("rows %lld seconds %.3f rate %.0f\n", (long long)rows, t, (double)rows / t);
}

static void settle(srv_db *db, char **a)
{
        int64_t n = atoll(a[0]), from = atoll(a[1]), to = atoll(a[2]);
        double t;

        check(db, srv_db_exec_script(db, "DROP TABLE IF EXISTS bench_bills"), "drop");
        check(db,
              srv_db_exec_script(db, "CREATE TABLE bench_bills (account_id BIGINT, month TEXT,"
                                     " from_wh BIGINT, to_wh BIGINT, energy_wh BIGINT,"
                                     " PRIMARY KEY (account_id, month))"),
              "create");
        t = now_s();
        for (int64_t i = 1; i <= n; i++) {
                int64_t w0 = 0, w1 = 0;
                srv_stmt *st = NULL;

                if ((i - 1) % 1000 == 0)
                        check(db, srv_db_begin(db), "begin");
                check(
                    db,
                    srv_db_query(db, &st,
                                 "SELECT import_wh FROM readings WHERE meter_id = $1 AND"
                                 " kind = 'boundary' AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 2",
                                 "iii", i, from, to),
                    "select");
                if (check(db, srv_stmt_step(st), "step") == SRV_DB_ROW)
                        w0 = srv_stmt_i64(st, 0);
                if (check(db, srv_stmt_step(st), "step") == SRV_DB_ROW)
                        w1 = srv_stmt_i64(st, 0);
                srv_stmt_done(st);
                check(db,
                      srv_db_exec_args(db,
                                       "INSERT INTO bench_bills (account_id, month, from_wh, to_wh,"
                                       " energy_wh) VALUES ($1, $2, $3, $4, $5)",
                                       "itiii", i, "bench", w0, w1, w1 - w0),
                      "insert");
                if (i % 1000 == 0 || i == n)
                        check(db, srv_db_commit(db), "commit");
        }
        t = now_s() - t;
        printf("rows %lld seconds %.3f rate %.0f\n", (long long)n, t, (double)n / t);
        srv_db_exec_script(db, "DROP TABLE bench_bills");
}

int main(int argc, char **argv)
{
        /* no deadline: a benchmark's statements may be long */
        static const struct srv_db_pg_opts pg_opts = {60000, 0, 10, 0};
        char err[512];
        srv_db *db = NULL;
        int rc;

        if (argc < 4 || (strcmp(argv[1], "ingest") == 0 && argc != 10) ||
            (strcmp(argv[1], "settle") == 0 && argc != 7)) {
                fprintf(stderr, "usage: see bench_raw.c\n");
                return 2;
        }
        if (strcmp(argv[1], "ingest") == 0) {
                ingest(argv[2], argv[3], argv + 4);
                return 0;
        }
        rc = strcmp(argv[2], "postgresql") == 0
                 ? srv_db_open_pg(argv[3], &pg_opts, &db, err, sizeof(err))
                 : srv_db_open_sqlite(argv[3], 60000, &db, err, sizeof(err));
        if (rc < 0) {
                fprintf(stderr, "bench_raw: %s\n", err);
                return 1;
        }
        settle(db, argv + 4);
        srv_db_close(db);
        return 0;
}
