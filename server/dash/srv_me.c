/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_me.h"

#include <string.h>

#include "mb_time.h"
#include "srv_displays.h"

int srv_layout_ok(const char *s)
{
        size_t n = strlen(s);

        return n <= 1024 &&
               strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=&,._-") ==
                   n;
}

static json_object *me_json(struct srv_req *rq, int *rc)
{
        const struct srv_config *cfg = rq->srv->cfg;
        json_object *o = json_object_new_object(), *langs = json_object_new_array();
        srv_stmt *st = NULL;
        const char *name = rq->auth.name;

        *rc = srv_db_query(rq->db, &st, "SELECT lang, layout FROM dash_prefs WHERE token_id = $1",
                           "i", rq->auth.token_id);
        if (*rc >= 0)
                *rc = srv_stmt_step(st);
        if (rq->auth.role == SRV_ROLE_DISPLAY && strncmp(name, SRV_DISPLAY_PREFIX, 8) == 0)
                name += strlen(SRV_DISPLAY_PREFIX);
        srv_jadd_str(o, "name", name);
        srv_jadd_str(o, "role", srv_role_name(rq->auth.role));
        srv_jadd_str(o, "lang",
                     *rc == SRV_DB_ROW && srv_stmt_text(st, 0) ? srv_stmt_text(st, 0)
                                                               : cfg->mon.language);
        srv_jadd_str(o, "default_lang", cfg->mon.language);
        for (int i = 0; srv_languages[i]; i++)
                json_object_array_add(langs, json_object_new_string(srv_languages[i]));
        json_object_object_add(o, "languages", langs);
        srv_jadd_bool(o, "display", rq->auth.role == SRV_ROLE_DISPLAY);
        srv_jadd_str(o, "layout", *rc == SRV_DB_ROW ? srv_stmt_text(st, 1) : NULL);
        srv_stmt_done(st);
        if (*rc < 0) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

void srv_h_me_show(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *o;
        int rc = 0;

        /* a screen on the wall says it is alive with every refresh */
        if (rq->auth.role == SRV_ROLE_DISPLAY)
                rc = srv_db_exec_args(rq->db,
                                      "INSERT INTO dash_prefs (token_id, last_seen, updated_at)"
                                      " VALUES ($1, $2, $2) ON CONFLICT (token_id)"
                                      " DO UPDATE SET last_seen = excluded.last_seen",
                                      "ii", rq->auth.token_id, mb_realtime_s());
        o = rc >= 0 ? me_json(rq, &rc) : NULL;
        if (o)
                srv_reply_json(rs, 200, o);
        else
                srv_reply_db_error(rs, rq, rc);
}

void srv_h_me_update(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"lang", NULL};
        const char *lang = NULL;
        struct srv_err e;
        json_object *b, *o;
        int idx = -1, rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (srv_json_enum(b, "lang", "", 0, srv_languages, &idx, &e) < 0) {
                srv_reply_error(rs, &e);
                json_object_put(b);
                return;
        }
        json_object_put(b);
        if (idx >= 0)
                lang = srv_languages[idx];
        rc = srv_db_exec_args(
            rq->db,
            "INSERT INTO dash_prefs (token_id, lang, updated_at) VALUES ($1, $2, $3)"
            " ON CONFLICT (token_id) DO UPDATE SET lang = excluded.lang,"
            " updated_at = excluded.updated_at",
            "iti", rq->auth.token_id, lang, mb_realtime_s());
        o = rc >= 0 ? me_json(rq, &rc) : NULL;
        if (o)
                srv_reply_json(rs, 200, o);
        else
                srv_reply_db_error(rs, rq, rc);
}
