/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_workers.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
        void (*fn)(void *arg);
        void *arg;
        struct job *next;
};

struct srv_workers {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct job *head, *tail;
        int stopping, n;
        pthread_t *t;
};

static void *run(void *arg)
{
        struct srv_workers *w = arg;

        pthread_mutex_lock(&w->mu);
        for (;;) {
                struct job *j = w->head;

                if (j == NULL) {
                        if (w->stopping)
                                break;
                        pthread_cond_wait(&w->cv, &w->mu);
                        continue;
                }
                w->head = j->next;
                if (w->head == NULL)
                        w->tail = NULL;
                pthread_mutex_unlock(&w->mu);
                j->fn(j->arg);
                free(j);
                pthread_mutex_lock(&w->mu);
        }
        pthread_mutex_unlock(&w->mu);
        return NULL;
}

srv_workers *srv_workers_start(int n)
{
        struct srv_workers *w = calloc(1, sizeof(*w));

        if (w == NULL || (w->t = calloc((size_t)n, sizeof(*w->t))) == NULL) {
                free(w);
                return NULL;
        }
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->cv, NULL);
        for (; w->n < n; w->n++)
                if (pthread_create(&w->t[w->n], NULL, run, w) != 0) {
                        srv_workers_stop(w);
                        return NULL;
                }
        return w;
}

int srv_workers_post(srv_workers *w, void (*fn)(void *arg), void *arg)
{
        struct job *j = malloc(sizeof(*j));
        int rc = -1;

        if (j == NULL)
                return -1;
        *j = (struct job){fn, arg, NULL};
        pthread_mutex_lock(&w->mu);
        if (!w->stopping) {
                if (w->tail)
                        w->tail->next = j;
                else
                        w->head = j;
                w->tail = j;
                pthread_cond_signal(&w->cv);
                rc = 0;
        }
        pthread_mutex_unlock(&w->mu);
        if (rc < 0)
                free(j);
        return rc;
}

void srv_workers_stop(srv_workers *w)
{
        if (w == NULL)
                return;
        pthread_mutex_lock(&w->mu);
        w->stopping = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        for (int i = 0; i < w->n; i++)
                pthread_join(w->t[i], NULL);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w->t);
        free(w);
}
