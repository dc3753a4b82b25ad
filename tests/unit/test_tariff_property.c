/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Property: charging a whole sequence of readings gives exactly the same
 * lines (so the same rounded total), flags and tier position as charging it
 * in pieces, in order, with the tier position carried and the pieces'
 * accumulators merged (or one accumulator shared), for every way of cutting
 * the sequence at its readings.
 *
 * Random sequences (seeded xorshift, so a failure is reproducible from the
 * printed seed) over the four example tariffs, with and without rate
 * registers, with intervals from zero length to 45 days so that they cross
 * midnight, TOU periods, month and year starts, tier boundaries and version
 * changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_tariff_util.h"

#define MAXN 9
#define SEQUENCES 250 /* per tariff and register mode */

struct rng {
        uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
        r->s ^= r->s >> 12;
        r->s ^= r->s << 25;
        r->s ^= r->s >> 27;
        return r->s * 2685821657736338717ull;
}

static int64_t range(struct rng *r, int64_t lo, int64_t hi)
{
        return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static int64_t step_seconds(struct rng *r)
{
        switch (rnd(r) % 10) {
        case 0:
                return 0;
        case 1:
        case 2:
        case 3:
                return range(r, 60, 6 * 3600);
        case 4:
        case 5:
        case 6:
                return range(r, 6 * 3600, 3 * 86400);
        default:
                return range(r, 3 * 86400, 45 * 86400);
        }
}

/* Energy of one step, spread over the rate registers at random; now and then
 * the registers disagree with the import register by a few Wh. */
static void step(struct rng *r, const mb_tariff_reading *prev, mb_tariff_reading *next,
                 int with_rates)
{
        int64_t dt = step_seconds(r), e = rnd(r) % 5 == 0 ? 0 : range(r, 0, dt / 4 + 10);

        *next = *prev;
        next->t = prev->t + dt;
        next->import_wh = prev->import_wh + e;
        if (!with_rates)
                return;
        for (int k = 0; k < MB_RATES; k++) {
                int64_t part = k == MB_RATES - 1 ? e : range(r, 0, e);

                next->rate_wh[k] += part;
                e -= part;
        }
        if (rnd(r) % 8 == 0)
                next->import_wh += range(r, 0, 5);
}

static int gen(struct rng *r, int64_t t_lo, int with_rates, mb_tariff_reading *rd)
{
        int n = (int)range(r, 3, MAXN);

        memset(rd, 0, sizeof(*rd));
        rd[0].t = t_lo + range(r, 0, 400 * 86400);
        rd[0].import_wh = range(r, 0, 10000000);
        rd[0].has_rates = with_rates;
        for (int k = 0; k < MB_RATES && with_rates; k++)
                rd[0].rate_wh[k] = range(r, 0, 3000000);
        for (int i = 1; i < n; i++)
                step(r, &rd[i - 1], &rd[i], with_rates);
        return n;
}

static void same_acc(const mb_tariff_acc *a, const mb_tariff_acc *b, uint64_t seed)
{
        mb_tariff_line la, lb;

        if (mb_tariff_acc_count(a) != mb_tariff_acc_count(b))
                fail_msg("seed %llu: %zu lines vs %zu", (unsigned long long)seed,
                         mb_tariff_acc_count(a), mb_tariff_acc_count(b));
        for (size_t i = 0; i < mb_tariff_acc_count(a); i++) {
                assert_int_equal(mb_tariff_acc_line(a, i, &la), MB_OK);
                assert_int_equal(mb_tariff_acc_line(b, i, &lb), MB_OK);
                if (memcmp(&la, &lb, sizeof(la)) != 0)
                        fail_msg("seed %llu: line %zu differs: %lld Wh %lld vs %lld Wh %lld",
                                 (unsigned long long)seed, i, (long long)la.qty,
                                 (long long)la.exact, (long long)lb.qty, (long long)lb.exact);
        }
        assert_int_equal(mb_tariff_acc_flags(a), mb_tariff_acc_flags(b));
        assert_int_equal(tt_total(a), tt_total(b));
}

/* Charge rd[] cut before every reading whose bit is set in `cuts`, each piece
 * into its own accumulator, merged into out. */
static void charge_pieces(const mb_tariff *t, const mb_tariff_reading *rd, int n, unsigned cuts,
                          mb_tier_pos *pos, mb_tariff_acc *out)
{
        mb_tariff_acc *piece = mb_tariff_acc_new();
        char err[256];
        int start = 0;

        for (int i = 1; i < n; i++) {
                if (i != n - 1 && !(cuts & (1u << (i - 1))))
                        continue;
                mb_tariff_acc_reset(piece);
                if (mb_tariff_charge_readings(t, rd + start, (size_t)(i - start + 1), pos, piece,
                                              err, sizeof(err)) != MB_OK)
                        fail_msg("piece %d..%d: %s", start, i, err);
                assert_int_equal(mb_tariff_acc_merge(out, piece), MB_OK);
                start = i;
        }
        mb_tariff_acc_free(piece);
}

static void check_sequence(const mb_tariff *t, const mb_tariff_reading *rd, int n, mb_tier_pos pos0,
                           uint64_t seed)
{
        mb_tariff_acc *whole = mb_tariff_acc_new(), *split = mb_tariff_acc_new();
        mb_tier_pos pw = pos0, ps;
        char err[256];

        if (mb_tariff_charge_readings(t, rd, (size_t)n, &pw, whole, err, sizeof(err)) != MB_OK)
                fail_msg("seed %llu: %s", (unsigned long long)seed, err);
        /* Every Wh of the import register is charged, none twice. */
        assert_int_equal(mb_tariff_acc_energy(whole), rd[n - 1].import_wh - rd[0].import_wh);
        for (unsigned cuts = 0; cuts < 1u << (n - 2); cuts++) {
                ps = pos0;
                mb_tariff_acc_reset(split);
                charge_pieces(t, rd, n, cuts, &ps, split);
                same_acc(whole, split, seed);
                assert_memory_equal(&pw, &ps, sizeof(pw));
        }
        /* Interval by interval into one shared accumulator. */
        ps = pos0;
        mb_tariff_acc_reset(split);
        for (int i = 1; i < n; i++)
                assert_int_equal(
                    mb_tariff_charge(t, &rd[i - 1], &rd[i], &ps, split, err, sizeof(err)), MB_OK);
        same_acc(whole, split, seed);
        assert_memory_equal(&pw, &ps, sizeof(pw));
        mb_tariff_acc_free(whole);
        mb_tariff_acc_free(split);
}

/* With rate registers that agree with the import register and a tariff that
 * prices every rate, each rate's lines add up to its register delta. */
static void check_rates_kept(const mb_tariff_acc *acc, const mb_tariff_reading *rd, int n)
{
        int64_t by_rate[MB_TARIFF_NRATES] = {0};
        mb_tariff_line l;

        if (!rd[0].has_rates || (mb_tariff_acc_flags(acc) & MB_CHARGE_RATE_MISMATCH))
                return;
        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++)
                by_rate[l.rate] += l.qty;
        for (int r = MB_RATE_SHARP; r < MB_TARIFF_NRATES; r++)
                assert_int_equal(by_rate[r], rd[n - 1].rate_wh[r - 1] - rd[0].rate_wh[r - 1]);
}

static int year_of(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        return tm.tm_year;
}

static int max_tier(const mb_tariff_acc *acc)
{
        mb_tariff_line l;
        int m = 0;

        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++)
                m = l.tier > m ? l.tier : m;
        return m;
}

static void run_property(const char *file, int64_t t_lo, uint64_t seed0, int all_rates, int tiers)
{
        mb_tariff *t;
        mb_tariff_reading rd[MAXN];
        unsigned flags_seen = 0;
        int tier_seen = 0, years_crossed = 0;

        tt_tz();
        t = tt_load(file);
        for (int with_rates = 0; with_rates < 2; with_rates++) {
                for (uint64_t s = 0; s < SEQUENCES; s++) {
                        uint64_t seed = seed0 + s * 7919 + (uint64_t)with_rates;
                        struct rng r = {seed * 0x9E3779B97F4A7C15ull | 1};
                        int n = gen(&r, t_lo, with_rates, rd);
                        mb_tier_pos pos0 = {0};
                        int64_t end;
                        mb_tariff_acc *acc = mb_tariff_acc_new();

                        /* Half the sequences start part-way into a tier period. */
                        if (rnd(&r) % 2) {
                                assert_int_equal(
                                    mb_tariff_tier_period(t, rd[0].t, &pos0.period_start, &end),
                                    MB_OK);
                                pos0.used_wh = range(&r, 0, 5000000);
                        }
                        check_sequence(t, rd, n, pos0, seed);
                        mb_tariff_charge_readings(t, rd, (size_t)n, &pos0, acc, NULL, 0);
                        flags_seen |= mb_tariff_acc_flags(acc);
                        tier_seen = max_tier(acc) > tier_seen ? max_tier(acc) : tier_seen;
                        years_crossed += year_of(rd[0].t) != year_of(rd[n - 1].t);
                        if (all_rates)
                                check_rates_kept(acc, rd, n);
                        mb_tariff_acc_free(acc);
                }
        }
        /* The generator really reached the interesting cases. */
        assert_true(flags_seen & MB_CHARGE_BLOCK_SPLIT);
        assert_true(years_crossed > 10);
        assert_int_equal(tier_seen, tiers);
        mb_tariff_free(t);
}

static void test_beijing(void **state)
{
        run_property("beijing-residential.conf", tt_lt(2023, 11, 1, 0, 0), 1000, 0, 3);
}

static void test_zhejiang(void **state)
{
        run_property("zhejiang-residential.conf", tt_lt(2023, 11, 1, 0, 0), 2000, 0, 3);
}

static void test_flat_versions(void **state)
{
        run_property("flat.conf", tt_lt(2023, 11, 1, 0, 0), 3000, 0, 1);
}

static void test_enterprise(void **state)
{
        run_property("enterprise-tou-demand.conf", tt_lt(2024, 1, 1, 0, 0), 4000, 1, 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_beijing),
            cmocka_unit_test(test_zhejiang),
            cmocka_unit_test(test_flat_versions),
            cmocka_unit_test(test_enterprise),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
