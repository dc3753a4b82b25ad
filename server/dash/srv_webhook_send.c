/* SPDX-License-Identifier: Apache-2.0 */
/* The webhook sender thread: due rows of webhook_queue out over HTTP(S). */
#define MB_LOG_MODULE "webhook"
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "mb_build_config.h"
#include "mb_log.h"
#include "mb_time.h"
#include "srv_metrics.h"
#include "srv_webhook.h"

#define SCAN_EVERY_MS 5000

struct srv_webhook_sender;

/* One thread per target, so a slow or dead receiver delays only itself. */
struct worker {
        struct srv_webhook_sender *w;
        const struct srv_webhook_target *t;
        int scans; /* the first worker also looks for silent gateways */
        pthread_t th;
        int started;
};

struct srv_webhook_sender {
        struct srv *s;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        atomic_int stopping;
        int n;
        struct worker wk[SRV_WEBHOOK_MAX];
};

struct job {
        int64_t id;
        int attempts;
        char target[128], event[64], key[256];
        char *body;
};

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
        (void)p;
        (void)ud;
        return size * n;
}

static int progress(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
        struct srv_webhook_sender *w = ud;

        return atomic_load(&w->stopping) ? 1 : 0; /* non-zero aborts the transfer */
}

/* POST one delivery.  The HTTP status (0 when none) and a message. */
static long post(struct srv_webhook_sender *w, const struct srv_webhook_target *t,
                 const struct job *j, char *err, size_t errlen)
{
        char h_event[96], h_key[300], h_ts[64], h_sig[SRV_WEBHOOK_SIG_MAX + 32],
            sig[SRV_WEBHOOK_SIG_MAX];
        int64_t ts = mb_realtime_s();
        struct curl_slist *h = NULL;
        long status = 0;
        CURLcode rc;
        CURL *c = curl_easy_init();

        if (c == NULL) {
                snprintf(err, errlen, "curl_easy_init failed");
                return 0;
        }
        srv_webhook_signature(t->secret, ts, j->body, sig);
        snprintf(h_event, sizeof(h_event), "X-Meterbox-Event: %s", j->event);
        snprintf(h_key, sizeof(h_key), "X-Meterbox-Delivery: %s", j->key);
        snprintf(h_ts, sizeof(h_ts), "X-Meterbox-Timestamp: %lld", (long long)ts);
        snprintf(h_sig, sizeof(h_sig), "X-Meterbox-Signature: %s", sig);
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, h_event);
        h = curl_slist_append(h, h_key);
        h = curl_slist_append(h, h_ts);
        h = curl_slist_append(h, h_sig);
        h = curl_slist_append(h, "Expect:");
        curl_easy_setopt(c, CURLOPT_URL, t->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "meterbox-server/" MB_VERSION);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)w->s->cfg->hooks.timeout_s);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
#if LIBCURL_VERSION_NUM >= 0x075500
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
        rc = curl_easy_perform(c);
        if (rc == CURLE_OK) {
                curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
                snprintf(err, errlen, "HTTP %ld", status);
        } else {
                snprintf(err, errlen, "%s", curl_easy_strerror(rc));
        }
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        return status;
}

/* The oldest due delivery of target: 1 and *j (j->body is the caller's), 0,
 * or error. */
static int next_job(struct srv *s, const char *target, struct job *j)
{
        srv_stmt *st = NULL;
        int rc;

        memset(j, 0, sizeof(*j));
        srv_lock(s);
        rc = srv_db_query(s->db, &st,
                          "SELECT id, target, event, event_key, body, attempts FROM webhook_queue"
                          " WHERE state = 'pending' AND target = $1 AND next_at <= $2"
                          " ORDER BY next_at, id LIMIT 1",
                          "ti", target, mb_realtime_s());
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                j->id = srv_stmt_i64(st, 0);
                snprintf(j->target, sizeof(j->target), "%s", srv_stmt_text(st, 1));
                snprintf(j->event, sizeof(j->event), "%s", srv_stmt_text(st, 2));
                snprintf(j->key, sizeof(j->key), "%s", srv_stmt_text(st, 3));
                j->body = strdup(srv_stmt_text(st, 4));
                j->attempts = (int)srv_stmt_i64(st, 5);
                if (j->body == NULL)
                        rc = MB_ENOMEM;
        }
        srv_stmt_done(st);
        if (rc < 0)
                mb_err_log("reading the queue: %s", srv_db_errmsg(s->db));
        srv_unlock(s);
        return rc < 0 ? rc : rc == SRV_DB_ROW;
}

static void record(struct srv *s, const struct job *j, long status, const char *err)
{
        const struct srv_webhooks_config *hc = &s->cfg->hooks;
        int64_t now = mb_realtime_s();
        int attempts = j->attempts + 1, ok = status >= 200 && status <= 299, rc;
        const char *state = ok ? "sent" : attempts >= hc->max_attempts ? "dead" : "pending";
        int64_t next =
            ok ? now : now + srv_webhook_backoff(attempts, hc->retry_base_s, hc->retry_max_s);

        srv_metrics_webhook(ok);
        if (!ok)
                mb_warn("%s to %s: %s (attempt %d, %s)", j->key, j->target, err, attempts,
                        strcmp(state, "dead") == 0 ? "giving up" : "will retry");
        srv_lock(s);
        rc = srv_db_exec_args(s->db,
                              "UPDATE webhook_queue SET state = $1, attempts = $2, next_at = $3,"
                              " sent_at = $4, last_status = $5, last_error = $6 WHERE id = $7",
                              "tiiIIti", state, (int64_t)attempts, next, ok ? now : SRV_DB_NULL_I64,
                              status ? (int64_t)status : SRV_DB_NULL_I64, ok ? NULL : err, j->id);
        if (rc < 0)
                mb_err_log("updating delivery %lld: %s", (long long)j->id, srv_db_errmsg(s->db));
        srv_unlock(s);
}

/* Send one due delivery of the worker's target: 1 when one was handled, 0
 * when none is due.  (Rows of a target no longer in server.conf stay
 * pending, visible in meterbox_webhook_queue, until it comes back.) */
static int deliver_one(struct worker *k)
{
        struct srv_webhook_sender *w = k->w;
        char err[256];
        struct job j;
        long status;
        int rc = next_job(w->s, k->t->name, &j);

        if (rc <= 0)
                return 0;
        status = post(w, k->t, &j, err, sizeof(err));
        if (atomic_load(&w->stopping) && status == 0) {
                free(j.body); /* interrupted by shutdown: not an attempt */
                return 0;
        }
        record(w->s, &j, status, err);
        free(j.body);
        return 1;
}

static void scan(struct srv *s)
{
        int rc;

        srv_lock(s);
        rc = srv_db_begin(s->db);
        if (rc >= 0)
                rc = srv_webhook_scan_gateways(s->db, mb_realtime_s());
        if (rc >= 0)
                rc = srv_db_commit(s->db);
        if (rc < 0) {
                mb_err_log("gateway scan: %s", srv_db_errmsg(s->db));
                srv_db_rollback(s->db);
        }
        srv_unlock(s);
}

static void *run(void *arg)
{
        struct worker *k = arg;
        struct srv_webhook_sender *w = k->w;
        int64_t last_scan = -SCAN_EVERY_MS;

        while (!atomic_load(&w->stopping)) {
                struct timespec until;
                int64_t ms = w->s->cfg->hooks.poll_ms;

                if (k->scans && mb_monotonic_ms() - last_scan >= SCAN_EVERY_MS) {
                        scan(w->s);
                        last_scan = mb_monotonic_ms();
                }
                while (!atomic_load(&w->stopping) && deliver_one(k))
                        ;
                clock_gettime(CLOCK_MONOTONIC, &until);
                until.tv_sec += ms / 1000;
                until.tv_nsec += (ms % 1000) * 1000000;
                if (until.tv_nsec >= 1000000000) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000;
                }
                pthread_mutex_lock(&w->mu);
                if (!atomic_load(&w->stopping))
                        pthread_cond_timedwait(&w->cv, &w->mu, &until);
                pthread_mutex_unlock(&w->mu);
        }
        return NULL;
}

struct srv_webhook_sender *srv_webhook_start(struct srv *s)
{
        struct srv_webhook_sender *w;
        pthread_condattr_t ca;

        srv_webhook_configure(&s->cfg->hooks);
        if (s->cfg->hooks.n == 0)
                return NULL;
        w = calloc(1, sizeof(*w));
        if (w == NULL || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                mb_err_log("cannot start the webhook sender");
                free(w);
                return NULL;
        }
        w->s = s;
        pthread_mutex_init(&w->mu, NULL);
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cv, &ca);
        pthread_condattr_destroy(&ca);
        for (int i = 0; i < s->cfg->hooks.n; i++) {
                struct worker *k = &w->wk[i];

                k->w = w;
                k->t = &s->cfg->hooks.t[i];
                k->scans = i == 0;
                k->started = pthread_create(&k->th, NULL, run, k) == 0;
                if (!k->started)
                        mb_err_log("cannot start the sender thread of webhook %s", k->t->name);
        }
        w->n = s->cfg->hooks.n;
        mb_notice("%d webhook target(s); senders started", s->cfg->hooks.n);
        return w;
}

void srv_webhook_stop(struct srv_webhook_sender *w)
{
        if (w == NULL)
                return;
        pthread_mutex_lock(&w->mu);
        atomic_store(&w->stopping, 1);
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        for (int i = 0; i < w->n; i++)
                if (w->wk[i].started)
                        pthread_join(w->wk[i].th, NULL);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        curl_global_cleanup();
        free(w);
}
