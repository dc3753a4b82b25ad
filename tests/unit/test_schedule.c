/* SPDX-License-Identifier: Apache-2.0 */
/* Upload timing: a city's gateways spread over the interval and the
 * month-end window instead of arriving at once; backoff grows and jitters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "agent_schedule.h"

#define GATEWAYS 240
#define REGIONS 6
#define WINDOW 360 /* minutes */
#define BUCKET 30  /* minutes */

static void name_of(int i, char *id, char *region)
{
        sprintf(region, "3301%02d", i % REGIONS);
        sprintf(id, "gw-%s-%04d", region, i);
}

/* Month-end: simulate the window minute by minute; each gateway sends its
 * boundary readings at the first minute agent_boundary_due lets it. */
static void month_end_uploads_spread_over_the_window(void **state)
{
        int64_t start = agent_month_start(1796054400); /* 2026-12-01 local */
        int per_bucket[WINDOW / BUCKET] = {0}, sent[GATEWAYS] = {0}, slots[GATEWAYS];
        char id[32], region[16];
        int max = 0, min = GATEWAYS, at_zero = 0;

        for (int g = 0; g < GATEWAYS; g++) {
                name_of(g, id, region);
                slots[g] = agent_boundary_slot(id, region, -1, WINDOW);
                assert_in_range(slots[g], 0, WINDOW - 1);
        }
        for (int minute = 0; minute < WINDOW; minute++)
                for (int g = 0; g < GATEWAYS; g++)
                        if (!sent[g] && agent_boundary_due(start + minute * 60, slots[g])) {
                                sent[g] = 1;
                                per_bucket[minute / BUCKET]++;
                                at_zero += minute == 0;
                        }
        for (int b = 0; b < WINDOW / BUCKET; b++) {
                max = per_bucket[b] > max ? per_bucket[b] : max;
                min = per_bucket[b] < min ? per_bucket[b] : min;
                printf("  %3d-%3d min: %d gateways\n", b * BUCKET, b * BUCKET + BUCKET,
                       per_bucket[b]);
        }
        for (int g = 0; g < GATEWAYS; g++)
                assert_true(sent[g]);
        /* Without spreading all 240 would arrive in the first minute. The
         * mean is 20 a bucket: no bucket may hold more than twice that. */
        assert_true(at_zero < 10);
        assert_true(max <= 2 * GATEWAYS / (WINDOW / BUCKET));
        assert_true(min >= 5);
}

static void nothing_is_due_before_the_slot(void **state)
{
        int64_t start = agent_month_start(1796054400);

        assert_false(agent_boundary_due(start + 59 * 60, 60));
        assert_true(agent_boundary_due(start + 60 * 60, 60));
        assert_true(agent_boundary_due(start - 1, 60)); /* previous month: long past */
        assert_int_equal(agent_boundary_slot("gw", "r", 17, WINDOW), 17);
        assert_int_equal(agent_boundary_slot("gw", "r", 400, WINDOW), 40);
}

static void routine_uploads_spread_over_the_interval(void **state)
{
        int buckets[10] = {0};
        char id[32], region[16];

        for (int g = 0; g < GATEWAYS; g++) {
                name_of(g, id, region);
                int64_t off = agent_upload_offset(id, 900);
                assert_in_range(off, 0, 899);
                buckets[off / 90]++;
        }
        for (int b = 0; b < 10; b++)
                assert_in_range(buckets[b], 8, 48);
}

static void next_upload_is_on_the_gateways_offset(void **state)
{
        assert_int_equal(agent_upload_next(1000, 300, 17), 1217);
        assert_int_equal(agent_upload_next(1217, 300, 17), 1517);
        assert_int_equal(agent_upload_next(1216, 300, 17), 1217);
}

static void backoff_doubles_up_to_the_cap_with_jitter(void **state)
{
        assert_int_equal(agent_backoff_ms(1, 2000, 600000, 0), 2000);
        assert_int_equal(agent_backoff_ms(2, 2000, 600000, 0), 4000);
        assert_int_equal(agent_backoff_ms(5, 2000, 600000, 0), 32000);
        assert_int_equal(agent_backoff_ms(30, 2000, 600000, 0), 600000);
        for (uint32_t r = 0; r < 1000; r += 7) {
                int64_t d = agent_backoff_ms(3, 2000, 600000, r * 2654435761u);
                assert_in_range(d, 6000, 8000);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(month_end_uploads_spread_over_the_window),
            cmocka_unit_test(nothing_is_due_before_the_slot),
            cmocka_unit_test(routine_uploads_spread_over_the_interval),
            cmocka_unit_test(next_upload_is_on_the_gateways_offset),
            cmocka_unit_test(backoff_doubles_up_to_the_cap_with_jitter),
        };

        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
