/* SPDX-License-Identifier: Apache-2.0 */
/* Tariff texts the agent does not have yet, fetched by id and checked by hash. */
#define MB_LOG_MODULE "upload"
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_upload.h"
#include "mb_log.h"

/* Is hash the SHA-256 (hex) of text?  The snapshot names the hash, and a
 * signed snapshot (mb_snapsig.h) so binds the prices the agent charges by. */
static int text_has_hash(const char *text, const char *hash)
{
        struct sha256_ctx ctx;
        uint8_t d[SHA256_DIGEST_SIZE];
        char hex[2 * SHA256_DIGEST_SIZE + 1];

        sha256_init(&ctx);
        sha256_update(&ctx, strlen(text), (const uint8_t *)text);
        sha256_digest(&ctx, sizeof(d), d);
        for (size_t i = 0; i < sizeof(d); i++)
                snprintf(hex + 2 * i, 3, "%02x", d[i]);
        return strcmp(hex, hash) == 0;
}

int agent_upload_fetch_tariff(agent_http *http, agent_store *st, const char *id, const char *hash)
{
        struct agent_http_resp r;
        char *known = NULL, path[256], err[300];
        int rc;

        if (agent_store_get_tariff(st, hash, &known) == MB_OK) {
                free(known);
                return MB_OK;
        }
        snprintf(path, sizeof(path), "/api/v1/tariffs/%s/text", id);
        rc = agent_http_request(http, "GET", path, NULL, &r, err, sizeof(err));
        if (rc != MB_OK) {
                mb_warn("tariff %s: %s", id, err);
                return rc;
        }
        if (r.status != 200 || !r.body)
                rc = MB_EPROTO, mb_warn("tariff %s: HTTP %ld", id, r.status);
        else if (r.tariff_hash[0] && strcmp(r.tariff_hash, hash) != 0)
                rc = MB_EPROTO, mb_warn("tariff %s: server sent hash %s, snapshot names %s", id,
                                        r.tariff_hash, hash);
        else if (!text_has_hash(r.body, hash))
                rc = MB_EPROTO, mb_warn("tariff %s: the text's SHA-256 is not %s, the hash the "
                                        "snapshot names",
                                        id, hash);
        else if ((rc = agent_store_begin(st)) == MB_OK) {
                agent_store_put_tariff(st, hash, id, r.body);
                rc = agent_store_end(st);
                mb_info("tariff %s (%s) fetched", id, hash);
        }
        free(r.body);
        return rc;
}
