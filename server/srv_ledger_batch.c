/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ledger entries of many accounts written at once (the month close): one
 * query for their ids, one bulk insert (COPY on PostgreSQL) and one
 * statement for the balances on PostgreSQL, where one round trip per
 * account capped the close at a few thousand accounts a second.  SQLite
 * runs in-process: a prepared statement per row costs no round trip there.
 */
#include "srv_ledger.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_time.h"
#include "srv.h"

struct entry {
        int64_t account_id, ts, amount, after;
        const char *kind;
        char month[8];
        char *reference, *reason, *by;
};

struct srv_ledger_batch {
        struct entry *e;
        int64_t *ids;
        size_t n, cap;
};

srv_ledger_batch *srv_ledger_batch_new(void)
{
        return calloc(1, sizeof(srv_ledger_batch));
}

static void clear(srv_ledger_batch *lb)
{
        for (size_t i = 0; i < lb->n; i++) {
                free(lb->e[i].reference);
                free(lb->e[i].reason);
                free(lb->e[i].by);
        }
        lb->n = 0;
}

void srv_ledger_batch_free(srv_ledger_batch *lb)
{
        if (lb == NULL)
                return;
        clear(lb);
        free(lb->e);
        free(lb->ids);
        free(lb);
}

static char *dup_or_null(const char *s, int *oom)
{
        char *d = s ? strdup(s) : NULL;

        if (s && d == NULL)
                *oom = 1;
        return d;
}

int srv_ledger_batch_add(srv_ledger_batch *lb, int64_t account_id, int64_t before,
                         const struct srv_ledger_entry *e, int64_t *balance_after)
{
        struct entry *x;
        int oom = 0;

        if (lb->n && lb->e[lb->n - 1].account_id >= account_id)
                return MB_EINVAL; /* one entry per account, ascending */
        if (lb->n == lb->cap) {
                size_t cap = lb->cap ? lb->cap * 2 : 256;
                struct entry *p = realloc(lb->e, cap * sizeof(*p));
                int64_t *q = realloc(lb->ids, cap * sizeof(*q));

                if (p)
                        lb->e = p;
                if (q)
                        lb->ids = q;
                if (p == NULL || q == NULL)
                        return MB_ENOMEM;
                lb->cap = cap;
        }
        x = &lb->e[lb->n];
        if (__builtin_add_overflow(before, e->amount_fen, &x->after))
                return MB_ERANGE;
        x->account_id = account_id;
        x->ts = mb_realtime_s();
        x->amount = e->amount_fen;
        x->kind = e->kind;
        snprintf(x->month, sizeof(x->month), "%s", e->month ? e->month : "");
        x->reference = dup_or_null(e->reference, &oom);
        x->reason = dup_or_null(e->reason, &oom);
        x->by = dup_or_null(e->by ? e->by : "server", &oom);
        if (oom) {
                free(x->reference);
                free(x->reason);
                free(x->by);
                return MB_ENOMEM;
        }
        if (balance_after)
                *balance_after = x->after;
        return (int)lb->n++;
}

/* The entries' ids, taken before the rows go in (the bills name them):
 * from the identity's sequence on PostgreSQL, which other servers share;
 * after the largest on SQLite, whose one writer is this transaction. */
static int take_ids(srv_db *db, srv_ledger_batch *lb, int pg)
{
        srv_stmt *st = NULL;
        int64_t top = 0;
        size_t k = 0;
        int rc;

        if (!pg) {
                rc = srv_db_query_i64(db, &top, "SELECT max(id) FROM ledger", "");
                for (size_t i = 0; rc >= 0 && i < lb->n; i++)
                        lb->ids[i] = top + 1 + (int64_t)i;
                return rc < 0 ? rc : MB_OK;
        }
        rc = srv_db_query(db, &st,
                          /* the sequence looked up once, not per row */
                          "SELECT nextval(q) FROM (SELECT CAST(pg_get_serial_sequence("
                          "'ledger', 'id') AS regclass) AS q OFFSET 0) s,"
                          " generate_series(1, $1)",
                          "i", (int64_t)lb->n);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW && k < lb->n)
                lb->ids[k++] = srv_stmt_i64(st, 0);
        srv_stmt_done(st);
        if (rc >= 0 && k != lb->n)
                rc = MB_ESTORE;
        return rc < 0 ? rc : MB_OK;
}

static int insert_rows(srv_db *db, srv_ledger_batch *lb)
{
        srv_bulk *bk = NULL;
        int64_t rc = srv_db_bulk_begin(db, &bk, "ledger",
                                       "id, account_id, ts, kind, amount_fen, balance_after_fen,"
                                       " month, reference, reason, by_name",
                                       "iiitiitttt");

        for (size_t i = 0; rc >= 0 && i < lb->n; i++) {
                const struct entry *x = &lb->e[i];

                rc = srv_db_bulk_row(bk, lb->ids[i], x->account_id, x->ts, x->kind, x->amount,
                                     x->after, x->month[0] ? x->month : NULL, x->reference,
                                     x->reason, x->by);
        }
        if (bk)
                rc = rc < 0 ? (srv_db_bulk_end(bk, 1), rc) : srv_db_bulk_end(bk, 0);
        return rc < 0 ? (int)rc : MB_OK;
}

/* "{a,b,...}": an int8[] literal of the accounts' ids or new balances, of
 * the entries that move a balance (*n of them). */
static char *array_text(const srv_ledger_batch *lb, int balances, size_t *n)
{
        char *buf = malloc(lb->n * 21 + 3);
        size_t off = 0;

        if (buf == NULL)
                return NULL;
        *n = 0;
        buf[off++] = '{';
        for (size_t i = 0; i < lb->n; i++)
                if (lb->e[i].amount != 0)
                        off += (size_t)sprintf(buf + off, "%s%" PRId64, (*n)++ ? "," : "",
                                               balances ? lb->e[i].after : lb->e[i].account_id);
        buf[off++] = '}';
        buf[off] = '\0';
        return buf;
}

/* A zero entry (a prepaid bill that continuous deduction already took in
 * full) leaves its balance as it is: no write. */
static int set_balances(srv_db *db, srv_ledger_batch *lb, int pg)
{
        char *ids, *bals;
        size_t n = 0;
        int rc = MB_OK;

        for (size_t i = 0; !pg && rc >= 0 && i < lb->n; i++)
                if (lb->e[i].amount != 0)
                        rc = srv_db_exec_args(db,
                                              "UPDATE accounts SET balance_fen = $1 WHERE id = $2",
                                              "ii", lb->e[i].after, lb->e[i].account_id);
        if (!pg)
                return rc < 0 ? rc : MB_OK;
        ids = array_text(lb, 0, &n);
        bals = array_text(lb, 1, &n);
        if (ids && bals && n == 0) {
                free(ids);
                free(bals);
                return MB_OK;
        }
        /* its outcome comes with the commit's (srv_db_exec_later) */
        rc = ids && bals ? srv_db_exec_later(db,
                                             "UPDATE accounts a SET balance_fen = v.b"
                                             " FROM unnest(CAST($1 AS int8[]), CAST($2 AS int8[]))"
                                             " AS v(id, b) WHERE a.id = v.id",
                                             "tt", ids, bals)
                         : MB_ENOMEM;
        free(ids);
        free(bals);
        return rc < 0 ? rc : MB_OK;
}

int srv_ledger_batch_write(srv_db *db, srv_ledger_batch *lb)
{
        int pg = strcmp(srv_db_backend(db), "postgresql") == 0, rc;

        if (lb->n == 0)
                return MB_OK;
        rc = take_ids(db, lb, pg);
        if (rc == MB_OK)
                rc = set_balances(db, lb, pg);
        if (rc == MB_OK)
                rc = insert_rows(db, lb);
        return rc;
}

int64_t srv_ledger_batch_id(const srv_ledger_batch *lb, int i)
{
        return i >= 0 && (size_t)i < lb->n ? lb->ids[i] : 0;
}

void srv_ledger_batch_reset(srv_ledger_batch *lb)
{
        clear(lb);
}
