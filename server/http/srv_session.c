/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_time.h"
#include "srv_hmac.h"
#include "srv_token.h"

void srv_session_make(const char *key_hex, int64_t id, int64_t expires, char out[SRV_SESSION_MAX])
{
        char msg[96], mac[SRV_HMAC_HEX + 1];

        snprintf(msg, sizeof(msg), "meterbox-session.%lld.%lld", (long long)id, (long long)expires);
        srv_hmac_sha256_hex(key_hex, strlen(key_hex), msg, strlen(msg), mac);
        snprintf(out, SRV_SESSION_MAX, "mbs.%lld.%lld.%s", (long long)id, (long long)expires, mac);
}

/* "mbs.<id>.<expires>.<64 hex>" */
static int parse(const char *c, int64_t *id, int64_t *expires)
{
        char *end;
        long long v;

        if (c == NULL || strncmp(c, "mbs.", 4) != 0)
                return -1;
        v = strtoll(c + 4, &end, 10);
        if (end == c + 4 || *end != '.' || v <= 0)
                return -1;
        *id = v;
        c = end + 1;
        v = strtoll(c, &end, 10);
        if (end == c || *end != '.' || v <= 0 || strlen(end + 1) != SRV_HMAC_HEX)
                return -1;
        *expires = v;
        return 0;
}

int srv_session_check(srv_db *db, const char *cookie, int64_t now, struct srv_auth *a)
{
        char want[SRV_SESSION_MAX];
        int64_t id, expires;
        srv_stmt *st = NULL;
        int rc, ok = 0;

        memset(a, 0, sizeof(*a));
        if (parse(cookie, &id, &expires) < 0 || expires <= now)
                return MB_EAUTH;
        rc = srv_db_query(
            db, &st, "SELECT name, role, hash FROM tokens WHERE id = $1 AND revoked = 0", "i", id);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                srv_session_make(srv_stmt_text(st, 2), id, expires, want);
                a->role = srv_role_parse(srv_stmt_text(st, 1));
                snprintf(a->name, sizeof(a->name), "%s", srv_stmt_text(st, 0));
                a->token_id = id;
                /* the MACs (64 hex digits each), compared in constant time */
                ok = srv_token_hash_equal(want + strlen(want) - SRV_HMAC_HEX,
                                          cookie + strlen(cookie) - SRV_HMAC_HEX) &&
                     (a->role & SRV_WALL); /* a wall screen needs the pages too */
        }
        srv_stmt_done(st);
        if (rc >= 0 && ok) { /* signed out? */
                int64_t n = 0;

                rc = srv_db_query_i64(db, &n,
                                      "SELECT count(*) FROM session_revocations WHERE mac = $1",
                                      "t", cookie + strlen(cookie) - SRV_HMAC_HEX);
                ok = rc >= 0 && n == 0;
        }
        if (rc < 0)
                return rc;
        if (!ok)
                memset(a, 0, sizeof(*a));
        return ok ? MB_OK : MB_EAUTH;
}

/* Secure whenever the browser speaks https to us: our own TLS, or a
 * trusted proxy's (srv_req.https). */
static void set_cookie(struct srv_req *rq, struct srv_resp *rs, const char *value, int max_age)
{
        snprintf(rs->header_name, sizeof(rs->header_name), "Set-Cookie");
        snprintf(rs->header_value, sizeof(rs->header_value),
                 "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s", SRV_SESSION_COOKIE,
                 value, max_age, rq->https ? "; Secure" : "");
}

static json_object *who(const struct srv_auth *a)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "name", a->name);
        srv_jadd_str(o, "role", srv_role_name(a->role));
        return o;
}

void srv_h_session_create(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        int64_t expires = mb_realtime_s() + cfg->mon.session_s;
        char cookie[SRV_SESSION_MAX];
        srv_stmt *st = NULL;
        json_object *o;
        int rc = srv_db_query(rq->db, &st, "SELECT hash FROM tokens WHERE id = $1", "i",
                              rq->auth.token_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                srv_session_make(srv_stmt_text(st, 0), rq->auth.token_id, expires, cookie);
        srv_stmt_done(st);
        if (rc != SRV_DB_ROW) {
                srv_reply_db_error(rs, rq, rc < 0 ? rc : MB_ESTORE);
                return;
        }
        o = who(&rq->auth);
        srv_jadd_i64(o, "expires_at", expires);
        srv_reply_json(rs, 200, o);
        set_cookie(rq, rs, cookie, cfg->mon.session_s);
}

void srv_h_session_show(struct srv_req *rq, struct srv_resp *rs)
{
        srv_reply_json(rs, 200, who(&rq->auth));
}

/* Sign-out: the cookie stops working at once, on every server sharing the
 * database, not only in this browser (a copy of it may be elsewhere).  Its
 * MAC is kept until the cookie would have expired. */
void srv_h_session_delete(struct srv_req *rq, struct srv_resp *rs)
{
        const char *c = rq->session_cookie;
        int64_t now = mb_realtime_s(), id, expires;
        int rc = MB_OK;

        if (c && parse(c, &id, &expires) == 0 && expires > now) {
                rc = srv_db_exec_args(rq->db,
                                      "INSERT INTO session_revocations (mac, expires_at)"
                                      " VALUES ($1, $2) ON CONFLICT (mac) DO NOTHING",
                                      "ti", c + strlen(c) - SRV_HMAC_HEX, expires);
                if (rc >= 0)
                        rc = srv_db_exec_args(
                            rq->db, "DELETE FROM session_revocations WHERE expires_at <= $1", "i",
                            now);
        }
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        srv_reply_json(rs, 200, json_object_new_object());
        set_cookie(rq, rs, "", 0);
}
