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
    "       meterboxctl export line-loss|collection [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                                               [--output FILE] [--bom yes]\n"
    "Write a month's bills, or the ledger entries posted in it, as CSV (RFC 4180,\n"
    "CRLF line ends): amounts as decimal yuan and as integer fen, times in the\n"
    "server's zone.  To stdout unless --output; --bom yes starts the file with a\n"
    "UTF-8 byte order mark for spreadsheets that need one to read Chinese names.\n"
    "line-loss and collection: transformer areas' daily figures (default the 30\n"
    "days up to yesterday).\n";

/* GET path and write the CSV to out (stdout when NULL): 0 or 1. */
static int fetch_csv(const struct ctl_args *a, const char *path, const char *out)
{
        char *text = NULL;
        json_object *o = NULL;
        FILE *f;
        int rc;

        if (ctl_call(a, "GET", path, NULL, 0, &o, &text))
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

/* line-loss|collection [--from D] [--to D]: transformer areas' days */
static int area_export(const struct ctl_args *a, const char *out, const char *bom)
{
        static const char *const range[] = {"from", "to", NULL};
        char base[64], path[256];
        size_t n;

        if (ctl_opt(a, "month")) {
                fprintf(stderr, "meterboxctl export: %s takes --from and --to, not --month\n",
                        a->pos[0]);
                return 2;
        }
        snprintf(base, sizeof(base), "/api/v1/exports/%s.csv", a->pos[0]);
        if (ctl_query_path(path, sizeof(path), base, a, range))
                return 1;
        n = strlen(path);
        if (bom && strcmp(bom, "yes") == 0)
                snprintf(path + n, sizeof(path) - n, "%cbom=1", strchr(path, '?') ? '&' : '?');
        return fetch_csv(a, path, out);
}

int mbctl_export(int argc, char **argv)
{
        static const char *const opts[] = {"month", "output", "bom", "from", "to", NULL};
        const char *month, *out, *bom;
        struct ctl_args a;
        char path[128];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, export_help, opts)) != CTL_GO_ON)
                return rc;
        month = ctl_opt(&a, "month");
        out = ctl_opt(&a, "output");
        bom = ctl_opt(&a, "bom");
        if (bom && strcmp(bom, "yes") != 0 && strcmp(bom, "no") != 0) {
                fprintf(stderr, "meterboxctl export: --bom takes yes or no\n");
                return 2;
        }
        if (a.npos == 1 &&
            (strcmp(a.pos[0], "line-loss") == 0 || strcmp(a.pos[0], "collection") == 0))
                return area_export(&a, out, bom);
        if (a.npos != 1 || (strcmp(a.pos[0], "bills") != 0 && strcmp(a.pos[0], "ledger") != 0) ||
            month == NULL)
                return ctl_usage(export_help, 2);
        if (strlen(month) != 7 || strspn(month, "0123456789-") != 7 || month[4] != '-') {
                fprintf(stderr, "meterboxctl export: --month must be YYYY-MM, not '%s'\n", month);
                return 2;
        }
        snprintf(path, sizeof(path), "/api/v1/exports/%s.csv?month=%s%s", a.pos[0], month,
                 bom && strcmp(bom, "yes") == 0 ? "&bom=1" : "");
        return fetch_csv(&a, path, out);
}
