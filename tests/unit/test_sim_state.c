/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim plugin: the state file.  Registers and relay survive a restart, the
 * time between is accrued, a corrupt file is flagged as a register reset,
 * the file is replaced atomically and a failing save is reported once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
#define P (&meterbox_plugin)

#define T0 INT64_C(1705276800)
#define HOUR_MS INT64_C(3600000)

static char dir[64];
static char path[128];
static struct mb_ctx ctx;

static int setup(void **state)
{
        snprintf(dir, sizeof(dir), "/tmp/mb-sim-state-XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/meter.state", dir);
        return 0;
}

static int teardown(void **state)
{
        char tmp[160];

        unlink(path);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        unlink(tmp);
        rmdir(dir);
        return 0;
}

static void *open_meter(const char *file, int64_t reset_at)
{
        static struct fake_kv kv[7];
        void *m;
        mb_err err;

        struct fake_kv init[] = {KV_STR("profile", "flat"),
                                 KV_INT("noise_pct", 0),
                                 KV_INT("base_w", 1000),
                                 KV_STR("state_file", file),
                                 KV_INT("fault_reset_at", reset_at),
                                 KV_BOOL("demand", 1),
                                 {0}};
        memcpy(kv, init, sizeof(init));
        assert_int_equal(fake_meter_new(P, &ctx, kv, "persist", NULL, 1000, &m, &err), MB_OK);
        return m;
}

static void read_ok(void *m, mb_reading *r)
{
        mb_err err;

        assert_int_equal(fake_read(P, m, r, &err), MB_OK);
}

static void test_restart_keeps_registers_and_relay(void **state)
{
        mb_reading r;
        void *m;
        int st;
        mb_err err;
        char tmp[160];

        fake_reset(1000, T0);
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(access(path, F_OK), 0);
        fake_advance_ms(2 * HOUR_MS);
        assert_int_equal(P->meter_control(m, MB_CTL_TRIP, &st, &err), MB_OK);
        P->meter_free(m);

        fake_reset(5, T0 + 5 * 3600); /* rebooted: new monotonic clock, 3 h later */
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(r.import_wh, 2000); /* open while down: nothing more */
        assert_int_equal(r.relay, MB_RELAY_OPEN);
        assert_int_equal(r.quality, 0);
        assert_int_equal(P->meter_control(m, MB_CTL_CLOSE, &st, &err), MB_OK);
        P->meter_free(m);

        fake_reset(77, T0 + 7 * 3600); /* down for 2 h with the supply on */
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(r.import_wh, 4000);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        P->meter_free(m);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        assert_int_not_equal(access(tmp, F_OK), 0);
}

static void test_missing_file_starts_fresh(void **state)
{
        mb_reading r;
        void *m;

        fake_reset(0, T0);
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(r.quality, 0);
        assert_true(fake_log_has("no state file"));
        P->meter_free(m);
}

static void write_file(const char *text)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static void expect_corrupt(const char *text, const char *why)
{
        mb_reading r;
        void *m;

        write_file(text);
        fake_reset(0, T0);
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(r.quality, MB_Q_REGISTER_RESET);
        assert_int_equal(r.import_wh, 0);
        assert_true(fake_log_has(why));
        read_ok(m, &r);
        assert_int_equal(r.quality, 0);
        P->meter_free(m);
}

#define GOOD_HEAD "meterbox-sim-state 1\nimport_wh 10\nrate_wh 0 0 10 0\nrate_acc 0 0 0 0\n"
#define GOOD_TAIL "protect 0\nalarm 0\nreads 1\nreset_done 0\nwall_ms 1\nfrozen 0 0 0\n"

static void test_corrupt_file_is_a_reset(void **state)
{
        expect_corrupt("hello\n", "not a sim state file");
        expect_corrupt(GOOD_HEAD "relay 1\n" GOOD_TAIL, "truncated");
        expect_corrupt(GOOD_HEAD "relay 7\n" GOOD_TAIL "end\n", "relay is not 1, 2 or 3");
        expect_corrupt(GOOD_HEAD "relay 1x\n" GOOD_TAIL "end\n", "line 5");
        expect_corrupt(GOOD_HEAD GOOD_TAIL "end\n", "a key is missing");
        expect_corrupt("meterbox-sim-state 1\nimport_wh 11\nrate_wh 0 0 10 0\nrate_acc 0 0 0 0\n"
                       "relay 1\n" GOOD_TAIL "end\n",
                       "not the sum");
}

static void test_good_file_is_restored(void **state)
{
        mb_reading r;
        void *m;

        write_file(GOOD_HEAD "relay 2\n" GOOD_TAIL "end\n");
        fake_reset(0, T0);
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_int_equal(r.import_wh, 10);
        assert_int_equal(r.relay, MB_RELAY_OPEN);
        assert_int_equal(r.quality, 0);
        P->meter_free(m);
}

/* The maximum demand registers survive a restart (files of older sims have
 * none and start from 0, test_good_file_is_restored); a negative one is a
 * corrupt file. */
static void test_demand_is_restored(void **state)
{
        mb_reading r;
        void *m;

        write_file(GOOD_HEAD "relay 1\n" GOOD_TAIL "demand 4500000 1705270000 4600000 1704038400\n"
                             "end\n");
        fake_reset(0, T0);
        m = open_meter(path, 0);
        read_ok(m, &r);
        assert_true((r.fields & (MB_F_DEMAND | MB_F_FROZEN_DEMAND)) ==
                    (MB_F_DEMAND | MB_F_FROZEN_DEMAND));
        assert_int_equal(r.demand_mw, 4500000);
        assert_int_equal(r.demand_time, 1705270000);
        assert_int_equal(r.frozen_demand_mw, 4600000);
        assert_int_equal(r.frozen_demand_time, 1704038400);
        P->meter_free(m);
        expect_corrupt(GOOD_HEAD "relay 1\n" GOOD_TAIL "demand -1 0 0 0\nend\n", "negative");
}

static void test_reads_count_across_restarts(void **state)
{
        mb_reading r;
        void *m;

        fake_reset(0, T0);
        m = open_meter(path, 3);
        read_ok(m, &r);
        read_ok(m, &r);
        P->meter_free(m);
        m = open_meter(path, 3);
        read_ok(m, &r);
        assert_int_equal(r.quality, 0);
        read_ok(m, &r); /* the fourth read overall */
        assert_int_equal(r.quality, MB_Q_REGISTER_RESET);
        P->meter_free(m);
        m = open_meter(path, 3); /* fires once only */
        read_ok(m, &r);
        assert_int_equal(r.quality, 0);
        P->meter_free(m);
}

static void test_save_failure_reported_once(void **state)
{
        mb_reading r;
        void *m;
        const char *log, *first;

        fake_reset(0, T0);
        m = open_meter("/nonexistent-dir/meter.state", 0);
        read_ok(m, &r);
        read_ok(m, &r);
        log = fake_log();
        first = strstr(log, "cannot save state");
        assert_non_null(first);
        assert_null(strstr(first + 1, "cannot save state"));
        P->meter_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_restart_keeps_registers_and_relay, setup,
                                            teardown),
            cmocka_unit_test_setup_teardown(test_missing_file_starts_fresh, setup, teardown),
            cmocka_unit_test_setup_teardown(test_corrupt_file_is_a_reset, setup, teardown),
            cmocka_unit_test_setup_teardown(test_good_file_is_restored, setup, teardown),
            cmocka_unit_test_setup_teardown(test_demand_is_restored, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reads_count_across_restarts, setup, teardown),
            cmocka_unit_test_setup_teardown(test_save_failure_reported_once, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
