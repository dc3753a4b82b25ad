/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl display: the wall's kiosk screens (docs/dashboard.md, Kiosk
 * screens): enrol one (its token is printed once), list them with when each
 * last refreshed, change a layout or language, revoke one. */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const struct ctl_col display_cols[] = {
    {"NAME", "name", 's'},          {"LAYOUT", "layout", 's'},       {"LANG", "lang", 's'},
    {"CREATED", "created_at", 't'}, {"LAST SEEN", "last_seen", 't'}, {"REVOKED", "revoked", 's'},
};

static const char display_help[] =
    "usage: meterboxctl display add NAME [--layout PARAMS] [--lang zh-CN|en]\n"
    "       meterboxctl display update NAME [--layout PARAMS] [--lang zh-CN|en]\n"
    "       meterboxctl display revoke NAME\n"
    "       meterboxctl display list\n"
    "A display is a wall screen's credential: it reads the wall's figures and\n"
    "nothing else. 'add' prints its token once: enrol it on the screen by opening\n"
    "https://SERVER/signin.html#enrol=TOKEN there. PARAMS are the wall's URL\n"
    "parameters, e.g. \"grid=2x2&panel=1\" (docs/dashboard.md, Wall layouts).\n";

int mbctl_display(int argc, char **argv)
{
        static const char *const subs[] = {"add", "update", "revoke", "list", NULL};
        static const char *const opts[] = {"layout", "lang", NULL};
        struct ctl_args a;
        char path[256];
        json_object *b;
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, display_help, opts)) != CTL_GO_ON)
                return rc;
        if (ctl_check_sub(&a, subs, display_help))
                return 2;
        if (strcmp(a.sub, "list") == 0)
                return a.npos == 1 ? ctl_call_show(&a, "GET", "/api/v1/displays", NULL, "displays",
                                                   display_cols, CTL_NCOLS(display_cols))
                                   : ctl_usage(display_help, 2);
        if (a.npos != 2 || ctl_path(path, sizeof(path), "/api/v1/displays/%s", a.pos[1]))
                return ctl_usage(display_help, 2);
        if (strcmp(a.sub, "revoke") == 0)
                return ctl_call_show(&a, "DELETE", path, NULL, NULL, display_cols,
                                     CTL_NCOLS(display_cols));
        b = ctl_body_from(&a, opts);
        if (strcmp(a.sub, "update") == 0)
                return ctl_call_show(&a, "PATCH", path, b, NULL, display_cols,
                                     CTL_NCOLS(display_cols));
        json_object_object_add(b, "name", json_object_new_string(a.pos[1]));
        {
                static const struct ctl_col cols[] = {
                    {"name", "name", 's'},
                    {"layout", "layout", 's'},
                    {"lang", "lang", 's'},
                    {"token", "token", 's'},
                };

                return ctl_call_show(&a, "POST", "/api/v1/displays", b, NULL, cols,
                                     CTL_NCOLS(cols));
        }
}
