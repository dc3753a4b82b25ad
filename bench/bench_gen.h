/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_gen: the readings both ingest benchmarks send, so the HTTP run and
 * the raw-insert baseline store the very same rows.  Meter i is "B%07d"
 * (database id i + 1 when the bench set-up made the meters in order); gateway
 * g owns meters [g * per, (g + 1) * per).  Batch k of a gateway holds seqs
 * k * rpm + 1 .. (k + 1) * rpm of each of its meters, interleaved across
 * meters as readings arrive (DESIGN.md, measured facts), one every 15 min.
 *
 * Each reading is agent-shaped: every field a three-phase DL/T 645 meter
 * gives the agent (common/mb_wire.c writes them in this order): import and
 * export registers, the four time-of-use registers, power, voltage and
 * current per phase, power factor, frequency, relay, the address the meter
 * reports, its clock, the register frozen at the last settlement day, and
 * the meter's own prepaid balance.
 */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include <stdint.h>
#include <stdio.h>

struct bench_reading {
        int64_t meter; /* index */
        int64_t seq, ts, import_wh, export_wh, rate_wh[4], power_mw;
        int64_t voltage_mv[3], current_ma[3], pf_milli, freq_mhz;
        int64_t meter_time, frozen_import_wh, frozen_time, remain_fen, overdraft_fen;
        char address[16];
        char body[512]; /* the reading's JSON text, as the agent sends it */
};

/* Reading j (0-based, arrival order) of batch k of gateway g. */
static inline void bench_reading(int64_t g, int64_t per, int64_t rpm, int64_t k, int64_t j,
                                 int64_t t0, struct bench_reading *r)
{
        int64_t m = j % per, s = j / per;

        r->meter = g * per + m;
        r->seq = k * rpm + s + 1;
        r->ts = t0 + r->seq * 900;
        r->import_wh = 1000000 + r->meter * 10 + r->seq * 125;
        r->export_wh = r->meter % 3;
        r->rate_wh[0] = r->import_wh / 10;
        r->rate_wh[1] = r->import_wh * 3 / 10;
        r->rate_wh[2] = r->import_wh * 4 / 10;
        r->rate_wh[3] = r->import_wh - r->rate_wh[0] - r->rate_wh[1] - r->rate_wh[2];
        r->power_mw = 500000 + (r->seq % 17) * 1000;
        for (int p = 0; p < 3; p++) {
                r->voltage_mv[p] = 220000 + p * 300 + r->seq % 50;
                r->current_ma[p] = 2000 + p * 10 + r->seq % 30;
        }
        r->pf_milli = 985;
        r->freq_mhz = 50000 - r->seq % 3;
        r->meter_time = r->ts + 3;
        r->frozen_import_wh = 1000000 + r->meter * 10;
        r->frozen_time = t0;
        r->remain_fen = 50000 - r->seq;
        r->overdraft_fen = 0;
        snprintf(r->address, sizeof(r->address), "B%07lld", (long long)r->meter);
        snprintf(r->body, sizeof(r->body),
                 "{\"meter\":\"%s\",\"seq\":%lld,\"ts\":%lld,\"kind\":\"routine\","
                 "\"import_wh\":%lld,\"export_wh\":%lld,\"rate_wh\":[%lld,%lld,%lld,%lld],"
                 "\"power_mw\":%lld,\"voltage_mv\":[%lld,%lld,%lld],"
                 "\"current_ma\":[%lld,%lld,%lld],\"pf_milli\":%lld,\"freq_mhz\":%lld,"
                 "\"relay\":\"closed\",\"address\":\"%s\",\"meter_time\":%lld,"
                 "\"frozen_import_wh\":%lld,\"frozen_time\":%lld,\"remain_fen\":%lld,"
                 "\"overdraft_fen\":%lld}",
                 r->address, (long long)r->seq, (long long)r->ts, (long long)r->import_wh,
                 (long long)r->export_wh, (long long)r->rate_wh[0], (long long)r->rate_wh[1],
                 (long long)r->rate_wh[2], (long long)r->rate_wh[3], (long long)r->power_mw,
                 (long long)r->voltage_mv[0], (long long)r->voltage_mv[1],
                 (long long)r->voltage_mv[2], (long long)r->current_ma[0],
                 (long long)r->current_ma[1], (long long)r->current_ma[2], (long long)r->pf_milli,
                 (long long)r->freq_mhz, r->address, (long long)r->meter_time,
                 (long long)r->frozen_import_wh, (long long)r->frozen_time,
                 (long long)r->remain_fen, (long long)r->overdraft_fen);
}

#endif
