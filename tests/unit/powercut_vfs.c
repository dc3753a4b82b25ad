/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The power-cut VFS (powercut_vfs.h).  Each buffered file (by name, shared
 * by every connection that opens it, as the kernel's page cache is) keeps
 * its pending operations in order: a write (offset, bytes) or a truncate
 * (offset, -1).  A read takes the real file's bytes and replays the pending
 * operations over them; the file's size is the size those operations leave.
 * A sync applies them to the real file, then syncs it.
 */
#include "powercut_vfs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct op {
        sqlite3_int64 off;
        int len; /* -1: truncate to off */
        unsigned char *data;
};

/* A file's pending state, shared by its open handles. */
struct node {
        char *name;
        int refs, main_db;
        struct op *ops;
        size_t nops, cap;
        sqlite3_int64 size; /* as the pending operations leave it */
        struct node *next;
};

struct pc_file {
        sqlite3_file base;
        sqlite3_file *real;
        struct node *n; /* NULL: not buffered */
        struct pc_file *next, *prev;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static sqlite3_vfs *real_vfs;
static struct pc_file *open_files;
static struct node *nodes;
static int dead;
static uint64_t n_syncs, n_db_syncs;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int holding, n_held;

static void drop_ops(struct node *f)
{
        for (size_t i = 0; i < f->nops; i++)
                free(f->ops[i].data);
        free(f->ops);
        f->ops = NULL;
        f->nops = f->cap = 0;
}

static int push_op(struct node *f, sqlite3_int64 off, const void *data, int len)
{
        if (f->nops == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 64;
                struct op *p = realloc(f->ops, cap * sizeof(*p));

                if (p == NULL)
                        return SQLITE_NOMEM;
                f->ops = p;
                f->cap = cap;
        }
        f->ops[f->nops].off = off;
        f->ops[f->nops].len = len;
        f->ops[f->nops].data = NULL;
        if (len > 0) {
                f->ops[f->nops].data = malloc((size_t)len);
                if (f->ops[f->nops].data == NULL)
                        return SQLITE_NOMEM;
                memcpy(f->ops[f->nops].data, data, (size_t)len);
        }
        f->nops++;
        return SQLITE_OK;
}

/* Put the pending operations of f's file into the real file, through f's
 * handle (the caller syncs it). */
static int apply_ops(struct pc_file *f)
{
        struct node *n = f->n;
        int rc = SQLITE_OK;

        for (size_t i = 0; rc == SQLITE_OK && i < n->nops; i++) {
                struct op *o = &n->ops[i];

                rc = o->len < 0 ? f->real->pMethods->xTruncate(f->real, o->off)
                                : f->real->pMethods->xWrite(f->real, o->data, o->len, o->off);
        }
        drop_ops(n);
        return rc;
}

static int pc_close(sqlite3_file *file)
{
        struct pc_file *f = (struct pc_file *)file;
        int rc;

        pthread_mutex_lock(&mu);
        if (f->n) {
                /* the last handle closed without a sync, on a machine still
                 * running: the OS writes it back eventually; after a cut it
                 * is gone */
                if (--f->n->refs == 0) {
                        struct node **pp = &nodes;

                        if (!dead)
                                apply_ops(f);
                        drop_ops(f->n);
                        while (*pp != f->n)
                                pp = &(*pp)->next;
                        *pp = f->n->next;
                        free(f->n->name);
                        free(f->n);
                }
                if (f->prev)
                        f->prev->next = f->next;
                else
                        open_files = f->next;
                if (f->next)
                        f->next->prev = f->prev;
        }
        rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
        pthread_mutex_unlock(&mu);
        return rc;
}

static int pc_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
        struct pc_file *f = (struct pc_file *)file;
        unsigned char *b = buf;
        int rc;

        if (!f->n)
                return f->real->pMethods->xRead(f->real, buf, amt, off);
        pthread_mutex_lock(&mu);
        rc = f->real->pMethods->xRead(f->real, buf, amt, off);
        if (rc == SQLITE_IOERR_SHORT_READ)
                rc = SQLITE_OK; /* zero-filled past the real end; the size decides below */
        for (size_t i = 0; rc == SQLITE_OK && i < f->n->nops; i++) {
                const struct op *o = &f->n->ops[i];

                if (o->len < 0) {
                        if (o->off < off + amt) {
                                sqlite3_int64 from = o->off > off ? o->off - off : 0;

                                memset(b + from, 0, (size_t)(amt - from));
                        }
                        continue;
                }
                sqlite3_int64 lo = o->off > off ? o->off : off;
                sqlite3_int64 hi = o->off + o->len < off + amt ? o->off + o->len : off + amt;

                if (lo < hi)
                        memcpy(b + (lo - off), o->data + (lo - o->off), (size_t)(hi - lo));
        }
        if (rc == SQLITE_OK && off + amt > f->n->size) {
                sqlite3_int64 from = f->n->size > off ? f->n->size - off : 0;

                memset(b + from, 0, (size_t)(amt - from));
                rc = SQLITE_IOERR_SHORT_READ;
        }
        pthread_mutex_unlock(&mu);
        return rc;
}

static int pc_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
        struct pc_file *f = (struct pc_file *)file;
        int rc;

        if (!f->n)
                return f->real->pMethods->xWrite(f->real, buf, amt, off);
        pthread_mutex_lock(&mu);
        rc = dead ? SQLITE_IOERR_WRITE : push_op(f->n, off, buf, amt);
        if (rc == SQLITE_OK && off + amt > f->n->size)
                f->n->size = off + amt;
        pthread_mutex_unlock(&mu);
        return rc;
}

static int pc_truncate(sqlite3_file *file, sqlite3_int64 size)
{
        struct pc_file *f = (struct pc_file *)file;
        int rc;

        if (!f->n)
                return f->real->pMethods->xTruncate(f->real, size);
        pthread_mutex_lock(&mu);
        rc = dead ? SQLITE_IOERR_TRUNCATE : push_op(f->n, size, NULL, -1);
        if (rc == SQLITE_OK)
                f->n->size = size;
        pthread_mutex_unlock(&mu);
        return rc;
}

static int pc_sync(sqlite3_file *file, int flags)
{
        struct pc_file *f = (struct pc_file *)file;
        int rc;

        if (!f->n)
                return f->real->pMethods->xSync(f->real, flags);
        pthread_mutex_lock(&mu);
        n_held++;
        while (holding)
                pthread_cond_wait(&gate, &mu);
        n_held--;
        rc = dead ? SQLITE_IOERR_FSYNC : apply_ops(f);
        if (rc == SQLITE_OK)
                rc = f->real->pMethods->xSync(f->real, flags);
        if (rc == SQLITE_OK)
                n_syncs++;
        if (rc == SQLITE_OK && f->n->main_db)
                n_db_syncs++;
        pthread_mutex_unlock(&mu);
        return rc;
}

static int pc_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
        struct pc_file *f = (struct pc_file *)file;

        if (!f->n)
                return f->real->pMethods->xFileSize(f->real, size);
        pthread_mutex_lock(&mu);
        *size = f->n->size;
        pthread_mutex_unlock(&mu);
        return SQLITE_OK;
}

static int pc_lock(sqlite3_file *file, int level)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xLock(f->real, level);
}

static int pc_unlock(sqlite3_file *file, int level)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xUnlock(f->real, level);
}

static int pc_check_reserved(sqlite3_file *file, int *out)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int pc_file_control(sqlite3_file *file, int op, void *arg)
{
        struct pc_file *f = (struct pc_file *)file;

        /* a size hint would grow the real file behind the pending writes */
        if (f->n && op == SQLITE_FCNTL_SIZE_HINT)
                return SQLITE_OK;
        return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int pc_sector_size(sqlite3_file *file)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xSectorSize(f->real);
}

static int pc_device_characteristics(sqlite3_file *file)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int pc_shm_map(sqlite3_file *file, int pg, int pgsz, int extend, void volatile **pp)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xShmMap(f->real, pg, pgsz, extend, pp);
}

static int pc_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void pc_shm_barrier(sqlite3_file *file)
{
        struct pc_file *f = (struct pc_file *)file;

        f->real->pMethods->xShmBarrier(f->real);
}

static int pc_shm_unmap(sqlite3_file *file, int delete_flag)
{
        struct pc_file *f = (struct pc_file *)file;

        return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* Version 2: shared memory for WAL, no memory-mapped reads (they would
 * bypass the pending writes). */
static const sqlite3_io_methods pc_io = {
    .iVersion = 2,
    .xClose = pc_close,
    .xRead = pc_read,
    .xWrite = pc_write,
    .xTruncate = pc_truncate,
    .xSync = pc_sync,
    .xFileSize = pc_file_size,
    .xLock = pc_lock,
    .xUnlock = pc_unlock,
    .xCheckReservedLock = pc_check_reserved,
    .xFileControl = pc_file_control,
    .xSectorSize = pc_sector_size,
    .xDeviceCharacteristics = pc_device_characteristics,
    .xShmMap = pc_shm_map,
    .xShmLock = pc_shm_lock,
    .xShmBarrier = pc_shm_barrier,
    .xShmUnmap = pc_shm_unmap,
};

static int pc_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
        struct pc_file *f = (struct pc_file *)file;
        int kind = flags & 0x0FFF00; /* the SQLITE_OPEN_* file type bits */
        int rc;

        memset(f, 0, sizeof(*f));
        f->real = (sqlite3_file *)(f + 1);
        rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
        if (rc != SQLITE_OK)
                return rc;
        f->base.pMethods = &pc_io;
        if (name && (kind == SQLITE_OPEN_MAIN_DB || kind == SQLITE_OPEN_WAL ||
                     kind == SQLITE_OPEN_MAIN_JOURNAL)) {
                pthread_mutex_lock(&mu);
                for (f->n = nodes; f->n && strcmp(f->n->name, name) != 0; f->n = f->n->next)
                        ;
                if (f->n == NULL && (f->n = calloc(1, sizeof(*f->n))) != NULL) {
                        f->n->name = strdup(name);
                        f->n->main_db = kind == SQLITE_OPEN_MAIN_DB;
                        rc = f->real->pMethods->xFileSize(f->real, &f->n->size);
                        f->n->next = nodes;
                        nodes = f->n;
                }
                if (f->n == NULL || f->n->name == NULL) {
                        pthread_mutex_unlock(&mu);
                        return SQLITE_NOMEM;
                }
                f->n->refs++;
                f->next = open_files;
                if (open_files)
                        open_files->prev = f;
                open_files = f;
                pthread_mutex_unlock(&mu);
        }
        return rc;
}

/* A delete after the cut never happens: the machine is off. */
static int pc_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
        int d;

        pthread_mutex_lock(&mu);
        d = dead;
        pthread_mutex_unlock(&mu);
        return d ? SQLITE_IOERR_DELETE : real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int pc_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
        return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int pc_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
        return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *pc_dlopen(sqlite3_vfs *vfs, const char *path)
{
        return real_vfs->xDlOpen(real_vfs, path);
}

static void pc_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
        real_vfs->xDlError(real_vfs, n, msg);
}

static void (*pc_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
        return real_vfs->xDlSym(real_vfs, h, sym);
}

static void pc_dlclose(sqlite3_vfs *vfs, void *h)
{
        real_vfs->xDlClose(real_vfs, h);
}

static int pc_randomness(sqlite3_vfs *vfs, int n, char *out)
{
        return real_vfs->xRandomness(real_vfs, n, out);
}

static int pc_sleep(sqlite3_vfs *vfs, int us)
{
        return real_vfs->xSleep(real_vfs, us);
}

static int pc_current_time(sqlite3_vfs *vfs, double *out)
{
        return real_vfs->xCurrentTime(real_vfs, out);
}

static int pc_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
        return real_vfs->xGetLastError(real_vfs, n, msg);
}

static int pc_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
        return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs pc_vfs = {
    .iVersion = 2,
    .zName = "powercut",
    .xOpen = pc_open,
    .xDelete = pc_delete,
    .xAccess = pc_access,
    .xFullPathname = pc_full_pathname,
    .xDlOpen = pc_dlopen,
    .xDlError = pc_dlerror,
    .xDlSym = pc_dlsym,
    .xDlClose = pc_dlclose,
    .xRandomness = pc_randomness,
    .xSleep = pc_sleep,
    .xCurrentTime = pc_current_time,
    .xGetLastError = pc_last_error,
    .xCurrentTimeInt64 = pc_current_time64,
};

int powercut_register(int make_default)
{
        if (real_vfs == NULL) {
                real_vfs = sqlite3_vfs_find(NULL);
                if (real_vfs == NULL)
                        return SQLITE_ERROR;
                pc_vfs.szOsFile = (int)sizeof(struct pc_file) + real_vfs->szOsFile;
                pc_vfs.mxPathname = real_vfs->mxPathname;
        }
        return sqlite3_vfs_register(&pc_vfs, make_default);
}

void powercut_cut(void)
{
        pthread_mutex_lock(&mu);
        dead = 1;
        for (struct pc_file *f = open_files; f; f = f->next) {
                drop_ops(f->n);
                f->real->pMethods->xFileSize(f->real, &f->n->size);
        }
        pthread_mutex_unlock(&mu);
}

void powercut_revive(void)
{
        pthread_mutex_lock(&mu);
        dead = 0;
        pthread_mutex_unlock(&mu);
}

uint64_t powercut_syncs(void)
{
        uint64_t n;

        pthread_mutex_lock(&mu);
        n = n_syncs;
        pthread_mutex_unlock(&mu);
        return n;
}

void powercut_hold(int hold)
{
        pthread_mutex_lock(&mu);
        holding = hold;
        pthread_cond_broadcast(&gate);
        pthread_mutex_unlock(&mu);
}

int powercut_held(void)
{
        int n;

        pthread_mutex_lock(&mu);
        n = n_held;
        pthread_mutex_unlock(&mu);
        return n;
}

uint64_t powercut_db_syncs(void)
{
        uint64_t n;

        pthread_mutex_lock(&mu);
        n = n_db_syncs;
        pthread_mutex_unlock(&mu);
        return n;
}
