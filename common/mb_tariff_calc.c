/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Charging one interval between two readings.
 *
 *  1. The interval [t0, t1) is cut into blocks at version changes and tier
 *     period starts; each block has one version and one tier period, and
 *     knows how many seconds of it fall into each TOU rate.
 *  2. The interval's energy is spread over blocks and rates:
 *     - with rate registers: each rate's delta over the blocks in proportion
 *       to that rate's seconds in each block (by block length when the rate
 *       has no seconds at all); energy in a rate the block's version does not
 *       price is re-spread over the block's rates by time;
 *     - without: the energy over blocks by length, then over each block's
 *       rates by their seconds.
 *  3. Block by block, in time order, the tier position is reset at a new tier
 *     period, the block's energy is cut at tier boundaries, and each tier's
 *     share is spread over the rates in proportion to the block's rate energy
 *     (as provincial tariffs apportion tier energy to peak and valley).
 *
 * Every spread is mb_apportion() (largest remainder): exact, sum-preserving
 * and a function of this interval alone, so charging intervals one by one or
 * in any grouping gives the same lines.  Nothing is rounded here: lines carry
 * exact amounts (price x Wh, e7 units) and are rounded once, per bill line,
 * by the accumulator.
 */
#include "mb_tariff_priv.h"

#include <stdlib.h>
#include <string.h>

#include "mb_money.h"

#define NR MB_TARIFF_NRATES

struct blk {
        int64_t a, b; /* [a, b) UTC */
        size_t v;     /* version index */
        int64_t ps;   /* tier period [ps, pe) */
        int64_t pe;
        int64_t secs[NR];
        int64_t e[NR]; /* energy per rate */
};

struct job {
        const mb_tariff *t;
        struct blk *bk;
        size_t n, cap;
        int64_t *w, *o; /* scratch, n each */
        unsigned flags;
        char *err;
        size_t errlen;
};

static int push_block(struct job *j, int64_t a, int64_t b, size_t v, int64_t ps, int64_t pe)
{
        struct blk *bk;

        if (j->n == j->cap) {
                size_t cap = j->cap ? j->cap * 2 : 4;

                bk = realloc(j->bk, cap * sizeof(*bk));
                if (bk == NULL)
                        return MB_ENOMEM;
                j->bk = bk;
                j->cap = cap;
        }
        bk = &j->bk[j->n++];
        memset(bk, 0, sizeof(*bk));
        bk->a = a;
        bk->b = b;
        bk->v = v;
        bk->ps = ps;
        bk->pe = pe;
        return mbt_rate_secs(&j->t->v[v], a, b, bk->secs);
}

static int no_version(struct job *j, int64_t at)
{
        char when[40];

        mbt_fmt_time(at, when, sizeof(when));
        mbt_err(j->err, j->errlen, "tariff '%s' has no version in force at %s", j->t->id, when);
        return MB_ENOENT;
}

static int build_blocks(struct job *j, int64_t a, int64_t b)
{
        while (a < b) {
                size_t vi;
                int64_t vend, ps, pe, end;
                int rc = mbt_version_at(j->t, a, &vi, &vend);

                if (rc == MB_ENOENT)
                        return no_version(j, a);
                if (rc == MB_OK)
                        rc = mbt_tier_period(&j->t->v[vi], a, &ps, &pe);
                if (rc < 0) {
                        mbt_err(j->err, j->errlen, "time %lld cannot be converted", (long long)a);
                        return rc;
                }
                end = b < vend ? b : vend;
                end = end < pe ? end : pe;
                rc = push_block(j, a, end, vi, ps, pe);
                if (rc < 0)
                        return rc;
                a = end;
        }
        j->w = malloc(j->n * sizeof(*j->w));
        j->o = malloc(j->n * sizeof(*j->o));
        return j->w && j->o ? MB_OK : MB_ENOMEM;
}

/* Spread `total` over the rates of one block by their seconds; `flag` is
 * noted when that really split it between rates. */
static int spread_in_block(struct job *j, struct blk *bk, int64_t total, unsigned flag)
{
        int64_t part[NR];
        int used = 0, rc = mb_apportion(total, bk->secs, NR, part);

        if (rc < 0)
                return rc;
        for (int r = 0; r < NR; r++) {
                bk->e[r] += part[r];
                used += bk->secs[r] > 0;
        }
        if (total > 0 && used > 1)
                j->flags |= flag;
        return MB_OK;
}

/* No rate registers: by block length, then by rate seconds. */
static int spread_by_time(struct job *j, int64_t energy)
{
        int rc;

        for (size_t i = 0; i < j->n; i++)
                j->w[i] = j->bk[i].b - j->bk[i].a;
        rc = mb_apportion(energy, j->w, j->n, j->o);
        for (size_t i = 0; i < j->n && rc == MB_OK; i++)
                rc = spread_in_block(j, &j->bk[i], j->o[i], MB_CHARGE_TIME_SPLIT);
        return rc;
}

/* Move energy in rates the version does not price into its priced periods. */
static int fold_unpriced(struct job *j, struct blk *bk)
{
        const struct mbt_version *v = &j->t->v[bk->v];
        int64_t pool = 0;

        for (int r = MB_RATE_SHARP; r < NR; r++) {
                if (v->rates & (1u << r))
                        continue;
                pool += bk->e[r];
                bk->e[r] = 0;
        }
        if (pool > 0 && v->has_tou)
                j->flags |= MB_CHARGE_RATE_UNPRICED;
        return pool > 0 ? spread_in_block(j, bk, pool, 0) : MB_OK;
}

/* Rate registers: each rate over the blocks by that rate's seconds. */
static int spread_by_rates(struct job *j, const int64_t e[NR])
{
        int rc = MB_OK;

        for (int r = MB_RATE_SHARP; r < NR && rc == MB_OK; r++) {
                int64_t sum = 0;

                for (size_t i = 0; i < j->n; i++)
                        sum += j->w[i] = j->bk[i].secs[r];
                for (size_t i = 0; i < j->n && sum == 0; i++)
                        j->w[i] = j->bk[i].b - j->bk[i].a;
                rc = mb_apportion(e[r], j->w, j->n, j->o);
                for (size_t i = 0; i < j->n && rc == MB_OK; i++)
                        j->bk[i].e[r] = j->o[i];
        }
        for (size_t i = 0; i < j->n && rc == MB_OK; i++)
                rc = fold_unpriced(j, &j->bk[i]);
        return rc;
}

static int backwards(struct job *j, const char *what, int64_t from, int64_t to)
{
        mbt_err(j->err, j->errlen, "%s register went backwards from %lld to %lld Wh", what,
                (long long)from, (long long)to);
        return MB_ERANGE;
}

/* Interval energy; e[] per rate from registers when *use_rates stays set. */
static int interval_energy(struct job *j, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
                           int64_t *energy, int64_t e[NR], int *use_rates)
{
        int64_t d[NR] = {0}, sum = 0;

        *energy = r1->import_wh - r0->import_wh;
        if (*energy < 0)
                return backwards(j, "import", r0->import_wh, r1->import_wh);
        *use_rates = r0->has_rates && r1->has_rates;
        if (!*use_rates)
                return MB_OK;
        for (int r = MB_RATE_SHARP; r < NR; r++) {
                d[r] = r1->rate_wh[r - 1] - r0->rate_wh[r - 1];
                if (d[r] < 0)
                        return backwards(j, mb_tariff_rate_name(r), r0->rate_wh[r - 1],
                                         r1->rate_wh[r - 1]);
                if (__builtin_add_overflow(sum, d[r], &sum))
                        return MB_ERANGE;
        }
        if (sum == *energy) {
                memcpy(e, d, sizeof(d));
                return MB_OK;
        }
        j->flags |= MB_CHARGE_RATE_MISMATCH;
        *use_rates = sum > 0; /* all-zero registers: fall back to time */
        return sum > 0 ? mb_apportion(*energy, d, NR, e) : MB_OK;
}

/* Energy of [used, used + total) falling into each tier. */
static void tier_amounts(const struct mbt_version *v, int64_t used, int64_t total,
                         int64_t x[MB_TARIFF_MAX_TIERS])
{
        int64_t lo = 0, end = used + total;

        for (int k = 0; k < v->ntiers; k++) {
                int64_t hi = v->tiers[k].upto_wh == MBT_NONE ? INT64_MAX : v->tiers[k].upto_wh;
                int64_t a = used > lo ? used : lo, b = end < hi ? end : hi;

                x[k] = b > a ? b - a : 0;
                lo = hi;
        }
}

static int add_energy_line(struct job *j, mb_tariff_acc *acc, const struct mbt_version *v, int k,
                           int r, int64_t wh)
{
        mb_tariff_line l = {.kind = MB_LINE_ENERGY,
                            .version = mbt_line_version(v),
                            .tier = k + 1,
                            .rate = r,
                            .qty = wh,
                            .price = v->tiers[k].price[r]};

        if (l.price < 0) {
                mbt_err(j->err, j->errlen, "tier %d has no price for rate %s", k + 1,
                        mb_tariff_rate_name(r));
                return MB_EINVAL;
        }
        if (__builtin_mul_overflow(wh, l.price, &l.exact)) {
                mbt_err(j->err, j->errlen, "amount for %lld Wh overflows", (long long)wh);
                return MB_ERANGE;
        }
        return mbt_acc_add(acc, &l);
}

/* Cut one block's energy at tier boundaries and add its lines. */
static int charge_tiers(struct job *j, const struct blk *bk, int64_t used, int64_t total,
                        mb_tariff_acc *acc)
{
        const struct mbt_version *v = &j->t->v[bk->v];
        int64_t x[MB_TARIFF_MAX_TIERS], rem[NR], part[NR];
        int rc = MB_OK;

        memcpy(rem, bk->e, sizeof(rem));
        tier_amounts(v, used, total, x);
        for (int k = 0; k < v->ntiers && rc == MB_OK; k++) {
                if (x[k] == 0)
                        continue;
                if (x[k] == total)
                        memcpy(part, rem, sizeof(part)); /* the rest, exactly */
                else
                        rc = mb_apportion(x[k], rem, NR, part);
                for (int r = 0; r < NR && rc == MB_OK; r++) {
                        if (part[r] > 0)
                                rc = add_energy_line(j, acc, v, k, r, part[r]);
                        rem[r] -= part[r];
                }
                total -= x[k];
        }
        return rc;
}

static int charge_block(struct job *j, const struct blk *bk, mb_tier_pos *pos, mb_tariff_acc *acc)
{
        int64_t total = 0;
        int rc;

        /* A new tier period starts from zero.  A position from a period that
         * starts after this one ends means readings out of order.  (One that
         * starts inside it comes from a version with another tier period, and
         * restarts from zero too.) */
        if (pos->period_start != bk->ps) {
                if (pos->period_start >= bk->pe) {
                        mbt_err(j->err, j->errlen,
                                "tier position belongs to a later tier period than the interval");
                        return MB_ESTATE;
                }
                pos->period_start = bk->ps;
                pos->used_wh = 0;
        }
        for (int r = 0; r < NR; r++)
                total += bk->e[r];
        if (total == 0)
                return MB_OK;
        if (pos->used_wh < 0 || __builtin_add_overflow(pos->used_wh, total, &(int64_t){0})) {
                mbt_err(j->err, j->errlen, "tier position %lld Wh out of range",
                        (long long)pos->used_wh);
                return MB_ERANGE;
        }
        rc = charge_tiers(j, bk, pos->used_wh, total, acc);
        if (rc == MB_OK)
                pos->used_wh += total;
        return rc;
}

static int run(struct job *j, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
               mb_tier_pos *pos, mb_tariff_acc *acc)
{
        int64_t energy, e[NR] = {0};
        int use_rates, rc;

        if (r1->t < r0->t) {
                mbt_err(j->err, j->errlen, "reading at %lld is before reading at %lld",
                        (long long)r1->t, (long long)r0->t);
                return MB_EINVAL;
        }
        rc = interval_energy(j, r0, r1, &energy, e, &use_rates);
        /* A zero-length interval: its energy belongs to the instant r0->t. */
        if (rc == MB_OK)
                rc = build_blocks(j, r0->t, r1->t > r0->t ? r1->t : r0->t + 1);
        if (rc < 0)
                return rc;
        if (j->n > 1 && energy > 0)
                j->flags |= MB_CHARGE_BLOCK_SPLIT;
        rc = use_rates ? spread_by_rates(j, e) : spread_by_time(j, energy);
        for (size_t i = 0; i < j->n && rc == MB_OK; i++)
                rc = charge_block(j, &j->bk[i], pos, acc);
        if (rc == MB_OK)
                acc->flags |= j->flags;
        return rc;
}

int mbt_charge(const mb_tariff *t, const mb_tariff_reading *r0, const mb_tariff_reading *r1,
               mb_tier_pos *pos, mb_tariff_acc *acc, char *err, size_t errlen)
{
        struct job j = {.t = t, .err = err, .errlen = errlen};
        int rc = run(&j, r0, r1, pos, acc);

        if (rc == MB_ERANGE && err != NULL && err[0] == '\0')
                mbt_err(err, errlen, "amount or energy out of range");
        if (rc == MB_ENOMEM)
                mbt_err(err, errlen, "out of memory");
        free(j.bk);
        free(j.w);
        free(j.o);
        return rc;
}
