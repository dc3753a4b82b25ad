/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The route table: {method, pattern, handler, roles}.  Pure matching, no I/O.
 *
 * A pattern is a path whose segments are literals or "*" (one non-empty
 * segment, captured in order, at most SRV_ROUTE_MAX_PARAMS).  Matching is
 * exact: no prefix matches, no trailing slash.
 */
#ifndef SRV_ROUTER_H
#define SRV_ROUTER_H

#include <stddef.h>

#define SRV_ROUTE_MAX_PARAMS 4
#define SRV_ROUTE_PARAM_MAX 128 /* longest captured segment, with its NUL */

/* Roles, as a bit set of who may call a route. */
enum srv_role {
        SRV_ROLE_GATEWAY = 1,
        SRV_ROLE_OPERATOR = 2,
        SRV_ROLE_ADMIN = 4,
        SRV_ROLE_DISPLAY = 8, /* a wall screen: the wall's aggregates only (srv_displays.h) */
};
#define SRV_READ (SRV_ROLE_OPERATOR | SRV_ROLE_ADMIN)
#define SRV_WRITE SRV_ROLE_ADMIN
#define SRV_WALL (SRV_READ | SRV_ROLE_DISPLAY) /* what the wall reads */

struct srv_req;
struct srv_resp;
typedef void (*srv_handler)(struct srv_req *rq, struct srv_resp *rs);

struct srv_route {
        const char *method; /* "GET", "POST", ... */
        const char *pattern;
        srv_handler handler;
        unsigned roles; /* SRV_ROLE_* bits allowed */
};

struct srv_route_params {
        int n;
        char v[SRV_ROUTE_MAX_PARAMS][SRV_ROUTE_PARAM_MAX];
};

/*
 * The route for method and path, with its captured segments in *p, or NULL.
 * When NULL, *path_known is set to 1 if some route matched the path with
 * another method (so the caller answers 405, not 404).
 */
const struct srv_route *srv_route_match(const struct srv_route *routes, size_t n,
                                        const char *method, const char *path,
                                        struct srv_route_params *p, int *path_known);

/* The role's name ("gateway", "operator", "admin"), or NULL. */
const char *srv_role_name(unsigned role);
/* The role named s, or 0. */
unsigned srv_role_parse(const char *s);

#endif
