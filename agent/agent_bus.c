/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "bus"
#include "agent_bus.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agent_store.h"

#include "mb_log.h"
#include "mb_time.h"

#define BACKOFF_BASE_MS 1000
#define STUCK_GRACE_MS 2000
#define STALL_REPORT_MS 60000

struct control_req {
        struct control_req *next;
        struct agent_meter *meter;
        int op;
        int64_t tag;
        char why[320];
};

struct agent_bus {
        char name[64];
        struct agent_meter **meters;
        int n;
        struct agent_bus_sink sink;
        int once;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        int stop, done;
        int month; /* local YYYYMM of the last check */
        struct control_req *queue, *queue_tail;
        /* The call in flight, for the stuck-call watchdog. */
        struct agent_meter *busy;
        int64_t busy_since;
        /* Reports of a stuck call (main thread): the call they are about,
         * when the last was, how many. */
        int64_t stall_call, stall_logged;
        int stall_reports;
};

static void set_busy(agent_bus *b, struct agent_meter *m)
{
        pthread_mutex_lock(&b->lock);
        b->busy = m;
        b->busy_since = mb_monotonic_ms();
        pthread_mutex_unlock(&b->lock);
}

static int64_t backoff_ms(const struct agent_meter *m)
{
        int64_t d = BACKOFF_BASE_MS;
        int64_t cap = m->cfg->poll_interval_ms > 0 ? m->cfg->poll_interval_ms : 60000;

        for (int i = 1; i < m->failures && d < cap; i++)
                d *= 2;
        return d < cap ? d : cap;
}

static void poll_one(agent_bus *b, struct agent_meter *m)
{
        mb_reading r;
        mb_err err;
        int64_t now;
        int rc;

        set_busy(b, m);
        rc = agent_meter_read(m, &r, &err);
        set_busy(b, NULL);
        if (agent_clock_suspect())
                r.quality |= MB_Q_GATEWAY_CLOCK;
        now = mb_monotonic_ms();
        if (rc == MB_OK) {
                int kind = m->boundary_due ? AGENT_READING_BOUNDARY : AGENT_READING_ROUTINE;
                m->failures = 0;
                m->boundary_due = 0;
                m->next_due_ms += m->cfg->poll_interval_ms;
                if (m->next_due_ms < now)
                        m->next_due_ms = now + m->cfg->poll_interval_ms;
                b->sink.reading(b->sink.arg, m, &r, mb_realtime_s(), kind);
        } else {
                m->failures++;
                m->next_due_ms = now + backoff_ms(m);
                b->sink.failure(b->sink.arg, m, &err, mb_realtime_s());
        }
}

static void run_control(agent_bus *b, struct control_req *req)
{
        mb_err err;
        int state = MB_RELAY_UNKNOWN, rc;

        set_busy(b, req->meter);
        rc = agent_meter_control(req->meter, req->op, &state, &err);
        set_busy(b, NULL);
        if (b->sink.control_done)
                b->sink.control_done(b->sink.arg, req->meter, req->op, req->tag, rc, state,
                                     req->why, &err);
        free(req);
}

/* A new local month: every meter owes a boundary reading, now. */
static void check_month(agent_bus *b)
{
        int month = agent_local_month(mb_realtime_s());

        if (month == b->month)
                return;
        if (b->month)
                for (int i = 0; i < b->n; i++) {
                        b->meters[i]->boundary_due = 1;
                        b->meters[i]->next_due_ms = mb_monotonic_ms();
                }
        b->month = month;
}

static struct agent_meter *next_meter(agent_bus *b)
{
        struct agent_meter *best = NULL;

        for (int i = 0; i < b->n; i++) {
                struct agent_meter *m = b->meters[i];
                if (!(m->plugin->desc->caps & MB_CAP_READ))
                        continue;
                if (b->once ? m->polled : m->cfg->poll_interval_ms <= 0)
                        continue;
                if (!best || m->next_due_ms < best->next_due_ms)
                        best = m;
        }
        return best;
}

static void wait_until(agent_bus *b, int64_t due_ms)
{
        /* Wake at least every second to notice a new month. */
        if (due_ms > mb_monotonic_ms() + 1000)
                due_ms = mb_monotonic_ms() + 1000;
        struct timespec ts = {.tv_sec = due_ms / 1000, .tv_nsec = (due_ms % 1000) * 1000000};

        pthread_cond_timedwait(&b->wake, &b->lock, &ts);
}

/* One step of the loop, entered and left with the lock held.  Returns 0 when
 * the thread should end. */
static int step(agent_bus *b)
{
        struct control_req *req = b->queue;
        struct agent_meter *m;

        if (req) {
                b->queue = req->next;
                if (!b->queue)
                        b->queue_tail = NULL;
                pthread_mutex_unlock(&b->lock);
                run_control(b, req);
                pthread_mutex_lock(&b->lock);
                return 1;
        }
        if (!b->once)
                check_month(b);
        m = next_meter(b);
        if (!m)
                return !b->once;
        if (mb_monotonic_ms() < m->next_due_ms && !b->once) {
                wait_until(b, m->next_due_ms);
                return 1;
        }
        pthread_mutex_unlock(&b->lock);
        poll_one(b, m);
        m->polled = 1;
        if (m->link->params.pause_ms > 0)
                mb_sleep_ms(m->link->params.pause_ms);
        pthread_mutex_lock(&b->lock);
        return 1;
}

static void *bus_main(void *arg)
{
        agent_bus *b = arg;

        pthread_mutex_lock(&b->lock);
        while (!b->stop) {
                if (!step(b))
                        break;
                if (!b->queue && !b->stop && !b->once) {
                        /* Idle bus with no meter due: wait for the next one or a request. */
                        struct agent_meter *m = next_meter(b);
                        if (!m)
                                wait_until(b, mb_monotonic_ms() + 60000);
                }
        }
        b->done = 1;
        pthread_mutex_unlock(&b->lock);
        return NULL;
}

static int init_sync(agent_bus *b)
{
        pthread_condattr_t attr;

        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&b->wake, &attr);
        pthread_condattr_destroy(&attr);
        return pthread_mutex_init(&b->lock, NULL);
}

agent_bus *agent_bus_start(struct agent_devices *devs, int bus_index, const char *name,
                           const struct agent_bus_sink *sink, int once)
{
        agent_bus *b = calloc(1, sizeof(*b));
        int64_t now = mb_monotonic_ms();

        if (!b || !(b->meters = calloc((size_t)devs->n_meters + 1, sizeof(*b->meters)))) {
                free(b);
                return NULL;
        }
        snprintf(b->name, sizeof(b->name), "%s", name);
        b->sink = *sink;
        b->once = once;
        for (int i = 0; i < devs->n_meters; i++)
                if (devs->meters[i].cfg->bus_index == bus_index) {
                        devs->meters[i].next_due_ms = now;
                        b->meters[b->n++] = &devs->meters[i];
                }
        init_sync(b);
        if (pthread_create(&b->thread, NULL, bus_main, b) != 0) {
                free(b->meters);
                free(b);
                return NULL;
        }
        return b;
}

void agent_bus_stop(agent_bus *b)
{
        if (!b)
                return;
        pthread_mutex_lock(&b->lock);
        b->stop = 1;
        pthread_cond_broadcast(&b->wake);
        pthread_mutex_unlock(&b->lock);
        pthread_join(b->thread, NULL);
        while (b->queue) {
                struct control_req *r = b->queue;
                b->queue = r->next;
                free(r);
        }
        pthread_cond_destroy(&b->wake);
        pthread_mutex_destroy(&b->lock);
        free(b->meters);
        free(b);
}

int agent_bus_done(agent_bus *b)
{
        int done;

        pthread_mutex_lock(&b->lock);
        done = b->done;
        pthread_mutex_unlock(&b->lock);
        return done;
}

int agent_bus_control(agent_bus *b, struct agent_meter *m, int op, const char *why, int64_t tag)
{
        struct control_req *req = calloc(1, sizeof(*req));

        if (!req)
                return MB_ENOMEM;
        req->meter = m;
        req->op = op;
        req->tag = tag;
        snprintf(req->why, sizeof(req->why), "%s", why ? why : "");
        pthread_mutex_lock(&b->lock);
        if (b->queue_tail)
                b->queue_tail->next = req;
        else
                b->queue = req;
        b->queue_tail = req;
        pthread_cond_broadcast(&b->wake);
        pthread_mutex_unlock(&b->lock);
        return MB_OK;
}

int agent_bus_stuck(agent_bus *b, int64_t now_ms, struct agent_stall *s)
{
        int64_t since = 0;

        memset(s, 0, sizeof(*s));
        pthread_mutex_lock(&b->lock);
        if (b->busy && now_ms - b->busy_since > b->busy->cfg->timeout_ms + STUCK_GRACE_MS) {
                s->meter = b->busy;
                since = b->busy_since;
                s->running_ms = now_ms - since;
        }
        pthread_mutex_unlock(&b->lock);
        if (!s->meter)
                return 0;
        if (b->stall_call != since) {
                /* another stuck call: report it at once */
                b->stall_call = since;
                b->stall_reports = 0;
        }
        if (b->stall_reports == 0 || now_ms - b->stall_logged >= STALL_REPORT_MS) {
                s->report = 1;
                b->stall_logged = now_ms;
                b->stall_reports++;
        }
        s->reports = b->stall_reports;
        return 1;
}
