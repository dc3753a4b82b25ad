/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_time.h"
#include "srv_token.h"

#define AUDIT_BODY_MAX 4096

int srv_auth_check(srv_db *db, const char *header, struct srv_auth *a)
{
        char computed[SRV_TOKEN_HASH_HEX + 1];
        const char *secret;
        int64_t id;
        srv_stmt *st;
        int rc, ok = 0;

        memset(a, 0, sizeof(*a));
        if (header == NULL || strncmp(header, "Bearer ", 7) != 0)
                return MB_EAUTH;
        if (srv_token_parse(header + 7, &id, &secret) < 0)
                return MB_EAUTH;
        srv_sha256_hex(secret, strlen(secret), computed);
        rc = srv_db_query(db, &st,
                          "SELECT name, role, hash, coalesce(gateway_id, 0) FROM tokens"
                          " WHERE id = $1 AND revoked = 0",
                          "i", id);
        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW && srv_token_hash_equal(srv_stmt_text(st, 2), computed)) {
                snprintf(a->name, sizeof(a->name), "%s", srv_stmt_text(st, 0));
                a->role = srv_role_parse(srv_stmt_text(st, 1));
                a->gateway_id = srv_stmt_i64(st, 3);
                a->token_id = id;
                ok = a->role != 0;
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        return ok ? MB_OK : MB_EAUTH;
}

int srv_auth_create_token(srv_db *db, const char *name, unsigned role, int64_t gateway_id,
                          char *out)
{
        char secret[SRV_TOKEN_SECRET_HEX + 1], hash[SRV_TOKEN_HASH_HEX + 1];
        int64_t id = 0;
        int rc = srv_token_secret(secret);

        if (rc < 0)
                return rc;
        srv_sha256_hex(secret, strlen(secret), hash);
        rc = srv_db_query_i64(db, &id,
                              "INSERT INTO tokens (name, role, hash, gateway_id, created_at)"
                              " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                              "tttIi", name, srv_role_name(role), hash,
                              gateway_id ? gateway_id : SRV_DB_NULL_I64, mb_realtime_s());
        if (rc < 0)
                return rc;
        srv_token_format(id, secret, out);
        memset(secret, 0, sizeof(secret));
        return MB_OK;
}

int srv_audit_record(srv_db *db, const char *who, const char *method, const char *path, int status,
                     const char *body, size_t len)
{
        char *copy = NULL;
        int rc;

        if (body && len) {
                size_t n = len > AUDIT_BODY_MAX ? AUDIT_BODY_MAX : len;

                copy = malloc(n + 1);
                if (copy) {
                        memcpy(copy, body, n);
                        copy[n] = '\0';
                }
        }
        rc = srv_db_exec_args(db,
                              "INSERT INTO audit (ts, token, method, path, status, body)"
                              " VALUES ($1, $2, $3, $4, $5, $6)",
                              "itttit", mb_realtime_s(), who, method, path, (int64_t)status, copy);
        free(copy);
        return rc < 0 ? rc : MB_OK;
}
