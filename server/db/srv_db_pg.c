/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db on PostgreSQL (libpq): one connection, named prepared statements
 * cached per handle by the caller's SQL pointer, text-format parameters typed
 * int8/text from the type string, results fetched whole.  Bulk inserts use
 * COPY FROM STDIN.
 *
 * Failover (docs/operations-install.md, High availability).  The conninfo
 * may name several hosts with target_session_attrs=read-write: a connection
 * is always to the primary.  Every round trip runs on a non-blocking socket
 * against a deadline (database.deadline_ms): a primary that stops answering
 * (hung, or its network gone) is dropped like one that died, and the
 * connection is made again, to whichever node is primary, by the next call
 * that needs it (a failed attempt is not repeated for RETRY_GAP_MS, so
 * requests meanwhile get 503 at once).  Work lost with the connection is
 * rolled back by PostgreSQL; srv_db_losses() tells the caller to run it
 * again (srv_http.c does, for the request in flight).
 *
 * A COMMIT whose answer is lost may or may not have committed (cancelled
 * while it waited for the synchronous standby, it even commits locally).  So
 * every commit also writes a token in meterbox_commits (one row per handle,
 * overwritten each time) and an unknown outcome is looked up after
 * reconnecting: the old backend is ended first if it is still there (same
 * node), then the row is read in a transaction whose own synchronous commit
 * proves that what it read is on the standby too.  Committed: the commit
 * returns MB_OK.  Not committed: MB_EBUSY and a loss, the work runs again.
 * Never guessed: unresolved within failover_wait_ms, MB_EBUSY and the token
 * is logged.  A write outside a transaction is wrapped in one for the same
 * reason.
 *
 * Errors map SQLSTATE to the srv_db codes: 23505 unique violation ->
 * MB_EEXIST; 40001 serialization, 40P01 deadlock, 55P03 lock timeout, 57014
 * cancelled, 53300 too many connections -> MB_EBUSY (the caller answers 503
 * and the client retries); 53100 disk full -> MB_ENOSPC (507, as SQLite's
 * SQLITE_FULL); a lost connection MB_EBUSY; anything else MB_ESTORE.
 */
#define MB_LOG_MODULE "db"
#include "srv_db_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "mb_log.h"
#include "mb_time.h"

#define CACHE_SIZE 256
#define MAX_PARAMS 64
#define INT8OID 20
#define TEXTOID 25
#define COPY_CHUNK 65536
#define MAX_QUEUED 64    /* writes in flight before srv_db_exec_later reads answers */
#define RETRY_GAP_MS 500 /* after a failed connection attempt, the next one waits */

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
        PGconn *c; /* NULL: lost, made again by the next call that needs it */
        char *conninfo;
        struct srv_db_pg_opts o;
        int changes;
        int queued;          /* srv_db_exec_later writes sent, answers not read */
        int in_tx;           /* BEGIN answered, no COMMIT or ROLLBACK yet */
        int tx_lost;         /* the connection went inside the transaction */
        unsigned generation; /* bumped by a reconnect: statements prepare again */
        uint64_t losses;
        uint64_t written;  /* commits that did, or may have, committed */
        int64_t retry_at;  /* monotonic ms: no connection attempt before */
        char owner[24];    /* this handle's row in meterbox_commits */
        uint64_t tokens;   /* commits so far: the token is owner-tokens */
        char doubt[48];    /* a commit whose outcome is not known yet, or "" */
        int resolved;      /* its outcome once looked up: 1 committed, 0 not */
        int64_t old_pid;   /* the backend of the connection lost last */
        int64_t old_start; /* and its start (us): pids are reused */
        int64_t pid, start;
        atomic_int reconnecting; /* > 0 while a connection is being made again */
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

static void set_err(struct pg_db *db, const char *what, const char *msg)
{
        size_t n;

        snprintf(db->base.err, sizeof(db->base.err), "%s: %s", what, msg);
        n = strlen(db->base.err);
        while (n && (db->base.err[n - 1] == '\n' || db->base.err[n - 1] == ' '))
                db->base.err[--n] = '\0';
}

/*
 * The connection is gone (or given up on: a deadline passed).  Whatever was
 * in flight is rolled back by the server, except a COMMIT, which the caller
 * marks in doubt.  The next call that needs the database connects again.
 */
static int lose(struct pg_db *db, const char *why)
{
        if (db->c) {
                const char *m = PQerrorMessage(db->c);

                if (m && *m)
                        set_err(db, why, m);
                else
                        snprintf(db->base.err, sizeof(db->base.err), "%s", why);
                mb_warn("postgresql connection lost (%s); reconnecting to the primary",
                        db->base.err);
                db->old_pid = db->pid;
                db->old_start = db->start;
                PQfinish(db->c);
                db->c = NULL;
                db->losses++;
        }
        if (db->in_tx)
                db->tx_lost = 1;
        db->in_tx = 0;
        db->queued = 0;
        return MB_EBUSY;
}

static int map_error(struct pg_db *db, const PGresult *res, const char *what)
{
        const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
        const char *msg = res ? PQresultErrorMessage(res) : NULL;

        if (db->c == NULL || PQstatus(db->c) == CONNECTION_BAD)
                return lose(db, what); /* 503; the caller may run it again */
        set_err(db, what, msg && *msg ? msg : PQerrorMessage(db->c));
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

static int64_t deadline(const struct pg_db *db)
{
        return db->o.deadline_ms > 0 ? mb_monotonic_ms() + db->o.deadline_ms : INT64_MAX;
}

/* Wait for the socket until the deadline: 1 ready, 0 the deadline passed. */
static int wait_sock(struct pg_db *db, short events, int64_t until)
{
        struct pollfd p = {.fd = PQsocket(db->c), .events = events};

        for (;;) {
                int64_t left = until == INT64_MAX ? -1 : until - mb_monotonic_ms();
                int r;

                if (until != INT64_MAX && left <= 0)
                        return 0;
                r = poll(&p, 1, left > 60000 || left < 0 ? 60000 : (int)left);
                if (r > 0)
                        return 1;
                if (r < 0 && errno != EINTR)
                        return 1; /* libpq will see the error itself */
        }
}

/* Send what libpq holds: MB_OK, or the connection is lost (deadline). */
static int push(struct pg_db *db, int64_t until)
{
        int r;

        while ((r = PQflush(db->c)) == 1) {
                if (!wait_sock(db, POLLOUT | POLLIN, until))
                        return lose(db, "no answer within database.deadline_ms");
                if (!PQconsumeInput(db->c)) /* the server may be waiting for us to read */
                        return lose(db, "send");
        }
        return r < 0 ? lose(db, "send") : MB_OK;
}

/* The next result of what was sent, NULL at the end of them; NULL with
 * *rc < 0 when the connection was lost or the deadline passed. */
static PGresult *next_result(struct pg_db *db, int64_t until, int *rc)
{
        *rc = MB_OK;
        while (PQisBusy(db->c)) {
                if (!wait_sock(db, POLLIN, until)) {
                        *rc = lose(db, "no answer within database.deadline_ms");
                        return NULL;
                }
                if (!PQconsumeInput(db->c)) {
                        *rc = lose(db, "receive");
                        return NULL;
                }
        }
        return PQgetResult(db->c);
}

/*
 * Collect the results of one sent command (or several, a simple query with
 * many statements): the last one in *out (the caller's; may be NULL when the
 * caller wants none), MB_OK or the first error.  Stops at COPY IN.
 */
static int collect(struct pg_db *db, int sent, int64_t until, PGresult **out, const char *what)
{
        PGresult *res, *last = NULL;
        int rc = MB_OK, r;

        if (out)
                *out = NULL;
        if (!sent)
                return map_error(db, NULL, what);
        if ((rc = push(db, until)) < 0)
                return rc;
        while ((res = next_result(db, until, &r)) != NULL) {
                ExecStatusType st = PQresultStatus(res);

                if (rc == MB_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                    st != PGRES_COPY_IN && st != PGRES_PIPELINE_SYNC)
                        rc = map_error(db, res, what);
                PQclear(last);
                last = res;
                if (st == PGRES_COPY_IN || st == PGRES_PIPELINE_SYNC)
                        break;
        }
        if (r < 0) {
                PQclear(last);
                return r;
        }
        if (rc == MB_OK && last && PQresultStatus(last) != PGRES_COPY_IN &&
            PQstatus(db->c) == CONNECTION_BAD)
                rc = lose(db, what);
        if (out && rc == MB_OK)
                *out = last;
        else
                PQclear(last);
        return rc;
}

static int connect_primary(struct pg_db *db);

/* Read the outcome of the writes srv_db_exec_later queued, and leave
 * pipeline mode: MB_OK or the first one's error.  Every call that waits
 * for the database comes through here first. */
static int flush(struct pg_db *db)
{
        int64_t until = deadline(db);
        PGresult *res;
        int rc = MB_OK, r = MB_OK;

        if (db->c == NULL || PQpipelineStatus(db->c) == PQ_PIPELINE_OFF)
                return MB_OK;
        if (PQpipelineSync(db->c) != 1 || (r = push(db, until)) < 0)
                return r < 0 ? r : lose(db, "queued writes");
        /* each write's results end with NULL; after an error the rest
         * come back PGRES_PIPELINE_ABORTED; then the sync's own result */
        for (int i = 0; i <= db->queued; i++) {
                while ((res = next_result(db, until, &r)) != NULL) {
                        ExecStatusType st = PQresultStatus(res);

                        if (rc == MB_OK && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                            st != PGRES_PIPELINE_SYNC)
                                rc = map_error(db, res, "queued write");
                        PQclear(res);
                        if (st == PGRES_PIPELINE_SYNC)
                                break;
                }
                if (r < 0)
                        return r;
                if (db->c == NULL)
                        return rc;
        }
        db->queued = 0;
        if (PQexitPipelineMode(db->c) != 1)
                return lose(db, "queued writes");
        return rc;
}

/* A command without parameters (several, separated by ';'): MB_OK or the
 * first error; the last result in *out when out is not NULL. */
static int simple_res(struct pg_db *db, const char *sql, PGresult **out)
{
        int rc = flush(db);

        if (out)
                *out = NULL;
        if (rc < 0)
                return rc;
        if (db->c == NULL)
                return MB_EBUSY;
        return collect(db, PQsendQuery(db->c, sql), deadline(db), out, "exec");
}

static int simple(struct pg_db *db, const char *sql)
{
        return simple_res(db, sql, NULL);
}

/* plan_cache_mode: a database set to force generic plans would also give
 * one to the unnamed statement, undoing srv_db_query_replan.  The backend's
 * pid and start are kept to end it if the connection is lost
 * (end_old_backend). */
static int session_setup(struct pg_db *db)
{
        PGresult *res = NULL;
        char sql[400];
        int rc;

        PQsetNoticeProcessor(db->c, on_notice, NULL);
        if (PQsetnonblocking(db->c, 1) != 0)
                return lose(db, "non-blocking");
        /* jit off: the wall's aggregates over 50,000 meters spent 1.7 s of
         * 2.3 s compiling themselves with LLVM (their estimated cost crosses
         * jit_above_cost through the partitions of readings); the server's
         * queries are short and prepared, so JIT never pays for itself */
        snprintf(sql, sizeof(sql),
                 "SET lock_timeout = %d; SET TIME ZONE 'UTC'; SET plan_cache_mode = auto;"
                 " SET jit = off; SET application_name = 'meterbox-server';"
                 " SELECT pg_backend_pid(), CAST(extract(epoch FROM backend_start) * 1000000"
                 " AS int8) FROM pg_stat_activity WHERE pid = pg_backend_pid()",
                 db->o.lock_timeout_ms);
        rc = simple_res(db, sql, &res);
        if (rc == MB_OK && PQntuples(res) == 1) {
                db->pid = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
                db->start = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        }
        PQclear(res);
        return rc;
}

static void pg_close(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;

        for (int i = 0; i < CACHE_SIZE; i++)
                PQclear(db->cache[i].res);
        PQfinish(db->c);
        free(db->conninfo);
        free(db);
}

/* One attempt at a connection to the primary: libpq tries the hosts in
 * order, each for connect_timeout, and keeps the first read-write one
 * (target_session_attrs in the conninfo).  connect_timeout before dbname:
 * the conninfo's own value wins. */
static int open_conn(struct pg_db *db)
{
        const char *keys[] = {"connect_timeout", "dbname", NULL};
        char ct[16];
        const char *vals[] = {ct, db->conninfo, NULL};

        snprintf(ct, sizeof(ct), "%d", db->o.connect_timeout_s > 0 ? db->o.connect_timeout_s : 2);
        db->c = PQconnectdbParams(keys, vals, 1);
        if (db->c == NULL) {
                set_err(db, "connect", "out of memory");
                return MB_ENOMEM;
        }
        if (PQstatus(db->c) != CONNECTION_OK) {
                set_err(db, "connect", PQerrorMessage(db->c));
                PQfinish(db->c);
                db->c = NULL;
                return MB_EBUSY;
        }
        db->generation++;
        return session_setup(db);
}

/*
 * The backend of the connection lost last, if it still runs on this node (a
 * deadline passed while it worked or waited): ended, and waited for, so that
 * its transaction is over (and its locks free) before anything is decided
 * or done again.  On another node nothing matches.
 */
static int end_old_backend(struct pg_db *db)
{
        PGresult *res = NULL;
        char sql[300];
        int rc;

        if (db->old_pid == 0)
                return MB_OK;
        snprintf(sql, sizeof(sql),
                 "SELECT pg_terminate_backend(pid, %d) FROM pg_stat_activity WHERE pid = %" PRId64
                 " AND CAST(extract(epoch FROM backend_start) * 1000000 AS int8) = %" PRId64,
                 db->o.deadline_ms > 0 ? db->o.deadline_ms : 10000, db->old_pid, db->old_start);
        rc = simple_res(db, sql, &res);
        if (rc == MB_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
                set_err(db, "reconnect", "the lost connection's backend did not end");
                rc = MB_EBUSY;
        }
        PQclear(res);
        if (rc == MB_OK)
                db->old_pid = 0;
        return rc;
}

/* This handle's token for its next commit. */
static void next_token(struct pg_db *db, char *tok, size_t len)
{
        snprintf(tok, len, "%s-%" PRIu64, db->owner, ++db->tokens);
}

/* The upsert of the token into row `owner`, then COMMIT, as one simple
 * query. */
static void commit_sql(const char *owner, const char *tok, char *sql, size_t len)
{
        snprintf(sql, len,
                 "INSERT INTO meterbox_commits (owner, token) VALUES ('%s', '%s')"
                 " ON CONFLICT (owner) DO UPDATE SET token = excluded.token, at = now();"
                 " COMMIT",
                 owner, tok);
}

/*
 * The commit in doubt, looked up on the (new) primary: 1 committed, 0 not,
 * or an error (the connection went again).  The lookup's own commit waits
 * for the synchronous standby like any other, and comes after the doubtful
 * one in the WAL: once it returns, what it saw is replicated.  It writes a
 * row of its own (owner-l): a lookup whose answer is lost in turn (the
 * standby still gone) may have committed, and had it overwritten the
 * handle's row, the next lookup would find the doubtful token gone and
 * take a commit that happened for one that did not.  Not a transaction of
 * the caller's (in_tx, tx_lost untouched): it handles its own loss.
 */
static int lookup_doubt(struct pg_db *db)
{
        PGresult *res = NULL;
        char sql[400], tok[48], cs[300], row[32];
        int rc, found;

        next_token(db, tok, sizeof(tok));
        snprintf(row, sizeof(row), "%s-l", db->owner);
        commit_sql(row, tok, cs, sizeof(cs));
        snprintf(sql, sizeof(sql), "BEGIN; SELECT token FROM meterbox_commits WHERE owner = '%s'",
                 db->owner);
        rc = simple_res(db, sql, &res);
        if (rc < 0) {
                PQclear(res);
                return rc;
        }
        found = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), db->doubt) == 0;
        PQclear(res);
        rc = simple(db, cs);
        return rc < 0 ? rc : found;
}

/* Connect to the primary, unless a failed attempt was moments ago; end the
 * old backend; resolve a commit in doubt.  MB_OK, or MB_EBUSY (no primary:
 * the caller answers 503). */
static int connect_primary(struct pg_db *db)
{
        int64_t now = mb_monotonic_ms();
        int rc;

        if (db->c)
                return MB_OK;
        if (now < db->retry_at) {
                set_err(db, "connect", "no primary reachable a moment ago; not tried again yet");
                return MB_EBUSY;
        }
        atomic_fetch_add(&db->reconnecting, 1);
        rc = open_conn(db);
        if (rc == MB_OK)
                rc = end_old_backend(db);
        if (rc == MB_OK && db->doubt[0]) {
                rc = lookup_doubt(db);
                if (rc >= 0) {
                        db->resolved = rc;
                        if (!rc) /* counted as written while it was in doubt */
                                db->written--;
                        mb_notice("commit %s in doubt after a lost connection: %s", db->doubt,
                                  rc ? "it committed" : "it did not commit");
                        db->doubt[0] = '\0';
                        rc = MB_OK;
                }
        }
        atomic_fetch_sub(&db->reconnecting, 1);
        if (rc < 0) {
                if (db->c)
                        lose(db, "reconnect");
                db->retry_at = mb_monotonic_ms() + RETRY_GAP_MS;
                return MB_EBUSY;
        }
        mb_notice("connected to the primary %s:%s", PQhost(db->c), PQport(db->c));
        return MB_OK;
}

/* The connection to use now: MB_OK, or MB_EBUSY while a transaction lost
 * with the last one is not rolled back yet, or no primary is reachable. */
static int ready(struct pg_db *db)
{
        if (db->tx_lost) {
                snprintf(db->base.err, sizeof(db->base.err),
                         "the connection was lost inside this transaction");
                return MB_EBUSY;
        }
        return connect_primary(db);
}

int srv_db_open_pg(const char *conninfo, const struct srv_db_pg_opts *o, srv_db **out, char *err,
                   size_t errlen)
{
        struct pg_db *db = calloc(1, sizeof(*db));
        int rc;

        *out = NULL;
        if (db == NULL || (db->conninfo = strdup(conninfo)) == NULL) {
                free(db);
                snprintf(err, errlen, "out of memory");
                return MB_ENOMEM;
        }
        db->base.ops = &pg_ops;
        db->o = *o;
        snprintf(db->owner, sizeof(db->owner), "%08x%08x",
                 (unsigned)mb_monotonic_ms() ^ (unsigned)getpid(),
                 (unsigned)random() ^ (unsigned)time(NULL));
        rc = open_conn(db);
        /* the commit tokens' table: the backend's own, beside the schema */
        if (rc == MB_OK)
                rc = simple(db,
                            "BEGIN; SELECT pg_advisory_xact_lock(3 << 56);"
                            " CREATE TABLE IF NOT EXISTS meterbox_commits (owner TEXT PRIMARY KEY,"
                            " token TEXT NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now());"
                            " DELETE FROM meterbox_commits WHERE at < now() - interval '7 days';"
                            " COMMIT");
        if (rc < 0) {
                snprintf(err, errlen, "%s", db->base.err);
                pg_close(&db->base);
                return MB_ESTORE;
        }
        *out = &db->base;
        return MB_OK;
}

/* Schema scripts only (start-up): no deadline, a migration of a large table
 * may take long; a hung primary then holds up the start, which is seen. */
static int pg_exec_script(srv_db *base, const char *sql)
{
        struct pg_db *db = (struct pg_db *)base;
        int rc = ready(db);

        if (rc == MB_OK)
                rc = flush(db);
        if (rc == MB_OK && db->c == NULL)
                rc = MB_EBUSY;
        return rc < 0 ? rc : collect(db, PQsendQuery(db->c, sql), INT64_MAX, NULL, "exec");
}

static uint64_t pg_losses(srv_db *base)
{
        return ((struct pg_db *)base)->losses;
}

static uint64_t pg_written(srv_db *base)
{
        return ((struct pg_db *)base)->written;
}

static int pg_reconnecting(srv_db *base)
{
        return atomic_load(&((struct pg_db *)base)->reconnecting) > 0;
}

/* Reconnect within ms: MB_OK connected to the primary, or MB_EBUSY. */
static int pg_wait_primary(srv_db *base, int ms)
{
        struct pg_db *db = (struct pg_db *)base;
        int64_t give_up = mb_monotonic_ms() + ms;
        int rc = MB_EBUSY;

        if (db->c)
                return MB_OK;
        atomic_fetch_add(&db->reconnecting, 1);
        for (;;) {
                int64_t wait;

                if (connect_primary(db) == MB_OK) {
                        rc = MB_OK;
                        break;
                }
                wait = db->retry_at - mb_monotonic_ms();
                if (mb_monotonic_ms() + (wait > 0 ? wait : 0) >= give_up)
                        break;
                if (wait > 0)
                        mb_sleep_ms(wait);
        }
        atomic_fetch_sub(&db->reconnecting, 1);
        return rc;
}

static int pg_begin(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;
        int rc;

        db->tx_lost = 0; /* a new unit of work: the lost one is gone */
        rc = ready(db);
        if (rc == MB_OK)
                rc = simple(db, "BEGIN");
        db->in_tx = rc == MB_OK;
        return rc;
}

/* The commit's token goes in with it; a lost answer is a commit in doubt,
 * resolved on reconnecting (connect_primary), within failover_wait_ms. */
static int pg_commit(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;
        int64_t give_up;
        char sql[300], tok[48];
        uint64_t lost;
        int rc;

        if (db->tx_lost || db->c == NULL) {
                db->tx_lost = 0;
                snprintf(db->base.err, sizeof(db->base.err),
                         "the connection was lost inside this transaction");
                return MB_EBUSY;
        }
        if ((rc = flush(db)) < 0)
                return rc;
        next_token(db, tok, sizeof(tok));
        commit_sql(db->owner, tok, sql, sizeof(sql));
        lost = db->losses;
        rc = simple(db, sql);
        db->in_tx = 0;
        db->tx_lost = 0;
        if (rc == MB_OK || db->losses == lost) {
                db->written += rc == MB_OK;
                return rc; /* done, or refused (rolled back) */
        }
        db->written++; /* until it is found not to have committed */
        snprintf(db->doubt, sizeof(db->doubt), "%s", tok);
        db->resolved = 0;
        mb_warn("commit %s in doubt: the connection went while it ran; looking it up", tok);
        give_up = mb_monotonic_ms() + db->o.failover_wait_ms;
        atomic_fetch_add(&db->reconnecting, 1);
        do {
                db->retry_at = 0;
                if (connect_primary(db) == MB_OK && db->doubt[0] == '\0')
                        break;
                mb_sleep_ms(200);
        } while (mb_monotonic_ms() < give_up);
        atomic_fetch_sub(&db->reconnecting, 1);
        if (db->doubt[0]) {
                mb_err_log("commit %s: outcome unknown, no primary within failover_wait_ms; it is "
                           "looked up at the next connection",
                           tok);
                return MB_EBUSY;
        }
        /* not committed: the loss is counted, so the caller runs it again */
        return db->resolved ? MB_OK : MB_EBUSY;
}

static int pg_rollback(srv_db *base)
{
        struct pg_db *db = (struct pg_db *)base;

        db->tx_lost = 0;
        if (db->c == NULL)
                return MB_OK; /* the transaction went with the connection */
        flush(db);            /* a queued write's error is why we are here */
        db->in_tx = 0;
        if (db->c == NULL || PQtransactionStatus(db->c) == PQTRANS_IDLE)
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
        rc = collect(db, PQsendPrepare(db->c, s->name, sql, (int)n, oids), deadline(db), &res,
                     "prepare");
        if (rc == MB_OK)
                s->prepared = 1;
        else if (db->c) /* not a lost connection: a bad statement */
                mb_err_log("cannot prepare [%s]: %s", sql, db->base.err);
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

/* A statement that only reads: it may run again after a lost connection
 * without asking whether it ran. */
static int is_read(const char *sql)
{
        sql += strspn(sql, " \t\n(");
        return strncasecmp(sql, "SELECT", 6) == 0;
}

static int vquery(struct pg_db *db, srv_stmt **out, const char *sql, int replan, const char *types,
                  va_list ap);

static int pg_commit(srv_db *base);

/* A write outside a transaction runs in one of its own, so that its commit
 * carries a token like any other (a lost answer is looked up, not guessed). */
static int pg_vquery(srv_db *base, srv_stmt **out, const char *sql, int replan, const char *types,
                     va_list ap)
{
        struct pg_db *db = (struct pg_db *)base;
        int rc;

        *out = NULL;
        if (db->in_tx || db->tx_lost || is_read(sql))
                return vquery(db, out, sql, replan, types, ap);
        if ((rc = pg_begin(base)) < 0)
                return rc;
        rc = vquery(db, out, sql, replan, types, ap);
        if (rc == MB_OK) {
                int changes = db->changes;

                rc = pg_commit(base);
                db->changes = changes;
        } else {
                pg_rollback(base);
        }
        if (rc < 0 && *out) {
                srv_stmt_done(*out);
                *out = NULL;
        }
        return rc;
}

static int vquery(struct pg_db *db, srv_stmt **out, const char *sql, int replan, const char *types,
                  va_list ap)
{
        size_t n = types ? strlen(types) : 0;
        struct pg_stmt *s;
        char nums[MAX_PARAMS][24];
        const char *values[MAX_PARAMS];
        PGresult *res = NULL;
        int rc = ready(db);

        *out = NULL;
        if (rc == MB_OK)
                rc = flush(db);
        if (rc < 0)
                return rc;
        if (db->c == NULL)
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
        rc = collect(db, PQsendQueryPrepared(db->c, s->name, (int)n, values, NULL, NULL, 0),
                     deadline(db), &res, "query");
        if (rc < 0 || res == NULL) {
                PQclear(res);
                if (s == &db->oneoff)
                        s->prepared = 0;
                return rc < 0 ? rc : lose(db, "query");
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

        if (rc == MB_OK && st == NULL)
                rc = MB_EBUSY;

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

        if ((rc = ready(db)) < 0)
                return rc;
        if (PQpipelineStatus(db->c) == PQ_PIPELINE_OFF && !db->in_tx)
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
                return map_error(db, NULL, "queue write");
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
        rc = ready(db);
        if (rc == MB_OK)
                rc = flush(db);
        if (rc == MB_OK && db->c == NULL)
                rc = MB_EBUSY;
        res = NULL;
        if (rc == MB_OK)
                rc = collect(db, PQsendQuery(db->c, sql), deadline(db), &res, "copy");
        free(sql);
        if (rc == MB_OK && (res == NULL || PQresultStatus(res) != PGRES_COPY_IN))
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

/* COPY data through the non-blocking socket, against the deadline. */
static int copy_put(struct pg_db *db, const char *buf, size_t len)
{
        int64_t until = deadline(db);
        int r;

        if (db->c == NULL)
                return MB_EBUSY;
        while ((r = PQputCopyData(db->c, buf, (int)len)) == 0)
                if (push(db, until) < 0)
                        return MB_EBUSY;
        return r < 0 ? map_error(db, NULL, "copy data") : push(db, until);
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
                int rc = copy_put(db, cp->buf, cp->len);

                if (rc < 0)
                        return rc;
                cp->len = 0;
        }
        return MB_OK;
}

static int pg_bulk_end(srv_bulk *b, int abort)
{
        struct pg_db *db = (struct pg_db *)b->db;
        struct pg_copy *cp = b->priv;
        int64_t until = deadline(db);
        int rc = MB_OK, r;

        if (!abort && cp->len)
                rc = copy_put(db, cp->buf, cp->len);
        while (db->c && (r = PQputCopyEnd(db->c, abort || rc < 0 ? "aborted" : NULL)) == 0)
                if (push(db, until) < 0)
                        break;
        if (db->c == NULL) {
                rc = MB_EBUSY;
        } else {
                r = collect(db, 1, until, NULL, "copy");
                if (rc == MB_OK && !abort)
                        rc = r;
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
    .losses = pg_losses,
    .wait_primary = pg_wait_primary,
    .reconnecting = pg_reconnecting,
    .written = pg_written,
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
