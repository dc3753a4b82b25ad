/* SPDX-License-Identifier: Apache-2.0 */
/* A descriptor from an older, smaller SDK: honest about its size. */
#include <meterbox/plugin.h>

struct old_desc {
        uint32_t abi_version;
        uint32_t size;
        const char *name;
        const char *version;
};

MB_PLUGIN_EXPORT const struct old_desc meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct old_desc),
    .name = "small_size",
    .version = "0",
};
