/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Natural months in the configured time zone (the process TZ, set at start
 * with setenv + tzset).  Months are "YYYY-MM".  Pure functions.
 */
#ifndef SRV_MONTH_H
#define SRV_MONTH_H

#include <stdint.h>

/* The local month containing UTC time t, into out[8].  MB_OK or MB_ERANGE. */
int srv_month_of(int64_t t, char out[8]);
/* UTC time of local 00:00 on the 1st of month.  MB_OK, MB_EINVAL, MB_ERANGE. */
int srv_month_start(const char *month, int64_t *start);
/* The month delta months after (negative: before) month, into out[8]. */
int srv_month_add(const char *month, int delta, char out[8]);
/* Is month over at UTC time now (now >= start of the next month)?  1/0, or
 * a negative error for a bad month. */
int srv_month_ended(const char *month, int64_t now);

#endif
