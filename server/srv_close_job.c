/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The close worker (srv_close_job.h).  It owns a copy of struct srv whose
 * database connection and tariff cache are its own, so nothing it does
 * touches what srv->lock guards; on SQLite its transactions queue with the
 * requests' for the one write lock (srv_db_sqlite.c, writers take turns),
 * so a request waits at most one chunk of the close.
 */
#define MB_LOG_MODULE "close"
#include "srv_close_job.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mb_log.h"
#include "mb_tariff_wire.h"
#include "mb_time.h"
#include "srv_dunning.h"
#include "srv_metrics.h"
#include "srv_month.h"
#include "srv_settle_impl.h"
#include "srv_tariffs.h"

/* accounts between two progress records; servers sharing a close meet at
 * the end of each (the chunks another held are checked), so not too few */
#define SLICE 10000
#define STALE_S 60          /* PostgreSQL: a job silent this long is taken over */
#define RETRY_FIRST_S 60    /* a failed scheduled close waits 1 min, 2, 4, ... */
#define RETRY_MAX_S 3600    /* ... up to an hour */
#define HELD_EVERY_S 3600   /* held months are retried hourly */
#define SCHEDULE_EVERY_S 10 /* the schedule is looked at this often */

struct job {
        int64_t id, total, done, next, settled, held, already, failed, attempts;
        int scheduled;
        int helper; /* another server's job, helped with: nothing recorded */
        char month[8], by[72];
        int64_t *ids;
        size_t n, pos;
};

struct srv_close {
        struct srv *s;  /* the server's: its config and the worker's wake-up */
        struct srv js;  /* the worker's: own connection and tariff cache */
        char owner[96]; /* this process, in close_jobs.owner */
        pthread_t th;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int stop, wake;
        struct job job; /* id 0: none */
        int64_t last_schedule, last_held, last_dunning, helped;
};

static int pg(const struct srv_close *c)
{
        return strcmp(c->s->cfg->db_backend, "postgresql") == 0;
}

static int open_db(struct srv_close *c)
{
        const struct srv_config *cfg = c->s->cfg;
        char err[256];
        int rc;

        /* the same failover settings as the server's own connection */
        struct srv_db_pg_opts o = {cfg->busy_timeout_ms, cfg->db_deadline_ms,
                                   cfg->db_connect_timeout_s, cfg->db_failover_wait_ms};

        if (c->js.db)
                return MB_OK;
        rc = pg(c) ? srv_db_open_pg(cfg->db_conninfo, &o, &c->js.db, err, sizeof(err))
                   : srv_db_open_sqlite(cfg->db_path, cfg->busy_timeout_ms, &c->js.db, err,
                                        sizeof(err));
        if (rc < 0)
                mb_err_log("cannot open the database for the month close: %s", err);
        return rc;
}

/* ---- running a job ---- */

static int load_ids(srv_db *db, struct job *j)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st,
                              "SELECT a.id FROM accounts a JOIN meters m ON m.account_id = a.id"
                              " WHERE a.id > $1 ORDER BY a.id",
                              "i", j->next);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (j->n == cap) {
                        int64_t *p = realloc(j->ids, (cap = cap ? cap * 2 : 1024) * sizeof(*p));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        j->ids = p;
                }
                j->ids[j->n++] = srv_stmt_i64(st, 0);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/* Take the oldest running job nobody else is running; 1 when taken. */
static int claim(struct srv_close *c)
{
        srv_db *db = c->js.db;
        struct job *j = &c->job;
        int64_t now = mb_realtime_s(), stale = pg(c) ? now - STALE_S : now + 1, id = 0;
        srv_stmt *st = NULL;
        int rc = srv_db_query_i64(db, &id,
                                  "SELECT id FROM close_jobs WHERE state = 'running' AND"
                                  " (owner IS NULL OR owner = $1 OR updated_at < $2)"
                                  " ORDER BY id LIMIT 1",
                                  "ti", c->owner, stale);

        if (rc <= 0)
                return rc;
        rc = srv_db_exec_args(db,
                              "UPDATE close_jobs SET owner = $1, updated_at = $2,"
                              " attempts = attempts + 1, started_at = coalesce(started_at, $2)"
                              " WHERE id = $3 AND state = 'running' AND"
                              " (owner IS NULL OR owner = $1 OR updated_at < $4)",
                              "tiii", c->owner, now, id, stale);
        if (rc <= 0)
                return rc; /* another server was quicker */
        memset(j, 0, sizeof(*j));
        rc = srv_db_query(db, &st,
                          "SELECT month, by_name, scheduled, total, done, next_account, settled,"
                          " held, already, failed, attempts FROM close_jobs WHERE id = $1",
                          "i", id);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                j->id = id;
                snprintf(j->month, sizeof(j->month), "%s", srv_stmt_text(st, 0));
                snprintf(j->by, sizeof(j->by), "%s", srv_stmt_text(st, 1));
                j->scheduled = (int)srv_stmt_i64(st, 2);
                j->total = srv_stmt_i64(st, 3);
                j->done = srv_stmt_i64(st, 4);
                j->next = srv_stmt_i64(st, 5);
                j->settled = srv_stmt_i64(st, 6);
                j->held = srv_stmt_i64(st, 7);
                j->already = srv_stmt_i64(st, 8);
                j->failed = srv_stmt_i64(st, 9);
                j->attempts = srv_stmt_i64(st, 10);
        }
        srv_stmt_done(st);
        if (rc >= 0 && j->id)
                rc = load_ids(db, j);
        if (rc >= 0 && j->id && j->done == 0) /* a fresh start: how many in all */
                j->total = (int64_t)j->n;
        if (rc < 0 || j->id == 0) {
                free(j->ids);
                memset(j, 0, sizeof(*j));
                return rc < 0 ? rc : 0;
        }
        mb_notice("month %s: close job %lld %s, %lld of %lld accounts to go", j->month,
                  (long long)j->id, j->done ? "resumed" : "started", (long long)j->n,
                  (long long)j->total);
        return 1;
}

static int record(srv_db *db, const struct job *j)
{
        return srv_db_exec_args(db,
                                "UPDATE close_jobs SET total = $1, done = $2, next_account = $3,"
                                " settled = $4, held = $5, already = $6, failed = $7,"
                                " updated_at = $8 WHERE id = $9",
                                "iiiiiiiii", j->total, j->done, j->next, j->settled, j->held,
                                j->already, j->failed, mb_realtime_s(), j->id);
}

static int64_t backoff(int64_t attempts)
{
        int64_t s = RETRY_FIRST_S;

        for (int64_t i = 1; i < attempts && s < RETRY_MAX_S; i++)
                s *= 2;
        return s < RETRY_MAX_S ? s : RETRY_MAX_S;
}

static void finish(struct srv_close *c)
{
        struct job *j = &c->job;
        int64_t now = mb_realtime_s();
        char error[96] = "";
        int failed = j->failed > 0;

        if (failed)
                snprintf(error, sizeof(error), "%lld accounts failed", (long long)j->failed);
        if (srv_db_exec_args(c->js.db,
                             "UPDATE close_jobs SET state = $1, finished_at = $2, updated_at = $2,"
                             " owner = NULL, error = $3, retry_at = $4 WHERE id = $5",
                             "titIi", failed ? "failed" : "done", now, failed ? error : NULL,
                             failed && j->scheduled ? now + backoff(j->attempts) : SRV_DB_NULL_I64,
                             j->id) < 0)
                mb_err_log("close job %lld: cannot record its end: %s", (long long)j->id,
                           srv_db_errmsg(c->js.db));
        srv_metrics_settlement((int)j->settled, (int)j->held, (int)j->failed);
        mb_notice("month %s: %lld settled, %lld held, %lld already settled, %lld failed (job %lld)",
                  j->month, (long long)j->settled, (long long)j->held, (long long)j->already,
                  (long long)j->failed, (long long)j->id);
        free(j->ids);
        memset(j, 0, sizeof(*j));
}

/* One slice of the current job. */
static void slice(struct srv_close *c)
{
        struct job *j = &c->job;
        size_t k = j->n - j->pos < SLICE ? j->n - j->pos : SLICE;
        struct srv_settle_summary sum;

        uint64_t losses;

        /* no slice while no primary answers (issue 21): its accounts would
         * only fail for want of a connection; the job waits instead */
        if (srv_db_wait_primary(c->js.db, c->s->cfg->db_failover_wait_ms) < 0)
                return;
        losses = srv_db_losses(c->js.db);
        memset(&sum, 0, sizeof(sum));
        if (k)
                srv_settle_chunks(&c->js, c->js.db, j->ids + j->pos, k, j->month, j->by, &sum);
        /* the database failed over under this slice (issue 21): it runs
         * again once a primary answers, where what did commit is found
         * settled, instead of failing accounts that only lost their
         * connection */
        if (sum.failed && srv_db_losses(c->js.db) != losses) {
                json_object_put(sum.bills);
                mb_notice("close job %lld: the database failed over; the slice runs again",
                          (long long)j->id);
                return;
        }
        j->pos += k;
        j->done += (int64_t)k;
        j->next = k ? j->ids[j->pos - 1] : j->next;
        j->settled += sum.settled;
        j->held += sum.held;
        j->already += sum.already;
        j->failed += sum.failed;
        if (j->helper) {
                if (j->pos == j->n) {
                        mb_notice("month %s: helped close job %lld (%lld settled here)", j->month,
                                  (long long)j->id, (long long)j->settled);
                        free(j->ids);
                        memset(j, 0, sizeof(*j));
                }
                return;
        }
        if (record(c->js.db, j) < 0)
                mb_warn("close job %lld: progress not recorded: %s", (long long)j->id,
                        srv_db_errmsg(c->js.db));
        if (j->pos == j->n)
                finish(c);
}

/* ---- the schedule ---- */

/* UTC time of this month's scheduled close: day D at HH:MM local. */
static int64_t scheduled_at(const struct srv_config *cfg, int64_t month_start)
{
        time_t t = (time_t)month_start;
        struct tm tm;

        localtime_r(&t, &tm);
        tm.tm_mday = cfg->settle_day;
        tm.tm_hour = cfg->settle_minute / 60;
        tm.tm_min = cfg->settle_minute % 60;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

/* The previous month's close once its time has come (one job per month,
 * however many servers look), and failed scheduled closes whose pause is
 * over, run again from the start (what settled is then already settled). */
static void schedule(struct srv_close *c, int64_t now)
{
        const struct srv_config *cfg = c->s->cfg;
        char month[8], prev[8];
        int64_t start;

        if (!cfg->settle_enabled || srv_month_of(now, month) < 0 ||
            srv_month_start(month, &start) < 0 || now < scheduled_at(cfg, start) ||
            srv_month_add(month, -1, prev) < 0)
                return;
        if (srv_db_exec_args(c->js.db,
                             "INSERT INTO close_jobs (month, state, scheduled, by_name, created_at,"
                             " updated_at) VALUES ($1, 'running', 1, 'schedule', $2, $2)"
                             " ON CONFLICT DO NOTHING",
                             "ti", prev, now) > 0)
                mb_notice("month %s: scheduled close queued", prev);
        if (srv_db_exec_args(
                c->js.db,
                "UPDATE close_jobs SET state = 'running', owner = NULL, retry_at = NULL,"
                " error = NULL, done = 0, next_account = 0, settled = 0, held = 0,"
                " already = 0, failed = 0, finished_at = NULL"
                " WHERE scheduled = 1 AND state = 'failed' AND retry_at <= $1",
                "i", now) > 0)
                mb_notice("retrying a failed scheduled close");
}

/*
 * PostgreSQL: help with the scheduled close another server is running (it
 * is one job, whichever server claims it): settle the same month's
 * accounts beside it.  The chunks are shared as when two servers close a
 * month at once (srv_settle_chunks claims each chunk with a lock it does
 * not wait for); the job's own server records the progress, counting what
 * this one settled as already settled.  1 when there is such a job.
 */
static int help(struct srv_close *c)
{
        struct job *j = &c->job;
        srv_stmt *st = NULL;
        int rc = srv_db_query(c->js.db, &st,
                              "SELECT id, month, by_name FROM close_jobs WHERE state = 'running'"
                              " AND scheduled = 1 AND owner IS NOT NULL AND owner <> $1 AND id > $2"
                              " ORDER BY id LIMIT 1",
                              "ti", c->owner, c->helped);

        memset(j, 0, sizeof(*j));
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                j->id = srv_stmt_i64(st, 0);
                snprintf(j->month, sizeof(j->month), "%s", srv_stmt_text(st, 1));
                snprintf(j->by, sizeof(j->by), "%s", srv_stmt_text(st, 2));
                j->helper = 1;
        }
        srv_stmt_done(st);
        if (rc >= 0 && j->id) {
                c->helped = j->id;
                rc = load_ids(c->js.db, j);
        }
        if (rc < 0 || j->id == 0) {
                free(j->ids);
                memset(j, 0, sizeof(*j));
                return rc < 0 ? rc : 0;
        }
        return 1;
}

/* Something to do at once (1), or wait for a wake-up (0). */
static int work(struct srv_close *c)
{
        int64_t now = mb_realtime_s();
        int rc;

        if (open_db(c) < 0)
                return 0;
        if (c->job.id) {
                slice(c);
                return 1;
        }
        if (now - c->last_schedule >= SCHEDULE_EVERY_S) {
                c->last_schedule = now;
                schedule(c, now);
        }
        rc = claim(c);
        if (rc == 0 && pg(c))
                rc = help(c);
        if (rc < 0)
                mb_warn("close jobs: %s", srv_db_errmsg(c->js.db));
        if (rc > 0)
                return 1;
        if (c->s->cfg->settle_enabled && now - c->last_held >= HELD_EVERY_S) {
                c->last_held = now;
                srv_settle_held(&c->js, c->js.db, 0);
        }
        if (c->s->cfg->settle_enabled && now - c->last_dunning >= 60) { /* money's srv_dunning.c */
                struct srv_dunning_sum d;

                c->last_dunning = now;
                srv_dunning_run(&c->js, c->js.db, now, &d);
        }
        return 0;
}

static void *run(void *arg)
{
        struct srv_close *c = arg;

        pthread_mutex_lock(&c->mu);
        while (!c->stop) {
                int busy;

                c->wake = 0;
                pthread_mutex_unlock(&c->mu);
                busy = work(c);
                pthread_mutex_lock(&c->mu);
                if (!busy && !c->wake && !c->stop) {
                        struct timespec t;

                        clock_gettime(CLOCK_REALTIME, &t);
                        t.tv_sec += 1;
                        pthread_cond_timedwait(&c->cv, &c->mu, &t);
                }
        }
        pthread_mutex_unlock(&c->mu);
        return NULL;
}

struct srv_close *srv_close_start(struct srv *s)
{
        struct srv_close *c = calloc(1, sizeof(*c));
        char host[64] = "";

        if (c == NULL)
                return NULL;
        c->s = s;
        c->js.cfg = s->cfg;
        c->js.tariffs = srv_tariff_cache_new();
        pthread_mutex_init(&c->js.lock, NULL);
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        gethostname(host, sizeof(host) - 1);
        snprintf(c->owner, sizeof(c->owner), "%s:%ld:%lld", host, (long)getpid(),
                 (long long)mb_realtime_s());
        if (c->js.tariffs == NULL || pthread_create(&c->th, NULL, run, c) != 0) {
                mb_err_log("cannot start the month-close worker");
                srv_tariff_cache_free(c->js.tariffs);
                free(c);
                return NULL;
        }
        s->close = c;
        return c;
}

void srv_close_stop(struct srv_close *c)
{
        if (c == NULL)
                return;
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
        if (c->job.id && c->job.helper) {
                free(c->job.ids);
        } else if (c->job.id) { /* to be resumed at once by the next start */
                mb_notice("month %s: close job %lld stopped at %lld of %lld accounts", c->job.month,
                          (long long)c->job.id, (long long)c->job.done, (long long)c->job.total);
                srv_db_exec_args(c->js.db, "UPDATE close_jobs SET owner = NULL WHERE id = $1", "i",
                                 c->job.id);
                free(c->job.ids);
        }
        c->s->close = NULL;
        srv_db_close(c->js.db);
        srv_tariff_cache_free(c->js.tariffs);
        pthread_mutex_destroy(&c->js.lock);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
}

static void wake(struct srv_close *c)
{
        if (c == NULL)
                return;
        pthread_mutex_lock(&c->mu);
        c->wake = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
}

/* ---- the API ---- */

#define JOB_FIELDS                                                                                 \
        "id, month, state, scheduled, by_name, total, done, settled, held, already, failed,"       \
        " attempts, error, created_at, started_at, updated_at, finished_at, retry_at"
#define JOB_COLUMNS "SELECT " JOB_FIELDS " FROM close_jobs"

static void opt_i64(json_object *o, const char *k, srv_stmt *st, int col)
{
        srv_jadd_i64_or_null(o, k, srv_stmt_is_null(st, col), srv_stmt_i64(st, col));
}

static json_object *job_json(srv_stmt *st)
{
        json_object *o = json_object_new_object();

        srv_jadd_i64(o, "job", srv_stmt_i64(st, 0));
        srv_jadd_str(o, "month", srv_stmt_text(st, 1));
        srv_jadd_str(o, "state", srv_stmt_text(st, 2));
        srv_jadd_bool(o, "scheduled", (int)srv_stmt_i64(st, 3));
        srv_jadd_str(o, "by", srv_stmt_text(st, 4));
        srv_jadd_i64(o, "total", srv_stmt_i64(st, 5));
        srv_jadd_i64(o, "done", srv_stmt_i64(st, 6));
        srv_jadd_i64(o, "settled", srv_stmt_i64(st, 7));
        srv_jadd_i64(o, "held", srv_stmt_i64(st, 8));
        srv_jadd_i64(o, "already_settled", srv_stmt_i64(st, 9));
        srv_jadd_i64(o, "failed", srv_stmt_i64(st, 10));
        srv_jadd_i64(o, "attempts", srv_stmt_i64(st, 11));
        srv_jadd_str(o, "error", srv_stmt_text(st, 12));
        opt_i64(o, "created_at", st, 13);
        opt_i64(o, "started_at", st, 14);
        opt_i64(o, "updated_at", st, 15);
        opt_i64(o, "finished_at", st, 16);
        opt_i64(o, "retry_at", st, 17);
        return o;
}

/* The job with this id as JSON (the caller's), NULL when there is none, or
 * a database error in *rc. */
static json_object *job_by_id(srv_db *db, int64_t id, int *rc)
{
        srv_stmt *st = NULL;
        json_object *o = NULL;

        *rc = srv_db_query(db, &st, JOB_COLUMNS " WHERE id = $1", "i", id);
        if (*rc >= 0 && (*rc = srv_stmt_step(st)) == SRV_DB_ROW)
                o = job_json(st);
        srv_stmt_done(st);
        return o;
}

/* A new job, as JSON (the caller's), in one statement: run again after a
 * lost connection (srv_http.c), a request starts a second job only if its
 * first did not commit.  NULL with the error in *rc. */
static json_object *job_insert(srv_db *db, const char *month, const char *by, int64_t now, int *rc)
{
        srv_stmt *st = NULL;
        json_object *o = NULL;

        *rc =
            srv_db_query(db, &st,
                         "INSERT INTO close_jobs (month, state, scheduled, by_name, created_at,"
                         " updated_at) VALUES ($1, 'running', 0, $2, $3, $3) RETURNING " JOB_FIELDS,
                         "tti", month, by, now);
        if (*rc >= 0 && (*rc = srv_stmt_step(st)) == SRV_DB_ROW)
                o = job_json(st);
        srv_stmt_done(st);
        if (o == NULL && *rc >= 0)
                *rc = MB_ESTORE;
        return o;
}

void srv_h_close_start(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"month", NULL};
        const char *month;
        struct srv_err e;
        json_object *b, *o;
        int64_t id = 0, now = mb_realtime_s();
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_string(b, "month", "", 1, 7, &month, &e) < 0) {
                srv_reply_error(rs, &e);
        } else if (!mb_tariff_wire_month_ok(month)) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "'month' must be \"YYYY-MM\"");
        } else if (srv_month_ended(month, now) <= 0) {
                srv_reply_errorf(rs, 409, "month_open", "month",
                                 "month %s has not ended yet in the configured time zone", month);
        } else if ((o = job_insert(rq->db, month, rq->auth.name, now, &rc)) == NULL) {
                srv_reply_db_error(rs, rq, rc);
        } else {
                id = json_object_get_int64(json_object_object_get(o, "job"));
                srv_reply_json(rs, 202, o);
                snprintf(rs->header_name, sizeof(rs->header_name), "Location");
                snprintf(rs->header_value, sizeof(rs->header_value), "/api/v1/settlements/%lld",
                         (long long)id);
                wake(rq->srv->close);
        }
        json_object_put(b);
}

void srv_h_close_show(struct srv_req *rq, struct srv_resp *rs)
{
        const char *p = rq->params.v[0];
        char *end;
        long long id = strtoll(p, &end, 10);
        json_object *o;
        int rc = 0;

        if (*p == '\0' || *end != '\0' || id <= 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no close job %s", p);
                return;
        }
        o = job_by_id(rq->db, id, &rc);
        if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        else if (o == NULL)
                srv_reply_errorf(rs, 404, "not_found", "", "no close job %lld", id);
        else
                srv_reply_json(rs, 200, o);
}

void srv_h_close_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, JOB_COLUMNS " WHERE $1 = $1 ORDER BY id DESC LIMIT 50",
                              "i", (int64_t)0);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, job_json(st));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "jobs", a);
}
