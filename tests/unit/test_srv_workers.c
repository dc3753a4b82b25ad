/* SPDX-License-Identifier: Apache-2.0 */
/* The request threads (srv_workers.c): every posted job runs exactly once,
 * on the workers and side by side (a job that waits for another does not
 * stop it), what is queued when the pool stops still runs, and a pool that
 * is stopping refuses new work so that its caller runs it. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "srv_workers.h"

struct count {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        int ran, waiting;
        pthread_t self;
        int on_caller;
};

static void bump(void *arg)
{
        struct count *c = arg;

        pthread_mutex_lock(&c->mu);
        c->ran++;
        if (pthread_equal(pthread_self(), c->self))
                c->on_caller++;
        pthread_mutex_unlock(&c->mu);
}

static void init(struct count *c)
{
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        c->ran = c->waiting = c->on_caller = 0;
        c->self = pthread_self();
}

static void every_job_runs_once_before_stop_returns(void **state)
{
        struct count c;
        srv_workers *w = srv_workers_start(3);

        (void)state;
        init(&c);
        assert_non_null(w);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(srv_workers_post(w, bump, &c), 0);
        srv_workers_stop(w);
        assert_int_equal(c.ran, 1000);
        assert_int_equal(c.on_caller, 0);
}

/* The first job waits until a second has run: with one thread per job in
 * flight this finishes; run one after another it would hang. */
static void wait_for_peer(void *arg)
{
        struct count *c = arg;

        pthread_mutex_lock(&c->mu);
        c->waiting = 1;
        pthread_cond_broadcast(&c->cv);
        while (c->ran == 0)
                pthread_cond_wait(&c->cv, &c->mu);
        pthread_mutex_unlock(&c->mu);
}

static void peer(void *arg)
{
        struct count *c = arg;

        pthread_mutex_lock(&c->mu);
        while (!c->waiting)
                pthread_cond_wait(&c->cv, &c->mu);
        c->ran++;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
}

static void jobs_run_side_by_side(void **state)
{
        struct count c;
        srv_workers *w = srv_workers_start(2);

        (void)state;
        init(&c);
        assert_non_null(w);
        assert_int_equal(srv_workers_post(w, wait_for_peer, &c), 0);
        assert_int_equal(srv_workers_post(w, peer, &c), 0);
        srv_workers_stop(w);
        assert_int_equal(c.ran, 1);
}

/* A job that posts while the pool stops: refused (-1), nothing lost. */
struct repost {
        srv_workers *w;
        int refused, queued;
        struct count c;
};

static void post_again(void *arg)
{
        struct repost *r = arg;
        int rc = srv_workers_post(r->w, bump, &r->c);

        if (rc < 0)
                r->refused++;
        else
                r->queued++;
}

static void stopping_pool_refuses(void **state)
{
        struct repost r = {0};

        (void)state;
        init(&r.c);
        r.w = srv_workers_start(1);
        assert_non_null(r.w);
        /* srv_workers_stop sets stopping before the queue runs out: the
         * queued job posts while the pool stops */
        assert_int_equal(srv_workers_post(r.w, post_again, &r), 0);
        srv_workers_stop(r.w);
        assert_int_equal(r.refused + r.queued, 1);
        assert_int_equal(r.c.ran, r.queued); /* what was queued ran */
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(every_job_runs_once_before_stop_returns),
            cmocka_unit_test(jobs_run_side_by_side),
            cmocka_unit_test(stopping_pool_refuses),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
