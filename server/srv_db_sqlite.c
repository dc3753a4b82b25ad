/* srv_db on SQLite: one connection, a small cache of prepared statements. */
#define MB_LOG_MODULE "db"
#include "srv_db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "mb_log.h"

#define CACHE_SIZE 128

struct srv_stmt {
        sqlite3_stmt *st;
        const char *sql; /* the caller's constant: the cache key */
        srv_db *db;
        int busy;
};

struct srv_db {
        sqlite3 *h;
        struct srv_stmt cache[CACHE_SIZE];
        char err[256];
};

static int fail(srv_db *db, int code, const char *what)
{
        int ext = sqlite3_extended_errcode(db->h);

        snprintf(db->err, sizeof(db->err), "%s: %s", what, sqlite3_errmsg(db->h));
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
                return MB_EBUSY;
        if (code == SQLITE_NOMEM)
                return MB_ENOMEM;
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
                return MB_EEXIST;
        return MB_ESTORE;
}

int srv_db_open_sqlite(const char *path, int busy_timeout_ms, srv_db **out, char *err,
                       size_t errlen)
{
        srv_db *db = calloc(1, sizeof(*db));
        int rc;

        *out = NULL;
        if (db == NULL) {
                snprintf(err, errlen, "out of memory");
                return MB_ENOMEM;
        }
        rc = sqlite3_open_v2(
            path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                snprintf(err, errlen, "%s: %s", path,
                         db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
                srv_db_close(db);
                return MB_ESTORE;
        }
        sqlite3_busy_timeout(db->h, busy_timeout_ms);
        if (srv_db_exec_script(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                                   "PRAGMA foreign_keys=ON;") < 0) {
                snprintf(err, errlen, "%s: %s", path, db->err);
                srv_db_close(db);
                return MB_ESTORE;
        }
        *out = db;
        return MB_OK;
}

void srv_db_close(srv_db *db)
{
        if (db == NULL)
                return;
        for (int i = 0; i < CACHE_SIZE; i++)
                sqlite3_finalize(db->cache[i].st);
        sqlite3_close(db->h);
        free(db);
}

const char *srv_db_errmsg(srv_db *db)
{
        return db->err;
}

int srv_db_exec_script(srv_db *db, const char *sql)
{
        char *msg = NULL;
        int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

        if (rc != SQLITE_OK) {
                snprintf(db->err, sizeof(db->err), "%s", msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
                return rc == SQLITE_BUSY ? MB_EBUSY : MB_ESTORE;
        }
        return MB_OK;
}

int srv_db_begin(srv_db *db)
{
        return srv_db_exec_script(db, "BEGIN IMMEDIATE");
}

int srv_db_commit(srv_db *db)
{
        return srv_db_exec_script(db, "COMMIT");
}

int srv_db_rollback(srv_db *db)
{
        if (sqlite3_get_autocommit(db->h))
                return MB_OK;
        return srv_db_exec_script(db, "ROLLBACK");
}

/* The cache slot for sql: its own if present, else a free one (hashing the
 * pointer), else a one-off statement finalised by srv_stmt_done. */
static struct srv_stmt *slot_for(srv_db *db, const char *sql)
{
        size_t h = ((uintptr_t)sql >> 3) % CACHE_SIZE;

        for (int probe = 0; probe < CACHE_SIZE; probe++) {
                struct srv_stmt *s = &db->cache[(h + (size_t)probe) % CACHE_SIZE];

                if (s->sql == sql && !s->busy)
                        return s;
                if (s->sql == NULL)
                        return s;
        }
        return NULL;
}

static int prepare(srv_db *db, const char *sql, srv_stmt **out)
{
        struct srv_stmt *s = slot_for(db, sql);
        int rc;

        if (s == NULL) {
                s = calloc(1, sizeof(*s));
                if (s == NULL)
                        return MB_ENOMEM;
                s->busy = -1; /* one-off */
        }
        if (s->sql == NULL) {
                rc = sqlite3_prepare_v2(db->h, sql, -1, &s->st, NULL);
                if (rc != SQLITE_OK) {
                        int r = fail(db, rc, "prepare");

                        mb_err_log("cannot prepare [%s]: %s", sql, db->err);
                        if (s->busy < 0)
                                free(s);
                        return r;
                }
                s->sql = sql;
                s->db = db;
        }
        if (s->busy == 0)
                s->busy = 1;
        *out = s;
        return MB_OK;
}

static int bind_args(srv_stmt *s, const char *types, va_list ap)
{
        char name[16];
        int rc = SQLITE_OK;

        if ((size_t)sqlite3_bind_parameter_count(s->st) != (types ? strlen(types) : 0)) {
                snprintf(s->db->err, sizeof(s->db->err), "%d placeholders, %zu arguments in [%s]",
                         sqlite3_bind_parameter_count(s->st), types ? strlen(types) : 0, s->sql);
                return MB_EINVAL;
        }

        for (int i = 0; types && types[i] && rc == SQLITE_OK; i++) {
                int idx;

                snprintf(name, sizeof(name), "$%d", i + 1);
                idx = sqlite3_bind_parameter_index(s->st, name);
                if (idx == 0) {
                        snprintf(s->db->err, sizeof(s->db->err), "no placeholder %s in [%s]", name,
                                 s->sql);
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

                        rc = v ? sqlite3_bind_text(s->st, idx, v, -1, SQLITE_TRANSIENT)
                               : sqlite3_bind_null(s->st, idx);
                        break;
                }
                default:
                        snprintf(s->db->err, sizeof(s->db->err), "bad bind type '%c'", types[i]);
                        return MB_EINVAL;
                }
        }
        return rc == SQLITE_OK ? MB_OK : fail(s->db, rc, "bind");
}

static int vquery(srv_db *db, srv_stmt **out, const char *sql, const char *types, va_list ap)
{
        int rc;

        *out = NULL;
        rc = prepare(db, sql, out);

        if (rc < 0)
                return rc;
        rc = bind_args(*out, types, ap);
        if (rc < 0) {
                srv_stmt_done(*out);
                *out = NULL;
        }
        return rc;
}

int srv_db_query(srv_db *db, srv_stmt **out, const char *sql, const char *types, ...)
{
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = vquery(db, out, sql, types, ap);
        va_end(ap);
        return rc;
}

int srv_db_exec_args(srv_db *db, const char *sql, const char *types, ...)
{
        srv_stmt *st;
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = vquery(db, &st, sql, types, ap);
        va_end(ap);
        if (rc < 0)
                return rc;
        while ((rc = srv_stmt_step(st)) == SRV_DB_ROW)
                ;
        srv_stmt_done(st);
        return rc < 0 ? rc : sqlite3_changes(db->h);
}

int srv_db_query_i64(srv_db *db, int64_t *out, const char *sql, const char *types, ...)
{
        srv_stmt *st;
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = vquery(db, &st, sql, types, ap);
        va_end(ap);
        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW) {
                if (srv_stmt_is_null(st, 0)) {
                        rc = 0;
                } else {
                        *out = srv_stmt_i64(st, 0);
                        rc = 1;
                }
        }
        srv_stmt_done(st);
        return rc;
}

int srv_stmt_step(srv_stmt *s)
{
        int rc = sqlite3_step(s->st);

        if (rc == SQLITE_ROW)
                return SRV_DB_ROW;
        if (rc == SQLITE_DONE)
                return SRV_DB_DONE;
        return fail(s->db, rc, "step");
}

int64_t srv_stmt_i64(srv_stmt *s, int col)
{
        return sqlite3_column_int64(s->st, col);
}

const char *srv_stmt_text(srv_stmt *s, int col)
{
        return (const char *)sqlite3_column_text(s->st, col);
}

int srv_stmt_is_null(srv_stmt *s, int col)
{
        return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

void srv_stmt_done(srv_stmt *s)
{
        if (s == NULL)
                return;
        if (s->busy < 0) {
                sqlite3_finalize(s->st);
                free(s);
                return;
        }
        sqlite3_reset(s->st);
        sqlite3_clear_bindings(s->st);
        s->busy = 0;
}
