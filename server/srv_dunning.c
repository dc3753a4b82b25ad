/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "dunning"
#include "srv_dunning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_commands.h"

#define DAY 86400

void srv_dunning_terms(const struct srv_config *cfg, int64_t issued, int due_days, int grace_days,
                       int64_t *due_at, int64_t *grace_until)
{
        *due_at = issued + (int64_t)(due_days >= 0 ? due_days : cfg->due_days) * DAY;
        *grace_until = *due_at + (int64_t)(grace_days >= 0 ? grace_days : cfg->grace_days) * DAY;
}

/* A bill being dunned, as the pass found it. */
struct dun {
        int64_t account_id, meter_id, gateway_id, grace_until, balance, total;
        int trip_days, protect;
        char month[8], state[16], number[72], address[32];
};

/* The events row of an overdue alarm: ids below the agents' own (which
 * are positive, and their negatives taken by srv_binding.c), one per bill
 * and kind. */
static int64_t event_id(const struct dun *d, int kind)
{
        int months = (atoi(d->month) - 1970) * 12 + atoi(d->month + 5) - 1;

        return -(((int64_t)1 << 60) + d->account_id * 65536 + months * 2 + kind);
}

static int raise_overdue(srv_db *db, const struct dun *d, int64_t now)
{
        char reason[200], body[320];

        if (!d->gateway_id) /* moved out: nothing on site to tell */
                return MB_OK;
        snprintf(reason, sizeof(reason),
                 "the %s bill of %lld fen is overdue: the account owes %lld fen", d->month,
                 (long long)d->total, (long long)-d->balance);
        snprintf(body, sizeof(body),
                 "{\"type\":\"overdue\",\"data\":{\"account\":\"%s\",\"month\":\"%s\","
                 "\"owed_fen\":%lld}}",
                 d->number, d->month, (long long)-d->balance);
        return srv_db_exec_args(db,
                                "INSERT INTO events (gateway_id, id, meter_id, ts, type, reason,"
                                " body, stored_at) VALUES ($1, $2, $3, $4, 'overdue', $5, $6, $4)"
                                " ON CONFLICT (gateway_id, id) DO NOTHING",
                                "iiiitt", d->gateway_id, event_id(d, 0), d->meter_id, now, reason,
                                body);
}

static int set_state(srv_db *db, const struct dun *d, const char *state)
{
        return srv_db_exec_args(
            db, "UPDATE bills SET dunning = $1 WHERE account_id = $2 AND month = $3", "tit", state,
            d->account_id, d->month);
}

/* The next step of one bill: MB_OK or an error; *done says which. */
static int step(struct srv *s, srv_db *db, const struct dun *d, int64_t now,
                struct srv_dunning_sum *sum)
{
        char reason[200];
        int rc;

        if (d->balance >= 0) { /* paid meanwhile */
                sum->paid++;
                return set_state(db, d, "paid");
        }
        if (strcmp(d->state, "open") == 0) {
                mb_notice("account %s: %s bill overdue", d->number, d->month);
                sum->alarmed++;
                rc = raise_overdue(db, d, now);
                return rc < 0 ? rc : set_state(db, d, "alarmed");
        }
        /* alarmed: a trip only where the terms ask for one */
        if (d->trip_days < 0 || now < d->grace_until + (int64_t)d->trip_days * DAY ||
            !d->meter_id || d->protect)
                return MB_OK;
        snprintf(reason, sizeof(reason), "the %s bill is overdue: %lld fen owed", d->month,
                 (long long)-d->balance);
        rc = srv_command_queue(db, d->meter_id, "trip", reason, "dunning", s->cfg->command_ttl_s,
                               NULL);
        if (rc < 0)
                return rc;
        mb_notice("account %s: %s", d->number, reason);
        sum->tripped++;
        return set_state(db, d, "tripped");
}

static int collect(struct srv *s, srv_db *db, int64_t now, struct dun **out, size_t *n)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(
            db, &st,
            "SELECT b.account_id, b.month, b.dunning, b.grace_until, b.total_fen, a.balance_fen,"
            " coalesce(a.overdue_trip_days, $2), a.protected, a.number, m.id, m.gateway_id,"
            " m.address FROM bills b JOIN accounts a ON a.id = b.account_id"
            " LEFT JOIN meters m ON m.account_id = a.id"
            " WHERE b.dunning IN ('open', 'alarmed') AND b.grace_until <= $1"
            " ORDER BY b.account_id, b.month",
            "ii", now, (int64_t)s->cfg->overdue_trip_days);

        *out = NULL;
        *n = 0;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct dun *d;

                if (*n == cap) {
                        struct dun *p = realloc(*out, (cap = cap ? cap * 2 : 16) * sizeof(*p));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        *out = p;
                }
                d = &(*out)[(*n)++];
                memset(d, 0, sizeof(*d));
                d->account_id = srv_stmt_i64(st, 0);
                snprintf(d->month, sizeof(d->month), "%s", srv_stmt_text(st, 1));
                snprintf(d->state, sizeof(d->state), "%s", srv_stmt_text(st, 2));
                d->grace_until = srv_stmt_i64(st, 3);
                d->total = srv_stmt_i64(st, 4);
                d->balance = srv_stmt_i64(st, 5);
                d->trip_days = (int)srv_stmt_i64(st, 6);
                d->protect = (int)srv_stmt_i64(st, 7);
                snprintf(d->number, sizeof(d->number), "%s", srv_stmt_text(st, 8));
                d->meter_id = srv_stmt_is_null(st, 9) ? 0 : srv_stmt_i64(st, 9);
                d->gateway_id = srv_stmt_is_null(st, 10) ? 0 : srv_stmt_i64(st, 10);
                if (!srv_stmt_is_null(st, 11))
                        snprintf(d->address, sizeof(d->address), "%s", srv_stmt_text(st, 11));
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/* Under the account's lock: is d still as the pass found it (another
 * server may have taken the step)?  It takes the balance as it is now. */
static int still(srv_db *db, struct dun *d)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT b.dunning, a.balance_fen FROM bills b JOIN accounts a"
                              " ON a.id = b.account_id WHERE b.account_id = $1 AND b.month = $2",
                              "it", d->account_id, d->month);
        int same = 0;

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                same = !srv_stmt_is_null(st, 0) && strcmp(srv_stmt_text(st, 0), d->state) == 0;
                d->balance = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : same;
}

int srv_dunning_run(struct srv *s, srv_db *db, int64_t now, struct srv_dunning_sum *sum)
{
        struct dun *ds;
        size_t n;
        int rc = collect(s, db, now, &ds, &n);

        memset(sum, 0, sizeof(*sum));
        for (size_t i = 0; rc >= 0 && i < n; i++) {
                rc = srv_db_begin(db);
                if (rc >= 0)
                        rc = srv_db_lock(db, SRV_LOCK_ACCOUNT, ds[i].account_id);
                if (rc >= 0 && (rc = still(db, &ds[i])) > 0)
                        rc = step(s, db, &ds[i], now, sum);
                if (rc >= 0)
                        rc = srv_db_commit(db);
                if (rc < 0)
                        srv_db_rollback(db);
        }
        free(ds);
        return rc < 0 ? rc : MB_OK;
}

/* Trips queued by `by` for meter_id and not yet delivered: cancelled. */
static int cancel_trips(srv_db *db, int64_t meter_id, const char *by1, const char *by2)
{
        return srv_db_exec_args(db,
                                "UPDATE commands SET state = 'cancelled', updated_at = $1"
                                " WHERE meter_id = $2 AND op = 'trip' AND state = 'pending'"
                                " AND by_name IN ($3, $4)",
                                "iitt", mb_realtime_s(), meter_id, by1, by2);
}

int srv_dunning_on_money(struct srv *s, srv_db *db, int64_t account_id)
{
        srv_stmt *st = NULL;
        int64_t balance = 0, reconnect = 0, meter = 0, tripped = 0;
        int prepaid = 0, rc = srv_db_query(db, &st,
                                           "SELECT a.mode, a.balance_fen, a.reconnect_fen, m.id"
                                           " FROM accounts a LEFT JOIN meters m"
                                           " ON m.account_id = a.id WHERE a.id = $1",
                                           "i", account_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                prepaid = strcmp(srv_stmt_text(st, 0), "prepaid") == 0;
                balance = srv_stmt_i64(st, 1);
                reconnect = srv_stmt_i64(st, 2);
                meter = srv_stmt_is_null(st, 3) ? 0 : srv_stmt_i64(st, 3);
        }
        srv_stmt_done(st);
        if (rc <= 0)
                return rc;
        if (prepaid) /* above the reconnect threshold: no cut is due any more */
                return balance >= reconnect && meter
                           ? cancel_trips(db, meter, "settlement", "dunning")
                           : MB_OK;
        if (balance < 0) /* still owing: the dunning goes on */
                return MB_OK;
        /* a dunning trip carried out since the last dunning close */
        rc = meter ? srv_db_query_i64(db, &tripped,
                                      "SELECT count(*) FROM commands WHERE meter_id = $1"
                                      " AND op = 'trip' AND by_name = 'dunning'"
                                      " AND state IN ('delivered', 'done') AND id > coalesce(("
                                      "SELECT max(id) FROM commands WHERE meter_id = $1"
                                      " AND op = 'close' AND by_name = 'dunning'), 0)",
                                      "i", meter)
                   : MB_OK;
        if (rc >= 0)
                rc = srv_db_exec_args(db,
                                      "UPDATE bills SET dunning = 'paid' WHERE account_id = $1"
                                      " AND dunning IN ('open', 'alarmed', 'tripped')",
                                      "i", account_id);
        if (rc >= 0 && meter)
                rc = cancel_trips(db, meter, "dunning", "dunning");
        /* a trip already carried out: the supply comes back */
        if (rc >= 0 && meter && tripped > 0)
                rc = srv_command_queue(db, meter, "close", "the overdue bills are paid", "dunning",
                                       s->cfg->command_ttl_s, NULL);
        return rc < 0 ? rc : MB_OK;
}

void srv_h_dunning(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_dunning_sum sum;
        int rc = srv_dunning_run(rq->srv, rq->db, mb_realtime_s(), &sum);
        json_object *o;

        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_i64(o, "alarmed", sum.alarmed);
        srv_jadd_i64(o, "tripped", sum.tripped);
        srv_jadd_i64(o, "paid", sum.paid);
        srv_reply_json(rs, 200, o);
}
