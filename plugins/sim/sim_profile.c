/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: the load profile and the electrical quantities of one moment.
 *
 * Power is piecewise constant per UTC minute, so energy integrates exactly.
 * The shape gives, per local hour, a weight in thousandths of the span between
 * base_w and peak_w, interpolated linearly within the hour.  Deterministic
 * variation comes from a hash of (seed, minute) and (seed, day): noise_pct
 * percent per minute and half of that per day.  All integer arithmetic.
 */
#include "sim.h"

/* Weight per local hour 00..23, thousandths of (peak - base) above base. */
static const int16_t shapes[][24] = {
    [SIM_PROFILE_RESIDENTIAL] = {30,  20,  10,  10,  10,  40,  300, 800,  600, 250, 150, 200,
                                 250, 150, 100, 100, 150, 400, 800, 1000, 900, 600, 300, 100},
    [SIM_PROFILE_COMMERCIAL] = {0,   0,   0,    0,    0,   0,   50,  200, 700, 950, 1000, 1000,
                                800, 900, 1000, 1000, 950, 800, 400, 150, 50,  0,   0,    0},
    [SIM_PROFILE_FLAT] = {0},
};

/* splitmix64 finaliser over a combination of the inputs. */
uint64_t sim_mix(uint64_t seed, uint64_t a, uint64_t b)
{
        uint64_t z = seed ^ (a * UINT64_C(0x9E3779B97F4A7C15)) ^ (b * UINT64_C(0xBF58476D1CE4E5B9));

        z += UINT64_C(0x9E3779B97F4A7C15);
        z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
        return z ^ (z >> 31);
}

/* A value in [-span, span] from the hash. */
static int64_t jitter(uint64_t seed, uint64_t a, uint64_t b, int64_t span)
{
        return (int64_t)(sim_mix(seed, a, b) % (uint64_t)(2 * span + 1)) - span;
}

int64_t sim_power_mw(const struct sim_opts *o, int64_t wall_ms)
{
        const int16_t *w = shapes[o->profile];
        int mod = sim_local_minute_of_day(wall_ms, o->utc_offset_s);
        int hour = mod / 60, min = mod % 60;
        int64_t weight = (w[hour] * (60 - min) + w[(hour + 1) % 24] * min) / 60;
        int64_t p = o->base_mw + (o->peak_mw - o->base_mw) * weight / 1000;

        if (o->noise_pct > 0) {
                int64_t span = o->noise_pct * 10; /* thousandths */
                uint64_t minute = (uint64_t)sim_floor_div(wall_ms, SIM_MS_PER_MIN);
                uint64_t day =
                    (uint64_t)sim_floor_div(wall_ms + o->utc_offset_s * 1000, SIM_MS_PER_DAY);

                p = p * (1000 + jitter(o->seed, 1, day, span / 2)) / 1000;
                p = p * (1000 + jitter(o->seed, 2, minute, span)) / 1000;
        }
        return p < 0 ? 0 : p;
}

/* Thousandths of the total load carried by each phase: fixed per meter. */
static void phase_shares(const struct sim_opts *o, int32_t share[MB_PHASES])
{
        if (o->phases == 1) {
                share[0] = 1000;
                return;
        }
        share[0] = 300 + (int32_t)(sim_mix(o->seed, 3, 0) % 100);
        share[1] = 300 + (int32_t)(sim_mix(o->seed, 4, 0) % 100);
        share[2] = 1000 - share[0] - share[1];
}

static void fill_phase(const struct sim_opts *o, uint64_t minute, int i, int64_t p_mw,
                       mb_reading *out)
{
        int64_t noise = jitter(o->seed, 7 + (uint64_t)i, minute, 20); /* +-2 % */
        int64_t droop = p_mw / 200000;                                /* 0.5 % per kW */
        int64_t v;

        if (droop > 30)
                droop = 30;
        v = (int64_t)o->voltage_mv * (1000 + noise - droop) / 1000;
        out->voltage_mv[i] = (int32_t)v;
        out->current_ma[i] = (int32_t)(p_mw * 1000000 / (v * out->pf_milli));
}

void sim_fill_electrical(const struct sim_opts *o, int64_t wall_ms, int64_t power_mw,
                         mb_reading *out)
{
        uint64_t minute = (uint64_t)sim_floor_div(wall_ms, SIM_MS_PER_MIN);
        int32_t share[MB_PHASES];
        int64_t rest = power_mw;

        phase_shares(o, share);
        out->phases = o->phases;
        out->power_mw = power_mw;
        out->pf_milli = power_mw > 0 ? 880 + (int32_t)(sim_mix(o->seed, 5, minute) % 100) : 1000;
        out->freq_mhz = o->freq_mhz + (int32_t)jitter(o->seed, 6, minute, 50);
        for (int i = 0; i < o->phases; i++) {
                int64_t p = i == o->phases - 1 ? rest : power_mw * share[i] / 1000;

                rest -= p;
                fill_phase(o, minute, i, p, out);
        }
        out->fields |= MB_F_POWER | MB_F_VOLTAGE | MB_F_CURRENT | MB_F_PF | MB_F_FREQ;
}
