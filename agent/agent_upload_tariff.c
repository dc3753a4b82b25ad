/* Tariff texts the agent does not have yet, fetched by id and checked by hash. */
#define MB_LOG_MODULE "upload"
#include <stdlib.h>
#include <string.h>

#include "agent_upload.h"
#include "mb_log.h"

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
        else if ((rc = agent_store_begin(st)) == MB_OK) {
                agent_store_put_tariff(st, hash, id, r.body);
                rc = agent_store_end(st);
                mb_info("tariff %s (%s) fetched", id, hash);
        }
        free(r.body);
        return rc;
}
