/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The month close as a job (docs/api.md, Month close).  Starting a close
 * records a job (close_jobs) and answers at once; a worker thread runs it
 * on a database connection of its own, without the server's lock, so
 * ingest and the dashboard keep answering, and the main loop keeps feeding
 * the systemd watchdog.  The job settles its accounts in slices through the
 * settle entry points (srv_settle_chunks: the same chunks, idempotent by
 * account and month) and records its progress after each: accounts done of
 * total, settled, held, already settled, failed.  A server killed mid-close
 * resumes the job at its next start from the last slice recorded (on
 * PostgreSQL another server takes over a job whose owner has been silent
 * for a minute).
 *
 * The worker also runs the schedule: the previous month's close as a job
 * once the configured day and time have passed (a scheduled close that
 * fails is retried with growing pauses, one minute doubling to an hour),
 * and the hourly retry of held months.
 */
#ifndef SRV_CLOSE_JOB_H
#define SRV_CLOSE_JOB_H

#include "srv.h"

struct srv_close;

/* Start the worker for s (its config, and a connection it opens itself).
 * NULL on failure (logged). */
struct srv_close *srv_close_start(struct srv *s);
/* Stop after the slice in progress (a running job stays running, to be
 * resumed), join, free.  NULL ok. */
void srv_close_stop(struct srv_close *c);

/* POST /api/v1/settlements {"month"}: 202 and the new job. */
void srv_h_close_start(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/settlements/ID: the job and its progress. */
void srv_h_close_show(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/settlements: the latest jobs, newest first. */
void srv_h_close_list(struct srv_req *rq, struct srv_resp *rs);

#endif
