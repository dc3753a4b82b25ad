/* SPDX-License-Identifier: Apache-2.0 */
/* The pure parts of webhooks: the signature and the retry schedule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_hmac.h"
#include "srv_webhook.h"

void srv_webhook_signature(const char *secret, int64_t ts, const char *body,
                           char out[SRV_WEBHOOK_SIG_MAX])
{
        char head[24], hex[SRV_HMAC_HEX + 1];
        size_t hl, bl = strlen(body);
        char *msg;

        hl = (size_t)snprintf(head, sizeof(head), "%lld.", (long long)ts);
        msg = malloc(hl + bl + 1);
        if (msg == NULL) {
                out[0] = '\0';
                return;
        }
        memcpy(msg, head, hl);
        memcpy(msg + hl, body, bl + 1);
        srv_hmac_sha256_hex(secret, strlen(secret), msg, hl + bl, hex);
        free(msg);
        snprintf(out, SRV_WEBHOOK_SIG_MAX, "sha256=%s", hex);
}

int64_t srv_webhook_backoff(int attempts, int base_s, int max_s)
{
        int64_t d = base_s > 0 ? base_s : 1;

        for (int i = 1; i < attempts && d < max_s; i++)
                d *= 2;
        return d < max_s ? d : max_s;
}
