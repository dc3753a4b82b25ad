/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multipliers (common/mb_multiplier.h, docs/tariffs.md "Multipliers"): the
 * walk's pieces scaled by CT x PT before the engine charges them, exactly
 * as the agent and the server both do.  Every amount worked out by hand
 * from the example tariffs (etc/tariffs), in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mb_multiplier.h"
#include "test_tariff_util.h"

/* Charge ref -> x as one step of the walk, scaled by k, into acc. */
static void step(const mb_tariff *t, mb_tariff_reading *ref, mb_tariff_reading x, int64_t k,
                 mb_tier_pos *pos, mb_tariff_acc *acc)
{
        mb_walk_point p = {.r = x};
        mb_walk_step st;
        char err[256] = "";

        mb_walk_plan(ref, &p, 0, &st);
        assert_int_equal(mb_multiplier_step(&st, k), MB_OK);
        for (int i = 0; i < st.n; i++)
                if (mb_tariff_charge(t, &st.p[i].a, &st.p[i].b, pos, acc, err, sizeof(err)) !=
                    MB_OK)
                        fail_msg("%s", err);
        *ref = st.ref;
}

/* A ratio's text and what mb_ratio_parse makes of it: the code, the
 * multiplier when it is MB_OK, or part of the message. */
static const struct {
        const char *text;
        int rc;
        int64_t r;
        const char *msg;
} ratio_cases[] = {
    {"200/5", MB_OK, 40, NULL},
    {"10000/100", MB_OK, 100, NULL},
    {"1", MB_OK, 1, NULL},
    {"12.5/5", MB_EINVAL, 0, NULL},
    {"25/10", MB_EINVAL, 0, "not a whole ratio"},
    {"0/5", MB_EINVAL, 0, NULL},
    {"/5", MB_EINVAL, 0, NULL},
    {"-200/5", MB_EINVAL, 0, NULL},
    {"5000000/1", MB_ERANGE, 0, NULL},
};

static void ratios(void **state)
{
        int64_t r = 0, k = 0;
        char err[128];

        (void)state;
        for (size_t i = 0; i < sizeof(ratio_cases) / sizeof(ratio_cases[0]); i++) {
                print_message("ratio %s\n", ratio_cases[i].text);
                assert_int_equal(mb_ratio_parse(ratio_cases[i].text, &r, err, sizeof(err)),
                                 ratio_cases[i].rc);
                if (ratio_cases[i].rc == MB_OK)
                        assert_int_equal(r, ratio_cases[i].r);
                if (ratio_cases[i].msg)
                        assert_non_null(strstr(err, ratio_cases[i].msg));
        }
        assert_int_equal(mb_multiplier(40, 100, &k), MB_OK);
        assert_int_equal(k, 4000);
        assert_int_equal(mb_multiplier(100, 10, &k), MB_OK); /* tou's 10 kV PT and 50/5 CT */
        assert_int_equal(k, 1000);
        assert_int_equal(mb_multiplier(2000, 1000, &k), MB_ERANGE);
}

/* A reading at a local midnight: the import register, or (rates) the four
 * rate registers sharp, peak, flat, valley that import is the sum of. */
struct rd {
        int y, mo, d;
        int64_t wh;
        int rates;
        int64_t rate_wh[4];
};

/* An import-only reading (designated, so that no compiler asks for the
 * rate fields it leaves zero). */
#define REG(y_, mo_, d_, wh_)                                                                      \
        {                                                                                          \
                .y = (y_), .mo = (mo_), .d = (d_), .wh = (wh_)                                     \
        }

/* An energy line of acc as tt_energy checks it (fen worked out by hand). */
struct line_case {
        int32_t version;
        int tier, rate;
        int64_t wh, price, exact, fen;
};

/* A walk charged with multipliers: from ref, each step to its reading
 * scaled by its k (k 0 ends the steps), with the tier position's energy
 * after it; then exactly these lines (version 0 ends them) and this total.
 * After every step the reference is the step's reading, in register units. */
struct charge_case {
        const char *tariff;
        struct rd ref;
        struct {
                struct rd x;
                int64_t k, used_wh;
        } steps[2];
        struct line_case lines[3];
        int64_t total;
};

/* Flat 0.55 (flat.conf from 2024-07), CT 200/5 = 40: the register moves
 * 2.5 kWh in March, the customer used 100 kWh = 55.00. */
static const struct charge_case flat = {
    .tariff = "flat.conf",
    .ref = REG(2025, 3, 1, 10000),
    .steps = {{REG(2025, 4, 1, 12500), 40, 100000}},
    .lines = {{20240701, 1, MB_RATE_NONE, 100000, 5500, 550000000, 5500}},
    .total = 5500,
};

/* Beijing tiers (240 / 400 kWh), CT 300/5 = 60: 8 kWh on the register is
 * 480 kWh: 240 x 0.4883 = 117.19, 160 x 0.5383 = 86.13, 80 x 0.7883 =
 * 63.064 -> 63.06; 266.38.  Without the multiplier it would bill 3.91. */
static const struct charge_case tiered = {
    .tariff = "beijing-residential.conf",
    .ref = REG(2025, 3, 1, 0),
    .steps = {{REG(2025, 4, 1, 8000), 60, 480000}},
    .lines = {{20120701, 1, MB_RATE_NONE, 240000, 4883, 1171920000, 11719},
              {20120701, 2, MB_RATE_NONE, 160000, 5383, 861280000, 8613},
              {20120701, 3, MB_RATE_NONE, 80000, 7883, 630640000, 6306}},
    .total = 26638,
};

/* A CT replaced in the middle of March (Beijing tiers): 200/5 = 40 from
 * 1000 to 5000 Wh on the register (160 kWh), then 300/5 = 60 from 5000 to
 * 9000 Wh (240 kWh).  400 kWh with the tier position carried across the
 * change: tier 1 240 (160 + 80) = 117.19, tier 2 160 = 86.13; 203.32.  Had
 * the new CT started a new allowance: 400 kWh in tier 1 = 195.32. */
static const struct charge_case ct_replaced = {
    .tariff = "beijing-residential.conf",
    .ref = REG(2025, 3, 1, 1000),
    .steps = {{REG(2025, 3, 16, 5000), 40, 160000}, /* the old CT's piece */
              {REG(2025, 4, 1, 9000), 60, 400000}}, /* the new one's */
    .lines = {{20120701, 1, MB_RATE_NONE, 240000, 4883, 1171920000, 11719},
              {20120701, 2, MB_RATE_NONE, 160000, 5383, 861280000, 8613}},
    .total = 20332,
};

/* Time of use (enterprise-tou-demand.conf, an ordinary March day) behind a
 * 10 kV PT (10000/100 = 100) and a 50/5 CT (10): k = 1000.  The rate
 * registers move peak 30, flat 20, valley 10 Wh: 30 kWh x 1.00 = 30.00,
 * 20 kWh x 0.62 = 12.40, 10 kWh x 0.30 = 3.00; 45.40. */
static const struct charge_case tou = {
    .tariff = "enterprise-tou-demand.conf",
    .ref = {2025, 3, 10, .rates = 1, .rate_wh = {0, 100, 200, 300}},
    .steps = {{{2025, 3, 11, .rates = 1, .rate_wh = {0, 130, 220, 310}}, 1000, 60000}},
    .lines = {{20240101, 1, MB_RATE_PEAK, 30000, 10000, 300000000, 3000},
              {20240101, 1, MB_RATE_FLAT, 20000, 6200, 124000000, 1240},
              {20240101, 1, MB_RATE_VALLEY, 10000, 3000, 30000000, 300}},
    .total = 4540,
};

static mb_tariff_reading reading(const struct rd *r)
{
        int64_t t = tt_lt(r->y, r->mo, r->d, 0, 0);

        if (!r->rates)
                return tt_rd(t, r->wh);
        return tt_rdr(t, r->rate_wh[0], r->rate_wh[1], r->rate_wh[2], r->rate_wh[3]);
}

/* Runs the charge_case in *state. */
static void charge(void **state)
{
        const struct charge_case *c = *state;
        mb_tariff *t = tt_load(c->tariff);
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading ref = reading(&c->ref), x;
        mb_tier_pos pos = {0};
        size_t n = 0;

        for (size_t i = 0; i < 2 && c->steps[i].k; i++) {
                x = reading(&c->steps[i].x);
                step(t, &ref, x, c->steps[i].k, &pos, acc);
                assert_int_equal(pos.used_wh, c->steps[i].used_wh);
                assert_int_equal(ref.import_wh, x.import_wh);
        }
        for (; n < 3 && c->lines[n].version; n++) {
                const struct line_case *l = &c->lines[n];

                tt_energy(acc, n, l->version, l->tier, l->rate, l->wh, l->price, l->exact, l->fen);
        }
        assert_int_equal(mb_tariff_acc_count(acc), n);
        assert_int_equal(tt_total(acc), c->total);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* The month's bill of the same enterprise: energy as above over March, the
 * fixed 20.00, and a demand charge on the maximum demand times the same
 * multiplier: 120 W on the meter is 120 kW, x 38.00 = 4560.00.  Total
 * 45.40 + 20.00 + 4560.00 = 4625.40. */
static void demand(void **state)
{
        mb_tariff *t = tt_load("enterprise-tou-demand.conf");
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tariff_reading r0 = tt_rdr(tt_lt(2025, 3, 1, 0, 0), 0, 100, 200, 300);
        mb_tariff_reading r1 = tt_rdr(tt_lt(2025, 4, 1, 0, 0), 0, 130, 220, 310);
        mb_tier_pos pos = {0};
        mb_tariff_line l;
        int64_t demand_w = 120, k = 1000;
        char err[256];

        (void)state;
        assert_int_equal(mb_multiplier_reading(&r0, k), MB_OK);
        assert_int_equal(mb_multiplier_reading(&r1, k), MB_OK);
        assert_int_equal(r1.rate_wh[1], 130000);
        assert_int_equal(mb_multiplier_reading(&(mb_tariff_reading){.import_wh = INT64_MAX / 2}, 3),
                         MB_ERANGE);
        assert_int_equal(
            mb_tariff_bill_month(t, &r0, &r1, demand_w * k, &pos, acc, err, sizeof(err)), MB_OK);
        assert_int_equal(mb_tariff_acc_count(acc), 5);
        assert_int_equal(mb_tariff_acc_line(acc, 4, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_DEMAND);
        assert_int_equal(l.qty, 120000);
        assert_int_equal(l.price, 380000);
        assert_int_equal(l.fen, 456000);
        assert_int_equal(mb_tariff_acc_line(acc, 3, &l), MB_OK);
        assert_int_equal(l.kind, MB_LINE_FIXED);
        assert_int_equal(l.fen, 2000);
        assert_int_equal(tt_total(acc), 462540);
        mb_tariff_acc_free(acc);
        mb_tariff_free(t);
}

/* A charge_case as a test of its own name. */
#define CHARGE(c)                                                                                  \
        {                                                                                          \
#c, charge, NULL, NULL, (void *)&(c)                                               \
        }

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(ratios), CHARGE(flat), CHARGE(tiered),
            CHARGE(ct_replaced),      CHARGE(tou),  cmocka_unit_test(demand),
        };

        tt_tz();
        return cmocka_run_group_tests(tests, NULL, NULL);
}
