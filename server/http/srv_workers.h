/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_workers: a fixed set of threads that run posted work in arrival
 * order.  libmicrohttpd's threads only read requests and write answers;
 * a handler runs here (srv_http.c), so a long request (a month's CSV
 * export) holds one worker, not every connection its polling thread
 * serves, and one gateway's batch is parsed while another's is stored.
 *
 * Thread safety: srv_workers_post may be called from any thread, also
 * while srv_workers_stop runs (it then refuses).
 */
#ifndef SRV_WORKERS_H
#define SRV_WORKERS_H

typedef struct srv_workers srv_workers;

/* n threads (n >= 1) waiting for work.  NULL when a thread or memory
 * cannot be had (none is left running).  srv_workers_stop releases it. */
srv_workers *srv_workers_start(int n);

/* Run fn(arg) on a worker: 0 when queued, -1 when the pool is stopping or
 * out of memory (nothing queued: the caller runs it itself). */
int srv_workers_post(srv_workers *w, void (*fn)(void *arg), void *arg);

/* Refuse new work, run what is queued, join the threads and free w.
 * NULL is ignored. */
void srv_workers_stop(srv_workers *w);

#endif
