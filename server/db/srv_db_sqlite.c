/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db on SQLite: one connection, a small cache of prepared statements.
 * An INSERT whose SQL ends in " RETURNING id" (the portable way to learn a
 * new row's id) runs without the clause and answers one row holding
 * sqlite3_last_insert_rowid(): SQLite 3.40's RETURNING costs about 2 us a
 * row in an ephemeral table, as much as the insert itself.
 *
 * Group commit (srv_db.h, Durability): a commit writes its WAL frames
 * (synchronous=NORMAL) and counts itself; srv_db_sync syncs the WAL file
 * through the VFS (SQLITE_FCNTL_JOURNAL_POINTER gives SQLite's own file
 * object) from whichever waiting thread leads, while the connection goes on
 * serving the next request.  That is the sync synchronous=FULL would make
 * at each commit, shared.  The frames a sync covers cannot be overwritten
 * before it: SQLite restarts the WAL only after a checkpoint has copied
 * every frame into the database file and synced it.
 *
 * Writers take turns: SQLite has one writer at a time, and a connection
 * that finds the write lock taken polls with growing sleeps, so a steady
 * writer (the month close, chunk after chunk on a connection of its own)
 * would starve the requests.  Within the process, every connection to the
 * same file queues for the write lock in arrival order instead (a ticket
 * gate, taken by BEGIN IMMEDIATE or by a write outside a transaction, and
 * given back when the transaction ends).
 */
#define MB_LOG_MODULE "db"
#include "srv_db_impl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mb_log.h"
#include "srv_db_ckpt.h"

#define CACHE_SIZE 128
#define MAP_SIZE 64

struct lite_stmt {
        struct srv_stmt base;
        sqlite3_stmt *st;
        const char *sql; /* the caller's constant: the cache key */
        struct lite_db *db;
        int busy;
        int gated;        /* a write outside a transaction holds the gate */
        int returning_id; /* " RETURNING id" dropped: 1, then 2 once answered */
        int64_t rowid;
        int nmap;                    /* placeholders; -1: more than MAP_SIZE */
        unsigned char map[MAP_SIZE]; /* $k is bind index map[k - 1] */
};

struct lite_db {
        struct srv_db base;
        sqlite3 *h;
        struct lite_stmt cache[CACHE_SIZE];
        /* group commit, under sync_mu */
        pthread_mutex_t sync_mu;
        pthread_cond_t sync_cv;
        uint64_t commits, synced;
        int syncing, sync_failed;
        sqlite3_file *wal; /* SQLite's WAL file object, once it is open */
        struct srv_ckpt *ckpt;
        struct gate *gate; /* writers to this file take turns */
        int in_gate;
};

static const struct srv_db_ops lite_ops;

/* The write turn of one database file, shared by its connections in this
 * process: a ticket lock, so writers go in the order they asked. */
struct gate {
        char *path;
        int refs;
        uint64_t next, serving;
        pthread_cond_t cv;
        struct gate *link;
};
static pthread_mutex_t gates_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gate *gates;

static struct gate *gate_get(const char *path)
{
        struct gate *g;

        pthread_mutex_lock(&gates_mu);
        for (g = gates; g && strcmp(g->path, path) != 0; g = g->link)
                ;
        if (g == NULL && (g = calloc(1, sizeof(*g))) != NULL) {
                if ((g->path = strdup(path)) == NULL) {
                        free(g);
                        g = NULL;
                } else {
                        pthread_cond_init(&g->cv, NULL);
                        g->link = gates;
                        gates = g;
                }
        }
        if (g)
                g->refs++;
        pthread_mutex_unlock(&gates_mu);
        return g;
}

static void gate_put(struct gate *g)
{
        struct gate **pp = &gates;

        if (g == NULL)
                return;
        pthread_mutex_lock(&gates_mu);
        if (--g->refs == 0) {
                while (*pp != g)
                        pp = &(*pp)->link;
                *pp = g->link;
                pthread_cond_destroy(&g->cv);
                free(g->path);
                free(g);
        }
        pthread_mutex_unlock(&gates_mu);
}

static void gate_enter(struct lite_db *db)
{
        uint64_t t;

        if (db->gate == NULL || db->in_gate)
                return;
        pthread_mutex_lock(&gates_mu);
        t = db->gate->next++;
        while (db->gate->serving != t)
                pthread_cond_wait(&db->gate->cv, &gates_mu);
        pthread_mutex_unlock(&gates_mu);
        db->in_gate = 1;
}

/* Once the handle's transaction has ended. */
static void gate_leave(struct lite_db *db)
{
        if (!db->in_gate || !sqlite3_get_autocommit(db->h))
                return;
        pthread_mutex_lock(&gates_mu);
        db->gate->serving++;
        pthread_cond_broadcast(&db->gate->cv);
        pthread_mutex_unlock(&gates_mu);
        db->in_gate = 0;
}
static pthread_once_t lite_once = PTHREAD_ONCE_INIT;

static int fail(struct lite_db *db, int code, const char *what)
{
        int ext = sqlite3_extended_errcode(db->h);

        snprintf(db->base.err, sizeof(db->base.err), "%s: %s", what, sqlite3_errmsg(db->h));
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
                return MB_EBUSY;
        if (code == SQLITE_NOMEM)
                return MB_ENOMEM;
        if (code == SQLITE_FULL)
                return MB_ENOSPC; /* the disk is full: 507, nothing was stored */
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                return MB_EEXIST;
        return MB_ESTORE;
}

static void lite_close(srv_db *base);
static int exec_sql(srv_db *base, const char *sql);
static void note_commit(struct lite_db *db);

/* SQLite counts every allocation under a global mutex unless told not to
 * before it starts; nothing here reads those counts, and the lock and
 * unlock were 6% of a month close.  Process-wide, so done once. */
static void lite_init_once(void)
{
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* SQLITE_MISUSE if started: harmless */
}

/*
 * After each commit, with the WAL's length in pages: past CKPT_PAGES (as
 * SQLite's auto-checkpoint would) the checkpointer thread copies the WAL
 * into the database file off the writer's path (srv_db_ckpt.h); should it
 * fall far behind, the writer checkpoints itself, so the WAL stays bounded.
 */
#define CKPT_PAGES 1000
static int wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
        struct lite_db *db = arg;

        if (pages >= 8 * CKPT_PAGES || db->ckpt == NULL)
                sqlite3_wal_checkpoint_v2(h, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        else if (pages >= CKPT_PAGES)
                srv_ckpt_want(db->ckpt);
        return SQLITE_OK;
}

int srv_db_open_sqlite(const char *path, int busy_timeout_ms, srv_db **out, char *err,
                       size_t errlen)
{
        struct lite_db *db = calloc(1, sizeof(*db));
        int rc;

        *out = NULL;
        if (db == NULL) {
                snprintf(err, errlen, "out of memory");
                return MB_ENOMEM;
        }
        pthread_once(&lite_once, lite_init_once);
        pthread_mutex_init(&db->sync_mu, NULL);
        pthread_cond_init(&db->sync_cv, NULL);
        rc = sqlite3_open_v2(
            path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                snprintf(err, errlen, "%s: %s", path,
                         db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
                lite_close(&db->base);
                return MB_ESTORE;
        }
        db->base.ops = &lite_ops;
        sqlite3_busy_timeout(db->h, busy_timeout_ms);
        if (exec_sql(&db->base, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                "PRAGMA foreign_keys=ON;") < 0) {
                snprintf(err, errlen, "%s: %s", path, db->base.err);
                lite_close(&db->base);
                return MB_ESTORE;
        }
        db->ckpt = srv_ckpt_new(path);
        db->gate = gate_get(path);
        sqlite3_wal_hook(db->h, wal_hook, db); /* instead of SQLite's auto-checkpoint */
        *out = &db->base;
        return MB_OK;
}

static void lite_close(srv_db *base)
{
        struct lite_db *db = (struct lite_db *)base;

        srv_ckpt_free(db->ckpt);
        if (db->h)
                gate_leave(db);
        gate_put(db->gate);
        for (int i = 0; i < CACHE_SIZE; i++)
                sqlite3_finalize(db->cache[i].st);
        sqlite3_close(db->h);
        pthread_cond_destroy(&db->sync_cv);
        pthread_mutex_destroy(&db->sync_mu);
        free(db);
}

/* A write transaction has committed (its WAL frames are written): count
 * it for srv_db_sync.  The first time, learn SQLite's WAL file object and
 * sync it here, on the connection's own thread: the first sync of a new
 * file also syncs its directory and clears a flag in the file object, which
 * no other thread should race with. */
static void note_commit(struct lite_db *db)
{
        sqlite3_file *wal = NULL;

        if (db->wal == NULL &&
            sqlite3_file_control(db->h, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal) == SQLITE_OK &&
            wal && wal->pMethods && wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) != SQLITE_OK)
                wal = NULL; /* not yet: the next commit tries again */
        pthread_mutex_lock(&db->sync_mu);
        if (db->wal == NULL && wal && wal->pMethods)
                db->wal = wal;
        db->commits++;
        pthread_mutex_unlock(&db->sync_mu);
}

static uint64_t lite_commits(srv_db *base)
{
        struct lite_db *db = (struct lite_db *)base;
        uint64_t n;

        pthread_mutex_lock(&db->sync_mu);
        n = db->commits;
        pthread_mutex_unlock(&db->sync_mu);
        return n;
}

/* One sync at a time; whoever finds none running leads the next, for every
 * commit counted by then, and the others wait for it. */
static int lite_sync(srv_db *base, uint64_t n)
{
        struct lite_db *db = (struct lite_db *)base;
        int rc;

        pthread_mutex_lock(&db->sync_mu);
        while (!db->sync_failed && db->synced < n) {
                uint64_t target = db->commits;
                sqlite3_file *wal = db->wal;

                if (db->syncing) {
                        pthread_cond_wait(&db->sync_cv, &db->sync_mu);
                        continue;
                }
                db->syncing = 1;
                pthread_mutex_unlock(&db->sync_mu);
                rc = wal ? wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL) : SQLITE_OK;
                pthread_mutex_lock(&db->sync_mu);
                db->syncing = 0;
                if (rc == SQLITE_OK && target > db->synced)
                        db->synced = target;
                else if (rc != SQLITE_OK)
                        db->sync_failed = rc;
                pthread_cond_broadcast(&db->sync_cv);
        }
        rc = db->synced >= n ? MB_OK : MB_ESTORE;
        if (rc < 0)
                snprintf(base->err, sizeof(base->err), "syncing the WAL failed: %s",
                         sqlite3_errstr(db->sync_failed));
        pthread_mutex_unlock(&db->sync_mu);
        return rc;
}

static int exec_sql(srv_db *base, const char *sql)
{
        struct lite_db *db = (struct lite_db *)base;
        char *msg = NULL;
        int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                snprintf(base->err, sizeof(base->err), "%s", msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return rc == SQLITE_BUSY ? MB_EBUSY : rc == SQLITE_FULL ? MB_ENOSPC : MB_ESTORE;
        }
        return MB_OK;
}

/* Outside a transaction, a script commits what it wrote. */
static int lite_exec_script(srv_db *base, const char *sql)
{
        struct lite_db *db = (struct lite_db *)base;
        int rc;

        gate_enter(db); /* as a write outside a transaction does (gate_write) */
        rc = exec_sql(base, sql);
        if (rc == MB_OK && sqlite3_get_autocommit(db->h))
                note_commit(db);
        gate_leave(db); /* unless the script left a transaction open */
        return rc;
}

static int lite_begin(srv_db *base)
{
        struct lite_db *db = (struct lite_db *)base;
        int rc;

        gate_enter(db);
        rc = exec_sql(base, "BEGIN IMMEDIATE");
        gate_leave(db); /* when BEGIN failed */
        return rc;
}

static int lite_commit(srv_db *base)
{
        int rc = exec_sql(base, "COMMIT");

        if (rc == MB_OK)
                note_commit((struct lite_db *)base);
        gate_leave((struct lite_db *)base);
        return rc;
}

static int lite_rollback(srv_db *base)
{
        int rc;

        /* SQLite may have rolled back by itself (a full disk) */
        rc = sqlite3_get_autocommit(((struct lite_db *)base)->h) ? MB_OK
                                                                 : exec_sql(base, "ROLLBACK");
        gate_leave((struct lite_db *)base);
        return rc;
}

/* One writer at a time already: BEGIN IMMEDIATE holds the write lock. */
static int lite_lock(srv_db *db, int kind, int64_t id)
{
        return MB_OK;
}

static int lite_try_lock(srv_db *db, int kind, int64_t id)
{
        return 1;
}

static int lite_lock_many(srv_db *db, int kind, const int64_t *ids, size_t n)
{
        return MB_OK;
}

static int lite_changes(srv_db *db)
{
        return sqlite3_changes(((struct lite_db *)db)->h);
}

/* The cache slot for sql: its own if present, else a free one (hashing the
 * pointer), else a one-off statement finalised by srv_stmt_done. */
/* Where each $k binds, worked out once per prepared statement. */
static void make_map(struct lite_stmt *s)
{
        int n = sqlite3_bind_parameter_count(s->st);

        s->nmap = n > MAP_SIZE ? -1 : n;
        for (int i = 1; s->nmap > 0 && i <= n; i++) {
                const char *name = sqlite3_bind_parameter_name(s->st, i);
                int k = name && name[0] == '$' ? atoi(name + 1) : 0;

                if (k < 1 || k > n)
                        s->nmap = -1;
                else
                        s->map[k - 1] = (unsigned char)i;
        }
}

static struct lite_stmt *slot_for(struct lite_db *db, const char *sql)
{
        size_t h = ((uintptr_t)sql >> 3) % CACHE_SIZE;

        for (int probe = 0; probe < CACHE_SIZE; probe++) {
                struct lite_stmt *s = &db->cache[(h + (size_t)probe) % CACHE_SIZE];

                if (s->sql == sql && !s->busy)
                        return s;
                if (s->sql == NULL)
                        return s;
        }
        return NULL;
}

static int prepare(struct lite_db *db, const char *sql, struct lite_stmt **out)
{
        struct lite_stmt *s = slot_for(db, sql);
        int rc;

        if (s == NULL) {
                s = calloc(1, sizeof(*s));
                if (s == NULL)
                        return MB_ENOMEM;
                s->busy = -1; /* one-off */
        }
        if (s->sql == NULL) {
                static const char tail[] = " RETURNING id";
                size_t len = strlen(sql), tl = sizeof(tail) - 1;
                int ret =
                    len > tl && strncmp(sql, "INSERT", 6) == 0 && strcmp(sql + len - tl, tail) == 0;

                rc = sqlite3_prepare_v2(db->h, sql, ret ? (int)(len - tl) : -1, &s->st, NULL);
                s->returning_id = ret;
                if (rc != SQLITE_OK) {
                        int r = fail(db, rc, "prepare");

                        mb_err_log("cannot prepare [%s]: %s", sql, db->base.err);
                        if (s->busy < 0)
                                free(s);
                        return r;
                }
                s->sql = sql;
                s->db = db;
                s->base.db = &db->base;
                make_map(s);
        }
        if (s->busy == 0)
                s->busy = 1;
        *out = s;
        return MB_OK;
}

/* copy: the text may change before the statement is stepped (a query the
 * caller steps later); a bulk row is stepped at once, from the caller's
 * own strings, without copying them. */
static int bind_args(struct lite_stmt *s, const char *types, va_list ap, int copy)
{
        char name[16];
        int rc = SQLITE_OK;

        if ((size_t)sqlite3_bind_parameter_count(s->st) != (types ? strlen(types) : 0)) {
                snprintf(s->db->base.err, sizeof(s->db->base.err),
                         "%d placeholders, %zu arguments in [%s]",
                         sqlite3_bind_parameter_count(s->st), types ? strlen(types) : 0, s->sql);
                return MB_EINVAL;
        }

        for (int i = 0; types && types[i] && rc == SQLITE_OK; i++) {
                int idx;

                if (s->nmap >= 0) {
                        idx = s->map[i];
                } else {
                        snprintf(name, sizeof(name), "$%d", i + 1);
                        idx = sqlite3_bind_parameter_index(s->st, name);
                }
                if (idx == 0) {
                        snprintf(s->db->base.err, sizeof(s->db->base.err),
                                 "no placeholder %s in [%s]", name, s->sql);
                        return MB_ESTORE;
                }
                switch (types[i]) {
                case 'i':
                        rc = sqlite3_bind_int64(s->st, idx, va_arg(ap, int64_t));
                        break;
                case 'I': {
                        int64_t v = va_arg(ap, int64_t);

                        rc = v == SRV_DB_NULL_I64 ? sqlite3_bind_null(s->st, idx)
                                                  : sqlite3_bind_int64(s->st, idx, v);
                        break;
                }
                case 't': {
                        const char *v = va_arg(ap, const char *);

                        rc = v ? sqlite3_bind_text(s->st, idx, v, -1,
                                                   copy ? SQLITE_TRANSIENT : SQLITE_STATIC)
                               : sqlite3_bind_null(s->st, idx);
                        break;
                }
                default:
                        snprintf(s->db->base.err, sizeof(s->db->base.err), "bad bind type '%c'",
                                 types[i]);
                        return MB_EINVAL;
                }
        }
        return rc == SQLITE_OK ? MB_OK : fail(s->db, rc, "bind");
}

static void lite_done(srv_stmt *st);

/* replan: SQLite's planner does not pick indexes by the bound values (no
 * STAT4), so a cached statement serves every call alike. */
static int lite_vquery(srv_db *base, srv_stmt **out, const char *sql, int replan, const char *types,
                       va_list ap)
{
        struct lite_stmt *s = NULL;
        int rc = prepare((struct lite_db *)base, sql, &s);

        (void)replan;
        *out = NULL;
        if (rc < 0)
                return rc;
        rc = bind_args(s, types, ap, 1);
        if (rc < 0) {
                lite_done(&s->base);
                return rc;
        }
        *out = &s->base;
        return rc;
}

/*
 * A write outside a transaction takes the write lock by itself, and would
 * take it by polling, as the gate's comment says: behind a steady writer
 * (the month close, chunk after chunk) every poll comes too late and the
 * write fails busy after busy_timeout_ms.  It queues at the gate instead,
 * until the statement ends and its transaction with it.
 */
static void gate_write(struct lite_stmt *s)
{
        if (s->gated || s->db->in_gate || !sqlite3_get_autocommit(s->db->h) ||
            sqlite3_stmt_readonly(s->st))
                return;
        gate_enter(s->db);
        s->gated = 1;
}

static void ungate(struct lite_stmt *s)
{
        if (s->gated) {
                s->gated = 0;
                gate_leave(s->db);
        }
}

static int lite_step(srv_stmt *st)
{
        struct lite_stmt *s = (struct lite_stmt *)st;
        int rc;

        if (s->returning_id == 2)
                return SRV_DB_DONE;
        gate_write(s);
        rc = sqlite3_step(s->st);
        /* a write outside a transaction committed by itself */
        if (rc == SQLITE_DONE && !sqlite3_stmt_readonly(s->st) && sqlite3_get_autocommit(s->db->h))
                note_commit(s->db);
        if (rc == SQLITE_DONE)
                ungate(s);
        if (s->returning_id && rc == SQLITE_DONE) {
                s->returning_id = 2; /* ON CONFLICT DO NOTHING that did nothing: no row */
                if (sqlite3_changes(s->db->h) == 0)
                        return SRV_DB_DONE;
                s->rowid = sqlite3_last_insert_rowid(s->db->h);
                return SRV_DB_ROW;
        }
        if (rc == SQLITE_ROW)
                return SRV_DB_ROW;
        if (rc == SQLITE_DONE)
                return SRV_DB_DONE;
        return fail(s->db, rc, "step");
}

static int64_t lite_i64(srv_stmt *st, int col)
{
        struct lite_stmt *s = (struct lite_stmt *)st;

        return s->returning_id == 2 ? s->rowid : sqlite3_column_int64(s->st, col);
}

static const char *lite_text(srv_stmt *st, int col)
{
        return (const char *)sqlite3_column_text(((struct lite_stmt *)st)->st, col);
}

static int lite_null(srv_stmt *st, int col)
{
        struct lite_stmt *s = (struct lite_stmt *)st;

        return s->returning_id == 2 ? 0 : sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

static void lite_done(srv_stmt *st)
{
        struct lite_stmt *s = (struct lite_stmt *)st;

        if (s->busy < 0) {
                sqlite3_finalize(s->st);
                ungate(s);
                free(s);
                return;
        }
        sqlite3_reset(s->st); /* bindings stay: the next use rebinds every one */
        ungate(s);
        if (s->returning_id)
                s->returning_id = 1;
        s->busy = 0;
}

/* Bulk: one INSERT prepared for the bulk, stepped per row. */
static int lite_bulk_begin(srv_db *base, srv_bulk *b)
{
        struct lite_db *db = (struct lite_db *)base;
        size_t len = strlen(b->table) + strlen(b->columns) + 40 + b->ncols * 8;
        char *sql = malloc(len);
        struct lite_stmt *s = calloc(1, sizeof(*s));
        size_t off;
        int rc;

        if (sql == NULL || s == NULL) {
                free(sql);
                free(s);
                return MB_ENOMEM;
        }
        off = (size_t)snprintf(sql, len, "INSERT INTO %s (%s) VALUES (", b->table, b->columns);
        for (size_t i = 0; i < b->ncols; i++)
                off += (size_t)snprintf(sql + off, len - off, "%s$%zu", i ? ", " : "", i + 1);
        snprintf(sql + off, len - off, ")");
        rc = sqlite3_prepare_v2(db->h, sql, -1, &s->st, NULL);
        free(sql);
        if (rc != SQLITE_OK) {
                free(s);
                return fail(db, rc, "prepare bulk insert");
        }
        s->db = db;
        s->base.db = base;
        s->busy = -1;
        s->sql = b->table;
        make_map(s);
        b->priv = s;
        return MB_OK;
}

static int lite_bulk_vrow(srv_bulk *b, va_list ap)
{
        struct lite_stmt *s = b->priv;
        int rc = bind_args(s, b->types, ap, 0);

        if (rc == MB_OK) {
                rc = sqlite3_step(s->st);
                rc = rc == SQLITE_DONE ? MB_OK : fail(s->db, rc, "bulk insert");
        }
        sqlite3_reset(s->st);
        return rc;
}

static int lite_bulk_end(srv_bulk *b, int abort)
{
        struct lite_stmt *s = b->priv;

        sqlite3_finalize(s->st);
        free(s);
        return MB_OK;
}

static const struct srv_db_ops lite_ops = {
    .name = "sqlite",
    .close = lite_close,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .exec_script = lite_exec_script,
    .vquery = lite_vquery,
    .changes = lite_changes,
    .commits = lite_commits,
    .sync = lite_sync,
    .lock = lite_lock,
    .try_lock = lite_try_lock,
    .lock_many = lite_lock_many,
    .step = lite_step,
    .col_i64 = lite_i64,
    .col_text = lite_text,
    .col_null = lite_null,
    .done = lite_done,
    .bulk_begin = lite_bulk_begin,
    .bulk_vrow = lite_bulk_vrow,
    .bulk_end = lite_bulk_end,
};
