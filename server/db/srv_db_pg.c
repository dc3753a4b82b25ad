/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db on PostgreSQL (libpq): one connection, named prepared statements
 * cached per handle by the caller's SQL pointer, text-format parameters typed
 * int8/text from the type string, results fetched whole.  A lost connection
 * is re-established at the next srv_db_begin (its prepared statements are
 * prepared again on first use).  Bulk inserts use COPY FROM STDIN.
 *
 * Errors map SQLSTATE to the srv_db codes: 23505 unique violation ->
 * MB_EEXIST; 40001 serialization, 40P01 deadlock, 55P03 lock timeout, 57014
 * cancelled, 53300 too many connections -> MB_EBUSY (the caller answers 503
 * and the client retries); 53100 disk full -> MB_ENOSPC (507, as SQLite's
 * SQLITE_FULL); anything else MB_ESTORE.
 */
#define MB_LOG_MODULE "db"
#include "srv_db_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "mb_log.h"

#define CACHE_SIZE 256
#define MAX_PARAMS 64
#define INT8OID 20
#define TEXTOID 25
#define COPY_CHUNK 65536
#define MAX_QUEUED 64 /* writes in flight before srv_db_exec_later reads answers */

struct pg_stmt {
        struct srv_stmt base;
        struct pg_db *db;
        const char *sql; /* the caller's constant: the cache key */
        int prepared, busy;
        char name[16];
        PGresult *res;
        int row, nrows;
};

struct pg_db {
        struct srv_db base;
        PGconn *c;
        int changes;
        int queued;          /* srv_db_exec_later writes sent, answers not read */
        int lock_timeout_ms; /* set again after a reconnect */
        unsigned generation; /* bumped by a reconnect: statements prepare again */
        struct pg_stmt cache[CACHE_SIZE];
        unsigned cache_gen[CACHE_SIZE];
        struct pg_stmt oneoff;
};

struct pg_copy {
        char *buf;
        size_t len, cap;
};

static const struct srv_db_ops pg_ops;

static void on_notice(void *arg, const char *message)
{
        mb_debug("postgresql: %s", message);
}

static int map_error(struct pg_db *db, const PGresult *res, const char *what)
{
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(db->c);
        size_t n;

        snprintf(db->base.err, sizeof(db->base.err), "%s: %s", what,
                 msg && *msg ? msg : PQerrorMessage(db->c));
        n = strlen(db->base.err);
        while (n && (db->base.err[n - 1] == '\n' || db->base.err[n - 1] == ' '))
                db->base.err[--n] = '\0';
        if (PQstatus(db->c) == CONNECTION_BAD)
                return MB_EBUSY; /* the database restarted: 503, reconnect next time */
        if (state == NULL)
                return MB_ESTORE;
        if (strcmp(state, "23505") == 0)
                return MB_EEXIST;
        if (strcmp(state, "53100") == 0)
                return MB_ENOSPC;
        if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
            strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0 ||
            strcmp(state, "53300") == 0)
                return MB_EBUSY;
        return MB_ESTORE;
}

static int ensure_conn(struct pg_db *db);

/* Read the outcome of the writes srv_db_exec_later queued, and leave
 * pipeline mode: MB_OK or the first one's error.  Every call that waits
 * for the database comes through here first. */
static int flush(struct pg_db *db)
{
        PGresult *res;
        int rc = MB_OK;

        if (PQpipelineStatus(db->c) == PQ_PIPELINE_OFF)
                return MB_OK;
        if (PQpipelineSync(db->c) != 1)
                rc = map_error(db, NULL, "queued writes");
        /* each write's results end with NULL; after an error the rest
         * come back PGRES_PIPELINE_ABORTED */
        for (int i = 0; i < db->queued; i++)
                while ((res = PQgetResult(db->c)) != NULL) {
                        ExecStatusType st = PQresultStatus(res);

                        if (rc == MB_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                                rc = map_error(db, res, "queued write");
                        PQclear(res);
                }
        PQclear(PQgetResult(db->c)); /* the sync's PGRES_PIPELINE_SYNC */
        db->queued = 0;
        if (PQexitPipelineMode(db->c) != 1) {
                /* the connection broke mid-pipeline, which only a reset
                 * leaves: 503, the caller's transaction is gone */
                if (rc == MB_OK)
                        map_error(db, NULL, "queued writes");
                ensure_conn(db);
                rc = MB_EBUSY;
        }
        return rc;
}

static int simple(struct pg_db *db, const char *sql)
{
        PGresult *res;
        ExecStatusType st;
        int rc = flush(db);

        if (rc < 0)
                return rc;
        res = PQexec(db->c, sql);
        st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
                rc = map_error(db, res, "exec");
        PQclear(res);
        return rc;
}

/* plan_cache_mode: a database set to force generic plans would also give
 * one to the unnamed statement, undoing srv_db_query_replan. */
static int session_setup(struct pg_db *db, int lock_timeout_ms)
{
        char sql[200];

        PQsetNoticeProcessor(db->c, on_notice, NULL);
        /* jit off: the wall's aggregates over 50,000 meters spent 1.7 s of
         * 2.3 s compiling themselves with LLVM (their estimated cost crosses
         * jit_above_cost through the partitions of readings); the server's
         * queries are short and prepared, so JIT never pays for itself */
        snprintf(sql, sizeof(sql),
                 "SET lock_timeout = %d; SET TIME ZONE 'UTC'; SET plan_cache_mode = auto;"
                 " SET jit = off; SET application_name = 'meterbox-server'",
                 lock_timeout_ms);
        return simple(db, sql);
}

static void pg_close(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;

        for (int i = 0; i < CACHE_SIZE; i++)
                PQclear(db->cache[i].res);
        PQfinish(db->c);
        free(db);
}

int srv_db_open_pg(const char *conninfo, int lock_timeout_ms, srv_db **out, char *err,
                   size_t errlen)
{
        struct pg_db *db = calloc(1, sizeof(*db));

        *out = NULL;
        if (db == NULL) {
                snprintf(err, errlen, "out of memory");
                return MB_ENOMEM;
        }
        db->base.ops = &pg_ops;
        db->generation = 1;
        db->lock_timeout_ms = lock_timeout_ms;
        db->c = PQconnectdb(conninfo);
        if (db->c == NULL || PQstatus(db->c) != CONNECTION_OK) {
                snprintf(err, errlen, "%s", db->c ? PQerrorMessage(db->c) : "out of memory");
                err[strcspn(err, "\n")] = '\0';
                pg_close(&db->base);
                return MB_ESTORE;
        }
        if (session_setup(db, lock_timeout_ms) < 0) {
                snprintf(err, errlen, "%s", db->base.err);
                pg_close(&db->base);
                return MB_ESTORE;
        }
        *out = &db->base;
        return MB_OK;
}

static int pg_exec_script(srv_db *base, const char *sql)
{
        return simple((struct pg_db *)base, sql);
}

/* Reconnect a connection the database dropped (restart, failover). */
static int ensure_conn(struct pg_db *db)
{
        /* a pipeline left open (flush) is a connection that broke in it */
        if (PQstatus(db->c) == CONNECTION_OK && PQpipelineStatus(db->c) == PQ_PIPELINE_OFF)
                return MB_OK;
        mb_warn("postgresql connection lost; reconnecting");
        PQreset(db->c);
        if (PQstatus(db->c) != CONNECTION_OK) {
                map_error(db, NULL, "reconnect");
                return MB_EBUSY;
        }
        db->generation++;
        return session_setup(db, db->lock_timeout_ms) < 0 ? MB_EBUSY : MB_OK;
}

static int pg_begin(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;
        int rc = ensure_conn(db);

        return rc < 0 ? rc : simple(db, "BEGIN");
}

static int pg_commit(srv_db *base)
{
        return simple((struct pg_db *)base, "COMMIT");
}

static int pg_rollback(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;

        flush(db); /* a queued write's error is why we are here */
        if (PQtransactionStatus(db->c) == PQTRANS_IDLE)
                return MB_OK;
        return simple(db, "ROLLBACK");
}

static int pg_changes(srv_db *base)
{
        return ((struct pg_db *)base)->changes;
}

static struct pg_stmt *oneoff_for(struct pg_db *db, const char *sql);

static struct pg_stmt *slot_for(struct pg_db *db, const char *sql)
{
        size_t h = ((uintptr_t)sql >> 3) % CACHE_SIZE;

        for (int probe = 0; probe < CACHE_SIZE; probe++) {
                size_t i = (h + (size_t)probe) % CACHE_SIZE;
                struct pg_stmt *s = &db->cache[i];

                if (s->sql == sql && !s->busy) {
                        if (db->cache_gen[i] != db->generation)
                                s->prepared = 0;
                        db->cache_gen[i] = db->generation;
                        return s;
                }
                if (s->sql == NULL) {
                        snprintf(s->name, sizeof(s->name), "mb%d", (int)i);
                        s->sql = sql;
                        s->db = db;
                        s->base.db = &db->base;
                        db->cache_gen[i] = db->generation;
                        return s;
                }
        }
        /* Cache full or the statement in use: the unnamed statement. */
        return oneoff_for(db, sql);
}

/* The unnamed statement, prepared again at each use, so PostgreSQL plans it
 * for that use's parameter values; NULL while it is in use. */
static struct pg_stmt *oneoff_for(struct pg_db *db, const char *sql)
{
        if (db->oneoff.busy)
                return NULL;
        db->oneoff.sql = sql;
        db->oneoff.db = db;
        db->oneoff.base.db = &db->base;
        db->oneoff.prepared = 0;
        db->oneoff.name[0] = '\0';
        return &db->oneoff;
}

/* The statement's parameters as text, into values[] (numbers in nums[]). */
static int bind_values(struct pg_db *db, const char *types, size_t n, va_list ap, char (*nums)[24],
                       const char **values)
{
        for (size_t i = 0; i < n; i++) {
                int64_t v;

                switch (types[i]) {
                case 'i':
                        snprintf(nums[i], sizeof(nums[i]), "%" PRId64, va_arg(ap, int64_t));
                        values[i] = nums[i];
                        break;
                case 'I':
                        v = va_arg(ap, int64_t);
                        snprintf(nums[i], sizeof(nums[i]), "%" PRId64, v);
                        values[i] = v == SRV_DB_NULL_I64 ? NULL : nums[i];
                        break;
                case 't':
                        values[i] = va_arg(ap, const char *);
                        break;
                default:
                        snprintf(db->base.err, sizeof(db->base.err), "bad bind type '%c'",
                                 types[i]);
                        return MB_EINVAL;
                }
        }
        return MB_OK;
}

/* Prepare s (named by its slot) unless it is. */
static int prepare_stmt(struct pg_db *db, struct pg_stmt *s, const char *sql, const char *types,
                        size_t n)
{
        Oid oids[MAX_PARAMS];
        PGresult *res;
        int rc = MB_OK;

        if (s->prepared)
                return MB_OK;
        for (size_t i = 0; i < n; i++)
                oids[i] = types[i] == 't' ? TEXTOID : INT8OID;
        res = PQprepare(db->c, s->name, sql, (int)n, oids);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                rc = map_error(db, res, "prepare");
                mb_err_log("cannot prepare [%s]: %s", sql, db->base.err);
        } else {
                s->prepared = 1;
        }
        PQclear(res);
        return rc;
}

/* The statement's slot (the unnamed statement for replan), or NULL with
 * the reason in db->base.err. */
static struct pg_stmt *stmt_for(struct pg_db *db, const char *sql, int replan, size_t n)
{
        struct pg_stmt *s = replan ? oneoff_for(db, sql) : slot_for(db, sql);

        if (s == NULL || n > MAX_PARAMS) {
                snprintf(db->base.err, sizeof(db->base.err), "%s [%s]",
                         s ? "too many parameters" : "statement in use twice", sql);
                return NULL;
        }
        return s;
}

static int pg_vquery(srv_db *base, srv_stmt **out, const char *sql, int replan, const char *types,
                     va_list ap)
{
        struct pg_db *db = (struct pg_db *)base;
        size_t n = types ? strlen(types) : 0;
        struct pg_stmt *s;
        char nums[MAX_PARAMS][24];
        const char *values[MAX_PARAMS];
        ExecStatusType st;
        PGresult *res;
        int rc = flush(db);

        *out = NULL;
        if (rc < 0)
                return rc;
        if (PQtransactionStatus(db->c) == PQTRANS_UNKNOWN && ensure_conn(db) < 0)
                return MB_EBUSY;
        /* after a reconnect, cached statements prepare again */
        if ((s = stmt_for(db, sql, replan, n)) == NULL)
                return MB_EINVAL;
        rc = prepare_stmt(db, s, sql, types, n);
        if (rc == MB_OK)
                rc = bind_values(db, types, n, ap, nums, values);
        if (rc < 0) {
                if (s == &db->oneoff)
                        s->prepared = 0;
                return rc;
        }
        res = PQexecPrepared(db->c, s->name, (int)n, values, NULL, NULL, 0);
        st = PQresultStatus(res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
                rc = map_error(db, res, "query");
                PQclear(res);
                if (s == &db->oneoff)
                        s->prepared = 0;
                return rc;
        }
        db->changes = atoi(PQcmdTuples(res));
        s->res = res;
        s->row = -1;
        s->nrows = PQntuples(res);
        s->busy = 1;
        *out = &s->base;
        return MB_OK;
}

static int run_now(srv_db *base, const char *sql, const char *types, va_list ap)
{
        srv_stmt *st = NULL;
        int rc = pg_vquery(base, &st, sql, 0, types, ap);

        srv_stmt_done(st);
        return rc;
}

/* At once outside a transaction, and when the statement cannot wait (the
 * cache is full: the unnamed statement is prepared again by the next
 * query); else sent in pipeline mode, flushed every MAX_QUEUED writes so
 * that the answers never fill the socket while we only write to it. */
static int pg_exec_later(srv_db *base, const char *sql, const char *types, va_list ap)
{
        struct pg_db *db = (struct pg_db *)base;
        size_t n = types ? strlen(types) : 0;
        struct pg_stmt *s = NULL;
        char nums[MAX_PARAMS][24];
        const char *values[MAX_PARAMS];
        int rc;

        if (PQpipelineStatus(db->c) == PQ_PIPELINE_OFF &&
            PQtransactionStatus(db->c) != PQTRANS_INTRANS)
                return run_now(base, sql, types, ap);
        if ((s = stmt_for(db, sql, 0, n)) == NULL)
                return MB_EINVAL;
        if (s == &db->oneoff)
                return run_now(base, sql, types, ap);
        if (!s->prepared && ((rc = flush(db)) < 0 || (rc = prepare_stmt(db, s, sql, types, n)) < 0))
                return rc;
        if ((rc = bind_values(db, types, n, ap, nums, values)) < 0)
                return rc;
        if (PQpipelineStatus(db->c) == PQ_PIPELINE_OFF && PQenterPipelineMode(db->c) != 1)
                return map_error(db, NULL, "pipeline");
        if (PQsendQueryPrepared(db->c, s->name, (int)n, values, NULL, NULL, 0) != 1)
                rc = map_error(db, NULL, "queue write");
        db->queued++;
        return rc < 0 ? rc : db->queued >= MAX_QUEUED ? flush(db) : MB_OK;
}

/* Advisory lock key: the kind in the top byte, the id below. */
static int64_t lock_key(int kind, int64_t id)
{
        return (int64_t)((uint64_t)kind << 56 | ((uint64_t)id & 0x00ffffffffffffffULL));
}

static int pg_lock(srv_db *base, int kind, int64_t id)
{
        int rc =
            srv_db_exec_args(base, "SELECT pg_advisory_xact_lock($1)", "i", lock_key(kind, id));

        return rc < 0 ? rc : MB_OK;
}

static int pg_try_lock(srv_db *base, int kind, int64_t id)
{
        int64_t got = 0;
        int rc = srv_db_query_i64(
            base, &got, "SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN 1 ELSE 0 END", "i",
            lock_key(kind, id));

        return rc < 0 ? rc : got == 1;
}

/* Every key in one statement: the ids as an int8[] literal, locked in
 * ascending order. */
static int pg_lock_many(srv_db *base, int kind, const int64_t *ids, size_t n)
{
        char *buf = malloc(n * 21 + 3);
        size_t off = 0;
        int rc;

        if (buf == NULL)
                return MB_ENOMEM;
        buf[off++] = '{';
        for (size_t i = 0; i < n; i++)
                off += (size_t)sprintf(buf + off, "%s%" PRId64, i ? "," : "", ids[i]);
        buf[off++] = '}';
        buf[off] = '\0';
        rc = srv_db_exec_args(base,
                              "SELECT pg_advisory_xact_lock(($1 << 56) | k)"
                              " FROM (SELECT unnest(CAST($2 AS int8[])) AS k ORDER BY 1) x",
                              "it", (int64_t)kind, buf);
        free(buf);
        return rc < 0 ? rc : MB_OK;
}

static int pg_step(srv_stmt *st)
{
        struct pg_stmt *s = (struct pg_stmt *)st;

        return ++s->row < s->nrows ? SRV_DB_ROW : SRV_DB_DONE;
}

static int64_t pg_i64(srv_stmt *st, int col)
{
        struct pg_stmt *s = (struct pg_stmt *)st;
        const char *v;

        if (s->row < 0 || s->row >= s->nrows || PQgetisnull(s->res, s->row, col))
                return 0;
        v = PQgetvalue(s->res, s->row, col);
        if (v[0] == 't' && v[1] == '\0')
                return 1; /* boolean */
        return strtoll(v, NULL, 10);
}

static const char *pg_text(srv_stmt *st, int col)
{
        struct pg_stmt *s = (struct pg_stmt *)st;

        if (s->row < 0 || s->row >= s->nrows || PQgetisnull(s->res, s->row, col))
                return NULL;
        return PQgetvalue(s->res, s->row, col);
}

static int pg_null(srv_stmt *st, int col)
{
        struct pg_stmt *s = (struct pg_stmt *)st;

        return s->row < 0 || s->row >= s->nrows || PQgetisnull(s->res, s->row, col);
}

static void pg_done(srv_stmt *st)
{
        struct pg_stmt *s = (struct pg_stmt *)st;

        PQclear(s->res);
        s->res = NULL;
        s->busy = 0;
        if (s == &s->db->oneoff)
                s->prepared = 0;
}

/* Bulk: COPY table (columns) FROM STDIN, text format, sent in chunks. */
static int pg_bulk_begin(srv_db *base, srv_bulk *b)
{
        struct pg_db *db = (struct pg_db *)base;
        struct pg_copy *cp = calloc(1, sizeof(*cp));
        size_t len = strlen(b->table) + strlen(b->columns) + 40;
        char *sql = malloc(len);
        PGresult *res;
        int rc = MB_OK;

        if (cp == NULL || sql == NULL) {
                free(cp);
                free(sql);
                return MB_ENOMEM;
        }
        snprintf(sql, len, "COPY %s (%s) FROM STDIN", b->table, b->columns);
        rc = flush(db);
        res = rc < 0 ? NULL : PQexec(db->c, sql);
        free(sql);
        if (rc == MB_OK && PQresultStatus(res) != PGRES_COPY_IN)
                rc = map_error(db, res, "copy");
        PQclear(res);
        if (rc < 0) {
                free(cp);
                return rc;
        }
        b->priv = cp;
        return MB_OK;
}

static int copy_reserve(struct pg_copy *cp, size_t more)
{
        if (cp->len + more <= cp->cap)
                return MB_OK;
        size_t cap = cp->cap ? cp->cap : COPY_CHUNK * 2;
        char *p;

        while (cap < cp->len + more)
                cap *= 2;
        p = realloc(cp->buf, cap);
        if (p == NULL)
                return MB_ENOMEM;
        cp->buf = p;
        cp->cap = cap;
        return MB_OK;
}

/* Append v escaped for COPY text format. */
static int copy_text(struct pg_copy *cp, const char *v)
{
        if (copy_reserve(cp, 2 * strlen(v) + 1) < 0)
                return MB_ENOMEM;
        for (; *v; v++) {
                char c = *v;

                if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
                        cp->buf[cp->len++] = '\\';
                        c = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
                }
                cp->buf[cp->len++] = c;
        }
        return MB_OK;
}

static int pg_bulk_vrow(srv_bulk *b, va_list ap)
{
        struct pg_db *db = (struct pg_db *)b->db;
        struct pg_copy *cp = b->priv;

        for (size_t i = 0; i < b->ncols; i++) {
                char num[24];
                const char *t;
                int64_t v;

                if (copy_reserve(cp, 26) < 0)
                        return MB_ENOMEM;
                if (i)
                        cp->buf[cp->len++] = '\t';
                switch (b->types[i]) {
                case 'i':
                case 'I':
                        v = va_arg(ap, int64_t);
                        if (b->types[i] == 'I' && v == SRV_DB_NULL_I64) {
                                memcpy(cp->buf + cp->len, "\\N", 2);
                                cp->len += 2;
                        } else {
                                int k = snprintf(num, sizeof(num), "%" PRId64, v);

                                memcpy(cp->buf + cp->len, num, (size_t)k);
                                cp->len += (size_t)k;
                        }
                        break;
                case 't':
                        t = va_arg(ap, const char *);
                        if (t == NULL) {
                                memcpy(cp->buf + cp->len, "\\N", 2);
                                cp->len += 2;
                        } else if (copy_text(cp, t) < 0) {
                                return MB_ENOMEM;
                        }
                        break;
                default:
                        snprintf(db->base.err, sizeof(db->base.err), "bad bind type '%c'",
                                 b->types[i]);
                        return MB_EINVAL;
                }
        }
        if (copy_reserve(cp, 1) < 0)
                return MB_ENOMEM;
        cp->buf[cp->len++] = '\n';
        if (cp->len >= COPY_CHUNK) {
                if (PQputCopyData(db->c, cp->buf, (int)cp->len) != 1)
                        return map_error(db, NULL, "copy data");
                cp->len = 0;
        }
        return MB_OK;
}

static int pg_bulk_end(srv_bulk *b, int abort)
{
        struct pg_db *db = (struct pg_db *)b->db;
        struct pg_copy *cp = b->priv;
        PGresult *res;
        int rc = MB_OK;

        if (!abort && cp->len && PQputCopyData(db->c, cp->buf, (int)cp->len) != 1)
                rc = map_error(db, NULL, "copy data");
        if (PQputCopyEnd(db->c, abort || rc < 0 ? "aborted" : NULL) != 1 && rc == MB_OK)
                rc = map_error(db, NULL, "copy end");
        while ((res = PQgetResult(db->c)) != NULL) {
                if (PQresultStatus(res) != PGRES_COMMAND_OK && rc == MB_OK && !abort)
                        rc = map_error(db, res, "copy");
                PQclear(res);
        }
        free(cp->buf);
        free(cp);
        return rc;
}

static const struct srv_db_ops pg_ops = {
    .name = "postgresql",
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .exec_script = pg_exec_script,
    .vquery = pg_vquery,
    .exec_later = pg_exec_later,
    .changes = pg_changes,
    .lock = pg_lock,
    .try_lock = pg_try_lock,
    .lock_many = pg_lock_many,
    .step = pg_step,
    .col_i64 = pg_i64,
    .col_text = pg_text,
    .col_null = pg_null,
    .done = pg_done,
    .bulk_begin = pg_bulk_begin,
    .bulk_vrow = pg_bulk_vrow,
    .bulk_end = pg_bulk_end,
};
