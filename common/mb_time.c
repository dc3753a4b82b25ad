/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_time.h"

#include <errno.h>
#include <time.h>

int64_t mb_monotonic_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mb_realtime_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec;
}

void mb_sleep_ms(int64_t ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
                ;
}
