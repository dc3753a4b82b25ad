/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Region names for the wall and the operator desk: a region is stored as a
 * code (gateways.region, accounts.region), usually a national administrative
 * division code (GB/T 2260, "110105"), and shown by name (朝阳区).
 *
 * Names come from a text file, one region a line:
 *
 *     CODE<spaces or tab>NAME[<tab>ENGLISH NAME]
 *
 * ("110105  朝阳区<TAB>Chaoyang"), '#' starts a comment line, blank lines
 * are skipped; the Ministry of Civil Affairs' published list of county-level
 * codes copied as text is already in this form (docs/dashboard.md), and
 * meterbox ships the few codes its demo and tests use.  server.conf's
 * dashboard.region_names adds or overrides single codes.  A later entry for
 * a code replaces an earlier one.
 */
#ifndef SRV_REGIONS_H
#define SRV_REGIONS_H

#include <stddef.h>

#include "mb_conf.h"
#include "srv.h"

#define SRV_REGION_CODE_MAX 32 /* bytes of a code, letters, digits, '-', '_', '.' */
#define SRV_REGION_NAME_MAX 96 /* bytes of a name (UTF-8) */

struct srv_regions; /* opaque: a sorted table of codes and names */

/* A new empty table (srv_regions_free), or NULL when out of memory. */
struct srv_regions *srv_regions_new(void);
void srv_regions_free(struct srv_regions *r);

/*
 * Add (or replace) code's names; en may be NULL or "".  MB_OK, MB_EINVAL for
 * a code or name that breaks the rules above (bad UTF-8, control
 * characters, too long, empty), MB_ENOMEM.
 */
int srv_regions_add(struct srv_regions *r, const char *code, const char *name, const char *en);

/*
 * Parse len bytes of text in the file format above, adding every line.
 * Problems go to d as "file:LINE: message" (file names the source in
 * messages); lines with problems are skipped.  Returns the number of
 * regions added, or -1 when out of memory.
 */
int srv_regions_parse(struct srv_regions *r, const char *text, size_t len, const char *file,
                      mb_diag *d);

/* Read and parse the file at path (a missing file is a message in d). */
int srv_regions_load(struct srv_regions *r, const char *path, mb_diag *d);

/* The name (and English name, "" when none) of code, or NULL. */
const char *srv_regions_name(const struct srv_regions *r, const char *code, const char **en);
/* Number of regions in the table. */
size_t srv_regions_count(const struct srv_regions *r);

/* GET /api/v1/regions: the names of every region code in use (gateways and
 * accounts), {"regions": [{"code", "name", "name_en"}]} (names null when
 * unknown), ordered by code. */
void srv_h_regions(struct srv_req *rq, struct srv_resp *rs);

#endif
