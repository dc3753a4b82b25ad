/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>

struct conn {
        int fd;
        int shut, paused;
        int64_t since_ms;
};

struct srv_deadline {
        pthread_mutex_t lock;
        int64_t deadline_ms;
        struct conn *v;
        size_t n, cap;
};

srv_deadline *srv_deadline_new(int deadline_s)
{
        srv_deadline *d = calloc(1, sizeof(*d));

        if (d == NULL)
                return NULL;
        pthread_mutex_init(&d->lock, NULL);
        d->deadline_ms = (int64_t)deadline_s * 1000;
        return d;
}

void srv_deadline_free(srv_deadline *d)
{
        if (d == NULL)
                return;
        pthread_mutex_destroy(&d->lock);
        free(d->v);
        free(d);
}

/* The entry of fd, or NULL; under the lock.  A linear search: the table
 * holds the open connections (limits.max_connections at most), and it is
 * searched once per connection and request, never per byte. */
static struct conn *find(srv_deadline *d, int fd)
{
        for (size_t i = 0; i < d->n; i++)
                if (d->v[i].fd == fd)
                        return &d->v[i];
        return NULL;
}

void srv_deadline_open(srv_deadline *d, int fd, int64_t now_ms)
{
        struct conn *c;

        if (d == NULL || d->deadline_ms <= 0)
                return;
        pthread_mutex_lock(&d->lock);
        if ((c = find(d, fd)) == NULL && d->n == d->cap) {
                size_t cap = d->cap ? d->cap * 2 : 64;
                struct conn *v = realloc(d->v, cap * sizeof(*v));

                if (v != NULL) {
                        d->v = v;
                        d->cap = cap;
                }
        }
        if (c == NULL && d->n < d->cap)
                c = &d->v[d->n++];
        if (c != NULL)
                *c = (struct conn){fd, 0, 0, now_ms};
        pthread_mutex_unlock(&d->lock);
}

/* Set fd's clock: paused, or running from now_ms. */
static void set(srv_deadline *d, int fd, int paused, int64_t now_ms)
{
        struct conn *c;

        if (d == NULL || d->deadline_ms <= 0)
                return;
        pthread_mutex_lock(&d->lock);
        if ((c = find(d, fd)) != NULL) {
                c->paused = paused;
                c->since_ms = now_ms;
        }
        pthread_mutex_unlock(&d->lock);
}

void srv_deadline_pause(srv_deadline *d, int fd)
{
        set(d, fd, 1, 0);
}

void srv_deadline_restart(srv_deadline *d, int fd, int64_t now_ms)
{
        set(d, fd, 0, now_ms);
}

void srv_deadline_close(srv_deadline *d, int fd)
{
        struct conn *c;

        if (d == NULL || d->deadline_ms <= 0)
                return;
        pthread_mutex_lock(&d->lock);
        if ((c = find(d, fd)) != NULL)
                *c = d->v[--d->n];
        pthread_mutex_unlock(&d->lock);
}

int srv_deadline_sweep(srv_deadline *d, int64_t now_ms)
{
        int shut = 0;

        if (d == NULL || d->deadline_ms <= 0)
                return 0;
        pthread_mutex_lock(&d->lock);
        for (size_t i = 0; i < d->n; i++) {
                struct conn *c = &d->v[i];

                if (!c->shut && !c->paused && now_ms - c->since_ms > d->deadline_ms) {
                        shutdown(c->fd, SHUT_RDWR);
                        c->shut = 1;
                        shut++;
                }
        }
        pthread_mutex_unlock(&d->lock);
        return shut;
}
