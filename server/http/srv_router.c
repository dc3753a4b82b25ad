/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_router.h"

#include <string.h>

/* Match path against pattern, capturing "*" segments.  1 on a match. */
static int match_path(const char *pat, const char *path, struct srv_route_params *p)
{
        p->n = 0;
        while (*pat && *path) {
                if (*pat != '/' || *path != '/')
                        return 0;
                pat++;
                path++;
                size_t pl = strcspn(pat, "/"), sl = strcspn(path, "/");

                if (pl == 1 && pat[0] == '*') {
                        if (sl == 0 || sl >= SRV_ROUTE_PARAM_MAX || p->n == SRV_ROUTE_MAX_PARAMS)
                                return 0;
                        memcpy(p->v[p->n], path, sl);
                        p->v[p->n][sl] = '\0';
                        p->n++;
                } else if (pl != sl || memcmp(pat, path, sl) != 0) {
                        return 0;
                }
                pat += pl;
                path += sl;
        }
        return *pat == '\0' && *path == '\0';
}

const struct srv_route *srv_route_match(const struct srv_route *routes, size_t n,
                                        const char *method, const char *path,
                                        struct srv_route_params *p, int *path_known)
{
        struct srv_route_params tmp;

        *path_known = 0;
        for (size_t i = 0; i < n; i++) {
                if (!match_path(routes[i].pattern, path, &tmp))
                        continue;
                if (strcmp(routes[i].method, method) == 0) {
                        *p = tmp;
                        return &routes[i];
                }
                *path_known = 1;
        }
        return NULL;
}

const char *srv_role_name(unsigned role)
{
        switch (role) {
        case SRV_ROLE_GATEWAY:
                return "gateway";
        case SRV_ROLE_OPERATOR:
                return "operator";
        case SRV_ROLE_ADMIN:
                return "admin";
        case SRV_ROLE_DISPLAY:
                return "display";
        default:
                return NULL;
        }
}

unsigned srv_role_parse(const char *s)
{
        if (s == NULL)
                return 0;
        if (strcmp(s, "gateway") == 0)
                return SRV_ROLE_GATEWAY;
        if (strcmp(s, "operator") == 0)
                return SRV_ROLE_OPERATOR;
        if (strcmp(s, "admin") == 0)
                return SRV_ROLE_ADMIN;
        if (strcmp(s, "display") == 0)
                return SRV_ROLE_DISPLAY;
        return 0;
}
