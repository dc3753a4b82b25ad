/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_schedule.h"

#include <time.h>

uint32_t agent_hash(const char *s)
{
        uint32_t h = 2166136261u;

        for (; s && *s; s++) {
                h ^= (uint8_t)*s;
                h *= 16777619u;
        }
        return h;
}

int64_t agent_upload_offset(const char *gateway_id, int interval_s)
{
        return interval_s > 0 ? (int64_t)(agent_hash(gateway_id) % (uint32_t)interval_s) : 0;
}

int64_t agent_upload_next(int64_t now, int interval_s, int64_t offset)
{
        int64_t base, next;

        if (interval_s <= 0)
                return now + 1;
        base = now - ((now - offset) % interval_s + interval_s) % interval_s;
        next = base + interval_s;
        return next > now ? next : next + interval_s;
}

int agent_boundary_slot(const char *gateway_id, const char *region, int configured_slot,
                        int window_minutes)
{
        uint32_t h;

        if (window_minutes <= 0)
                return 0;
        if (configured_slot >= 0)
                return configured_slot % window_minutes;
        /* Region first so that the regions' gateways interleave rather than
         * each region filling the window's start. */
        h = agent_hash(region) * 31u + agent_hash(gateway_id);
        return (int)(h % (uint32_t)window_minutes);
}

int64_t agent_month_start(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        tm.tm_mday = 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

int agent_boundary_due(int64_t now, int slot_minute)
{
        return now >= agent_month_start(now) + (int64_t)slot_minute * 60;
}

int64_t agent_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms, uint32_t rnd)
{
        int64_t d = base_ms;

        for (int i = 1; i < attempt && d < max_ms; i++)
                d *= 2;
        if (d > max_ms)
                d = max_ms;
        return d - (int64_t)(rnd % (uint32_t)(d / 4 + 1));
}
