/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dashboard's session cookie (docs/dashboard.md, Sign-in).
 *
 * The browser exchanges its API token for an HttpOnly, SameSite=Strict
 * cookie with POST /api/v1/session.  The cookie only unlocks the static
 * dashboard assets (srv_www.c); the API itself still takes nothing but
 * "Authorization: Bearer", so the cookie can never be used to read data or
 * to make a cross-site write.
 *
 * The cookie is stateless: "mbs.<token id>.<expiry>.<hex>", hex being
 * HMAC-SHA256 keyed with the token's stored hash over
 * "meterbox-session.<id>.<expiry>".  Any server process sharing the
 * database can check it, and revoking the token ends its sessions.
 * Signing out (DELETE) ends that one cookie everywhere: its MAC goes into
 * session_revocations until its expiry.  The cookie is Secure whenever the
 * browser reached us over https (TLS here or at a trusted proxy).
 */
#ifndef SRV_SESSION_H
#define SRV_SESSION_H

#include <stdint.h>

#include "srv.h"

#define SRV_SESSION_COOKIE "mb_session"
#define SRV_SESSION_MAX 128

/* The cookie value for token id (stored hash key_hex) expiring at expires,
 * into out[SRV_SESSION_MAX].  Pure. */
void srv_session_make(const char *key_hex, int64_t id, int64_t expires, char out[SRV_SESSION_MAX]);

/* Check a cookie value at time now against the tokens table; fills *a.
 * MB_OK, MB_EAUTH (malformed, expired, unknown, revoked, signed out, wrong MAC or a
 * gateway token) or a database error.  Caller holds srv->lock. */
int srv_session_check(srv_db *db, const char *cookie, int64_t now, struct srv_auth *a);

/* POST /api/v1/session: set the cookie; answers {name, role, expires_at}. */
void srv_h_session_create(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/session: who the bearer token is ({name, role}). */
void srv_h_session_show(struct srv_req *rq, struct srv_resp *rs);
/* DELETE /api/v1/session: revoke the cookie sent with it, and clear it. */
void srv_h_session_delete(struct srv_req *rq, struct srv_resp *rs);

#endif
