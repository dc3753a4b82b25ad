/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL schema: the same tables and migrations as srv_schema.c in
 * PostgreSQL's dialect (BIGINT, identity keys, COLLATE "C" on identifiers so
 * ORDER BY agrees with SQLite), with readings range-partitioned by local
 * natural month on ts.  Every migration appended to srv_schema.c gets its
 * twin here; a build whose two lists differ in length refuses to migrate a
 * PostgreSQL database.
 */
#ifndef SRV_SCHEMA_PG_H
#define SRV_SCHEMA_PG_H

#include <stddef.h>
#include <stdint.h>

#include "srv_db.h"

/* Bring a PostgreSQL database up to srv_schema_latest() under an advisory
 * lock (several servers may start at once), then make the partitions
 * around now.  MB_OK or an error with err filled. */
int srv_schema_pg_migrate(srv_db *db, char *err, size_t errlen);

/*
 * Create the monthly partitions of readings from `back` months before the
 * month of now to `ahead` months after it, where missing (readings_YYYYMM,
 * bounds at local month starts).  Rows outside every partition land in
 * readings_default; a month whose rows already sit there is left to it
 * (logged).  Own transaction.  MB_OK or an error.
 */
int srv_schema_pg_partitions(srv_db *db, int64_t now, int back, int ahead);

#endif
