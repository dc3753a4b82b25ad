/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_deadline: a deadline on each request, on top of libmicrohttpd's idle
 * timeout.  The idle timeout closes a connection that sends nothing for
 * limits.connection_timeout_s; a client that sends a byte a little more
 * often than that would hold its connection, and a share of a thread's
 * polling, for as long as it liked.  Here each connection is timed from its
 * opening, and again after each request's handler has run and after the
 * request completed; the clock stops while a handler runs (a month close of
 * a million accounts is the server's time, not the client's).  A connection
 * that spends over limits.request_deadline_s receiving a request, or
 * sending an answer, is shut down (its socket, so that libmicrohttpd sees
 * the end and closes the connection as its own).
 *
 * Thread safety: every function may be called from any thread.  The table
 * is locked while a socket is shut down; libmicrohttpd reports a connection
 * closed (srv_deadline_close, which takes the same lock) before it closes
 * the socket, so a descriptor is never shut down after it was reused.
 */
#ifndef SRV_DEADLINE_H
#define SRV_DEADLINE_H

#include <stdint.h>

typedef struct srv_deadline srv_deadline;

/* A table for connections that must complete each request within
 * deadline_s seconds (0: never enforced; the table then records nothing).
 * NULL when out of memory.  srv_deadline_free releases it. */
srv_deadline *srv_deadline_new(int deadline_s);
void srv_deadline_free(srv_deadline *d);

/* Connection fd opened at now_ms (monotonic ms).  Out of memory: the
 * connection goes untimed (the idle timeout and limits still hold). */
void srv_deadline_open(srv_deadline *d, int fd, int64_t now_ms);
/* Connection fd's request is in its handler: not timed until restarted. */
void srv_deadline_pause(srv_deadline *d, int fd);
/* Connection fd's handler returned, or its request completed, at now_ms:
 * timed again from here. */
void srv_deadline_restart(srv_deadline *d, int fd, int64_t now_ms);
/* Connection fd is closing (before its socket is closed). */
void srv_deadline_close(srv_deadline *d, int fd);
/* Shut down every connection past its deadline at now_ms; each only once.
 * Returns how many were shut down now. */
int srv_deadline_sweep(srv_deadline *d, int64_t now_ms);

#endif
