/* SPDX-License-Identifier: Apache-2.0 */
/* What a fresh host lacks before the server first ran (srv_bootstrap.c). */
#ifndef SRV_BOOTSTRAP_H
#define SRV_BOOTSTRAP_H

#include <stddef.h>

/* The user the packaged service runs as (sysusers.d, the systemd unit). */
#define SRV_BOOTSTRAP_USER "meterbox"

/* Create the missing directories of the SQLite store db_path (mode 0750;
 * given to user meterbox when run as root and the user exists).  Returns 0,
 * or -1 with what to run first in err. */
int srv_bootstrap_dir(const char *db_path, char *err, size_t errlen);
/* After root created the store: when its directory belongs to user
 * meterbox, the store's files (db, -wal, -shm) are given to it too, so the
 * service can open what the bootstrap made.  0, or -1 with err. */
int srv_bootstrap_files(const char *db_path, char *err, size_t errlen);

#endif
