/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_ratelimit.h"

#define SLOTS 4096

struct bucket {
        int64_t token_id;
        int64_t level_milli; /* requests available, x1000 */
        int64_t at_ms;       /* last refill */
};

/* A token shares its slot with others only when ids collide modulo SLOTS;
 * then it starts a fresh bucket, which errs on the side of letting it in. */
static struct bucket buckets[SLOTS];

int srv_rate_take(int64_t token_id, int per_minute, int64_t now_ms)
{
        struct bucket *b = &buckets[(uint64_t)token_id % SLOTS];
        int64_t burst = per_minute / 6 > 10 ? per_minute / 6 : 10;
        int64_t cap = burst * 1000;

        if (per_minute <= 0)
                return 0;
        if (b->token_id != token_id || b->at_ms == 0) {
                b->token_id = token_id;
                b->level_milli = cap;
                b->at_ms = now_ms;
        }
        /* per_minute requests per 60000 ms: per_minute/60 milli-requests a ms */
        b->level_milli += (now_ms - b->at_ms) * per_minute / 60;
        if (b->level_milli > cap)
                b->level_milli = cap;
        b->at_ms = now_ms;
        if (b->level_milli >= 1000) {
                b->level_milli -= 1000;
                return 0;
        }
        return (int)((1000 - b->level_milli) * 60 / per_minute / 1000) + 1;
}
