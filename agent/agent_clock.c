/* SPDX-License-Identifier: Apache-2.0 */
/* Is the gateway's clock to be trusted?  A gateway without a battery-backed
 * clock may boot in 1970, and NTP may step it later: readings must stay
 * ordered by sequence (they are) and the server must see the doubt. */
#define MB_LOG_MODULE "clock"
#include <pthread.h>
#include <stdio.h>

#include "agent.h"
#include "mb_log.h"
#include "mb_time.h"

#define CLOCK_FLOOR 1704067200 /* 2024-01-01: no reading is older than this software */
#define JUMP_S 60
#define SUSPECT_FOR_MS (3600 * 1000)

static int64_t last_offset_ms = INT64_MIN; /* wall - monotonic; main thread only */
/* A mutex rather than 64-bit atomics, which 32-bit MIPS gateways only have
 * through libatomic. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t suspect_until_ms; /* monotonic */
static int below_floor;

int agent_clock_suspect(void)
{
        int suspect;

        pthread_mutex_lock(&lock);
        suspect = below_floor || mb_monotonic_ms() < suspect_until_ms;
        pthread_mutex_unlock(&lock);
        return suspect;
}

static void record_jump(struct agent *a, int64_t by_ms, int64_t wall_s)
{
        char data[96];

        snprintf(data, sizeof(data), "{\"by_s\":%lld}", (long long)(by_ms / 1000));
        mb_warn("the gateway clock jumped by %lld s", (long long)(by_ms / 1000));
        if (a->store && agent_store_begin(a->store) == MB_OK) {
                agent_store_add_event(a->store, 0, wall_s, "clock_jump",
                                      "wall clock moved against the monotonic clock", INT64_MIN,
                                      data);
                agent_store_end(a->store);
        }
        pthread_mutex_lock(&lock);
        suspect_until_ms = mb_monotonic_ms() + SUSPECT_FOR_MS;
        pthread_mutex_unlock(&lock);
}

void agent_clock_check(struct agent *a)
{
        struct timespec w;
        int64_t mono = mb_monotonic_ms(), wall_ms, offset;
        int was_below, below;

        clock_gettime(CLOCK_REALTIME, &w);
        wall_ms = (int64_t)w.tv_sec * 1000 + w.tv_nsec / 1000000;
        offset = wall_ms - mono;
        below = w.tv_sec < CLOCK_FLOOR;
        pthread_mutex_lock(&lock);
        was_below = below_floor;
        below_floor = below;
        pthread_mutex_unlock(&lock);
        if (below && !was_below)
                mb_warn("the gateway clock reads %lld, before %d: readings are flagged",
                        (long long)w.tv_sec, CLOCK_FLOOR);
        if (last_offset_ms != INT64_MIN &&
            (offset - last_offset_ms > JUMP_S * 1000 || last_offset_ms - offset > JUMP_S * 1000))
                record_jump(a, offset - last_offset_ms, w.tv_sec);
        last_offset_ms = offset;
}
