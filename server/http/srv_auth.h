/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authentication against the tokens table, token creation, and the audit
 * log.  Callers hold srv->lock (one database connection).
 */
#ifndef SRV_AUTH_H
#define SRV_AUTH_H

#include "srv.h"

/*
 * Check "Bearer TOKEN" (header may be NULL) and fill *a.  Returns MB_OK,
 * MB_EAUTH (missing, malformed, unknown, revoked or wrong secret: all look
 * the same to the caller) or a database error.
 */
int srv_auth_check(srv_db *db, const char *header, struct srv_auth *a);

/*
 * Create a token named name with role (gateway_id for gateway tokens, else 0)
 * and write its text into out[SRV_TOKEN_MAX]: shown once, only its hash is
 * stored.  Runs inside the caller's transaction.  MB_EEXIST when the name is
 * taken.
 */
int srv_auth_create_token(srv_db *db, const char *name, unsigned role, int64_t gateway_id,
                          char *out);

/* Record an admin write: who, what, the status, and the body (truncated). */
int srv_audit_record(srv_db *db, const char *who, const char *method, const char *path, int status,
                     const char *body, size_t len);

#endif
