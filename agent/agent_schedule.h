/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When a gateway talks to the server: pure functions, so the spread of a
 * whole city's uploads can be tested without a network.
 *
 * Routine uploads run every interval at a per-gateway offset inside it.
 * Month-end boundary readings wait for the gateway's slot in the month-end
 * window: the configured upload_slot, else a hash of region and gateway id,
 * so that a city's gateways do not all arrive at 00:00 on the 1st.
 */
#ifndef AGENT_SCHEDULE_H
#define AGENT_SCHEDULE_H

#include <stdint.h>

/* FNV-1a of s: stable across machines and byte orders. */
uint32_t agent_hash(const char *s);
/* Seconds into each interval at which this gateway uploads (0..interval-1). */
int64_t agent_upload_offset(const char *gateway_id, int interval_s);
/* The next routine upload time strictly after now (UTC s). */
int64_t agent_upload_next(int64_t now, int interval_s, int64_t offset);
/* The minute of the month-end window (0..window_minutes-1) in which this
 * gateway sends its boundary readings: configured_slot when >= 0 (modulo the
 * window), else derived from region and id. */
int agent_boundary_slot(const char *gateway_id, const char *region, int configured_slot,
                        int window_minutes);
/* UTC start of the local month containing t (process time zone). */
int64_t agent_month_start(int64_t t);
/* Whether boundary readings may go at now: the slot of this month's window
 * has come. */
int agent_boundary_due(int64_t now, int slot_minute);
/* Delay before retry number attempt (1, 2, ...): base doubled each time up
 * to max, then jittered down by up to a quarter using rnd (any 32-bit value),
 * so retries of many gateways spread out. */
int64_t agent_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t rnd);

#endif
