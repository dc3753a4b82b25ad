/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_displays.h"

#include <stdio.h>
#include <string.h>

#include "mb_time.h"
#include "srv_auth.h"
#include "srv_me.h"
#include "srv_token.h"

struct display_fields {
        const char *name, *layout, *lang;
        int has_layout, has_lang;
};

/* Read and check the members of a display body: 0, or -1 with *e. */
static int read_fields(json_object *b, int need_name, struct display_fields *f, struct srv_err *e)
{
        static const char *const keys[] = {"name", "layout", "lang", NULL};
        int idx = -1, rc;

        memset(f, 0, sizeof(*f));
        if (srv_json_known_keys(b, keys, "", e) < 0 ||
            (need_name && srv_json_string(b, "name", "", 1, 48, &f->name, e) < 0))
                return -1;
        if (need_name && !srv_json_ident_ok(f->name)) {
                srv_err_set(e, 400, "bad_field", "name",
                            "'name' may hold letters, digits, '-', '_' and '.'");
                return -1;
        }
        f->has_layout = json_object_object_get_ex(b, "layout", NULL);
        rc = srv_json_string(b, "layout", "", 0, 1024, &f->layout, e);
        if (rc < 0)
                return -1;
        if (rc > 0 && !srv_layout_ok(f->layout)) {
                srv_err_set(e, 400, "bad_field", "layout",
                            "'layout' is a wall URL's parameters, e.g. \"grid=2x2&panel=1\"");
                return -1;
        }
        f->has_lang = json_object_object_get_ex(b, "lang", NULL);
        if (srv_json_enum(b, "lang", "", 0, srv_languages, &idx, e) < 0)
                return -1;
        f->lang = idx >= 0 ? srv_languages[idx] : NULL;
        return 0;
}

static int parse_body(struct srv_req *rq, struct srv_resp *rs, int need_name, json_object **b,
                      struct display_fields *f)
{
        struct srv_err e;

        if (srv_json_parse_object(rq->body, rq->body_len, b, &e) < 0 ||
            read_fields(*b, need_name, f, &e) < 0) {
                srv_reply_error(rs, &e);
                json_object_put(*b);
                *b = NULL;
                return -1;
        }
        return 0;
}

/* The display row as JSON (name without its prefix). */
static json_object *display_json(srv_stmt *st)
{
        json_object *o = json_object_new_object();
        const char *name = srv_stmt_text(st, 0), *colon = strrchr(name, ':');

        srv_jadd_str(o, "name", colon ? colon + 1 : name);
        srv_jadd_str(o, "layout", srv_stmt_text(st, 1));
        srv_jadd_str(o, "lang", srv_stmt_text(st, 2));
        srv_jadd_i64(o, "created_at", srv_stmt_i64(st, 3));
        srv_jadd_i64_or_null(o, "last_seen", srv_stmt_is_null(st, 4), srv_stmt_i64(st, 4));
        srv_jadd_bool(o, "revoked", srv_stmt_i64(st, 5) != 0);
        return o;
}

#define DISPLAY_SELECT                                                                             \
        "SELECT t.name, p.layout, p.lang, t.created_at, p.last_seen, t.revoked FROM tokens t"      \
        " LEFT JOIN dash_prefs p ON p.token_id = t.id WHERE t.role = 'display'"

/* Reply with the display whose token is id (status 200 or 201). */
static void reply_display(struct srv_req *rq, struct srv_resp *rs, int64_t id, int status,
                          const char *token)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, DISPLAY_SELECT " AND t.id = $1", "i", id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *o = display_json(st);

                if (token)
                        srv_jadd_str(o, "token", token);
                srv_reply_json(rs, status, o);
        } else {
                srv_reply_db_error(rs, rq, rc < 0 ? rc : MB_ESTORE);
        }
        srv_stmt_done(st);
}

void srv_h_display_create(struct srv_req *rq, struct srv_resp *rs)
{
        char tname[64], token[SRV_TOKEN_MAX];
        struct display_fields f;
        int64_t id = 0;
        json_object *b;
        int rc;

        if (parse_body(rq, rs, 1, &b, &f) < 0)
                return;
        snprintf(tname, sizeof(tname), SRV_DISPLAY_PREFIX "%s", f.name);
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &id, "SELECT id FROM tokens WHERE name = $1", "t",
                                      tname);
        if (rc > 0) {
                srv_db_rollback(rq->db);
                srv_reply_errorf(rs, 409, "exists", "name",
                                 "display '%s' is enrolled; revoke it first to replace it", f.name);
                json_object_put(b);
                return;
        }
        if (rc >= 0)
                rc = srv_auth_create_token(rq->db, tname, SRV_ROLE_DISPLAY, 0, token);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &id, "SELECT id FROM tokens WHERE name = $1", "t",
                                      tname);
        if (rc >= 0)
                rc = srv_db_exec_args(rq->db,
                                      "INSERT INTO dash_prefs (token_id, lang, layout, updated_at)"
                                      " VALUES ($1, $2, $3, $4)",
                                      "itti", id, f.lang, f.layout, mb_realtime_s());
        if (srv_req_commit(rq, rs, rc) >= 0)
                reply_display(rq, rs, id, 201, token);
        memset(token, 0, sizeof(token));
        json_object_put(b);
}

void srv_h_display_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *list = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st, DISPLAY_SELECT " AND $1 = $1 ORDER BY t.revoked, t.name",
                              "i", (int64_t)0);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(list, display_json(st));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "displays", list);
}

/* The token id of the enrolled display named by the path: 1, 0 after a
 * 404, or a database error. */
static int enrolled(struct srv_req *rq, struct srv_resp *rs, int64_t *id)
{
        char tname[SRV_ROUTE_PARAM_MAX + 16];
        int rc;

        snprintf(tname, sizeof(tname), SRV_DISPLAY_PREFIX "%s", rq->params.v[0]);
        rc = srv_db_query_i64(rq->db, id,
                              "SELECT id FROM tokens WHERE name = $1 AND role = 'display'"
                              " AND revoked = 0",
                              "t", tname);
        if (rc == 0)
                srv_reply_errorf(rs, 404, "not_found", "", "no enrolled display '%s'",
                                 rq->params.v[0]);
        else if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        return rc;
}

void srv_h_display_update(struct srv_req *rq, struct srv_resp *rs)
{
        struct display_fields f;
        int64_t id = 0;
        json_object *b;
        int rc;

        if (parse_body(rq, rs, 0, &b, &f) < 0)
                return;
        if (enrolled(rq, rs, &id) > 0) {
                rc = srv_db_exec_args(
                    rq->db,
                    "UPDATE dash_prefs SET layout = CASE WHEN $2 = 1 THEN $3 ELSE layout END,"
                    " lang = CASE WHEN $4 = 1 THEN $5 ELSE lang END, updated_at = $6"
                    " WHERE token_id = $1",
                    "iititi", id, (int64_t)f.has_layout, f.layout, (int64_t)f.has_lang, f.lang,
                    mb_realtime_s());
                if (rc < 0)
                        srv_reply_db_error(rs, rq, rc);
                else
                        reply_display(rq, rs, id, 200, NULL);
        }
        json_object_put(b);
}

void srv_h_display_revoke(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id = 0;
        int rc;

        if (enrolled(rq, rs, &id) <= 0)
                return;
        /* the name is freed for a new screen; the row stays, revoked */
        rc = srv_db_exec_args(rq->db,
                              "UPDATE tokens SET revoked = 1, name = 'revoked:' || id || ':' || $2"
                              " WHERE id = $1",
                              "it", id, rq->params.v[0]);
        if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        else
                reply_display(rq, rs, id, 200, NULL);
}
