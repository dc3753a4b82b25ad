/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: the meter's clock is local time without a zone.  With the option
 * utc_offset_min it is that fixed offset from UTC; without, the process's
 * time zone (the agent sets TZ from its `timezone` key), through
 * localtime_r / mktime.  Also the broadcast time sync (08H).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "dlt645.h"

int64_t dlt_local_to_utc(const struct dlt_meter *m, const struct dlt_datetime *t)
{
        struct tm tm;

        if (m->o.has_utc_offset)
                return dlt_datetime_to_epoch(t) - m->o.utc_offset_s;
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = t->year - 1900;
        tm.tm_mon = t->mon - 1;
        tm.tm_mday = t->day;
        tm.tm_hour = t->hour;
        tm.tm_min = t->min;
        tm.tm_sec = t->sec;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

void dlt_utc_to_local(const struct dlt_meter *m, int64_t utc, struct dlt_datetime *t)
{
        struct tm tm;
        time_t s = (time_t)utc;

        if (m->o.has_utc_offset) {
                dlt_epoch_to_datetime(utc + m->o.utc_offset_s, t);
                return;
        }
        localtime_r(&s, &tm);
        t->year = tm.tm_year + 1900;
        t->mon = tm.tm_mon + 1;
        t->day = tm.tm_mday;
        t->hour = tm.tm_hour;
        t->min = tm.tm_min;
        t->sec = tm.tm_sec;
        t->wday = tm.tm_wday;
}

/* The latest settlement moment (day settle_day, settle_hour:00 local) at or
 * before now_utc, as UTC; 0 when the settlement day is unknown. */
int64_t dlt_last_settlement(const struct dlt_meter *m, int64_t now_utc)
{
        struct dlt_datetime now, s;
        int64_t at;

        if (m->settle_day < 1)
                return 0;
        dlt_utc_to_local(m, now_utc, &now);
        for (int back = 0; back < 3; back++) {
                memset(&s, 0, sizeof(s));
                s.year = now.year;
                s.mon = now.mon - back;
                while (s.mon < 1) {
                        s.mon += 12;
                        s.year--;
                }
                s.day = m->settle_day;
                s.hour = m->settle_hour;
                at = dlt_local_to_utc(m, &s);
                if (at <= now_utc)
                        return at;
        }
        return 0;
}

/* Broadcast the host's time to every meter on the bus (no reply), at most
 * once per time_sync_interval_s per bus. */
void dlt_time_sync_maybe(struct dlt_meter *m)
{
        static const uint8_t everyone[DLT_ADDR_LEN] = {0x99, 0x99, 0x99, 0x99, 0x99, 0x99};
        struct dlt_link *l = m->link;
        int64_t now = m->host->realtime_s();
        struct dlt_datetime t;
        uint8_t data[6];
        struct dlt_req req = {.addr = everyone,
                              .ctrl = DLT07_TIME_SYNC,
                              .data = data,
                              .len = sizeof(data),
                              .what = "time sync (08H)",
                              .no_reply = 1};
        mb_err err = {0};

        if (!m->o.time_sync ||
            (l->last_sync_s && now - l->last_sync_s < m->o.time_sync_interval_s &&
             now >= l->last_sync_s))
                return;
        dlt_utc_to_local(m, now, &t);
        if (dlt_encode_datetime6(&t, data) < 0) {
                DLT_LOG(m, MB_LOG_WARNING, "time sync: host clock %" PRId64 " is outside 2000-2099",
                        now);
                l->last_sync_s = now;
                return;
        }
        if (dlt_xact(m, &req, NULL, NULL, &err) < 0) {
                DLT_LOG(m, MB_LOG_WARNING, "time sync: %s", err.msg);
                return;
        }
        l->last_sync_s = now;
        DLT_LOG(m, MB_LOG_NOTICE,
                "broadcast time sync: %04d-%02d-%02d %02d:%02d:%02d local (next in %" PRId64 " s)",
                t.year, t.mon, t.day, t.hour, t.min, t.sec, m->o.time_sync_interval_s);
}
