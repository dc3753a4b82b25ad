/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the tariff engine tests (tests/unit/test_tariff*.c): time zone
 * set-up, local times, example tariffs, readings and line checks.
 * Include after <cmocka.h>.
 */
#ifndef TEST_TARIFF_UTIL_H
#define TEST_TARIFF_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_tariff.h"

#ifndef MB_TARIFF_DIR
#error "MB_TARIFF_DIR must point at etc/tariffs"
#endif

/* Every tariff test runs in China Standard Time, and checks that the zone
 * data is really there (glibc silently falls back to UTC otherwise). */
static inline void tt_tz(void)
{
        struct tm tm = {.tm_year = 124, .tm_mon = 0, .tm_mday = 1, .tm_isdst = -1};

        setenv("TZ", "Asia/Shanghai", 1);
        tzset();
        assert_int_equal((int64_t)mktime(&tm), 1704038400); /* 2023-12-31T16:00Z */
}

/* UTC seconds of a local time. */
static inline int64_t tt_lt(int y, int mo, int d, int h, int mi)
{
        struct tm tm = {.tm_year = y - 1900,
                        .tm_mon = mo - 1,
                        .tm_mday = d,
                        .tm_hour = h,
                        .tm_min = mi,
                        .tm_isdst = -1};

        return (int64_t)mktime(&tm);
}

static inline mb_tariff *tt_load(const char *file)
{
        char path[512], err[512] = "";
        mb_tariff *t = NULL;
        int rc;

        snprintf(path, sizeof(path), "%s/%s", MB_TARIFF_DIR, file);
        rc = mb_tariff_parse_file(path, &t, err, sizeof(err));
        if (rc != MB_OK)
                fail_msg("%s: %s", path, err);
        return t;
}

/* A tariff from text (fails the test when it does not parse). */
static inline mb_tariff *tt_parse(const char *text)
{
        mb_tariff *t = NULL;
        char err[256];

        if (mb_tariff_parse_string(text, "test", &t, err, sizeof(err)) != MB_OK)
                fail_msg("%s", err);
        return t;
}

static inline mb_tariff_reading tt_rd(int64_t t, int64_t wh)
{
        mb_tariff_reading r = {.t = t, .import_wh = wh};

        return r;
}

/* A reading with rate registers; import is their sum. */
static inline mb_tariff_reading tt_rdr(int64_t t, int64_t sharp, int64_t peak, int64_t flat,
                                       int64_t valley)
{
        mb_tariff_reading r = {.t = t,
                               .import_wh = sharp + peak + flat + valley,
                               .has_rates = 1,
                               .rate_wh = {sharp, peak, flat, valley}};

        return r;
}

/* Line i of acc must be this energy line (fen as computed by hand). */
static inline void tt_energy(const mb_tariff_acc *acc, size_t i, int32_t version, int tier,
                             int rate, int64_t wh, int64_t price, int64_t exact, int64_t fen)
{
        mb_tariff_line l;

        assert_int_equal(mb_tariff_acc_line(acc, i, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_ENERGY);
        assert_int_equal(l.version, version);
        assert_int_equal(l.tier, tier);
        assert_int_equal(l.rate, rate);
        assert_int_equal(l.qty, wh);
        assert_int_equal(l.price, price);
        assert_int_equal(l.exact, exact);
        assert_int_equal(l.fen, fen);
}

static inline int64_t tt_total(const mb_tariff_acc *acc)
{
        int64_t fen = -1;

        assert_int_equal(mb_tariff_acc_total(acc, &fen), MB_OK);
        return fen;
}

#endif
