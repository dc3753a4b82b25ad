/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "http"
#include "srv_http.h"
#include "srv_clientcert.h"
#include "srv_ratelimit.h"
#include "mb_time.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "mb_log.h"
#include "srv_auth.h"
#include "srv_deadline.h"
#include "srv_jwalk.h"
#include "srv_session.h"
#include "srv_metrics.h"
#include "srv_workers.h"
#include "srv_www.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

struct srv_http {
        struct MHD_Daemon *d;
        struct srv *srv;
        srv_deadline *deadline;   /* limits.request_deadline_s */
        srv_workers *workers;     /* run the API's handlers (srv_workers.h) */
        char *cert, *key, *trust; /* trust: CA of client certificates, or NULL */
};

/* Per-connection request state: the body gathered so far, then the
 * request handed to a worker while the connection is suspended, and its
 * answer once done. */
struct body {
        char *buf;
        size_t len, cap;
        int too_big, done;
        struct srv_http *h;
        struct MHD_Connection *c;
        const char *authorization;
        struct srv_req rq;
        struct srv_resp rs;
};

static const char *query_value(void *ctx, const char *key)
{
        return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, key);
}

/* A 2xx is a promise (DESIGN.md, Durability): no answer leaves before
 * everything committed up to its end is on stable storage, its own writes
 * and any it may have read.  Waits without srv->lock, so the requests that
 * finish meanwhile share one sync (srv_db_sync). */
static void answer_when_durable(struct srv *s, struct srv_req *rq, struct srv_resp *rs,
                                uint64_t commits)
{
        if (srv_db_sync(s->db, commits) == MB_OK)
                return;
        mb_err_log("%s %s: %s", rq->method, rq->path, srv_db_errmsg(s->db));
        if (rs->status >= 200 && rs->status < 300) {
                rs->header_name[0] = '\0';
                srv_reply_errorf(rs, 503, "not_durable", "",
                                 "the server could not write to stable storage; what this request "
                                 "sent may be lost: retry");
        }
}

/* Authenticate, then run the handler (srv->lock held): 1 when it ran. */
static int run_once(struct srv *s, struct srv_req *rq, const struct srv_route *r,
                    const char *authorization, struct srv_resp *rs)
{
        int rc, wait;

        /* A gateway's verified client certificate stands for its token. */
        rc = !authorization && rq->client_cn[0]
                 ? srv_auth_client_cert(s->db, rq->client_cn, &rq->auth)
                 : srv_auth_check(s->db, authorization, &rq->auth);
        if (rc == MB_EAUTH) {
                srv_reply_errorf(rs, 401, "unauthorized", "",
                                 "a valid 'Authorization: Bearer TOKEN' header is required");
                snprintf(rs->header_name, sizeof(rs->header_name), "WWW-Authenticate");
                snprintf(rs->header_value, sizeof(rs->header_value), "Bearer realm=\"meterbox\"");
        } else if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
        } else if ((wait = srv_rate_take(rq->auth.token_id, s->cfg->requests_per_minute,
                                         mb_monotonic_ms())) > 0) {
                srv_reply_errorf(rs, 429, "too_many_requests", "",
                                 "more than %d requests a minute from this token; retry in %d s",
                                 s->cfg->requests_per_minute, wait);
                snprintf(rs->header_name, sizeof(rs->header_name), "Retry-After");
                snprintf(rs->header_value, sizeof(rs->header_value), "%d", wait);
        } else if (!(r->roles & rq->auth.role)) {
                srv_reply_errorf(rs, 403, "forbidden", "", "a %s token may not %s %s",
                                 srv_role_name(rq->auth.role), rq->method, r->pattern);
        } else {
                r->handler(rq, rs);
                return 1;
        }
        return 0;
}

/* The answer to a request whose work failed with a lost connection and
 * that is not run again: 503, the client retries (docs/api.md, Retries). */
static void reply_lost(struct srv_req *rq, struct srv_resp *rs, int may_be_stored)
{
        if (!may_be_stored && rs->status == 503)
                return;
        json_object_put(rs->json);
        free(rs->text);
        memset(rs, 0, sizeof(*rs));
        if (!may_be_stored) {
                srv_reply_db_error(rs, rq, MB_EBUSY);
                return;
        }
        mb_warn("%s %s: the database failed over after this request may have stored its "
                "changes; not run again",
                rq->method, rq->path);
        srv_reply_errorf(rs, 503, "in_doubt", "",
                         "the database failed over after this request may have stored its "
                         "changes; send it again unchanged (docs/api.md, Retries)");
        snprintf(rs->header_name, sizeof(rs->header_name), "Retry-After");
        snprintf(rs->header_value, sizeof(rs->header_value), "2");
}

/*
 * A database connection lost under a request (a failover, srv_db.h) took
 * its unfinished work with it: the request runs again on the new primary,
 * so the client gets the answer it would have had, but only while nothing
 * it did can have committed (srv_db_written: a commit in doubt is looked up
 * by srv_db_wait_primary first).  Otherwise, with no primary within
 * database.failover_wait_ms, or after MAX_RERUNS, the answer is 503 and the
 * client sends the request again, where every write with a key finds what
 * did commit (docs/api.md, Retries).  1 when the handler ran.
 */
#define MAX_RERUNS 3
static int run_handler(struct srv *s, struct srv_req *rq, const struct srv_route *r,
                       const char *authorization, struct srv_resp *rs)
{
        for (int runs = 0;; runs++) {
                uint64_t losses = srv_db_losses(s->db), written = srv_db_written(s->db);
                int ran = run_once(s, rq, r, authorization, rs);

                if (srv_db_losses(s->db) == losses || (rs->status >= 200 && rs->status < 300))
                        return ran;
                if (runs == MAX_RERUNS ||
                    srv_db_wait_primary(s->db, s->cfg->db_failover_wait_ms) < 0 ||
                    srv_db_written(s->db) != written) {
                        reply_lost(rq, rs, srv_db_written(s->db) != written);
                        return ran;
                }
                mb_notice("%s %s: the database connection was lost; running it again on the "
                          "primary",
                          rq->method, rq->path);
                json_object_put(rs->json);
                free(rs->text);
                memset(rs, 0, sizeof(*rs));
                memset(&rq->auth, 0, sizeof(rq->auth));
        }
}

void srv_http_dispatch(struct srv *s, struct srv_req *rq, const char *authorization,
                       struct srv_resp *rs)
{
        const struct srv_route *r;
        int64_t t0 = srv_metrics_now_us();
        int known;
        uint64_t commits;

        rq->srv = s;
        r = srv_route_match(srv_routes, srv_n_routes, rq->method, rq->path, &rq->params, &known);
        if (r == NULL) {
                if (known)
                        srv_reply_errorf(rs, 405, "method_not_allowed", "",
                                         "%s is not allowed on %s", rq->method, rq->path);
                else
                        srv_reply_errorf(rs, 404, "not_found", "", "no such endpoint: %s",
                                         rq->path);
                srv_metrics_request(SRV_METRICS_OTHER, rs->status, srv_metrics_now_us() - t0);
                return;
        }
        /* The one connection is being made again (a failover): the request
         * that holds it may wait up to database.failover_wait_ms, and this
         * one would only queue behind it, holding a thread and its client.
         * 503 at once instead; the client retries, as after any 503. */
        if (srv_db_reconnecting(s->db)) {
                srv_reply_errorf(rs, 503, "failover", "",
                                 "the database is failing over to a new primary; try again");
                snprintf(rs->header_name, sizeof(rs->header_name), "Retry-After");
                snprintf(rs->header_value, sizeof(rs->header_value), "2");
                srv_metrics_request((int)(r - srv_routes), rs->status, srv_metrics_now_us() - t0);
                return;
        }
        srv_lock(s);
        rq->db = s->db;
        /* an admin's change is audited once, with its final answer */
        if (run_handler(s, rq, r, authorization, rs) && rq->auth.role == SRV_ROLE_ADMIN &&
            strcmp(rq->method, "GET") != 0 &&
            srv_audit_record(s->db, rq->auth.name, rq->method, rq->path, rs->status, rq->body,
                             rq->body_len) < 0)
                mb_err_log("cannot write the audit log: %s", srv_db_errmsg(s->db));
        commits = srv_db_commits(s->db);
        srv_unlock(s);
        answer_when_durable(s, rq, rs, commits);
        srv_metrics_request((int)(r - srv_routes), rs->status, srv_metrics_now_us() - t0);
        mb_debug("%s %s -> %d (%s)", rq->method, rq->path, rs->status,
                 rq->auth.name[0] ? rq->auth.name : "-");
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct srv_resp *rs)
{
        const char *text;
        struct MHD_Response *r;
        enum MHD_Result ret;

        if (rs->text) {
                text = rs->text;
        } else {
                if (rs->json == NULL)
                        rs->json = json_object_new_object();
                text = json_object_to_json_string_ext(rs->json, JSON_C_TO_STRING_SPACED |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        }
        r = MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
        if (r == NULL)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type",
                                rs->content_type ? rs->content_type : "application/json");
        MHD_add_response_header(r, "Cache-Control", "no-store");
        if (rs->header_name[0])
                MHD_add_response_header(r, rs->header_name, rs->header_value);
        ret = MHD_queue_response(c, (unsigned)(rs->status ? rs->status : 500), r);
        MHD_destroy_response(r);
        return ret;
}

static void resp_free(struct srv_resp *rs)
{
        json_object_put(rs->json);
        free(rs->text);
}

static enum MHD_Result reply_now(struct MHD_Connection *c, int status, const char *code,
                                 const char *field, const char *msg)
{
        struct srv_resp rs;
        enum MHD_Result ret;

        memset(&rs, 0, sizeof(rs));
        srv_reply_errorf(&rs, status, code, field, "%s", msg);
        if (status == 400) { /* the framing may be wrong: do not read on */
                snprintf(rs.header_name, sizeof(rs.header_name), "Connection");
                snprintf(rs.header_value, sizeof(rs.header_value), "close");
        }
        ret = send_resp(c, &rs);
        resp_free(&rs);
        return ret;
}

static int append(struct body *b, const char *data, size_t n, size_t limit)
{
        if (b->too_big || b->len + n > limit) {
                b->too_big = 1;
                return 0;
        }
        if (b->len + n + 1 > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                char *p;

                while (cap < b->len + n + 1)
                        cap *= 2;
                p = realloc(b->buf, cap);
                if (p == NULL)
                        return -1;
                b->buf = p;
                b->cap = cap;
        }
        memcpy(b->buf + b->len, data, n);
        b->len += n;
        b->buf[b->len] = '\0';
        return 0;
}

static int conn_fd(struct MHD_Connection *c)
{
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

        return i ? (int)i->connect_fd : -1;
}

struct header_count {
        int content_length, transfer_encoding;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
        struct header_count *n = cls;

        if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
                n->content_length++;
        else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
                n->transfer_encoding++;
        return MHD_YES;
}

/* Two Content-Length headers, or one beside Transfer-Encoding, let a proxy
 * and this server disagree on where a request ends (request smuggling):
 * neither is guessed at. */
static const char *ambiguous_framing(struct MHD_Connection *c)
{
        struct header_count n = {0, 0};

        MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &n);
        if (n.content_length > 1)
                return "more than one Content-Length header";
        if (n.content_length && n.transfer_encoding)
                return "both Content-Length and Transfer-Encoding";
        if (n.transfer_encoding > 1)
                return "more than one Transfer-Encoding header";
        return NULL;
}

struct bad_arg {
        const char *field;
};

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
        struct bad_arg *b = cls;

        if (srv_utf8_check(key, strlen(key)) != strlen(key)) {
                b->field = "query";
                return MHD_NO;
        }
        if (value && srv_utf8_check(value, strlen(value)) != strlen(value)) {
                b->field = key;
                return MHD_NO;
        }
        return MHD_YES;
}

/* The path and every query parameter are UTF-8, or the request is refused
 * naming which: a meter address in a path is stored and served as JSON. */
static const char *bad_utf8(struct MHD_Connection *c, const char *url)
{
        struct bad_arg b = {NULL};

        if (srv_utf8_check(url, strlen(url)) != strlen(url))
                return "path";
        MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, check_arg, &b);
        return b.field;
}

/* Did the browser use https: our own TLS, or a trusted proxy's
 * X-Forwarded-Proto from the proxy's own address. */
static int over_https(struct srv_http *h, struct MHD_Connection *c)
{
        const struct srv_config *cfg = h->srv->cfg;
        const union MHD_ConnectionInfo *i;
        const char *proto, *a;
        char addr[NI_MAXHOST];
        socklen_t len;

        if (h->cert)
                return 1;
        proto = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-Proto");
        if (cfg->n_trusted_proxies == 0 || proto == NULL || strcasecmp(proto, "https") != 0)
                return 0;
        i = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (i == NULL || i->client_addr == NULL)
                return 0;
        len = i->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                    : sizeof(struct sockaddr_in);
        if (getnameinfo(i->client_addr, len, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
                return 0;
        a = strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.') ? addr + 7 : addr;
        for (int k = 0; k < cfg->n_trusted_proxies; k++)
                if (strcmp(a, cfg->trusted_proxies[k]) == 0)
                        return 1;
        return 0;
}

/* On a worker (srv_workers.h): run the API request of suspended
 * connection b->c, then resume it for on_request to send the answer. */
static void run_request(void *arg)
{
        struct body *b = arg;

        srv_http_dispatch(b->h->srv, &b->rq, b->authorization, &b->rs);
        srv_deadline_restart(b->h->deadline, conn_fd(b->c), mb_monotonic_ms());
        b->done = 1;
        MHD_resume_connection(b->c);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
        struct srv_http *h = cls;
        size_t limit = (size_t)h->srv->cfg->max_body_bytes;
        struct body *b = *con_cls;
        enum MHD_Result ret;
        const char *bad;

        if (b == NULL) {
                const char *cl =
                    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

                const char *why = ambiguous_framing(c);

                b = calloc(1, sizeof(*b));
                if (b == NULL)
                        return MHD_NO;
                *con_cls = b;
                if (why) {
                        b->too_big = 1; /* nothing of it is read */
                        return reply_now(c, 400, "bad_request", "", why);
                }
                if (cl && strtoull(cl, NULL, 10) > limit) {
                        b->too_big = 1;
                        return reply_now(c, 413, "too_large", "", "request body too large");
                }
                return MHD_YES;
        }
        if (b->done) { /* resumed: the worker's answer */
                b->done = 0;
                ret = send_resp(c, &b->rs);
                resp_free(&b->rs);
                memset(&b->rs, 0, sizeof(b->rs));
                return ret;
        }
        if (*upload_data_size) {
                if (append(b, upload_data, *upload_data_size, limit) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }
        if (b->too_big)
                return reply_now(c, 413, "too_large", "", "request body too large");
        /* everything outside the API is the dashboard's static files */
        if (strncmp(url, "/api/", 5) != 0 && strcmp(url, "/metrics") != 0) {
                int64_t t0 = srv_metrics_now_us();
                int status = 0;

                ret = srv_www_serve(h->srv, c, url, method, &status);
                srv_metrics_request(SRV_METRICS_STATIC, status, srv_metrics_now_us() - t0);
                return ret;
        }
        if ((bad = bad_utf8(c, url)) != NULL)
                return reply_now(c, 422, "bad_utf8", bad, "the request must be valid UTF-8");
        memset(&b->rq, 0, sizeof(b->rq));
        memset(&b->rs, 0, sizeof(b->rs));
        b->rq.session_cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);
        b->rq.https = over_https(h, c);
        b->rq.method = method;
        b->rq.path = url;
        b->rq.body = b->buf ? b->buf : "";
        b->rq.body_len = b->len;
        b->rq.query = query_value;
        b->rq.query_ctx = c;
        if (h->trust)
                srv_client_cert_cn(c, b->rq.client_cn, sizeof(b->rq.client_cn));
        b->authorization =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        b->h = h;
        b->c = c;
        /* the server's own time (a month close of a million accounts) is
         * not the client's: only receiving and sending are timed */
        srv_deadline_pause(h->deadline, conn_fd(c));
        /* suspended before it is posted: the worker may resume it at once */
        MHD_suspend_connection(c);
        if (srv_workers_post(h->workers, run_request, b) < 0)
                run_request(b); /* stopping: run here */
        return MHD_YES;
}

/* Time each connection for limits.request_deadline_s (srv_deadline.h). */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
        struct srv_http *h = cls;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED)
                srv_deadline_open(h->deadline, conn_fd(c), mb_monotonic_ms());
        else
                srv_deadline_close(h->deadline, conn_fd(c));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
        struct srv_http *h = cls;
        struct body *b = *con_cls;

        srv_deadline_restart(h->deadline, conn_fd(c), mb_monotonic_ms());
        if (b) {
                /* an answer never sent: the client left while its request ran */
                if (b->done)
                        resp_free(&b->rs);
                free(b->buf);
                free(b);
                *con_cls = NULL;
        }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
        mb_vlog(MB_LOG_WARNING, "mhd", fmt, ap);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        long n;

        if (f == NULL)
                return NULL;
        if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (buf = malloc((size_t)n + 1)) != NULL) {
                if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
                        free(buf);
                        buf = NULL;
                } else {
                        buf[n] = '\0';
                }
        }
        fclose(f);
        return buf;
}

static int resolve(const char *addr, int port, struct sockaddr_storage *ss)
{
        struct addrinfo hints, *res = NULL;
        char portbuf[8];

        memset(&hints, 0, sizeof(hints));
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
        hints.ai_socktype = SOCK_STREAM;
        snprintf(portbuf, sizeof(portbuf), "%d", port);
        if (getaddrinfo(addr, portbuf, &hints, &res) != 0 || res == NULL)
                return -1;
        memcpy(ss, res->ai_addr, res->ai_addrlen);
        freeaddrinfo(res);
        return 0;
}

struct srv_http *srv_http_start(struct srv *s)
{
        const struct srv_config *cfg = s->cfg;
        struct srv_http *h = calloc(1, sizeof(*h));
        struct sockaddr_storage ss;
        unsigned flags =
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
        const union MHD_DaemonInfo *info;

        if (h == NULL)
                return NULL;
        h->srv = s;
        if ((h->deadline = srv_deadline_new(cfg->request_deadline_s)) == NULL) {
                free(h);
                return NULL;
        }
        if ((h->workers = srv_workers_start(cfg->threads)) == NULL) {
                mb_err_log("cannot start %d request threads", cfg->threads);
                srv_http_stop(h);
                return NULL;
        }
        if (resolve(cfg->listen_address, cfg->port, &ss) < 0) {
                mb_err_log("listen address '%s' is not a numeric IPv4 or IPv6 address",
                           cfg->listen_address);
                srv_http_stop(h);
                return NULL;
        }
        if (ss.ss_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        if (cfg->tls_cert) {
                h->cert = slurp(cfg->tls_cert);
                h->key = slurp(cfg->tls_key);
                if (h->cert == NULL || h->key == NULL) {
                        mb_err_log("cannot read TLS %s '%s'", h->cert ? "key" : "certificate",
                                   h->cert ? cfg->tls_key : cfg->tls_cert);
                        srv_http_stop(h);
                        return NULL;
                }
                flags |= MHD_USE_TLS;
                if (cfg->tls_client_ca && !(h->trust = slurp(cfg->tls_client_ca))) {
                        mb_err_log("cannot read TLS client CA '%s'", cfg->tls_client_ca);
                        srv_http_stop(h);
                        return NULL;
                }
        }
        h->d = MHD_start_daemon(
            flags, (uint16_t)cfg->port, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER,
            mhd_log, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
            MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads, MHD_OPTION_NOTIFY_COMPLETED,
            on_completed, h, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->connection_timeout_s,
            MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
            MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
            h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert, MHD_OPTION_HTTPS_MEM_KEY,
            h->key, h->trust ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, h->trust,
            MHD_OPTION_END);
        if (h->d == NULL) {
                mb_err_log("cannot listen on %s port %d", cfg->listen_address, cfg->port);
                srv_http_stop(h);
                return NULL;
        }
        info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
        mb_notice("listening on %s://%s%s%s:%u", h->cert ? "https" : "http",
                  ss.ss_family == AF_INET6 ? "[" : "", cfg->listen_address,
                  ss.ss_family == AF_INET6 ? "]" : "",
                  info ? (unsigned)info->port : (unsigned)cfg->port);
        return h;
}

void srv_http_tick(struct srv_http *h, int64_t now_ms)
{
        int n = h ? srv_deadline_sweep(h->deadline, now_ms) : 0;

        if (n > 0)
                mb_notice("closed %d connection%s that took over %d s for one request", n,
                          n == 1 ? "" : "s", h->srv->cfg->request_deadline_s);
}

void srv_http_stop(struct srv_http *h)
{
        if (h == NULL)
                return;
        /* every suspended connection is resumed before the daemon stops
         * (libmicrohttpd requires it): the queue runs out first, and a
         * request that comes meanwhile runs on its polling thread */
        srv_workers_stop(h->workers);
        if (h->d)
                MHD_stop_daemon(h->d);
        srv_deadline_free(h->deadline);
        free(h->cert);
        free(h->key);
        free(h->trust);
        free(h);
}
