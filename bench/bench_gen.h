/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_gen: the readings both ingest benchmarks send, so the HTTP run and
 * the raw-insert baseline store the very same rows.  Meter i is "B%07d"
 * (database id i + 1 when the bench set-up made the meters in order); gateway
 * g owns meters [g * per, (g + 1) * per).  Batch k of a gateway holds seqs
 * k * rpm + 1 .. (k + 1) * rpm of each of its meters, interleaved across
 * meters as readings arrive (DESIGN.md, measured facts), one every 15 min.
 */
#ifndef BENCH_GEN_H
#define BENCH_GEN_H

#include <stdint.h>
#include <stdio.h>

struct bench_reading {
        int64_t meter; /* index */
        int64_t seq, ts, import_wh;
        char body[160]; /* the reading's JSON text */
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
        snprintf(r->body, sizeof(r->body),
                 "{\"meter\":\"B%07lld\",\"seq\":%lld,\"ts\":%lld,\"import_wh\":%lld}",
                 (long long)r->meter, (long long)r->seq, (long long)r->ts, (long long)r->import_wh);
}

#endif
