/* SPDX-License-Identifier: Apache-2.0 */
/* A misbehaving meter for the agent's own tests.  Built as "testmeter", as
 * a second file that claims the same name, and with -DTM_NAME="manyN" as
 * plugins many1..many9 (a registry of more than eight).  Options:
 * mode = "ok" | "garbage" | "hang" | "error" | "late_cfg" | "partial"; hang_ms.
 * partial: power is left out (mb_reading_omit) on reads 2 to 4 only.
 * late_cfg: meter_read calls the host's cfg_* getters, which must refuse
 * with MB_EINVAL outside meter_new; the read fails if they do not. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <meterbox/plugin.h>

#ifndef TM_NAME
#define TM_NAME "testmeter"
#endif

struct meter {
        const mb_host *host;
        mb_ctx *ctx;
        char mode[16];
        int64_t hang_ms;
        int64_t wh;
};

static int meter_new(const mb_host *h, mb_ctx *c, void *l, const mb_meter_params *p, void **out,
                     mb_err *e)
{
        struct meter *m = calloc(1, sizeof(*m));
        const char *mode = "ok";

        if (!m)
                return mb_err_set(e, MB_ENOMEM, "out of memory");
        m->host = h;
        m->ctx = c;
        m->hang_ms = 30000;
        if (h->cfg_string(c, "mode", &mode) == MB_ECONFIG ||
            h->cfg_int(c, "hang_ms", &m->hang_ms) == MB_ECONFIG) {
                free(m);
                return MB_ECONFIG;
        }
        snprintf(m->mode, sizeof(m->mode), "%s", mode);
        *out = m;
        return MB_OK;
}

static int meter_read(void *inst, mb_reading *r, mb_err *e)
{
        struct meter *m = inst;

        if (strcmp(m->mode, "garbage") == 0) {
                r->fields = MB_F_IMPORT | (1u << 29);
                r->import_wh = -5;
                memset(r->address, 'x', sizeof(r->address));
                return MB_OK;
        }
        if (strcmp(m->mode, "hang") == 0) {
                /* Ignores its timeout on purpose. */
                struct timespec ts = {m->hang_ms / 1000, (m->hang_ms % 1000) * 1000000};
                nanosleep(&ts, NULL);
        }
        if (strcmp(m->mode, "error") == 0)
                return mb_err_set(e, MB_EPROTO, "checksum mismatch (test)");
        if (strcmp(m->mode, "late_cfg") == 0) {
                int64_t v = 0;
                const char *str = NULL;
                int rc1 = m->host->cfg_int(m->ctx, "hang_ms", &v);
                int rc2 = m->host->cfg_string(m->ctx, "mode", &str);
                int rc3 = m->host->cfg_error(m->ctx, "mode", "late complaint");

                if (rc1 != MB_EINVAL || rc2 != MB_EINVAL || rc3 != MB_EINVAL)
                        return mb_err_set(e, MB_EPROTO, "cfg_* outside meter_new gave %d %d %d",
                                          rc1, rc2, rc3);
        }
        r->fields = MB_F_IMPORT | MB_F_POWER;
        r->import_wh = m->wh += 10;
        r->power_mw = 1000;
        if (strcmp(m->mode, "partial") == 0 && m->wh >= 20 && m->wh <= 40)
                mb_reading_omit(r, MB_F_POWER, "power: not available (test)");
        return MB_OK;
}

static void meter_free(void *m)
{
        free(m);
}

MB_PLUGIN_EXPORT const mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_plugin),
    .name = TM_NAME,
    .version = "1",
    .caps = MB_CAP_READ,
    .meter_new = meter_new,
    .meter_read = meter_read,
    .meter_free = meter_free,
};
