/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server database schema and its migrations, versioned in the table
 * schema_version (one row).  Each migration moves version i to i + 1 in one
 * transaction; shipped migrations are never edited, only appended.
 */
#ifndef SRV_SCHEMA_H
#define SRV_SCHEMA_H

#include <stddef.h>

#include "srv_db.h"

/* The version this build writes. */
int srv_schema_latest(void);

/* Bring db up to srv_schema_latest().  Refuses a database newer than this
 * build (MB_ESTATE).  Returns MB_OK or an error with err filled. */
int srv_schema_migrate(srv_db *db, char *err, size_t errlen);

#endif
