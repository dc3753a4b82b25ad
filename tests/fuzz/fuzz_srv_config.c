/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the server.conf loader (srv_config_load): any bytes give a config or
 * located diagnostics, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "srv_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static char path[64];
        struct srv_config *cfg;
        mb_diag *d = mb_diag_new();
        FILE *f;

        if (!path[0])
                snprintf(path, sizeof(path), "/tmp/mb-fuzz-server-%d.conf", (int)getpid());
        if (!d || !(f = fopen(path, "wb"))) {
                mb_diag_free(d);
                return 0;
        }
        fwrite(data, 1, size, f);
        fclose(f);
        cfg = srv_config_load(path, d);
        /* A config either loads with no message or fails with at least one. */
        if ((cfg != NULL) == (mb_diag_count(d) > 0))
                __builtin_trap();
        srv_config_free(cfg);
        mb_diag_free(d);
        return 0;
}
