/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Aggregates for the monitoring wall (docs/api.md, Monitoring): fleet
 * overview, per-region health, consumption series, month-end progress,
 * latest events, settlement anomalies, account search and reading history.
 * Read-only handlers; they run under srv->lock like every handler and use
 * only portable SQL (SQLite and PostgreSQL).
 *
 * Definitions shared by every endpoint:
 * - a gateway is online when it was heard from (last_seen) within
 *   dashboard.gateway_offline_after seconds;
 * - a meter is "fault" when a meter_fault or relay_fault event is at or
 *   after its latest reading, "stale" when its latest reading (by the
 *   reading's own time) is older than dashboard.meter_stale_after seconds
 *   or it has none, else "ok"; faulty = fault + stale.  A meter's region is
 *   its gateway's;
 * - an account's status follows the agent's policy on its balance: inactive
 *   (suspended or closed), protected, cut (balance <= credit limit), alarm2
 *   (<= alarm 2), alarm1 (<= alarm 1), normal.  A monthly account is cut
 *   only below its credit limit and has no alarms (nothing is enforced
 *   before its month close);
 * - consumption is a difference of two registers of one meter: each
 *   reading's register minus that of the meter's previous reading, counted
 *   in the time bin of the later reading; a register that went backwards
 *   counts nothing.
 */
#ifndef SRV_STATS_H
#define SRV_STATS_H

#include "srv.h"

enum srv_health { SRV_HEALTH_OK, SRV_HEALTH_WARN, SRV_HEALTH_BAD };

/* Health of a region: bad when at least a fifth of its gateways are offline
 * or a fifth of its meters faulty, warn when any is, else ok. */
enum srv_health srv_stats_health(int64_t gateways, int64_t online, int64_t meters, int64_t faulty);
const char *srv_health_name(enum srv_health h);

/* The SQL CASE giving an account's status (columns of `accounts a`). */
#define SRV_ACCOUNT_STATUS_SQL                                                                     \
        "CASE WHEN a.state != 'active' THEN 'inactive'"                                            \
        " WHEN a.protected != 0 THEN 'protected'"                                                  \
        " WHEN a.mode = 'monthly' AND a.balance_fen < a.credit_limit_fen THEN 'cut'"               \
        " WHEN a.mode = 'monthly' THEN 'normal'"                                                   \
        " WHEN a.balance_fen <= a.credit_limit_fen THEN 'cut'"                                     \
        " WHEN a.balance_fen <= a.alarm2_fen THEN 'alarm2'"                                        \
        " WHEN a.balance_fen <= a.alarm1_fen THEN 'alarm1' ELSE 'normal' END"

/* Local midnight of the day containing t, and of the 1st of its month. */
int64_t srv_stats_day_start(int64_t t);
int64_t srv_stats_month_start(int64_t t);

/*
 * Energy (Wh) of readings with ts in [from, to), summed into nbins bins
 * whose starts are edges[0..nbins) (ascending, edges[0] == from; the last
 * bin ends at to).  meter_id 0 and region NULL mean all.  Every edge must be
 * a multiple of 900 s after from (local hours and days are).  MB_OK or a
 * database error.
 */
int srv_stats_energy(srv_db *db, int64_t from, int64_t to, const int64_t *edges, int nbins,
                     int64_t meter_id, const char *region, int64_t *out);

void srv_h_stats_overview(struct srv_req *rq, struct srv_resp *rs);
void srv_h_stats_regions(struct srv_req *rq, struct srv_resp *rs);
void srv_h_stats_gateways(struct srv_req *rq, struct srv_resp *rs);
void srv_h_stats_consumption(struct srv_req *rq, struct srv_resp *rs);
void srv_h_stats_month_end(struct srv_req *rq, struct srv_resp *rs);
void srv_h_stats_anomalies(struct srv_req *rq, struct srv_resp *rs);
void srv_h_events(struct srv_req *rq, struct srv_resp *rs);
void srv_h_search(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_readings(struct srv_req *rq, struct srv_resp *rs);

#endif
