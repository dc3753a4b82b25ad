/* SPDX-License-Identifier: Apache-2.0 */
/* agent.db: sequence numbers, batching, events, schema versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <meterbox/errors.h>
#include <sqlite3.h>

#include "agent_store.h"
#include "agent_store_priv.h"

static char dbpath[256];

static int setup(void **state)
{
        snprintf(dbpath, sizeof(dbpath), "/tmp/mb-test-store-%d.db", (int)getpid());
        unlink(dbpath);
        return 0;
}

static int teardown(void **state)
{
        char p[300];

        unlink(dbpath);
        snprintf(p, sizeof(p), "%s-wal", dbpath);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", dbpath);
        unlink(p);
        return 0;
}

static agent_store *open_store(int commit_every)
{
        struct agent_store_opts o = {
            .path = dbpath, .commit_every = commit_every, .commit_interval_ms = 60000};
        agent_store *st = NULL;
        char err[256];

        assert_int_equal(agent_store_open(&o, &st, err, sizeof(err)), MB_OK);
        return st;
}

static int64_t add(agent_store *st, int64_t meter, int64_t wh)
{
        mb_reading r = {.size = sizeof(r), .fields = MB_F_IMPORT, .phases = 1, .import_wh = wh};
        int64_t seq = -1;

        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_reading(st, meter, 1700000000 + wh, 0, &r, &seq), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        return seq;
}

/* Rows committed to the file, seen through a second connection. */
static int64_t committed(const char *sql)
{
        sqlite3 *db;
        sqlite3_stmt *s;
        int64_t n = -1;

        assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
        if (sqlite3_step(s) == SQLITE_ROW)
                n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
        sqlite3_close(db);
        return n;
}

static int committed_rows(void)
{
        return (int)committed("SELECT count(*) FROM readings");
}

static void sequences_continue_across_reopen(void **state)
{
        agent_store *st = open_store(1);
        int64_t a, b, seq, ts;
        mb_reading last;

        assert_int_equal(agent_store_meter(st, "m1", "01", "1100", &a), MB_OK);
        assert_int_equal(agent_store_meter(st, "m2", "02", "1101", &b), MB_OK);
        assert_int_not_equal(a, b);
        assert_int_equal(add(st, a, 10), 1);
        assert_int_equal(add(st, a, 20), 2);
        assert_int_equal(add(st, b, 5), 1);
        agent_store_close(st);

        st = open_store(1);
        assert_int_equal(agent_store_meter(st, "m1", "01", "1100", &seq), MB_OK);
        assert_int_equal(seq, a);
        assert_int_equal(add(st, a, 30), 3);
        assert_int_equal(add(st, b, 6), 2);
        assert_int_equal(agent_store_last_reading(st, a, &last, &seq, &ts), MB_OK);
        assert_int_equal(ts, 1700000030);
        assert_int_equal(seq, 3);
        assert_int_equal(last.import_wh, 30);
        assert_true(agent_store_schema_version(st) >= 4);
        agent_store_close(st);
}

static void batch_commits_when_full(void **state)
{
        agent_store *st = open_store(3);
        int64_t m;

        assert_int_equal(agent_store_meter(st, "m1", NULL, NULL, &m), MB_OK);
        add(st, m, 1);
        add(st, m, 2);
        assert_int_equal(committed_rows(), 0);
        add(st, m, 3);
        assert_int_equal(committed_rows(), 3);
        add(st, m, 4);
        agent_store_close(st); /* close commits what is pending */
        assert_int_equal(committed_rows(), 4);
}

static void rolled_back_batch_reuses_no_sequence(void **state)
{
        agent_store *st = open_store(10);
        int64_t m;

        assert_int_equal(agent_store_meter(st, "m1", NULL, NULL, &m), MB_OK);
        add(st, m, 1);
        add(st, m, 2);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_event(st, m, 5, "test", NULL, INT64_MIN, NULL), MB_OK);
        agent_store_abort(st);
        /* The rolled-back group took the waiting seqs 1 and 2 with it, and
         * nobody saw them: numbering restarts at 1. */
        assert_int_equal(committed_rows(), 0);
        assert_int_equal(add(st, m, 3), 1);
        agent_store_close(st);
}

static int count_reading(void *arg, json_object *r, int64_t id)
{
        (*(int *)arg)++;
        return 0;
}

static int uploadable(agent_store *st, int64_t *upto)
{
        int n = 0;

        assert_true(agent_store_unacked_readings(st, count_reading, &n, 1000, 1, upto) >= 0);
        return n;
}

/* Routine readings wait in memory; the uploader only sees them once a group
 * that cannot wait (an event) took them to flash, synced. */
static void uploader_sees_only_flash(void **state)
{
        agent_store *st = open_store(100);
        int64_t m, upto, seq, ts;
        mb_reading last;

        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        add(st, m, 1);
        add(st, m, 2);
        assert_int_equal(uploadable(st, &upto), 0);
        assert_int_equal(committed_rows(), 0);
        /* The agent's own readers see them. */
        assert_int_equal(agent_store_last_reading(st, m, &last, &seq, &ts), MB_OK);
        assert_int_equal(seq, 2);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_event(st, m, 5, "trip", "test", 0, NULL), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        assert_int_equal(committed_rows(), 2);
        assert_int_equal(uploadable(st, &upto), 2);
        assert_true(upto > 0);
        /* Acknowledged: gone from the next batch at once, on flash with the
         * next commit. */
        assert_int_equal(agent_store_ack_readings(st, upto, 1), MB_OK);
        assert_int_equal(uploadable(st, &upto), 0);
        assert_int_equal(committed("SELECT count(*) FROM readings WHERE acked = 0"), 2);
        agent_store_close(st);
        assert_int_equal(committed("SELECT count(*) FROM readings WHERE acked = 0"), 0);
        assert_int_equal(committed("SELECT value FROM store_meta WHERE key = 'readings_acked'"),
                         upto);
}

static void boundary_reading_commits_at_once(void **state)
{
        agent_store *st = open_store(100);
        mb_reading r = {.size = sizeof(r), .fields = MB_F_IMPORT, .phases = 1, .import_wh = 9};
        int64_t m, seq;

        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        add(st, m, 1);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(
            agent_store_add_reading(st, m, 1700000100, AGENT_READING_BOUNDARY, &r, &seq), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        assert_int_equal(seq, 2);
        /* In sequence order on flash: the routine reading first. */
        assert_int_equal(committed("SELECT seq FROM readings ORDER BY id LIMIT 1"), 1);
        assert_int_equal(committed("SELECT seq FROM readings ORDER BY id DESC LIMIT 1"), 2);
        agent_store_close(st);
}

static void snapshot(agent_store *st, int64_t m, const char *json)
{
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_put_snapshot(st, m, json, 1), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
}

/* A snapshot that adds money or changes the rules is on flash before the
 * agent acts on it; one that only moves the reference forward waits. */
static void snapshots_that_add_money_are_synced(void **state)
{
        agent_store *st = open_store(100);
        int64_t m;
        char *json = NULL;

        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        snapshot(st, m, "{\"balance_fen\": 500, \"ref\": {\"seq\": 1}}");
        assert_int_equal(committed("SELECT json_extract(json, '$.balance_fen') FROM snapshots"),
                         500);
        snapshot(st, m, "{\"balance_fen\": 450, \"ref\": {\"seq\": 2}}");
        assert_int_equal(committed("SELECT json_extract(json, '$.balance_fen') FROM snapshots"),
                         500);
        assert_int_equal(agent_store_get_snapshot(st, m, &json), MB_OK);
        assert_non_null(strstr(json, "450"));
        free(json);
        snapshot(st, m, "{\"balance_fen\": 5450, \"ref\": {\"seq\": 2}}");
        assert_int_equal(committed("SELECT json_extract(json, '$.balance_fen') FROM snapshots"),
                         5450);
        agent_store_close(st);
}

static void events_are_stored(void **state)
{
        agent_store *st = open_store(1);
        sqlite3 *db;
        sqlite3_stmt *s;
        int64_t m;

        assert_int_equal(agent_store_meter(st, "m1", NULL, NULL, &m), MB_OK);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_event(st, m, 5, "trip", "credit limit", -120, "{}"),
                         MB_OK);
        assert_int_equal(agent_store_add_event(st, 0, 6, "boot", NULL, INT64_MIN, NULL), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        agent_store_close(st);
        assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, balance_fen FROM events ORDER BY id",
                                            -1, &s, NULL),
                         SQLITE_OK);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_string_equal((const char *)sqlite3_column_text(s, 0), "trip");
        assert_int_equal(sqlite3_column_int64(s, 1), -120);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_int_equal(sqlite3_column_type(s, 1), SQLITE_NULL);
        sqlite3_finalize(s);
        sqlite3_close(db);
}

static void put_snapshot(agent_store *st, int64_t m, const char *json)
{
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_put_snapshot(st, m, json, 1), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
}

/* A snapshot with no reference remembers where the meter was when the first
 * one in a row came; one with a reference does not need it. */
static void null_ref_snapshot_keeps_its_start(void **state)
{
        agent_store *st = open_store(1);
        int64_t m;

        assert_int_equal(agent_store_meter(st, "m1", "01", "1100", &m), MB_OK);
        add(st, m, 1);
        add(st, m, 2);
        put_snapshot(st, m, "{\"ref\": null, \"balance_fen\": 10}");
        assert_int_equal(agent_store_snapshot_after(st, m), 2);
        add(st, m, 3);
        put_snapshot(st, m, "{\"ref\": null, \"balance_fen\": 500}");
        assert_int_equal(agent_store_snapshot_after(st, m), 2);
        put_snapshot(st, m, "{\"ref\": {\"seq\": 3}, \"balance_fen\": 500}");
        add(st, m, 4);
        put_snapshot(st, m, "{\"ref\": null, \"balance_fen\": 500}");
        assert_int_equal(agent_store_snapshot_after(st, m), 4);
        agent_store_close(st);
}

/* A new store asks the server where to resume, and what it took meanwhile
 * (readings, an event) moves past the server's marks. */
static void new_store_resumes_after_the_server(void **state)
{
        agent_store *st = open_store(100);
        json_object *r =
            json_tokener_parse("{\"high_seq\": {\"01\": 100, \"99\": 5}, \"last_command\": 7}");
        int64_t m, seq, ts;
        mb_reading last;

        assert_true(agent_store_needs_resume(st));
        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        add(st, m, 1);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_event(st, m, 5, "meter_fault", NULL, INT64_MIN, NULL),
                         MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        add(st, m, 2); /* waits in memory */
        assert_int_equal(agent_store_resume(st, r, 50), MB_OK);
        json_object_put(r);
        assert_false(agent_store_needs_resume(st));
        assert_int_equal(agent_store_last_reading(st, m, &last, &seq, &ts), MB_OK);
        assert_int_equal(seq, 102);
        assert_int_equal(add(st, m, 3), 103);
        assert_int_equal(committed("SELECT min(seq) FROM readings"), 101);
        assert_int_equal(committed("SELECT id FROM events"), 51);
        assert_int_equal(agent_store_newest_command(st), 7);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_event(st, m, 6, "test", NULL, INT64_MIN, NULL), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        assert_int_equal(committed("SELECT max(id) FROM events"), 52);
        agent_store_close(st);
        /* Reopened: resumed for good, numbering goes on. */
        st = open_store(1);
        assert_false(agent_store_needs_resume(st));
        assert_int_equal(add(st, m, 4), 104);
        agent_store_close(st);
}

/* Even with nothing stored yet, the meter starts after the server's mark. */
static void new_store_without_readings_starts_after_the_mark(void **state)
{
        agent_store *st = open_store(1);
        json_object *r = json_tokener_parse("{\"high_seq\": {\"01\": 40}, \"last_command\": 0}");
        int64_t m;

        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        assert_int_equal(agent_store_resume(st, r, 0), MB_OK);
        json_object_put(r);
        assert_int_equal(add(st, m, 1), 41);
        agent_store_close(st);
}

static void keep_reading(void *arg, int64_t seq, int64_t ts, int kind, const mb_reading *r)
{
        *(mb_reading *)arg = *r;
}

static void keep_first(void *arg, int64_t seq, int64_t ts, int kind, const mb_reading *r)
{
        if (seq == 1)
                *(mb_reading *)arg = *r;
}

/* Every value a plugin gives comes back as given: the three phases, the
 * frozen register, the meter's money and clock, the maximum demand (some
 * of them are packed into one column, agent_store_extra.c; the demand after
 * the address, which rows of older agents end with). */
static void readings_come_back_whole(void **state)
{
        agent_store *st = open_store(1);
        mb_reading r = {.size = sizeof(r),
                        .fields = MB_F_IMPORT | MB_F_VOLTAGE | MB_F_CURRENT | MB_F_FROZEN |
                                  MB_F_PREPAID | MB_F_METER_TIME | MB_F_ADDRESS | MB_F_POWER |
                                  MB_F_DEMAND | MB_F_FROZEN_DEMAND,
                        .phases = 3,
                        .import_wh = 123456,
                        .voltage_mv = {220100, 221200, 219900},
                        .current_ma = {5000, -6100, 7200},
                        .frozen_import_wh = 120000,
                        .frozen_time = 1700000000,
                        .remain_fen = -350,
                        .overdraft_fen = 900,
                        .meter_time = 1700000003,
                        .power_mw = -1234567,
                        .address = "000006605518",
                        .demand_mw = 4500000,
                        .demand_time = 1699990000,
                        .frozen_demand_mw = 4600000,
                        .frozen_demand_time = 1698768000},
                   back;
        int64_t m, seq;

        assert_int_equal(agent_store_meter(st, "m1", "000006605518", NULL, &m), MB_OK);
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_reading(st, m, 1700000001, 0, &r, &seq), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        memset(&back, 0, sizeof(back));
        assert_int_equal(agent_store_readings_after(st, m, 0, keep_reading, &back), 1);
        assert_int_equal(back.fields, r.fields);
        assert_int_equal(back.phases, 3);
        assert_memory_equal(back.voltage_mv, r.voltage_mv, sizeof(r.voltage_mv));
        assert_memory_equal(back.current_ma, r.current_ma, sizeof(r.current_ma));
        assert_int_equal(back.frozen_import_wh, r.frozen_import_wh);
        assert_int_equal(back.frozen_time, r.frozen_time);
        assert_int_equal(back.remain_fen, r.remain_fen);
        assert_int_equal(back.overdraft_fen, r.overdraft_fen);
        assert_int_equal(back.meter_time, r.meter_time);
        assert_int_equal(back.power_mw, r.power_mw);
        assert_string_equal(back.address, r.address);
        assert_int_equal(back.demand_mw, r.demand_mw);
        assert_int_equal(back.demand_time, r.demand_time);
        assert_int_equal(back.frozen_demand_mw, r.frozen_demand_mw);
        assert_int_equal(back.frozen_demand_time, r.frozen_demand_time);
        /* the meter's own address is not stored again in every row */
        assert_int_equal(committed("SELECT instr(data, '000006605518') FROM readings"), 0);
        /* another meter answering: its address is kept */
        snprintf(r.address, sizeof(r.address), "000006605519");
        assert_int_equal(agent_store_begin(st), MB_OK);
        assert_int_equal(agent_store_add_reading(st, m, 1700000061, 0, &r, &seq), MB_OK);
        assert_int_equal(agent_store_end(st), MB_OK);
        assert_int_equal(agent_store_readings_after(st, m, 1, keep_reading, &back), 1);
        assert_string_equal(back.address, "000006605519");
        assert_int_equal(back.demand_mw, r.demand_mw); /* after the address */
        assert_int_equal(back.frozen_demand_time, r.frozen_demand_time);
        agent_store_close(st);
}

/* A store of schema 5 (readings keyed by meter and seq, one column per
 * value) becomes the arrival-ordered one with its values intact and its
 * sequences continuing, and is not taken for a new store. */
static void schema_5_migrates_with_its_readings(void **state)
{
        sqlite3 *db;
        char err[256];
        agent_store *st;
        mb_reading back;
        int64_t m;

        assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
        assert_int_equal(agent_store_data_function(db), SQLITE_OK);
        assert_int_equal(agent_store_migrate_upto(db, dbpath, 5, err, sizeof(err)), 0);
        assert_int_equal(
            sqlite3_exec(db,
                         "INSERT INTO meters(id, name, address) VALUES (1, 'm1', '01');"
                         "INSERT INTO readings(meter_id, seq, ts, fields, import_wh, phases,"
                         " voltage1_mv, voltage2_mv, voltage3_mv, meter_time, frozen_import_wh,"
                         " frozen_time, acked) VALUES (1, 1, 1700000000, 3081, 10, 3, 1, 2, 3,"
                         " 1700000002, 9, 1690000000, 1), (1, 2, 1700000060, 1, 20, 1, NULL,"
                         " NULL, NULL, NULL, NULL, NULL, 0);",
                         NULL, NULL, NULL),
            SQLITE_OK);
        sqlite3_close(db);
        st = open_store(1);
        assert_false(agent_store_needs_resume(st));
        assert_int_equal(agent_store_meter(st, "m1", "01", NULL, &m), MB_OK);
        memset(&back, 0, sizeof(back));
        assert_int_equal(agent_store_readings_after(st, m, 0, keep_reading, &back), 2);
        assert_int_equal(back.import_wh, 20);
        assert_int_equal(agent_store_readings_after(st, m, 1, keep_reading, &back), 1);
        memset(&back, 0, sizeof(back));
        assert_int_equal(committed("SELECT count(*) FROM readings WHERE acked = 1"), 1);
        assert_int_equal(add(st, m, 30), 3);
        /* the first reading's values, through the new columns */
        memset(&back, 0, sizeof(back));
        assert_int_equal(agent_store_readings_after(st, m, 0, keep_first, &back), 3);
        assert_int_equal(back.phases, 3);
        assert_int_equal(back.voltage_mv[2], 3);
        assert_int_equal(back.meter_time, 1700000002);
        assert_int_equal(back.frozen_import_wh, 9);
        assert_int_equal(back.frozen_time, 1690000000);
        agent_store_close(st);
        /* the second reading had nothing but its register */
        assert_int_equal(committed("SELECT count(*) FROM readings WHERE data IS NULL"), 2);
}

static void refuses_newer_schema(void **state)
{
        struct agent_store_opts o = {.path = dbpath, .commit_every = 1};
        agent_store *st = NULL;
        sqlite3 *db;
        char err[256];

        assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(agent_store_open(&o, &st, err, sizeof(err)), MB_ESTORE);
        assert_null(st);
        assert_non_null(strstr(err, "newer than this agent"));
        assert_non_null(strstr(err, dbpath));
}

static void reports_unwritable_path(void **state)
{
        struct agent_store_opts o = {.path = "/nonexistent/dir/agent.db", .commit_every = 1};
        agent_store *st = NULL;
        char err[256];

        assert_int_equal(agent_store_open(&o, &st, err, sizeof(err)), MB_ESTORE);
        assert_non_null(strstr(err, "/nonexistent/dir/agent.db"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(sequences_continue_across_reopen, setup, teardown),
            cmocka_unit_test_setup_teardown(batch_commits_when_full, setup, teardown),
            cmocka_unit_test_setup_teardown(rolled_back_batch_reuses_no_sequence, setup, teardown),
            cmocka_unit_test_setup_teardown(events_are_stored, setup, teardown),
            cmocka_unit_test_setup_teardown(null_ref_snapshot_keeps_its_start, setup, teardown),
            cmocka_unit_test_setup_teardown(uploader_sees_only_flash, setup, teardown),
            cmocka_unit_test_setup_teardown(boundary_reading_commits_at_once, setup, teardown),
            cmocka_unit_test_setup_teardown(snapshots_that_add_money_are_synced, setup, teardown),
            cmocka_unit_test_setup_teardown(new_store_resumes_after_the_server, setup, teardown),
            cmocka_unit_test_setup_teardown(new_store_without_readings_starts_after_the_mark, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(readings_come_back_whole, setup, teardown),
            cmocka_unit_test_setup_teardown(schema_5_migrates_with_its_readings, setup, teardown),
            cmocka_unit_test_setup_teardown(refuses_newer_schema, setup, teardown),
            cmocka_unit_test_setup_teardown(reports_unwritable_path, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
