/* SPDX-License-Identifier: Apache-2.0 */
/* The uploader: one thread that sends what the server has not acknowledged,
 * applies what the server answers, and backs off when it cannot.  Polling
 * and the policy never wait for it. */
#define MB_LOG_MODULE "upload"
#include "agent_upload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_http.h"
#include "agent_schedule.h"
#include "agent_uplink.h"
#include "mb_log.h"
#include "mb_time.h"

#define EVENTS_PER_BATCH 200
#define BACKOFF_BASE_MS 2000
/* Not an error: the batch was too large and has been made smaller. */
#define MB_EAGAIN_BATCH 1

struct agent_upload {
        struct agent *a;
        agent_http *http;
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        int stop, kick;
        int attempt;      /* failed syncs in a row */
        int slot;         /* month-end window minute */
        int64_t offset;   /* routine upload offset in the interval */
        int max_readings; /* per request: the config's, halved after a 413 */
        int max_bytes;
        agent_uplink *uplink; /* NULL: not reported (the server refused it) */
        int64_t uplink_seen;  /* agent_uplink_looked_ms when last put in agent.db */
        uint32_t rnd;
        struct agent_upload_stats stats;
};

static int64_t wall(void)
{
        return mb_realtime_s();
}

/* One request's body, written as the readings stream out of agent.db: a
 * json-c tree of a whole batch (500 readings) cost 2.5 MB of heap on a
 * gateway.  Each reading is still serialised by json-c; what is kept of it
 * is its row id, for a refusal that names readings[i]. */
struct batch {
        FILE *f;
        char *text;
        size_t len, bytes, max_bytes;
        int n, cap;
        int64_t *sent;       /* row id of readings[i], to set one aside */
        int64_t upto;        /* the last row id in the batch */
        int64_t events_upto; /* the last event id in the batch */
        int with_boundary;   /* boundary readings were asked for */
        int resume;          /* the question of a new store, nothing else */
        json_object *events;
};

static int add_reading(void *arg, json_object *r, int64_t id)
{
        struct batch *b = arg;
        const char *t = json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN);

        if (b->n == b->cap) {
                int cap = b->cap ? b->cap * 2 : 64;
                int64_t *p = realloc(b->sent, (size_t)cap * sizeof(*p));

                if (p == NULL)
                        return 1;
                b->sent = p;
                b->cap = cap;
        }
        b->sent[b->n] = id;
        fprintf(b->f, "%s%s", b->n++ ? "," : "", t);
        b->bytes += strlen(t);
        return b->bytes >= b->max_bytes;
}

static void batch_free(struct batch *b)
{
        if (b->f)
                fclose(b->f);
        free(b->text);
        free(b->sent);
        json_object_put(b->events);
        memset(b, 0, sizeof(*b));
}

/* A new look for `meterbox-agent status`: it goes to agent.db with the next
 * commit, so at most once a look (server.uplink_every). */
static void note_uplink(struct agent_upload *u)
{
        json_object *o = agent_uplink_status(u->uplink);

        u->uplink_seen = agent_uplink_looked_ms(u->uplink);
        if (o)
                agent_store_note_uplink(u->a->store, wall(),
                                        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

/* "uplink":{...}, as the watcher last saw it (docs/wire.md). */
static void put_uplink(struct agent_upload *u, FILE *f)
{
        json_object *o =
            u->uplink ? agent_uplink_json(u->uplink, mb_monotonic_ms(), u->attempt) : NULL;

        if (o)
                fprintf(f, "\"uplink\":%s,",
                        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (o && agent_uplink_looked_ms(u->uplink) != u->uplink_seen)
                note_uplink(u);
        json_object_put(o);
}

/* The body of the next request into b.  MB_OK or MB_ENOMEM / a store error. */
static int build_batch(struct agent_upload *u, struct batch *b, int *n_readings, int *n_events)
{
        json_object *gw = json_object_new_string(u->a->cfg->gateway_id);
        int boundary = agent_boundary_due(wall(), u->slot), rc;

        memset(b, 0, sizeof(*b));
        b->max_bytes = (size_t)u->max_bytes;
        b->events = json_object_new_array();
        b->f = open_memstream(&b->text, &b->len);
        if (gw == NULL || b->events == NULL || b->f == NULL) {
                json_object_put(gw);
                batch_free(b);
                return MB_ENOMEM;
        }
        b->resume = agent_store_needs_resume(u->a->store);
        fprintf(b->f, "{\"gateway\":%s,\"sent_at\":%lld,%s",
                json_object_to_json_string_ext(gw, JSON_C_TO_STRING_PLAIN), (long long)wall(),
                b->resume ? "\"resume\":true," : "");
        json_object_put(gw);
        put_uplink(u, b->f);
        fputs("\"readings\":[", b->f);
        b->with_boundary = boundary;
        /* A new store asks where to resume before it sends anything
         * (agent_store_resume.c). */
        rc = b->resume ? 0
                       : agent_store_unacked_readings(u->a->store, add_reading, b, u->max_readings,
                                                      boundary, &b->upto);
        *n_readings = rc < 0 ? 0 : rc;
        *n_events =
            b->resume ? 0 : agent_store_unacked_events(u->a->store, b->events, EVENTS_PER_BATCH);
        if (*n_events < 0)
                *n_events = 0;
        if (*n_events > 0) {
                json_object *last = json_object_array_get_idx(b->events, (size_t)*n_events - 1),
                            *id;
                if (json_object_object_get_ex(last, "id", &id))
                        b->events_upto = json_object_get_int64(id);
        }
        fprintf(b->f, "],\"events\":%s}",
                json_object_to_json_string_ext(b->events, JSON_C_TO_STRING_PLAIN));
        if (fclose(b->f) != 0 || b->text == NULL) {
                b->f = NULL;
                batch_free(b);
                return MB_ENOMEM;
        }
        b->f = NULL;
        return MB_OK;
}

/* A 200 means the server stored the whole batch (docs/wire.md): every
 * reading in it, and the events up to the last one sent (the server's
 * events_upto may be higher only for ids of a store this agent lost). */
static void apply_acks(struct agent_upload *u, const struct batch *b, json_object *resp)
{
        json_object *acked, *upto;
        int64_t ev = b->events_upto;

        /* The server answered: the time `meterbox-agent status` shows. */
        agent_store_note_sync(u->a->store, wall());
        if (b->n > 0)
                agent_store_ack_readings(u->a->store, b->upto, b->with_boundary);
        if (json_object_object_get_ex(resp, "acked", &acked) &&
            json_object_object_get_ex(acked, "events_upto", &upto) &&
            json_object_get_int64(upto) < ev)
                ev = json_object_get_int64(upto);
        if (ev > 0)
                agent_store_ack_events(u->a->store, ev);
}

/* The answer to a new store's question: renumber past the server's marks
 * before anything of this answer (snapshots, commands) is stored. */
static void resume(struct agent_upload *u, json_object *resp)
{
        json_object *r = NULL, *acked, *upto;
        int64_t events_upto = 0;

        if (json_object_object_get_ex(resp, "acked", &acked) &&
            json_object_object_get_ex(acked, "events_upto", &upto))
                events_upto = json_object_get_int64(upto);
        if (!json_object_object_get_ex(resp, "resume", &r) ||
            !json_object_is_type(r, json_type_object)) {
                mb_warn("the server did not say where a new store resumes; numbering from 1");
                r = NULL;
        }
        if (agent_store_resume(u->a->store, r, events_upto) != MB_OK)
                mb_err_log("cannot renumber the new store: uploads wait");
        else
                mb_notice("new store: resuming after the server's marks");
}

/* Fetch the text of every tariff an answer names that agent.db lacks. */
static void fetch_tariffs(struct agent_upload *u, json_object *resp)
{
        json_object *meters;

        if (!json_object_object_get_ex(resp, "meters", &meters))
                return;
        for (size_t i = 0; i < json_object_array_length(meters); i++) {
                json_object *t, *id, *hash;
                if (!json_object_object_get_ex(json_object_array_get_idx(meters, i), "tariff",
                                               &t) ||
                    !json_object_object_get_ex(t, "id", &id) ||
                    !json_object_object_get_ex(t, "hash", &hash))
                        continue;
                agent_upload_fetch_tariff(u->http, u->a->store, json_object_get_string(id),
                                          json_object_get_string(hash));
        }
}

static void note_server_time(struct agent_upload *u, json_object *resp)
{
        json_object *t;
        int64_t skew;

        if (!json_object_object_get_ex(resp, "server_time", &t))
                return;
        skew = wall() - json_object_get_int64(t);
        u->stats.clock_skew_s = skew;
        if (skew > 120 || skew < -120)
                mb_warn("gateway clock is %lld s %s the server's",
                        (long long)(skew < 0 ? -skew : skew), skew > 0 ? "ahead of" : "behind");
}

/* Handle a 200 answer.  Returns MB_OK or MB_EPROTO. */
static int take_answer(struct agent_upload *u, const struct batch *b, const char *body)
{
        json_object *resp = json_tokener_parse(body);
        char err[200];

        if (!resp || !json_object_is_type(resp, json_type_object)) {
                json_object_put(resp);
                mb_err_log("server answer is not a JSON object");
                return MB_EPROTO;
        }
        if (b->resume)
                resume(u, resp);
        apply_acks(u, b, resp);
        note_server_time(u, resp);
        fetch_tariffs(u, resp);
        if (agent_apply_response(u->a->store, u->a->cfg, resp, wall(), err, sizeof(err)) < 0)
                mb_err_log("server answer: %s", err);
        json_object_put(resp);
        agent_policy_reload(u->a);
        return MB_OK;
}

/* The server refused one record of the batch as bad input and named it
 * ("readings[3].seq", "events[7].data"): set it aside, record why, and let
 * the rest through.  Returns MB_EAGAIN_BATCH when it did, else MB_EPROTO. */
static int set_aside(struct agent_upload *u, const struct batch *b, const char *body)
{
        json_object *resp = json_tokener_parse(body ? body : ""), *e, *f, *m;
        const char *field = NULL, *msg = "";
        char data[256], kind[16] = "";
        size_t i;
        int rc = MB_EPROTO;

        if (resp && json_object_object_get_ex(resp, "error", &e)) {
                if (json_object_object_get_ex(e, "field", &f))
                        field = json_object_get_string(f);
                if (json_object_object_get_ex(e, "message", &m))
                        msg = json_object_get_string(m);
        }
        if (field && sscanf(field, "%15[a-z][%zu]", kind, &i) == 2 &&
            ((strcmp(kind, "readings") == 0 && i < (size_t)b->n) ||
             (strcmp(kind, "events") == 0 && i < json_object_array_length(b->events))) &&
            agent_store_begin(u->a->store) == MB_OK) {
                json_object *v;

                if (kind[0] == 'r')
                        agent_store_refused_reading(u->a->store, b->sent[i]);
                else if (json_object_object_get_ex(json_object_array_get_idx(b->events, i), "id",
                                                   &v))
                        agent_store_refused_event(u->a->store, json_object_get_int64(v));
                snprintf(data, sizeof(data), "{\"field\":\"%.60s\"}", field);
                agent_store_add_event(u->a->store, 0, wall(), "upload_refused", msg, INT64_MIN,
                                      data);
                agent_store_end(u->a->store);
                mb_err_log("the server refused %s: %s; set aside in agent.db", field, msg);
                rc = MB_EAGAIN_BATCH;
        }
        json_object_put(resp);
        return rc;
}

/* Did the server refuse the batch for its uplink ("uplink", "uplink.X")? */
static int refused_uplink(const char *body)
{
        json_object *resp = json_tokener_parse(body ? body : ""), *e, *f;
        const char *field = NULL;
        int yes;

        if (json_object_object_get_ex(resp, "error", &e) &&
            json_object_object_get_ex(e, "field", &f))
                field = json_object_get_string(f);
        yes = field && strncmp(field, "uplink", 6) == 0 && (field[6] == '\0' || field[6] == '.');
        json_object_put(resp);
        return yes;
}

/* The server found the batch too large: halve it and try again at once. */
static int shrink(struct agent_upload *u)
{
        u->max_readings = u->max_readings > 1 ? u->max_readings / 2 : 1;
        u->max_bytes = u->max_bytes > 2048 ? u->max_bytes / 2 : 1024;
        mb_warn("the server refused a batch as too large: now at most %d readings, %d bytes "
                "(lower server.batch_readings / batch_bytes to match the server)",
                u->max_readings, u->max_bytes);
        return MB_EAGAIN_BATCH;
}

/* One request.  Returns MB_OK (and *more when a batch was full), or an error
 * with *retry_after_s set when the server asked for a pause. */
static int sync_once(struct agent_upload *u, int *more, int64_t *retry_after_s)
{
        struct agent_http_resp r;
        int nr, ne, rc;
        char err[300];
        struct batch batch;

        *retry_after_s = -1;
        *more = 0;
        if ((rc = build_batch(u, &batch, &nr, &ne)) < 0) {
                mb_err_log("sync: cannot build a batch: %s", mb_strerror(rc));
                return rc;
        }
        /* after the question of a new store, the first real batch at once */
        *more = batch.resume || nr >= u->max_readings || ne >= EVENTS_PER_BATCH ||
                batch.bytes >= batch.max_bytes;
        rc = agent_http_request(u->http, "POST", "/api/v1/readings", batch.text, &r, err,
                                sizeof(err));
        *retry_after_s = r.retry_after_s;
        if (rc != MB_OK) {
                mb_warn("sync failed: %s", err);
                batch_free(&batch);
                return rc;
        }
        if (r.status == 200)
                rc = take_answer(u, &batch, r.body ? r.body : "");
        else if (r.status == 413 && (u->max_readings > 1 || u->max_bytes > 1024))
                rc = shrink(u);
        else if (batch.resume && r.status == 400 && r.body && strstr(r.body, "\"resume\"")) {
                /* A server before the question: as before, from 1. */
                mb_warn("the server does not answer where a new store resumes: numbering from 1");
                rc =
                    agent_store_resume(u->a->store, NULL, 0) == MB_OK ? MB_EAGAIN_BATCH : MB_EPROTO;
        } else if (r.status == 400 && u->uplink && refused_uplink(r.body)) {
                /* a server that takes the uplink otherwise must not stop the readings */
                mb_err_log("the server refused the uplink report: %.300s; no longer sent", r.body);
                agent_uplink_free(u->uplink);
                u->uplink = NULL;
                rc = MB_EAGAIN_BATCH;
        } else if ((r.status == 400 || r.status == 409 || r.status == 422) &&
                   set_aside(u, &batch, r.body) == MB_EAGAIN_BATCH)
                rc = MB_EAGAIN_BATCH;
        else {
                mb_warn("sync refused: HTTP %ld: %.300s", r.status, r.body ? r.body : "");
                rc = r.status == 429 || r.status == 503 ? MB_EBUSY : MB_EPROTO;
        }
        batch_free(&batch);
        if (rc == MB_OK) {
                u->stats.readings_sent += nr;
                u->stats.events_sent += ne;
                u->stats.syncs++;
        }
        free(r.body);
        return rc;
}

/* When to try next, in UTC seconds, after a sync that returned rc. */
static int64_t next_time(struct agent_upload *u, int rc, int more, int64_t retry_after_s)
{
        const struct agent_server_cfg *sc = &u->a->cfg->server;
        int64_t now = wall(), delay_ms;

        if (rc == MB_OK) {
                u->attempt = 0;
                return more ? now : agent_upload_next(now, sc->interval_s, u->offset);
        }
        if (rc == MB_EAGAIN_BATCH)
                return now;
        u->attempt++;
        u->rnd = u->rnd * 1103515245u + 12345u;
        delay_ms = agent_backoff_ms(u->attempt, BACKOFF_BASE_MS, (int64_t)sc->backoff_max_s * 1000,
                                    u->rnd >> 8);
        if (retry_after_s > 0 && retry_after_s * 1000 > delay_ms)
                delay_ms = retry_after_s * 1000;
        return now + (delay_ms + 999) / 1000;
}

/* The wait for the next sync runs on the monotonic clock: a gateway clock
 * stepped back (NTP, or a boot in 1970) must not put it hours or years away
 * (tests/integration/fault_clock.sh). */
static void *upload_main(void *arg)
{
        struct agent_upload *u = arg;
        int64_t due_ms = mb_monotonic_ms(), retry_after = -1;
        int more = 0, rc;

        pthread_mutex_lock(&u->lock);
        while (!u->stop) {
                if (mb_monotonic_ms() < due_ms && !u->kick) {
                        struct timespec ts;
                        clock_gettime(CLOCK_MONOTONIC, &ts);
                        ts.tv_sec += 1;
                        pthread_cond_timedwait(&u->wake, &u->lock, &ts);
                        continue;
                }
                u->kick = 0;
                pthread_mutex_unlock(&u->lock);
                rc = sync_once(u, &more, &retry_after);
                due_ms = mb_monotonic_ms() + (next_time(u, rc, more, retry_after) - wall()) * 1000;
                pthread_mutex_lock(&u->lock);
                u->stats.failures_in_row = u->attempt;
        }
        pthread_mutex_unlock(&u->lock);
        return NULL;
}

static agent_uplink *start_uplink(const struct agent_server_cfg *sc)
{
        struct agent_uplink_opts uo = {sc->url, sc->uplink, "/sys", sc->uplink_every_s * 1000,
                                       5000};
        agent_uplink *up = agent_uplink_new(&uo);

        if (up == NULL)
                mb_warn("cannot watch the uplink: uploads go without it");
        return up;
}

struct agent_upload *agent_upload_start(struct agent *a)
{
        const struct agent_server_cfg *sc = &a->cfg->server;
        struct agent_http_opts ho = {sc->url,       sc->token,    sc->ca_file,
                                     sc->cert_file, sc->key_file, sc->timeout_s};
        struct agent_upload *u = calloc(1, sizeof(*u));

        if (!u || !(u->http = agent_http_new(&ho))) {
                free(u);
                return NULL;
        }
        u->a = a;
        u->offset = agent_upload_offset(a->cfg->gateway_id, sc->interval_s);
        u->slot = agent_boundary_slot(a->cfg->gateway_id, a->cfg->region, a->cfg->upload_slot,
                                      sc->window_minutes);
        u->rnd = agent_hash(a->cfg->gateway_id);
        u->max_readings = sc->batch_readings;
        u->max_bytes = sc->batch_bytes;
        u->uplink = start_uplink(sc);
        u->uplink_seen = INT64_MIN;
        pthread_mutex_init(&u->lock, NULL);
        {
                pthread_condattr_t attr;
                pthread_condattr_init(&attr);
                pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
                pthread_cond_init(&u->wake, &attr);
                pthread_condattr_destroy(&attr);
        }
        if (pthread_create(&u->thread, NULL, upload_main, u) != 0) {
                agent_uplink_free(u->uplink);
                agent_http_free(u->http);
                free(u);
                return NULL;
        }
        mb_info("uploading to %s every %d s at +%lld s; month-end slot at minute %d", sc->url,
                sc->interval_s, (long long)u->offset, u->slot);
        return u;
}

void agent_upload_kick(struct agent_upload *u)
{
        if (!u)
                return;
        pthread_mutex_lock(&u->lock);
        u->kick = 1;
        pthread_cond_broadcast(&u->wake);
        pthread_mutex_unlock(&u->lock);
}

void agent_upload_stop(struct agent_upload *u)
{
        if (!u)
                return;
        pthread_mutex_lock(&u->lock);
        u->stop = 1;
        pthread_cond_broadcast(&u->wake);
        pthread_mutex_unlock(&u->lock);
        pthread_join(u->thread, NULL);
        pthread_cond_destroy(&u->wake);
        pthread_mutex_destroy(&u->lock);
        agent_http_free(u->http);
        agent_uplink_free(u->uplink);
        free(u);
}
