/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterbox-server: the process-wide context and the request/response types
 * every handler sees.
 *
 * Concurrency: libmicrohttpd runs requests on a thread pool; the requests
 * share one database connection (SQLite or PostgreSQL), and a request holds
 * srv->lock from authentication to its last SQL statement
 * (srv_lock/srv_unlock), so within a process every request's transaction
 * runs alone; its answer then waits, without the lock, until its commits
 * are on stable storage (srv_db_sync).  The tariff cache lives under the
 * same lock.  The month close runs on a worker with a connection and tariff
 * cache of its own (srv_close_job.h), beside the requests.  Several
 * processes on one PostgreSQL database serialise through advisory locks
 * (srv_db_lock, docs/scaling.md).
 */
#ifndef SRV_H
#define SRV_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "srv_config.h"
#include "srv_db.h"
#include "srv_json.h"
#include "srv_router.h"

struct srv_tariff_cache; /* srv_tariffs.c */
struct srv_close;        /* srv_close_job.c: the month-close worker, or NULL */

struct srv {
        const struct srv_config *cfg;
        srv_db *db;
        pthread_mutex_t lock;
        struct srv_tariff_cache *tariffs;
        struct srv_close *close;
};

/* The caller's identity, from its bearer token. */
struct srv_auth {
        unsigned role; /* one SRV_ROLE_* */
        char name[72]; /* token name, recorded as "by" */
        int64_t token_id;
        int64_t gateway_id; /* gateway tokens: their gateway; else 0 */
};

struct srv_req {
        struct srv *srv;
        char client_cn[80]; /* verified client certificate's CN (mutual TLS), or "" */
        srv_db *db;
        const char *method, *path;
        struct srv_route_params params;
        const char *body;
        size_t body_len;
        struct srv_auth auth;
        /* query string lookup: value of ?key=..., NULL when absent */
        const char *(*query)(void *ctx, const char *key);
        void *query_ctx;
        const char *session_cookie; /* the dashboard's cookie (srv_session.h), or NULL */
        int https;                  /* over TLS, or a trusted proxy says its client used https */
};

struct srv_resp {
        int status;
        json_object *json; /* owned; sent when text is NULL */
        char *text;        /* owned (malloc) */
        const char *content_type;
        char header_name[32];
        char header_value[256]; /* Set-Cookie needs room */
};

void srv_lock(struct srv *s);
void srv_unlock(struct srv *s);

/* Responses.  srv_reply_json takes ownership of o. */
void srv_reply_json(struct srv_resp *rs, int status, json_object *o);
void srv_reply_error(struct srv_resp *rs, const struct srv_err *e);
void srv_reply_errorf(struct srv_resp *rs, int status, const char *code, const char *field,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 500 with the database's message logged (never sent). */
void srv_reply_db_error(struct srv_resp *rs, struct srv_req *rq, int rc);
/* The end of a handler's transaction: commit it when its work went well
 * (rc >= 0).  Returns 0 once committed, with nothing answered yet; else,
 * after rolling back and answering the database error for rc (or the
 * commit's), that negative code. */
int srv_req_commit(struct srv_req *rq, struct srv_resp *rs, int rc);
/* The end of a list handler: 200 with {name: a} when the query ended well
 * (rc >= 0), else the database error for rc.  Takes a (freed on error). */
void srv_reply_list(struct srv_req *rq, struct srv_resp *rs, int rc, const char *name,
                    json_object *a);

const char *srv_req_query(struct srv_req *rq, const char *key);

/* The start of a handler that takes a JSON body: the body as one object
 * (srv_json_parse_object) with no member outside keys (NULL-terminated,
 * srv_json_known_keys).  0 with *b, which the caller frees with
 * json_object_put; -1 after answering the error (400 or 422), *b NULL. */
int srv_req_body(struct srv_req *rq, struct srv_resp *rs, const char *const *keys, json_object **b);

/* Small JSON builders. */
void srv_jadd_str(json_object *o, const char *k, const char *v); /* NULL -> null */
void srv_jadd_i64(json_object *o, const char *k, int64_t v);
void srv_jadd_i64_or_null(json_object *o, const char *k, int is_null, int64_t v);
void srv_jadd_bool(json_object *o, const char *k, int v);
/* Parse stored JSON text (NULL or bad -> JSON null). */
json_object *srv_jparse_stored(const char *text);

/* The route table (srv_routes.c). */
extern const struct srv_route srv_routes[];
extern const size_t srv_n_routes;

#endif
