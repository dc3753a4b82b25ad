/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl export: a month's bills or ledger entries as CSV for finance
 * (GET /api/v1/exports/{bills,ledger}.csv, docs/api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const char export_help[] =
    "usage: meterboxctl export bills|ledger --month YYYY-MM [--output FILE] [--bom yes]\n"
    "Write a month's bills, or the ledger entries posted in it, as CSV (RFC 4180,\n"
    "CRLF line ends): amounts as decimal yuan and as integer fen, times in the\n"
    "server's zone.  To stdout unless --output; --bom yes starts the file with a\n"
    "UTF-8 byte order mark for spreadsheets that need one to read Chinese names.\n";

int mbctl_export(int argc, char **argv)
{
        static const char *const opts[] = {"month", "output", "bom", NULL};
        const char *month, *out, *bom;
        struct ctl_args a;
        char path[128], *text = NULL;
        json_object *o = NULL;
        FILE *f;
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, export_help, opts)) != CTL_GO_ON)
                return rc;
        month = ctl_opt(&a, "month");
        out = ctl_opt(&a, "output");
        bom = ctl_opt(&a, "bom");
        if (a.npos != 1 || (strcmp(a.pos[0], "bills") != 0 && strcmp(a.pos[0], "ledger") != 0) ||
            month == NULL)
                return ctl_usage(export_help, 2);
        if (strlen(month) != 7 || strspn(month, "0123456789-") != 7 || month[4] != '-') {
                fprintf(stderr, "meterboxctl export: --month must be YYYY-MM, not '%s'\n", month);
                return 2;
        }
        if (bom && strcmp(bom, "yes") != 0 && strcmp(bom, "no") != 0) {
                fprintf(stderr, "meterboxctl export: --bom takes yes or no\n");
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v1/exports/%s.csv?month=%s%s", a.pos[0], month,
                 bom && strcmp(bom, "yes") == 0 ? "&bom=1" : "");
        if (ctl_call(&a, "GET", path, NULL, 0, &o, &text))
                return 1;
        json_object_put(o);
        f = out ? fopen(out, "wb") : stdout;
        if (f == NULL) {
                fprintf(stderr, "meterboxctl export: cannot write %s: %m\n", out);
                free(text);
                return 1;
        }
        rc = text && fputs(text, f) < 0;
        if (out && fclose(f) != 0)
                rc = 1;
        if (rc)
                fprintf(stderr, "meterboxctl export: write failed: %m\n");
        free(text);
        return rc ? 1 : 0;
}
