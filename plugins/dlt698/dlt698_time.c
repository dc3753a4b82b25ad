/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the meter's clock is local time without a zone.  With the option
 * utc_offset_min it is that fixed offset from UTC; without, the process's
 * time zone (the agent sets TZ from its `timezone` key), through mktime and
 * localtime_r.  Also the time tag of a control request.
 */
#include <string.h>
#include <time.h>

#include "dlt698.h"

int64_t d698_local_to_utc(const struct d698_meter *m, const struct d698_dt *t)
{
        struct tm tm;

        if (m->o.has_utc_offset)
                return d698_dt_to_epoch(t) - m->o.utc_offset_s;
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

void d698_utc_to_local(const struct d698_meter *m, int64_t utc, struct d698_dt *t)
{
        struct tm tm;
        time_t s = (time_t)utc;

        if (m->o.has_utc_offset) {
                d698_epoch_to_dt(utc + m->o.utc_offset_s, t);
                return;
        }
        localtime_r(&s, &tm);
        t->year = tm.tm_year + 1900;
        t->mon = tm.tm_mon + 1;
        t->day = tm.tm_mday;
        t->hour = tm.tm_hour;
        t->min = tm.tm_min;
        t->sec = tm.tm_sec;
}

/* Now, valid for control_validity_s: in seconds while that fits a
 * long-unsigned, else in minutes. */
void d698_time_tag(const struct d698_meter *m, struct d698_tt *tt)
{
        int64_t v = m->o.control_validity_s;

        memset(tt, 0, sizeof(*tt));
        tt->present = 1;
        d698_utc_to_local(m, m->host->realtime_s(), &tt->sent);
        if (v <= 0xFFFF) {
                tt->unit = 0;
                tt->interval = (uint16_t)v;
        } else {
                tt->unit = 1;
                tt->interval = (uint16_t)((v + 59) / 60);
        }
}
