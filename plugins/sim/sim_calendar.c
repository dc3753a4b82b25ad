/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: local time without a time zone database.  The simulated meter keeps
 * local time as a fixed offset from UTC (utc_offset_min), as a meter's own
 * clock does: no daylight saving.  Pure integer arithmetic on UTC
 * milliseconds; the civil-date conversion is Howard Hinnant's
 * days_from_civil / civil_from_days, valid far beyond any meter's life.
 *
 * Time-of-use schedule (local hours, half-open):
 *   valley 23:00-07:00
 *   peak   08:00-11:00 and 18:00-23:00
 *   sharp  19:00-21:00 in July and August (taken out of the evening peak)
 *   flat   the rest: 07:00-08:00 and 11:00-18:00
 */
#include "sim.h"

int64_t sim_floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;

        if (a % b != 0 && ((a < 0) != (b < 0)))
                q--;
        return q;
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = sim_floor_div(y, 400);
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m)
{
        int64_t era, doe, yoe, doy, mp;

        z += 719468;
        era = sim_floor_div(z, 146097);
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = yoe + era * 400 + (*m <= 2);
}

static int64_t local_day(int64_t wall_ms, int64_t utc_offset_s)
{
        return sim_floor_div(wall_ms + utc_offset_s * 1000, SIM_MS_PER_DAY);
}

int sim_local_minute_of_day(int64_t wall_ms, int64_t utc_offset_s)
{
        int64_t minute = sim_floor_div(wall_ms + utc_offset_s * 1000, SIM_MS_PER_MIN);

        return (int)(minute - sim_floor_div(minute, 1440) * 1440);
}

int sim_rate_at(int64_t wall_ms, int64_t utc_offset_s)
{
        int hour = sim_local_minute_of_day(wall_ms, utc_offset_s) / 60;
        int64_t year;
        int month;

        if (hour >= 23 || hour < 7)
                return SIM_RATE_VALLEY;
        civil_from_days(local_day(wall_ms, utc_offset_s), &year, &month);
        if ((month == 7 || month == 8) && (hour == 19 || hour == 20))
                return SIM_RATE_SHARP;
        if ((hour >= 8 && hour < 11) || (hour >= 18 && hour < 23))
                return SIM_RATE_PEAK;
        return SIM_RATE_FLAT;
}

/* UTC ms of local midnight on the first day of year/month (month may be 13). */
static int64_t month_start(int64_t year, int month, int64_t utc_offset_s)
{
        if (month > 12) {
                year++;
                month -= 12;
        }
        return days_from_civil(year, month, 1) * SIM_MS_PER_DAY - utc_offset_s * 1000;
}

int64_t sim_month_start_ms(int64_t wall_ms, int64_t utc_offset_s)
{
        int64_t year;
        int month;

        civil_from_days(local_day(wall_ms, utc_offset_s), &year, &month);
        return month_start(year, month, utc_offset_s);
}

int64_t sim_next_month_ms(int64_t wall_ms, int64_t utc_offset_s)
{
        int64_t year;
        int month;

        civil_from_days(local_day(wall_ms, utc_offset_s), &year, &month);
        return month_start(year, month + 1, utc_offset_s);
}
