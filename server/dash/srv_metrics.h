/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Process-wide counters for /metrics (Prometheus text exposition format
 * 0.0.4), and the handler that renders them with a few gauges read from the
 * database at scrape time.
 *
 * Recording is lock-free and cheap: every counter is a C11 atomic updated
 * with relaxed ordering, callable from any thread.  Counters live for the
 * process (Prometheus handles restarts with rate()).  Rendering is pure
 * (srv_metrics_render) so it is unit-tested without a server.
 */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "srv_router.h"

#define SRV_METRICS_MAX_ROUTES 96 /* routes beyond this count as "other" */
#define SRV_METRICS_OTHER (-1)    /* no route matched */
#define SRV_METRICS_STATIC (-2)   /* dashboard assets */

/* Microseconds of CLOCK_MONOTONIC, for request timing. */
int64_t srv_metrics_now_us(void);

/* One request: its route's index in the table (or OTHER / STATIC), the
 * status answered and how long it took. */
void srv_metrics_request(int route, int status, int64_t usec);
/* POST /readings accepted with this many readings and events. */
void srv_metrics_batch_accepted(size_t readings, size_t events);
/* POST /readings refused with the error code ("conflict", "bad_field", ...). */
void srv_metrics_batch_rejected(const char *code);
/* One month close (by hand or scheduled) and what it did. */
void srv_metrics_settlement(int settled, int held, int failed);
/* One webhook delivery attempt: ok, or failed (retry or dead). */
void srv_metrics_webhook(int ok);
/* Zero every counter (tests). */
void srv_metrics_reset(void);

/* Read at scrape time; -1 leaves a gauge out. */
struct srv_metrics_gauges {
        int64_t gateways, gateways_seen; /* seen: within dashboard.gateway_offline_after */
        int64_t gateway_window_s;
        int64_t meters, accounts;
        int64_t commands[4]; /* pending, delivered, done, failed */
        int64_t bills_held;
        int64_t webhook_pending, webhook_dead;
        int64_t db_bytes;
};

/*
 * The exposition text of every counter and of g, with route labels taken
 * from routes[0..n) (method and pattern, e.g. GET and /api/v1/accounts/...).  Returns a malloc'd
 * string (caller frees) or NULL when out of memory.
 */
char *srv_metrics_render(const struct srv_route *routes, size_t n,
                         const struct srv_metrics_gauges *g);

struct srv_req;
struct srv_resp;
/* GET /metrics (operator, admin). */
void srv_h_metrics(struct srv_req *rq, struct srv_resp *rs);

#endif
