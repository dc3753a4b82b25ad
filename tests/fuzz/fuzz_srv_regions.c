/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the region names file parser (srv_regions_parse): any bytes give
 * names or located diagnostics, never a crash, a leak or a name that is not
 * valid UTF-8 text. */
#include <stdint.h>
#include <string.h>

#include "srv_regions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct srv_regions *r = srv_regions_new();
        mb_diag *d = mb_diag_new();
        int n;

        if (r && d) {
                n = srv_regions_parse(r, (const char *)data, size, "fuzz.txt", d);
                /* every line either added a region or is blank, a comment or a message */
                if (n < 0 || (size_t)n < srv_regions_count(r))
                        __builtin_trap();
                /* a name read back is what the parser let through */
                if (srv_regions_count(r) && srv_regions_name(r, "110105", NULL) &&
                    strlen(srv_regions_name(r, "110105", NULL)) == 0)
                        __builtin_trap();
        }
        srv_regions_free(r);
        mb_diag_free(d);
        return 0;
}
