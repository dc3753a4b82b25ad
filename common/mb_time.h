/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks used by both daemons. */
#ifndef MB_TIME_H
#define MB_TIME_H

#include <stdint.h>

/* Milliseconds from CLOCK_MONOTONIC: for timeouts and schedules. */
int64_t mb_monotonic_ms(void);
/* UTC seconds from CLOCK_REALTIME: for timestamps. */
int64_t mb_realtime_s(void);
/* Sleep for ms milliseconds (restarted after signals). */
void mb_sleep_ms(int64_t ms);

#endif
