/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db: the thin database layer every business module uses.  One handle is
 * one connection; SQL is portable (SQLite 3.40 and PostgreSQL 15: INSERT ...
 * ON CONFLICT, RETURNING) with $1..$n placeholders, so a libpq backend can
 * implement this header without touching the callers.  Backends:
 * srv_db_sqlite.c (embedded default) and srv_db_pg.c (libpq), dispatched by
 * srv_db.c through srv_db_impl.h.
 *
 * Binding: srv_db_query()/srv_db_exec_args() take a type string, one letter
 * per placeholder in order $1, $2, ...:
 *   'i' int64_t      'I' int64_t, or NULL when it equals SRV_DB_NULL_I64
 *   't' const char * (NULL binds NULL; copied by the backend)
 *
 * Errors: functions return MB_OK (or a count / SRV_DB_ROW) on success and
 * MB_ESTORE, MB_EBUSY (database locked past the busy timeout), MB_EEXIST
 * (unique constraint) or MB_ENOMEM on failure, with the backend's message in
 * srv_db_errmsg().  A handle is used by one thread at a time.
 */
#ifndef SRV_DB_H
#define SRV_DB_H

#include <stddef.h>
#include <stdint.h>

#include <meterbox/errors.h>

typedef struct srv_db srv_db;
typedef struct srv_stmt srv_stmt;
typedef struct srv_bulk srv_bulk;

#define SRV_DB_ROW 1  /* srv_stmt_step: a row is ready */
#define SRV_DB_DONE 0 /* srv_stmt_step: no more rows */
#define SRV_DB_NULL_I64 INT64_MIN

/* Open (creating) the SQLite database at path: WAL, synchronous=NORMAL
 * (made durable by srv_db_sync), foreign keys on, busy_timeout_ms.  *out is the caller's
 * (srv_db_close). On failure *out is NULL and err holds the reason. */
int srv_db_open_sqlite(const char *path, int busy_timeout_ms, srv_db **out, char *err,
                       size_t errlen);
/* PostgreSQL's settings (server.conf, database group). */
struct srv_db_pg_opts {
        int lock_timeout_ms;   /* a lock wait longer than this fails MB_EBUSY (0: none) */
        int deadline_ms;       /* a round trip longer than this drops the connection (0: none) */
        int connect_timeout_s; /* per host of the conninfo, unless it sets its own */
        int failover_wait_ms;  /* how long a commit in doubt is looked up for */
};
/* Connect to PostgreSQL with a libpq conninfo string ("host=/run/pg
 * dbname=meterbox", or a postgresql:// URI, several hosts with
 * target_session_attrs=read-write for a failover pair).  *out is the
 * caller's; on failure NULL with the reason in err. */
int srv_db_open_pg(const char *conninfo, const struct srv_db_pg_opts *o, srv_db **out, char *err,
                   size_t errlen);
/* "sqlite" or "postgresql". */
const char *srv_db_backend(const srv_db *db);

/* Close the connection and every cached statement.  NULL is a no-op. */
void srv_db_close(srv_db *db);

/* The last error message of this handle (owned by it). */
const char *srv_db_errmsg(srv_db *db);

/*
 * Failover (PostgreSQL; SQLite never loses its connection).  A connection
 * lost or dropped at its deadline takes the work in flight with it: the
 * call fails MB_EBUSY and srv_db_losses() moves on.  A caller that sees it
 * move while its work failed may run the work again (every write is
 * idempotent by its key, and a commit in doubt was looked up, never
 * guessed: srv_db_pg.c); the next call reconnects to the primary.
 * srv_db_wait_primary reconnects now, waiting up to ms for a primary:
 * MB_OK, or MB_EBUSY when none answered.  SQLite: 0 and MB_OK.
 */
uint64_t srv_db_losses(srv_db *db);
int srv_db_wait_primary(srv_db *db, int ms);

/* How many of this handle's commits did, or may have, committed: a commit
 * whose answer was lost counts until it is looked up (on reconnecting) and
 * found not to have.  A caller that sees it move while its work failed
 * must not run that work again unless the work is idempotent by its key;
 * it is known only after srv_db_wait_primary has connected.  SQLite: 0. */
uint64_t srv_db_written(srv_db *db);

/* 1 while this handle is making its lost connection again (connecting,
 * waiting for a primary, looking up a commit in doubt), else 0.  The one
 * call that may be made without holding whatever serialises the handle's
 * use: a caller can then answer 503 at once instead of queueing behind the
 * reconnection.  SQLite: 0. */
int srv_db_reconnecting(srv_db *db);

/* Transactions.  begin takes the write lock at once (BEGIN IMMEDIATE in
 * SQLite), so a transaction never fails half way for lock upgrade. */
int srv_db_begin(srv_db *db);
int srv_db_commit(srv_db *db);
int srv_db_rollback(srv_db *db);

/*
 * Durability (DESIGN.md, Durability: a 2xx is a promise).  srv_db_commits is
 * the number of write transactions committed on the handle so far; call it
 * as the handle's user (under srv->lock).  srv_db_sync(db, n) returns once
 * the first n of them are on stable storage.  It is called without the
 * handle's lock, by many threads at once and while another thread uses the
 * handle: a caller that arrives while a sync runs waits for it and shares
 * the next one, so concurrent requests pay for one sync between them (group
 * commit).
 *
 * SQLite commits with synchronous=NORMAL (the WAL is written, not synced)
 * and srv_db_sync syncs the WAL through SQLite's VFS: as durable as
 * synchronous=FULL for every commit it covers, without one sync per commit.
 * PostgreSQL's commit is durable itself (synchronous_commit): commits is
 * always 0 there and srv_db_sync returns at once.
 *
 * MB_OK, or MB_ESTORE when the sync failed; then those commits may be lost
 * and every later srv_db_sync on the handle fails too, since a failed fsync
 * may have dropped the pages it could not write (docs/operations.md).
 */
uint64_t srv_db_commits(srv_db *db);
int srv_db_sync(srv_db *db, uint64_t n);

/*
 * Serialise with every other server on the same database until the end of
 * the current transaction: a lock on (kind, id), taken inside a transaction.
 * PostgreSQL: pg_advisory_xact_lock (re-entrant, released at commit or
 * rollback).  SQLite: nothing to do, BEGIN IMMEDIATE already holds the
 * database's one write lock.  Lock order, to stay deadlock free: gateway,
 * then accounts in ascending meter order within a batch; an account lock is
 * the last one taken.
 */
enum srv_lock_kind {
        SRV_LOCK_GATEWAY = 1, /* ingest of one gateway's batches, command delivery */
        SRV_LOCK_ACCOUNT = 2, /* balance, charge state, month close, payments */
        SRV_LOCK_SCHEMA = 3,  /* migrations (id 0) */
        SRV_LOCK_CLOSE = 4,   /* a chunk of a month close (its first account id) */
};
int srv_db_lock(srv_db *db, enum srv_lock_kind kind, int64_t id);
/* The same lock if no one else holds it: 1 taken, 0 held by another server
 * (nothing waited for), or a negative MB_ code.  SQLite: always 1. */
int srv_db_try_lock(srv_db *db, enum srv_lock_kind kind, int64_t id);
/* The same for ids[0..n-1] (ascending, so two callers never deadlock), in
 * one round trip. */
int srv_db_lock_many(srv_db *db, enum srv_lock_kind kind, const int64_t *ids, size_t n);

/* Run SQL text without parameters (may hold several statements: schema). */
int srv_db_exec_script(srv_db *db, const char *sql);

/*
 * Prepare sql (cached per handle: keep sql a string constant) and bind the
 * arguments described by types.  *out is valid until srv_stmt_done(); on
 * failure it is NULL (and srv_stmt_done(NULL) does nothing).
 */
int srv_db_query(srv_db *db, srv_stmt **out, const char *sql, const char *types, ...);

/*
 * As srv_db_query, for a query whose best plan depends on its arguments: a
 * range that may span a few rows or the whole table.  PostgreSQL settles on
 * a generic plan, blind to the values, after five runs of a cached
 * statement; this one is planned for each call's values instead (the
 * unnamed statement, at the cost of planning each call).  Only one such
 * statement may be open on a handle at a time.
 */
int srv_db_query_replan(srv_db *db, srv_stmt **out, const char *sql, const char *types, ...);

/* Prepare, bind, step to the end and release: returns the number of rows
 * changed (>= 0) or an error. */
int srv_db_exec_args(srv_db *db, const char *sql, const char *types, ...);

/*
 * A write inside the caller's transaction whose result the caller does not
 * need: MB_OK or an error, never a row count.  SQLite runs it now.
 * PostgreSQL sends it without waiting for it (libpq's pipeline mode) and
 * reads its outcome at the next call on the handle that waits for the
 * database, which then fails with the write's error if it had one; a
 * transaction with a failed write can only be rolled back, as always.
 * Outside a transaction it runs now on both.  Saves a round trip per write
 * in runs of writes (the month close posts a balance, a ledger entry and a
 * bill per account).
 */
int srv_db_exec_later(srv_db *db, const char *sql, const char *types, ...);

/* As srv_db_query, then step once: 1 and the row's first column as int64 in
 * *out, 0 when there is no row (or it is NULL), or an error. */
int srv_db_query_i64(srv_db *db, int64_t *out, const char *sql, const char *types, ...);

/* Step a statement: SRV_DB_ROW, SRV_DB_DONE or an error. */
int srv_stmt_step(srv_stmt *st);
/* Column getters for the current row (0-based).  Text is owned by the
 * statement and valid until the next step or done; NULL for SQL NULL. */
int64_t srv_stmt_i64(srv_stmt *st, int col);
const char *srv_stmt_text(srv_stmt *st, int col);
int srv_stmt_is_null(srv_stmt *st, int col);
/* Reset the statement and give it back to the cache.  NULL is a no-op. */
void srv_stmt_done(srv_stmt *st);

/*
 * Bulk insert of many rows into one table inside the caller's transaction:
 * COPY ... FROM STDIN on PostgreSQL, one prepared INSERT stepped per row on
 * SQLite.  table, columns ("a, b, c") and types (one letter per column, as
 * for srv_db_query) must outlive the bulk (string constants).  There is no
 * conflict handling: insert only rows known to be new.  _end returns the
 * number of rows inserted or an error (then the transaction is failed: roll
 * back); _end with abort set discards.  The bulk is freed by _end.
 */
int srv_db_bulk_begin(srv_db *db, srv_bulk **out, const char *table, const char *columns,
                      const char *types);
int srv_db_bulk_row(srv_bulk *b, ...);
int64_t srv_db_bulk_end(srv_bulk *b, int abort);

#endif
