/* SPDX-License-Identifier: Apache-2.0 */
/* A plugin built against the SDK 1.0 headers kept in tests/plugins/sdk-1.0
 * (the headers before any 1.x growth), to show that the agent keeps loading
 * and driving a plugin built against an older header of the same ABI.  Reads
 * a register that grows by 5 Wh a call and reports the 1.0 size of its
 * descriptor. */
#include <stdlib.h>

#include <meterbox/plugin.h>

#ifdef MB_PLUGIN_SDK_MINOR
#error "old_sdk.c must be built against tests/plugins/sdk-1.0, not include/"
#endif

struct meter {
        int64_t wh;
};

static int meter_new(const mb_host *h, mb_ctx *c, void *l, const mb_meter_params *p, void **out,
                     mb_err *e)
{
        struct meter *m = calloc(1, sizeof(*m));

        if (!m)
                return mb_err_set(e, MB_ENOMEM, "out of memory");
        m->wh = 1000;
        *out = m;
        return MB_OK;
}

static int meter_read(void *inst, mb_reading *r, mb_err *e)
{
        struct meter *m = inst;

        r->fields = MB_F_IMPORT;
        r->import_wh = m->wh += 5;
        return MB_OK;
}

static void meter_free(void *m)
{
        free(m);
}

MB_PLUGIN_EXPORT const mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_plugin),
    .name = "old_sdk",
    .version = "1.0",
    .caps = MB_CAP_READ,
    .meter_new = meter_new,
    .meter_read = meter_read,
    .meter_free = meter_free,
};
