/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the agent.conf parser and validator: any bytes give either a config or
 * located diagnostics, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "agent_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char path[64];
        struct agent_config *cfg;
        mb_diag *d = mb_diag_new();
        FILE *f;

        if (!path[0])
                snprintf(path, sizeof(path), "/tmp/mb-fuzz-agent-%d.conf", (int)getpid());
        if (!d || !(f = fopen(path, "wb"))) {
                mb_diag_free(d);
                return 0;
        }
        fwrite(data, 1, size, f);
        fclose(f);
        cfg = agent_config_load(path, d);
        /* A config either loads with no message or fails with at least one. */
        if ((cfg != NULL) == (mb_diag_count(d) > 0))
                __builtin_trap();
        agent_config_free(cfg);
        mb_diag_free(d);
        return 0;
}
