/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The power-cut VFS (tests/unit/powercut_vfs.h) for a whole process: loaded
 * with LD_PRELOAD, it becomes SQLite's default VFS before main(), so every
 * database the process opens keeps its unsynced writes in memory.  Killing
 * the process with SIGKILL is then a power cut for its databases: the files
 * hold exactly what was synced (tests/integration/powercut.sh).
 */
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "powercut_vfs.h"

__attribute__((constructor)) static void powercut_preload(void)
{
        if (powercut_register(1) != SQLITE_OK) {
                fprintf(stderr, "powercut_preload: cannot register the VFS\n");
                abort();
        }
}
