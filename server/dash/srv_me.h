/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who is signed in, and their own settings (docs/api.md, Monitoring):
 * the pages' language (a per-user choice over the server's
 * dashboard.language) and, for a display credential, its wall layout.
 * Kept per token in dash_prefs.
 */
#ifndef SRV_ME_H
#define SRV_ME_H

#include "srv.h"

/* GET /api/v1/me: {name, role, lang, default_lang, languages, display,
 * layout}.  A display's call also records when it was last seen. */
void srv_h_me_show(struct srv_req *rq, struct srv_resp *rs);
/* PUT /api/v1/me {"lang": "zh-CN" | "en" | null}: this token's language
 * (null: the server's default); answers as GET. */
void srv_h_me_update(struct srv_req *rq, struct srv_resp *rs);

/* Is s a wall layout string (docs/dashboard.md): up to 1024 bytes of
 * letters, digits and = & , . _ - ? */
int srv_layout_ok(const char *s);

#endif
