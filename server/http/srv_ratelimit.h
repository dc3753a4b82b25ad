/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-token request rate limits: a token bucket per API token, so one
 * misbehaving gateway or script cannot starve the others.  A request over
 * the limit gets 429 with Retry-After; agents back off on it.
 *
 * Not thread-safe by itself: the dispatcher calls it under the server lock.
 */
#ifndef SRV_RATELIMIT_H
#define SRV_RATELIMIT_H

#include <stdint.h>

/* Take one request from token_id's bucket at now_ms, for a limit of
 * per_minute requests (bursts of a tenth of a minute's worth, at least 10).
 * Returns 0 when allowed, else the seconds to wait (>= 1).  per_minute <= 0:
 * no limit. */
int srv_rate_take(int64_t token_id, int per_minute, int64_t now_ms);

#endif
