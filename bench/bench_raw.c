/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_raw: the in-run baselines, straight into the store with prepared
 * statements in one process, through the same srv_db layer the server uses.
 *
 *   bench_raw ingest sqlite|postgresql DB GATEWAYS BATCHES PER RPM T0 ID_OFFSET
 *     the readings bench_load sends (bench_gen.h), same rows, same arrival
 *     order, one prepared INSERT per row, one transaction per 1,000-row
 *     batch; meter ids shifted by ID_OFFSET so they do not collide with the
 *     rows the server stored.
 *   bench_raw settle sqlite|postgresql DB N FROM_TS TO_TS
 *     the least work a month close does per account: one prepared query for
 *     both boundary readings of account i's meter (id i) and one prepared
 *     insert of a bill-shaped row into a scratch table, 1,000 accounts per
 *     transaction.
 *
 * DB is the SQLite path or the libpq conninfo.  Prints "rows N seconds S
 * rate R".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_gen.h"
#include "srv_db.h"

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

static void ingest(srv_db *db, char **a)
{
        int64_t gws = atoll(a[0]), batches = atoll(a[1]), per = atoll(a[2]), rpm = atoll(a[3]);
        int64_t t0 = atoll(a[4]), off = atoll(a[5]), rows = 0;
        struct bench_reading r;
        double t = now_s();

        for (int64_t k = 0; k < batches; k++) {
                for (int64_t g = 0; g < gws; g++) {
                        check(db, srv_db_begin(db), "begin");
                        for (int64_t j = 0; j < per * rpm; j++) {
                                bench_reading(g, per, rpm, k, j, t0, &r);
                                check(db,
                                      srv_db_exec_args(
                                          db,
                                          "INSERT INTO readings (meter_id, seq, ts, kind, quality,"
                                          " import_wh, rates, frozen_import_wh, frozen_time, body,"
                                          " stored_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                                          " $10, $11)",
                                          "iiitiItIIti", r.meter + 1 + off, r.seq, r.ts, "routine",
                                          (int64_t)0, r.import_wh, "[0,0,0,0]", SRV_DB_NULL_I64,
                                          SRV_DB_NULL_I64, r.body, (int64_t)time(NULL)),
                                      "insert");
                                rows++;
                        }
                        check(db, srv_db_commit(db), "commit");
                }
        }
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
        char err[512];
        srv_db *db = NULL;
        int rc;

        if (argc < 4 || (strcmp(argv[1], "ingest") == 0 && argc != 10) ||
            (strcmp(argv[1], "settle") == 0 && argc != 7)) {
                fprintf(stderr, "usage: see bench_raw.c\n");
                return 2;
        }
        rc = strcmp(argv[2], "postgresql") == 0
                 ? srv_db_open_pg(argv[3], 60000, &db, err, sizeof(err))
                 : srv_db_open_sqlite(argv[3], 60000, &db, err, sizeof(err));
        if (rc < 0) {
                fprintf(stderr, "bench_raw: %s\n", err);
                return 1;
        }
        if (strcmp(argv[1], "ingest") == 0)
                ingest(db, argv + 4);
        else
                settle(db, argv + 4);
        srv_db_close(db);
        return 0;
}
