/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db: the backend-neutral half of the database layer.  Every public
 * function of srv_db.h goes through the handle's ops (srv_db_impl.h); the
 * helpers built on query/step/done live here once for both backends.
 */
#include "srv_db_impl.h"

#include <stdlib.h>
#include <string.h>

const char *srv_db_backend(const srv_db *db)
{
        return db->ops->name;
}

void srv_db_close(srv_db *db)
{
        if (db)
                db->ops->close(db);
}

const char *srv_db_errmsg(srv_db *db)
{
        return db->err;
}

int srv_db_begin(srv_db *db)
{
        return db->ops->begin(db);
}

int srv_db_commit(srv_db *db)
{
        return db->ops->commit(db);
}

int srv_db_rollback(srv_db *db)
{
        return db->ops->rollback(db);
}

int srv_db_exec_script(srv_db *db, const char *sql)
{
        return db->ops->exec_script(db, sql);
}

uint64_t srv_db_commits(srv_db *db)
{
        return db->ops->commits ? db->ops->commits(db) : 0;
}

int srv_db_sync(srv_db *db, uint64_t n)
{
        return db->ops->sync ? db->ops->sync(db, n) : MB_OK;
}

uint64_t srv_db_losses(srv_db *db)
{
        return db->ops->losses ? db->ops->losses(db) : 0;
}

int srv_db_wait_primary(srv_db *db, int ms)
{
        return db->ops->wait_primary ? db->ops->wait_primary(db, ms) : MB_OK;
}

uint64_t srv_db_written(srv_db *db)
{
        return db->ops->written ? db->ops->written(db) : 0;
}

int srv_db_reconnecting(srv_db *db)
{
        return db->ops->reconnecting ? db->ops->reconnecting(db) : 0;
}

int srv_db_lock(srv_db *db, enum srv_lock_kind kind, int64_t id)
{
        return db->ops->lock(db, (int)kind, id);
}

int srv_db_try_lock(srv_db *db, enum srv_lock_kind kind, int64_t id)
{
        return db->ops->try_lock(db, (int)kind, id);
}

int srv_db_lock_many(srv_db *db, enum srv_lock_kind kind, const int64_t *ids, size_t n)
{
        return n ? db->ops->lock_many(db, (int)kind, ids, n) : MB_OK;
}

int srv_db_query(srv_db *db, srv_stmt **out, const char *sql, const char *types, ...)
{
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = db->ops->vquery(db, out, sql, 0, types, ap);
        va_end(ap);
        return rc;
}

int srv_db_query_replan(srv_db *db, srv_stmt **out, const char *sql, const char *types, ...)
{
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = db->ops->vquery(db, out, sql, 1, types, ap);
        va_end(ap);
        return rc;
}

/* Run to the end: the number of rows changed, or an error. */
static int vexec(srv_db *db, const char *sql, const char *types, va_list ap)
{
        srv_stmt *st;
        int rc = db->ops->vquery(db, &st, sql, 0, types, ap);

        if (rc < 0)
                return rc;
        while ((rc = srv_stmt_step(st)) == SRV_DB_ROW)
                ;
        srv_stmt_done(st);
        return rc < 0 ? rc : db->ops->changes(db);
}

int srv_db_exec_args(srv_db *db, const char *sql, const char *types, ...)
{
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = vexec(db, sql, types, ap);
        va_end(ap);
        return rc;
}

int srv_db_exec_later(srv_db *db, const char *sql, const char *types, ...)
{
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = db->ops->exec_later ? db->ops->exec_later(db, sql, types, ap)
                                 : vexec(db, sql, types, ap);
        va_end(ap);
        return rc < 0 ? rc : MB_OK;
}

int srv_db_query_i64(srv_db *db, int64_t *out, const char *sql, const char *types, ...)
{
        srv_stmt *st;
        va_list ap;
        int rc;

        va_start(ap, types);
        rc = db->ops->vquery(db, &st, sql, 0, types, ap);
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

int srv_stmt_step(srv_stmt *st)
{
        return st->db->ops->step(st);
}

int64_t srv_stmt_i64(srv_stmt *st, int col)
{
        return st->db->ops->col_i64(st, col);
}

const char *srv_stmt_text(srv_stmt *st, int col)
{
        return st->db->ops->col_text(st, col);
}

int srv_stmt_is_null(srv_stmt *st, int col)
{
        return st->db->ops->col_null(st, col);
}

void srv_stmt_done(srv_stmt *st)
{
        if (st)
                st->db->ops->done(st);
}

int srv_db_bulk_begin(srv_db *db, srv_bulk **out, const char *table, const char *columns,
                      const char *types)
{
        srv_bulk *b = calloc(1, sizeof(*b));
        int rc;

        *out = NULL;
        if (b == NULL)
                return MB_ENOMEM;
        b->db = db;
        b->table = table;
        b->columns = columns;
        b->types = types;
        b->ncols = strlen(types);
        rc = db->ops->bulk_begin(db, b);
        if (rc < 0) {
                free(b);
                return rc;
        }
        *out = b;
        return MB_OK;
}

int srv_db_bulk_row(srv_bulk *b, ...)
{
        va_list ap;
        int rc;

        va_start(ap, b);
        rc = b->db->ops->bulk_vrow(b, ap);
        va_end(ap);
        if (rc == MB_OK)
                b->rows++;
        return rc;
}

int64_t srv_db_bulk_end(srv_bulk *b, int abort)
{
        int64_t rows;
        int rc;

        if (b == NULL)
                return MB_OK;
        rc = b->db->ops->bulk_end(b, abort);
        rows = b->rows;
        free(b);
        return rc < 0 ? rc : rows;
}
