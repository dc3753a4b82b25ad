/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checkpointer (srv_db_ckpt.h).  A passive checkpoint copies what the
 * WAL holds into the database file and syncs it, concurrently with the
 * writer appending to the WAL; the writer restarts the WAL at its next
 * commit once a checkpoint has copied all of it.
 */
#define MB_LOG_MODULE "db"
#include "srv_db_ckpt.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mb_log.h"

struct srv_ckpt {
        pthread_mutex_t mu;
        pthread_cond_t cv;
        pthread_t th;
        int started, want, stop;
        char *path;
        sqlite3 *h;
};

struct srv_ckpt *srv_ckpt_new(const char *path)
{
        struct srv_ckpt *c = calloc(1, sizeof(*c));

        if (c == NULL || (c->path = strdup(path)) == NULL) {
                free(c);
                return NULL;
        }
        pthread_mutex_init(&c->mu, NULL);
        pthread_cond_init(&c->cv, NULL);
        return c;
}

static void checkpoint(struct srv_ckpt *c)
{
        int rc;

        if (c->h == NULL) {
                rc = sqlite3_open_v2(c->path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                     NULL);
                if (rc != SQLITE_OK) {
                        mb_warn("checkpointer: cannot open %s: %s", c->path, sqlite3_errstr(rc));
                        sqlite3_close(c->h);
                        c->h = NULL;
                        return;
                }
        }
        rc = sqlite3_wal_checkpoint_v2(c->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
                mb_warn("checkpoint of %s: %s", c->path, sqlite3_errmsg(c->h));
}

static void *run(void *arg)
{
        struct srv_ckpt *c = arg;

        pthread_mutex_lock(&c->mu);
        for (;;) {
                while (!c->want && !c->stop)
                        pthread_cond_wait(&c->cv, &c->mu);
                if (c->stop)
                        break;
                c->want = 0;
                pthread_mutex_unlock(&c->mu);
                checkpoint(c);
                pthread_mutex_lock(&c->mu);
        }
        pthread_mutex_unlock(&c->mu);
        return NULL;
}

void srv_ckpt_want(struct srv_ckpt *c)
{
        if (c == NULL)
                return;
        pthread_mutex_lock(&c->mu);
        if (!c->started && !c->stop)
                c->started = pthread_create(&c->th, NULL, run, c) == 0;
        c->want = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
}

void srv_ckpt_free(struct srv_ckpt *c)
{
        if (c == NULL)
                return;
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
        if (c->started)
                pthread_join(c->th, NULL);
        sqlite3_close(c->h);
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c->path);
        free(c);
}
