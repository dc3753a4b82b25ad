/* SPDX-License-Identifier: Apache-2.0 */
/* A plugin built for another ABI version: the agent must refuse it. */
#include <meterbox/plugin.h>

static int meter_new(const mb_host *h, mb_ctx *c, void *l, const mb_meter_params *p, void **m,
                     mb_err *e)
{
        return MB_ENOTSUP;
}

static void meter_free(void *m) {}

MB_PLUGIN_EXPORT const mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION + 1,
    .size = sizeof(mb_plugin),
    .name = "bad_abi",
    .version = "0",
    .meter_new = meter_new,
    .meter_free = meter_free,
};
