/* SPDX-License-Identifier: Apache-2.0 */
/* A descriptor cut short: the object is 16 bytes although its size field
 * claims a whole mb_plugin.  The agent must notice from the symbol table and
 * never read past the end. */
#include <meterbox/plugin.h>

struct short_desc {
        uint32_t abi_version;
        uint32_t size;
        const char *name;
};

MB_PLUGIN_EXPORT const struct short_desc meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_plugin),
    .name = "truncated",
};
