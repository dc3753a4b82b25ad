/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dashboard's static files (server/dash/www, installed to
 * ${datadir}/meterbox/www; dashboard.www in server.conf), served for every
 * path outside /api/ and /metrics.
 *
 * Gate: the sign-in page and its own script and style are public; every
 * other file needs a valid session cookie (srv_session.h).  A page asked
 * for without one gets the sign-in page itself with status 401, so after
 * signing in the browser reloads the same URL (query string included).
 * Paths are checked before any file is opened: no "..", no hidden segments,
 * no backslashes, and the resolved file must lie inside the directory
 * (symbolic links that leave it are refused).
 */
#ifndef SRV_WWW_H
#define SRV_WWW_H

#include <microhttpd.h>

#include "srv.h"

/* Is url a path we would look up at all?  1 yes, 0 no (404).  Pure. */
int srv_www_path_ok(const char *url);
/* The Content-Type for a file name, by its extension.  Pure. */
const char *srv_www_content_type(const char *name);
/* Is url one of the public sign-in files?  Pure. */
int srv_www_public(const char *url);

/* Answer one request for a static file on c; returns what MHD_queue_response
 * returned.  The status answered is written to *status. */
enum MHD_Result srv_www_serve(struct srv *s, struct MHD_Connection *c, const char *url,
                              const char *method, int *status);

#endif
