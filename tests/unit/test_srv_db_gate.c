/* SPDX-License-Identifier: Apache-2.0 */
/* Writers to one SQLite file take turns (srv_db_sqlite.c, the gate): a
 * write outside a transaction, like an INSERT ... RETURNING run on its own
 * or a script, gets its turn behind a writer that holds the write lock
 * almost all the time (the month close, chunk after chunk), instead of
 * polling for it and failing busy after busy_timeout_ms. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "srv_db.h"

#define BUSY_MS 200 /* well under the steady writer's run, above one of its turns */

struct steady {
        srv_db *db;
        atomic_int stop;
        int turns, errors;
};

static void nap_ms(long ms)
{
        struct timespec ts = {0, ms * 1000000L};

        nanosleep(&ts, NULL);
}

/* Transactions of 20 ms back to back: the lock is free only between them. */
static void *steady_writer(void *arg)
{
        struct steady *w = arg;

        while (!atomic_load(&w->stop)) {
                if (srv_db_begin(w->db) < 0 ||
                    srv_db_exec_args(w->db, "INSERT INTO t (who) VALUES ('steady')", "") < 0) {
                        w->errors++;
                        srv_db_rollback(w->db);
                        continue;
                }
                nap_ms(20);
                if (srv_db_commit(w->db) < 0)
                        w->errors++;
                w->turns++;
        }
        return NULL;
}

static char path[64];

static srv_db *open_db(void)
{
        char err[256];
        srv_db *db = NULL;

        if (srv_db_open_sqlite(path, BUSY_MS, &db, err, sizeof(err)) < 0)
                fail_msg("open %s: %s", path, err);
        return db;
}

static void lone_writes_get_their_turn(void **state)
{
        struct steady w = {0};
        pthread_t th;
        srv_db *db;

        (void)state;
        snprintf(path, sizeof(path), "/tmp/mb-gate-%ld.db", (long)getpid());
        db = open_db();
        assert_int_equal(
            srv_db_exec_script(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT)"), 0);
        w.db = open_db();
        assert_int_equal(pthread_create(&th, NULL, steady_writer, &w), 0);
        nap_ms(50);
        /* 2 s of writes beside it: ten times busy_timeout_ms */
        for (int i = 0; i < 40; i++) {
                srv_stmt *st = NULL;
                int rc =
                    srv_db_query(db, &st, "INSERT INTO t (who) VALUES ('lone') RETURNING id", "");

                if (rc >= 0)
                        rc = srv_stmt_step(st);
                assert_int_equal(rc, SRV_DB_ROW);
                srv_stmt_done(st);
                assert_int_equal(srv_db_exec_script(db, "INSERT INTO t (who) VALUES ('script')"),
                                 0);
                nap_ms(25);
        }
        atomic_store(&w.stop, 1);
        pthread_join(th, NULL);
        assert_int_equal(w.errors, 0);
        assert_true(w.turns > 40);
        {
                srv_stmt *st = NULL;

                assert_int_equal(
                    srv_db_query(db, &st, "SELECT count(*) FROM t WHERE who != 'steady'", ""), 0);
                assert_int_equal(srv_stmt_step(st), SRV_DB_ROW);
                assert_int_equal(srv_stmt_i64(st, 0), 80);
                srv_stmt_done(st);
        }
        srv_db_close(w.db);
        srv_db_close(db);
        for (int i = 0; i < 3; i++) {
                static const char *const sfx[] = {"", "-wal", "-shm"};
                char f[80];

                snprintf(f, sizeof(f), "%s%s", path, sfx[i]);
                remove(f);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(lone_writes_get_their_turn)};

        return cmocka_run_group_tests(tests, NULL, NULL);
}
