/* SPDX-License-Identifier: Apache-2.0 */
/*
 * powercut: a fault-injecting SQLite VFS for tests, in the manner of SQLite's
 * own crash tests (src/test6.c).  It wraps the platform's VFS and keeps every
 * write and truncate of a database, WAL or journal file in memory until the
 * file is synced; only a sync puts them into the real file.  The real files
 * are therefore exactly what a disk holds after a power cut: what was synced.
 *
 * powercut_cut() is the power cut: every write not synced is dropped, and
 * from then on writes and syncs fail (the machine is dead) until
 * powercut_revive().  Reads see the process's own writes, as the page cache
 * would.  Temporary files are passed through.  Thread-safe (one mutex).
 */
#ifndef POWERCUT_VFS_H
#define POWERCUT_VFS_H

#include <stdint.h>

/* Register the VFS as "powercut"; the default VFS too when make_default.
 * Returns an SQLite result code. */
int powercut_register(int make_default);

/* Drop every write not synced; fail writes and syncs until revived. */
void powercut_cut(void);

/* Power back on: writes and syncs work again. */
void powercut_revive(void);

/* Syncs that reached the disk so far, of any file and of main database
 * files (a checkpoint's). */
uint64_t powercut_syncs(void);
uint64_t powercut_db_syncs(void);

/* hold 1: every sync of a buffered file waits (before it syncs anything)
 * until hold 0.  powercut_held() is how many wait now. */
void powercut_hold(int hold);
int powercut_held(void);

#endif
