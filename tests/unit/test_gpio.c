/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio plugin: its whole logic up to the libgpiod boundary, with a test
 * double behind gpio_ops: option parsing, level and pulse switching,
 * active-low on outputs and read-back, feedback mismatch, missing chip, busy
 * line, reopening after an error.  The double models the relay: it moves
 * (after an optional delay) when the output says so, or not at all (stuck).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gpio.h"
#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
#define P (&meterbox_plugin)
#define NLINES 32

/* The opaque libgpiod types, as this double defines them. */
struct gpiod_chip {
        int opens; /* currently open handles */
        int total_opens;
};
struct gpiod_line {
        unsigned int offset;
        int requested, output, value;
        char consumer[32];
};

struct event {
        int t, offset, value;
};

static struct {
        struct gpiod_chip chip;
        struct gpiod_line lines[NLINES];
        int now_ms;
        struct event ev[64];
        int nev;
        int busy_offset; /* request fails with EBUSY */
        int fail_set;    /* the next set_value fails with EIO */
        /* the relay */
        int mode_pulse;
        int out, trip, close, fb; /* offsets */
        int closed_level;         /* level: the output level that closes it */
        int pulse_level;          /* pulse: the level of an active pulse */
        int fb_closed_level;      /* the feedback level while closed */
        int stuck, delay_ms;
        int closed, target, move_at, pulse_start;
} hw;

static void hw_reset(void)
{
        memset(&hw, 0, sizeof(hw));
        for (int i = 0; i < NLINES; i++)
                hw.lines[i].offset = (unsigned int)i;
        hw.busy_offset = -1;
        hw.out = 5, hw.trip = 6, hw.close = 7, hw.fb = 9;
        hw.closed_level = 1, hw.pulse_level = 1, hw.fb_closed_level = 1;
        hw.closed = 1, hw.target = 1, hw.move_at = -1;
}

static void command(int closed)
{
        if (hw.stuck)
                return;
        hw.target = closed;
        hw.move_at = hw.now_ms + hw.delay_ms;
}

static void hw_output(struct gpiod_line *l, int value)
{
        l->value = value;
        if (hw.nev < 64)
                hw.ev[hw.nev++] = (struct event){hw.now_ms, (int)l->offset, value};
        if (!hw.mode_pulse && (int)l->offset == hw.out)
                command(value == hw.closed_level);
        if (hw.mode_pulse && ((int)l->offset == hw.trip || (int)l->offset == hw.close)) {
                if (value == hw.pulse_level)
                        hw.pulse_start = hw.now_ms;
                else if (hw.now_ms - hw.pulse_start >= 10)
                        command((int)l->offset == hw.close);
        }
}

static int hw_closed(void)
{
        if (hw.move_at >= 0 && hw.now_ms >= hw.move_at)
                hw.closed = hw.target, hw.move_at = -1;
        return hw.closed;
}

static struct gpiod_chip *t_chip_open(const char *name)
{
        if (strcmp(name, "gpiochip0") != 0 && strcmp(name, "/dev/gpiochip0") != 0) {
                errno = ENOENT;
                return NULL;
        }
        hw.chip.opens++;
        hw.chip.total_opens++;
        return &hw.chip;
}

static void t_chip_close(struct gpiod_chip *c)
{
        assert_ptr_equal(c, &hw.chip);
        c->opens--;
}

static struct gpiod_line *t_get_line(struct gpiod_chip *c, unsigned int offset)
{
        assert_true(c->opens > 0);
        if (offset >= NLINES) {
                errno = EINVAL;
                return NULL;
        }
        return &hw.lines[offset];
}

static int request(struct gpiod_line *l, const char *consumer, int output)
{
        assert_false(l->requested);
        if ((int)l->offset == hw.busy_offset) {
                errno = EBUSY;
                return -1;
        }
        l->requested = 1;
        l->output = output;
        snprintf(l->consumer, sizeof(l->consumer), "%s", consumer);
        return 0;
}

static int t_request_output(struct gpiod_line *l, const char *consumer, int value)
{
        int rc = request(l, consumer, 1);

        if (rc == 0)
                hw_output(l, value);
        return rc;
}

static int t_request_input(struct gpiod_line *l, const char *consumer)
{
        return request(l, consumer, 0);
}

static int t_set_value(struct gpiod_line *l, int value)
{
        assert_true(l->requested && l->output);
        if (hw.fail_set) {
                hw.fail_set = 0;
                errno = EIO;
                return -1;
        }
        hw_output(l, value);
        return 0;
}

static int t_get_value(struct gpiod_line *l)
{
        assert_true(l->requested);
        if (l->output)
                return l->value;
        assert_int_equal((int)l->offset, hw.fb);
        return hw_closed() ? hw.fb_closed_level : !hw.fb_closed_level;
}

static void t_release(struct gpiod_line *l)
{
        assert_true(l->requested);
        l->requested = 0;
}

static void t_sleep(int ms)
{
        assert_true(ms >= 0);
        hw.now_ms += ms;
}

static const struct gpio_ops test_ops = {
    .chip_open = t_chip_open,
    .chip_close = t_chip_close,
    .chip_get_line = t_get_line,
    .line_request_output = t_request_output,
    .line_request_input = t_request_input,
    .line_set_value = t_set_value,
    .line_get_value = t_get_value,
    .line_release = t_release,
    .sleep_ms = t_sleep,
};

static struct mb_ctx ctx;

static int setup(void **state)
{
        hw_reset();
        fake_reset(0, 1705276800);
        gpio_ops = &test_ops;
        return 0;
}

static int teardown(void **state)
{
        gpio_ops = &gpio_real_ops;
        return 0;
}

static void *new_relay(struct fake_kv *kv, int timeout_ms)
{
        void *m;
        mb_err err;

        assert_int_equal(fake_meter_new(P, &ctx, kv, "box7-relay", NULL, timeout_ms, &m, &err),
                         MB_OK);
        assert_int_equal(fake_unused_keys(&ctx), 0);
        return m;
}

/* The state, or the error code when the operation failed (err filled). */
static int op(void *m, int what, mb_err *err)
{
        mb_err local;
        int state = -1, rc;

        if (!err)
                err = &local;
        memset(err, 0, sizeof(*err));
        rc = P->meter_control(m, what, &state, err);
        assert_true(state >= MB_RELAY_UNKNOWN && state <= MB_RELAY_ARMED);
        if (rc < 0) {
                assert_int_equal(err->code, rc);
                return rc;
        }
        return state;
}

static void test_descriptor(void **state)
{
        assert_int_equal(P->caps, MB_CAP_RELAY);
        assert_null(P->meter_read);
        assert_non_null(P->meter_control);
        assert_string_equal(P->name, "gpio");
}

static void test_level_trip_close(void **state)
{
        struct fake_kv kv[] = {KV_INT("line", 5), {0}};
        void *m = new_relay(kv, 1000);

        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_UNKNOWN);
        assert_int_equal(hw.chip.total_opens, 0); /* nothing touched before the first op */
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        /* requested straight at the wanted level: no glitch */
        assert_int_equal(hw.nev, 1);
        assert_int_equal(hw.ev[0].offset, 5);
        assert_int_equal(hw.ev[0].value, 0);
        assert_string_equal(hw.lines[5].consumer, "meterbox:box7-relay");
        assert_int_equal(op(m, MB_CTL_CLOSE, NULL), MB_RELAY_CLOSED);
        assert_int_equal(hw.lines[5].value, 1);
        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_CLOSED);
        assert_int_equal(hw.chip.total_opens, 1);
        P->meter_free(m);
        assert_int_equal(hw.chip.opens, 0);
        assert_false(hw.lines[5].requested);
}

static void test_level_active_low(void **state)
{
        struct fake_kv kv[] = {KV_INT("line", 5), KV_BOOL("active_low", 1), {0}};
        void *m = new_relay(kv, 1000);

        hw.closed_level = 0;
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        assert_int_equal(hw.lines[5].value, 1);
        assert_int_equal(hw_closed(), 0);
        assert_int_equal(op(m, MB_CTL_CLOSE, NULL), MB_RELAY_CLOSED);
        assert_int_equal(hw.lines[5].value, 0);
        assert_int_equal(hw_closed(), 1);
        P->meter_free(m);
}

/* The last two events are a pulse of ms on offset; all before, from `from`,
 * leave the lines idle (the requests). */
static void expect_pulse(int from, int offset, int active, int ms)
{
        const struct event *on = &hw.ev[hw.nev - 2], *off = &hw.ev[hw.nev - 1];

        assert_true(hw.nev - 2 >= from);
        assert_int_equal(on->offset, offset);
        assert_int_equal(on->value, active);
        assert_int_equal(off->offset, offset);
        assert_int_equal(off->value, !active);
        assert_int_equal(off->t - on->t, ms);
        for (int i = from; i < hw.nev - 2; i++)
                assert_int_equal(hw.ev[i].value, !active);
}

static void test_pulse_mode(void **state)
{
        struct fake_kv kv[] = {KV_STR("mode", "pulse"),
                               KV_INT("trip_line", 6),
                               KV_INT("close_line", 7),
                               KV_INT("pulse_ms", 150),
                               {0}};
        void *m = new_relay(kv, 1000);
        int mark;

        hw.mode_pulse = 1;
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        assert_true(hw.lines[6].requested && hw.lines[7].requested);
        assert_int_equal(hw.lines[7].value, 0); /* the other line held idle */
        expect_pulse(0, 6, 1, 150);
        assert_int_equal(hw_closed(), 0);
        mark = hw.nev;
        assert_int_equal(op(m, MB_CTL_CLOSE, NULL), MB_RELAY_CLOSED);
        expect_pulse(mark, 7, 1, 150);
        assert_int_equal(hw_closed(), 1);
        P->meter_free(m);
}

static void test_pulse_active_low(void **state)
{
        struct fake_kv kv[] = {KV_STR("mode", "pulse"),
                               KV_INT("trip_line", 6),
                               KV_INT("close_line", 7),
                               KV_BOOL("active_low", 1),
                               {0}};
        void *m = new_relay(kv, 1000);

        hw.mode_pulse = 1;
        hw.pulse_level = 0;
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        assert_int_equal(hw.lines[7].value, 1);
        expect_pulse(0, 6, 0, 100); /* default pulse_ms */
        assert_int_equal(hw_closed(), 0);
        P->meter_free(m);
}

static void test_feedback_follows(void **state)
{
        struct fake_kv kv[] = {KV_INT("line", 5), KV_INT("feedback_line", 9), {0}};
        void *m = new_relay(kv, 1000);

        hw.delay_ms = 23;
        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_CLOSED); /* read back */
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        assert_true(hw.now_ms >= 23 && hw.now_ms < 23 + 10);
        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_OPEN);
        assert_false(hw.lines[9].output);
        P->meter_free(m);
}

static void test_feedback_active_low(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("line", 5), KV_INT("feedback_line", 9), KV_BOOL("feedback_active_low", 1), {0}};
        void *m = new_relay(kv, 1000);

        hw.fb_closed_level = 0;
        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        assert_int_equal(op(m, MB_CTL_CLOSE, NULL), MB_RELAY_CLOSED);
        P->meter_free(m);
}

static void test_feedback_mismatch(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("line", 5), KV_INT("feedback_line", 9), KV_INT("feedback_timeout_ms", 120), {0}};
        void *m = new_relay(kv, 1000);
        mb_err err;

        hw.stuck = 1;
        assert_int_equal(op(m, MB_CTL_TRIP, &err), MB_EDEVICE);
        assert_non_null(strstr(err.msg, "relay did not open"));
        assert_non_null(strstr(err.msg, "feedback_line 9 still reads closed after 120 ms"));
        assert_int_equal(hw.now_ms, 120);
        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_CLOSED);
        P->meter_free(m);
}

static void test_mismatch_reports_read_back_state(void **state)
{
        struct fake_kv kv[] = {
            KV_INT("line", 5), KV_INT("feedback_line", 9), KV_INT("feedback_timeout_ms", 0), {0}};
        void *m = new_relay(kv, 1000);
        mb_err err = {0};
        int st = -1;

        hw.stuck = 1;
        assert_int_equal(P->meter_control(m, MB_CTL_TRIP, &st, &err), MB_EDEVICE);
        assert_int_equal(st, MB_RELAY_CLOSED);
        assert_int_equal(hw.now_ms, 0);
        P->meter_free(m);
}

static void test_chip_missing(void **state)
{
        struct fake_kv kv[] = {KV_STR("chip", "gpiochip9"), KV_INT("line", 5), {0}};
        void *m = new_relay(kv, 1000);
        mb_err err;

        assert_int_equal(op(m, MB_CTL_TRIP, &err), MB_ENOENT);
        assert_non_null(strstr(err.msg, "gpio chip \"gpiochip9\""));
        assert_non_null(strstr(err.msg, "no such chip"));
        P->meter_free(m);
}

static void test_line_missing_or_busy(void **state)
{
        struct fake_kv far[] = {KV_INT("line", 40), {0}};
        struct fake_kv kv[] = {KV_INT("line", 5), {0}};
        void *m = new_relay(far, 1000);
        mb_err err;

        assert_int_equal(op(m, MB_CTL_CLOSE, &err), MB_ENOENT);
        assert_non_null(strstr(err.msg, "line 40: no such line"));
        assert_int_equal(hw.chip.opens, 0);
        P->meter_free(m);

        m = new_relay(kv, 1000);
        hw.busy_offset = 5;
        assert_int_equal(op(m, MB_CTL_CLOSE, &err), MB_EBUSY);
        assert_non_null(strstr(err.msg, "in use by another consumer"));
        assert_int_equal(hw.chip.opens, 0);
        hw.busy_offset = -1;
        assert_int_equal(op(m, MB_CTL_CLOSE, &err), MB_RELAY_CLOSED);
        P->meter_free(m);
}

static void test_reopen_after_error(void **state)
{
        struct fake_kv kv[] = {KV_INT("line", 5), {0}};
        void *m = new_relay(kv, 1000);
        mb_err err;

        assert_int_equal(op(m, MB_CTL_TRIP, NULL), MB_RELAY_OPEN);
        hw.fail_set = 1;
        assert_int_equal(op(m, MB_CTL_CLOSE, &err), MB_EIO);
        assert_non_null(strstr(err.msg, "set value"));
        assert_int_equal(op(m, MB_CTL_QUERY, NULL), MB_RELAY_UNKNOWN);
        assert_int_equal(hw.chip.opens, 0);
        assert_int_equal(op(m, MB_CTL_CLOSE, NULL), MB_RELAY_CLOSED);
        assert_int_equal(hw.chip.total_opens, 2);
        P->meter_free(m);
}

static void test_unsupported_ops(void **state)
{
        struct fake_kv kv[] = {KV_INT("line", 5), {0}};
        void *m = new_relay(kv, 1000);
        mb_err err;

        assert_int_equal(op(m, MB_CTL_ARM, &err), MB_ENOTSUP);
        assert_non_null(strstr(err.msg, "arm"));
        assert_int_equal(op(m, MB_CTL_ALARM, NULL), MB_ENOTSUP);
        assert_int_equal(op(m, MB_CTL_PROTECT, NULL), MB_ENOTSUP);
        assert_int_equal(op(m, 99, NULL), MB_ENOTSUP);
        assert_int_equal(hw.chip.total_opens, 0);
        P->meter_free(m);
}

static void expect_bad(struct fake_kv *kv, int timeout_ms, const char *key, const char *text)
{
        void *m = NULL;
        mb_err err;
        char where[64];

        fake_reset(0, 0);
        assert_int_equal(fake_meter_new(P, &ctx, kv, "bad", NULL, timeout_ms, &m, &err),
                         MB_ECONFIG);
        assert_null(m);
        snprintf(where, sizeof(where), ": %s: ", key);
        assert_non_null(strstr(fake_cfg_last_error(), where));
        assert_non_null(strstr(fake_cfg_last_error(), text));
        assert_int_equal(fake_unused_keys(&ctx), 0);
}

static void test_options(void **state)
{
        struct fake_kv none[] = {{0}};
        struct fake_kv pulse_no_trip[] = {KV_STR("mode", "pulse"), KV_INT("close_line", 7), {0}};
        struct fake_kv level_trip[] = {KV_INT("line", 1), KV_INT("trip_line", 2), {0}};
        struct fake_kv mode[] = {KV_STR("mode", "toggle"), KV_INT("line", 1), {0}};
        struct fake_kv pulse_ms[] = {KV_INT("line", 1), KV_INT("pulse_ms", 50), {0}};
        struct fake_kv budget[] = {KV_STR("mode", "pulse"),
                                   KV_INT("trip_line", 1),
                                   KV_INT("close_line", 2),
                                   KV_INT("pulse_ms", 400),
                                   KV_INT("feedback_line", 3),
                                   KV_INT("feedback_timeout_ms", 200),
                                   {0}};
        struct fake_kv same[] = {KV_INT("line", 3), KV_INT("feedback_line", 3), {0}};
        struct fake_kv fb_low[] = {KV_INT("line", 3), KV_BOOL("feedback_active_low", 1), {0}};
        struct fake_kv neg[] = {KV_INT("line", -1), {0}};
        struct fake_kv chip[] = {KV_STR("chip", ""), KV_INT("line", 1), {0}};
        struct fake_kv type[] = {KV_STR("line", "5"), {0}};

        expect_bad(none, 1000, "line", "line is required in level mode");
        expect_bad(pulse_no_trip, 1000, "trip_line", "required in pulse mode");
        expect_bad(level_trip, 1000, "trip_line", "not used in level mode");
        expect_bad(mode, 1000, "mode", "unknown value \"toggle\"");
        expect_bad(pulse_ms, 1000, "pulse_ms", "not used in level mode");
        expect_bad(budget, 500, "feedback_timeout_ms", "exceed the meter's timeout_ms (500)");
        expect_bad(same, 1000, "feedback_line", "line and feedback_line are the same line (3)");
        expect_bad(fb_low, 1000, "feedback_active_low", "needs feedback_line");
        expect_bad(neg, 1000, "line", "between 0 and 65535");
        expect_bad(chip, 1000, "chip", "must not be empty");
        expect_bad(type, 1000, "line", "expected an integer");
}

static void test_default_feedback_timeout_fits(void **state)
{
        struct fake_kv kv[] = {KV_STR("mode", "pulse"),
                               KV_INT("trip_line", 6),
                               KV_INT("close_line", 7),
                               KV_INT("feedback_line", 9),
                               {0}};
        void *m = new_relay(kv, 250); /* 100 ms pulse + default 200 ms would not fit */
        mb_err err;

        hw.mode_pulse = 1;
        hw.stuck = 1;
        assert_int_equal(op(m, MB_CTL_TRIP, &err), MB_EDEVICE);
        assert_true(hw.now_ms <= 250);
        P->meter_free(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_descriptor),
            cmocka_unit_test_setup_teardown(test_level_trip_close, setup, teardown),
            cmocka_unit_test_setup_teardown(test_level_active_low, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pulse_mode, setup, teardown),
            cmocka_unit_test_setup_teardown(test_pulse_active_low, setup, teardown),
            cmocka_unit_test_setup_teardown(test_feedback_follows, setup, teardown),
            cmocka_unit_test_setup_teardown(test_feedback_active_low, setup, teardown),
            cmocka_unit_test_setup_teardown(test_feedback_mismatch, setup, teardown),
            cmocka_unit_test_setup_teardown(test_mismatch_reports_read_back_state, setup, teardown),
            cmocka_unit_test_setup_teardown(test_chip_missing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_line_missing_or_busy, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reopen_after_error, setup, teardown),
            cmocka_unit_test_setup_teardown(test_unsupported_ops, setup, teardown),
            cmocka_unit_test_setup_teardown(test_options, setup, teardown),
            cmocka_unit_test_setup_teardown(test_default_feedback_timeout_fits, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
