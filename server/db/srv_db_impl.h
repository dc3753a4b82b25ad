/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db_impl: what a store backend provides behind srv_db.h.  Private to
 * srv_db.c and the backends (srv_db_sqlite.c, srv_db_pg.c).
 *
 * A backend's handle and statement structs begin with struct srv_db and
 * struct srv_stmt, so srv_db.c dispatches through db->ops without knowing
 * the backend.  vquery prepares (caching by the sql pointer), binds and, for
 * a backend that runs statements eagerly (PostgreSQL), executes; step then
 * walks the rows.  changes is the row count of the last statement.
 */
#ifndef SRV_DB_IMPL_H
#define SRV_DB_IMPL_H

#include <stdarg.h>

#include "srv_db.h"

struct srv_db_ops {
        const char *name; /* "sqlite", "postgresql" */
        void (*close)(srv_db *db);
        int (*begin)(srv_db *db);
        int (*commit)(srv_db *db);
        int (*rollback)(srv_db *db);
        int (*exec_script)(srv_db *db, const char *sql);
        /* replan: plan for this call's arguments, not a cached generic plan */
        int (*vquery)(srv_db *db, srv_stmt **out, const char *sql, int replan, const char *types,
                      va_list ap);
        /* NULL: srv_db_exec_later runs the write at once */
        int (*exec_later)(srv_db *db, const char *sql, const char *types, va_list ap);
        int (*changes)(srv_db *db);
        /* NULL: the connection is never lost (SQLite) */
        uint64_t (*losses)(srv_db *db);
        int (*wait_primary)(srv_db *db, int ms);
        int (*reconnecting)(srv_db *db); /* read without the caller's lock */
        uint64_t (*written)(srv_db *db);
        /* NULL: every commit is durable when it returns (srv_db_sync) */
        uint64_t (*commits)(srv_db *db);
        int (*sync)(srv_db *db, uint64_t n);
        int (*lock)(srv_db *db, int kind, int64_t id);
        int (*try_lock)(srv_db *db, int kind, int64_t id);
        int (*lock_many)(srv_db *db, int kind, const int64_t *ids, size_t n);
        int (*step)(srv_stmt *st);
        int64_t (*col_i64)(srv_stmt *st, int col);
        const char *(*col_text)(srv_stmt *st, int col);
        int (*col_null)(srv_stmt *st, int col);
        void (*done)(srv_stmt *st);
        /* bulk insert; vrow reads one row's arguments as described by types */
        int (*bulk_begin)(srv_db *db, srv_bulk *b);
        int (*bulk_vrow)(srv_bulk *b, va_list ap);
        int (*bulk_end)(srv_bulk *b, int abort);
};

struct srv_db {
        const struct srv_db_ops *ops;
        char err[512];
};

struct srv_stmt {
        srv_db *db;
};

struct srv_bulk {
        srv_db *db;
        const char *table, *columns, *types;
        size_t ncols;
        int64_t rows;
        void *priv; /* the backend's */
};

#endif
