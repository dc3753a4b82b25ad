/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Display credentials: the kiosk screens of a wall (docs/dashboard.md,
 * Kiosk).  A display is a token with role "display" (named
 * "display:NAME" in the tokens table): it may read the wall's aggregates and
 * nothing else, is enrolled once on its screen (the browser keeps it across
 * reboots), carries a layout (which part of the wall and which widgets the
 * screen shows) and a language, and is revoked like any token.
 */
#ifndef SRV_DISPLAYS_H
#define SRV_DISPLAYS_H

#include "srv.h"

#define SRV_DISPLAY_PREFIX "display:"

/* POST /api/v1/displays {name, layout?, lang?} (admin): 201 with the
 * display and its token (shown once); 409 when the name is in use. */
void srv_h_display_create(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/displays: every display, enrolled or revoked, with when its
 * screen last asked for data. */
void srv_h_display_list(struct srv_req *rq, struct srv_resp *rs);
/* PATCH /api/v1/displays/NAME {layout?, lang?} (admin). */
void srv_h_display_update(struct srv_req *rq, struct srv_resp *rs);
/* DELETE /api/v1/displays/NAME (admin): revoke; the screen stops at its
 * next refresh and its name is free again. */
void srv_h_display_revoke(struct srv_req *rq, struct srv_resp *rs);

#endif
