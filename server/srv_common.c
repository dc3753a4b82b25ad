/* SPDX-License-Identifier: Apache-2.0 */
/* Response helpers and small JSON builders shared by the handlers. */
#define MB_LOG_MODULE "http"
#include <stdarg.h>
#include <stdio.h>

#include "mb_log.h"
#include "srv.h"

void srv_lock(struct srv *s)
{
        pthread_mutex_lock(&s->lock);
}

void srv_unlock(struct srv *s)
{
        pthread_mutex_unlock(&s->lock);
}

void srv_reply_json(struct srv_resp *rs, int status, json_object *o)
{
        json_object_put(rs->json);
        rs->status = status;
        rs->json = o;
}

void srv_reply_error(struct srv_resp *rs, const struct srv_err *e)
{
        srv_reply_json(rs, e->status ? e->status : 500, srv_err_json(e));
}

void srv_reply_errorf(struct srv_resp *rs, int status, const char *code, const char *field,
                      const char *fmt, ...)
{
        struct srv_err e;
        va_list ap;

        e.status = status;
        e.code = code;
        snprintf(e.field, sizeof(e.field), "%s", field ? field : "");
        va_start(ap, fmt);
        vsnprintf(e.message, sizeof(e.message), fmt, ap);
        va_end(ap);
        srv_reply_error(rs, &e);
}

void srv_reply_db_error(struct srv_resp *rs, struct srv_req *rq, int rc)
{
        mb_err_log("%s %s: database error: %s", rq->method, rq->path, srv_db_errmsg(rq->db));
        if (rc == MB_ENOSPC) {
                srv_reply_errorf(rs, 507, "storage_full", "",
                                 "the server's disk is full; nothing was stored; try again later");
                return;
        }
        if (rc != MB_EBUSY) {
                srv_reply_errorf(rs, 500, "internal", "", "database error");
                return;
        }
        srv_reply_errorf(rs, 503, "busy", "", "the database is busy; try again");
        snprintf(rs->header_name, sizeof(rs->header_name), "Retry-After");
        snprintf(rs->header_value, sizeof(rs->header_value), "1");
}

int srv_req_commit(struct srv_req *rq, struct srv_resp *rs, int rc)
{
        if (rc >= 0 && (rc = srv_db_commit(rq->db)) >= 0)
                return 0;
        srv_db_rollback(rq->db);
        srv_reply_db_error(rs, rq, rc);
        return rc;
}

void srv_reply_list(struct srv_req *rq, struct srv_resp *rs, int rc, const char *name,
                    json_object *a)
{
        json_object *o;

        if (rc < 0) {
                json_object_put(a);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        json_object_object_add(o, name, a);
        srv_reply_json(rs, 200, o);
}

const char *srv_req_query(struct srv_req *rq, const char *key)
{
        return rq->query ? rq->query(rq->query_ctx, key) : NULL;
}

int srv_req_body(struct srv_req *rq, struct srv_resp *rs, const char *const *keys, json_object **b)
{
        struct srv_err e = {0};

        if (srv_json_parse_object(rq->body, rq->body_len, b, &e) == 0 &&
            srv_json_known_keys(*b, keys, "", &e) == 0)
                return 0;
        srv_reply_error(rs, &e);
        json_object_put(*b);
        *b = NULL;
        return -1;
}

void srv_jadd_str(json_object *o, const char *k, const char *v)
{
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

void srv_jadd_i64(json_object *o, const char *k, int64_t v)
{
        json_object_object_add(o, k, json_object_new_int64(v));
}

void srv_jadd_i64_or_null(json_object *o, const char *k, int is_null, int64_t v)
{
        json_object_object_add(o, k, is_null ? NULL : json_object_new_int64(v));
}

void srv_jadd_bool(json_object *o, const char *k, int v)
{
        json_object_object_add(o, k, json_object_new_boolean(v));
}

json_object *srv_jparse_stored(const char *text)
{
        return text ? json_tokener_parse(text) : NULL;
}
