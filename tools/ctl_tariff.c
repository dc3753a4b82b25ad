/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl tariff: load, list, show, text, assign. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const char tariff_help[] =
    "usage: meterboxctl tariff load FILE        (validated and stored canonically)\n"
    "       meterboxctl tariff list\n"
    "       meterboxctl tariff show ID\n"
    "       meterboxctl tariff text ID          (the canonical text agents fetch)\n"
    "       meterboxctl tariff assign NUMBER ID --effective YYYY-MM-DD\n";

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t n = 0, cap = 0;
        int c;

        if (f == NULL)
                return NULL;
        while ((c = fgetc(f)) != EOF) {
                if (n + 2 > cap) {
                        char *p = realloc(buf, cap = cap ? cap * 2 : 4096);

                        if (p == NULL) {
                                free(buf);
                                fclose(f);
                                return NULL;
                        }
                        buf = p;
                }
                buf[n++] = (char)c;
        }
        fclose(f);
        if (buf)
                buf[n] = '\0';
        return buf ? buf : calloc(1, 1);
}

static const struct ctl_col tariff_cols[] = {
    {"ID", "id", 's'},
    {"NAME", "name", 's'},
    {"CURRENCY", "currency", 's'},
    {"LOADED", "loaded_at", 't'},
    {"SHA-256", "hash", 's'},
};
static const struct ctl_col show_cols[] = {
    {"id", "id", 's'},
    {"name", "name", 's'},
    {"currency", "currency", 's'},
    {"hash", "hash", 's'},
    {"loaded", "loaded_at", 't'},
    {"created", "created", 's'},
    {"versions", "versions", 'j'},
};

int mbctl_tariff(int argc, char **argv)
{
        static const char *const opts[] = {"effective", NULL};
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, tariff_help, opts)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"list", "load", "show", "text", "assign", NULL};

                if (ctl_check_sub(&a, subs, tariff_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0 && a.npos == 1)
                return ctl_call_show(&a, "GET", "/api/v1/tariffs", NULL, "tariffs", tariff_cols,
                                     CTL_NCOLS(tariff_cols));
        if (strcmp(a.sub, "load") == 0 && a.npos == 2) {
                char *text = slurp(a.pos[1]);
                json_object *o;

                if (text == NULL) {
                        fprintf(stderr, "meterboxctl tariff: cannot read %s\n", a.pos[1]);
                        return 1;
                }
                rc = ctl_call(&a, "POST", "/api/v1/tariffs", text, 1, &o, NULL);
                free(text);
                return rc ? rc : ctl_show(&a, o, NULL, show_cols, CTL_NCOLS(show_cols));
        }
        if ((strcmp(a.sub, "show") == 0 || strcmp(a.sub, "text") == 0) && a.npos == 2) {
                if (ctl_path(path, sizeof(path),
                             a.sub[0] == 's' ? "/api/v1/tariffs/%s" : "/api/v1/tariffs/%s/text",
                             a.pos[1]))
                        return 1;
                if (a.sub[0] == 's')
                        return ctl_call_show(&a, "GET", path, NULL, NULL, show_cols,
                                             CTL_NCOLS(show_cols));
                {
                        json_object *o;
                        char *text = NULL;

                        rc = ctl_call(&a, "GET", path, NULL, 0, &o, &text);
                        if (rc == 0 && text)
                                fputs(text, stdout);
                        json_object_put(o);
                        free(text);
                        return rc;
                }
        }
        if (strcmp(a.sub, "assign") == 0 && a.npos == 3 && ctl_opt(&a, "effective")) {
                static const struct ctl_col cols[] = {{"account", "account", 's'},
                                                      {"tariff", "tariff", 's'},
                                                      {"effective", "effective", 's'}};
                json_object *b = json_object_new_object();

                json_object_object_add(b, "tariff", json_object_new_string(a.pos[2]));
                json_object_object_add(b, "effective",
                                       json_object_new_string(ctl_opt(&a, "effective")));
                if (ctl_path(path, sizeof(path), "/api/v1/accounts/%s/tariff", a.pos[1])) {
                        json_object_put(b);
                        return 1;
                }
                return ctl_call_show(&a, "PUT", path, b, NULL, cols, CTL_NCOLS(cols));
        }
        return ctl_usage(tariff_help, 2);
}
