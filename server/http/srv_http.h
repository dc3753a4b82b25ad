/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP front: libmicrohttpd with its internal polling thread and a thread
 * pool, request bodies gathered up to limits.max_body_bytes (413 beyond),
 * Bearer authentication, role checks, dispatch through the route table, and
 * the audit log of admin writes.
 */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include "srv.h"

struct srv_http;

/* Start listening as s->cfg says.  Returns NULL (with a logged reason) on
 * failure.  The port actually bound (config port 0 picks one) is logged as
 * "listening on http://ADDR:PORT". */
struct srv_http *srv_http_start(struct srv *s);
/* Shut down the connections past limits.request_deadline_s (srv_deadline.h)
 * at now_ms (monotonic); the main loop calls it a few times a second.
 * NULL ok. */
void srv_http_tick(struct srv_http *h, int64_t now_ms);
/* Stop accepting, finish running requests, free everything.  NULL ok. */
void srv_http_stop(struct srv_http *h);

/* Run one request through routing, authentication and the handler, as the
 * HTTP thread does (also for tests).  rs is the caller's, zeroed. */
void srv_http_dispatch(struct srv *s, struct srv_req *rq, const char *authorization,
                       struct srv_resp *rs);

#endif
