/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "settle"
#include "srv_settle_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_log.h"
#include "mb_tariff.h"
#include "mb_time.h"
#include "srv_buf.h"
#include "srv_commands.h"
#include "srv_compare.h"
#include "srv_ledger.h"
#include "srv_metrics.h"
#include "srv_month.h"
#include "srv_reading_row.h"
#include "srv_tariffs.h"
#include "srv_webhook.h"

#define SETTLED SRV_SETTLED
#define HELD SRV_HELD
#define ALREADY SRV_ALREADY
#define SKIPPED SRV_SKIPPED
#define bill srv_bill
#define boundary srv_boundary

static int find_boundary(srv_db *db, int64_t meter_id, int64_t from, int64_t to, struct boundary *b)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT seq, ts, import_wh, " SRV_READING_RATES
                              " FROM readings WHERE meter_id = $1"
                              " AND kind = 'boundary' AND ts >= $2 AND ts < $3"
                              " AND import_wh IS NOT NULL ORDER BY ts, seq LIMIT 1",
                              "iii", meter_id, from, to);

        memset(b, 0, sizeof(*b));
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                b->found = 1;
                b->seq = srv_stmt_i64(st, 0);
                b->r.t = srv_stmt_i64(st, 1);
                b->r.import_wh = srv_stmt_i64(st, 2);
                srv_reading_row_rates(st, 3, &b->r);
        }
        srv_stmt_done(st);
        if (rc < 0 || b->found)
                return rc < 0 ? rc : MB_OK;
        /* fall back to the meter's own frozen register */
        rc = srv_db_query(db, &st,
                          "SELECT seq, frozen_time, frozen_import_wh FROM readings"
                          " WHERE meter_id = $1 AND frozen_time >= $2 AND frozen_time < $3"
                          " ORDER BY frozen_time, seq LIMIT 1",
                          "iii", meter_id, from, to);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                b->found = b->frozen = 1;
                b->seq = srv_stmt_i64(st, 0);
                b->r.t = srv_stmt_i64(st, 1);
                b->r.import_wh = srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

/* Did a register go backwards between the two boundaries? */
static int went_backwards(srv_db *db, int64_t meter_id, int64_t from, int64_t to)
{
        int64_t n = 0, ev = 0;
        int rc = srv_db_query_i64(db, &n,
                                  "SELECT count(*) FROM (SELECT import_wh - lag(import_wh)"
                                  " OVER (ORDER BY seq) AS d FROM readings WHERE meter_id = $1"
                                  " AND ts >= $2 AND ts <= $3 AND import_wh IS NOT NULL) x"
                                  " WHERE d < 0",
                                  "iii", meter_id, from, to);

        if (rc >= 0)
                rc = srv_db_query_i64(db, &ev,
                                      "SELECT count(*) FROM events WHERE meter_id = $1 AND ts >= $2"
                                      " AND ts <= $3 AND type IN ('register_backwards',"
                                      " 'register_reset')",
                                      "iii", meter_id, from, to);
        return rc < 0 ? rc : (n > 0 || ev > 0);
}

/* Append v in decimal to out. */
static void put_i64(struct srv_buf *out, const char *name, int64_t v)
{
        char d[24], *p = d + sizeof(d);
        uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

        do
                *--p = (char)('0' + u % 10);
        while ((u /= 10) != 0);
        if (v < 0)
                *--p = '-';
        srv_buf_puts(out, name);
        srv_buf_add(out, p, (size_t)(d + sizeof(d) - p));
}

/* The bill's lines as the JSON array the bills API returns, written
 * straight from the integers: a json-c tree of eight members per line cost
 * an eighth of a month close, and printf of eight numbers a line 3%.
 * Caller frees; NULL when out of memory. */
static char *lines_text(const mb_tariff_acc *acc)
{
        struct srv_buf out = {0};
        mb_tariff_line l;

        srv_buf_puts(&out, "[");
        for (size_t i = 0; mb_tariff_acc_line(acc, i, &l) == MB_OK; i++) {
                put_i64(&out, i ? ",{\"kind\":" : "{\"kind\":", l.kind);
                put_i64(&out, ",\"version\":", l.version);
                put_i64(&out, ",\"tier\":", l.tier);
                put_i64(&out, ",\"rate\":", l.rate);
                put_i64(&out, ",\"qty\":", l.qty);
                put_i64(&out, ",\"price\":", l.price);
                put_i64(&out, ",\"exact\":", l.exact);
                put_i64(&out, ",\"fen\":", l.fen);
                srv_buf_puts(&out, "}");
        }
        srv_buf_puts(&out, "]");
        return srv_buf_take(&out);
}

static int save_bill(srv_db *db, const struct bill *b, int settled)
{
        /* most bills have no flags: no json-c tree for them */
        json_object *flags = b->flags ? srv_compare_flags_json(b->flags) : NULL;
        const char *ftext =
            flags ? json_object_to_json_string_ext(flags, JSON_C_TO_STRING_PLAIN) : "[]";
        char *lines = settled ? lines_text(b->acc) : NULL;
        int64_t now = mb_realtime_s();
        int rc;

        if (settled && lines == NULL) {
                json_object_put(flags);
                return MB_ENOMEM;
        }
#define NUL_UNLESS(c, v) ((c) ? (v) : SRV_DB_NULL_I64)
        /* on PostgreSQL sent without waiting: the next account's ledger
         * insert or the commit reads its outcome (srv_db_exec_later) */
        rc = srv_db_exec_later(
            db,
            "INSERT INTO bills (account_id, month, meter_id, state, mode, tariff_id,"
            " tariff_hash, from_ts, to_ts, from_import_wh, to_import_wh, energy_wh,"
            " total_fen, lines, flags, prev_wh, prev_fen, last_year_wh, last_year_fen,"
            " charged_fen, posted_fen, ledger_id, created_at, settled_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, $18, $19, $20, $21, $22, $23, $24)"
            " ON CONFLICT (account_id, month) DO UPDATE SET meter_id = excluded.meter_id,"
            " state = excluded.state, mode = excluded.mode, tariff_id = excluded.tariff_id,"
            " tariff_hash = excluded.tariff_hash, from_ts = excluded.from_ts,"
            " to_ts = excluded.to_ts, from_import_wh = excluded.from_import_wh,"
            " to_import_wh = excluded.to_import_wh, energy_wh = excluded.energy_wh,"
            " total_fen = excluded.total_fen, lines = excluded.lines, flags = excluded.flags,"
            " prev_wh = excluded.prev_wh, prev_fen = excluded.prev_fen,"
            " last_year_wh = excluded.last_year_wh, last_year_fen = excluded.last_year_fen,"
            " charged_fen = excluded.charged_fen, posted_fen = excluded.posted_fen,"
            " ledger_id = excluded.ledger_id, settled_at = excluded.settled_at",
            "itittttIIIIIItt"
            "IIIIIIIiI",
            b->account_id, b->month, b->meter_id, settled ? "settled" : "held", b->mode,
            b->tariff_id[0] ? b->tariff_id : NULL, b->hash[0] ? b->hash : NULL,
            NUL_UNLESS(b->b0.found, b->b0.r.t), NUL_UNLESS(b->b1.found, b->b1.r.t),
            NUL_UNLESS(b->b0.found, b->b0.r.import_wh), NUL_UNLESS(b->b1.found, b->b1.r.import_wh),
            NUL_UNLESS(settled, b->energy), NUL_UNLESS(settled, b->total), lines, ftext,
            NUL_UNLESS(b->has_prev, b->prev_wh), NUL_UNLESS(b->has_prev, b->prev_fen),
            NUL_UNLESS(b->has_year, b->year_wh), NUL_UNLESS(b->has_year, b->year_fen),
            NUL_UNLESS(settled, b->charged), NUL_UNLESS(settled, b->posted),
            NUL_UNLESS(settled, b->ledger_id), now, NUL_UNLESS(settled, now));
#undef NUL_UNLESS
        if (rc >= 0 && b->flags) /* an anomaly: queue its webhooks in this transaction */
                rc = srv_webhook_on_bill(db, b->account_id, b->month, settled, ftext, b->energy,
                                         b->total);
        json_object_put(flags);
        free(lines);
        return rc < 0 ? rc : MB_OK;
}

/* The settled bill of another month: 1 with energy and total, 0, or error. */
static int other_month(srv_db *db, int64_t account_id, const char *month, int delta, int64_t *wh,
                       int64_t *fen)
{
        char m[8];
        srv_stmt *st = NULL;
        int rc = srv_month_add(month, delta, m);

        if (rc < 0)
                return 0;
        rc = srv_db_query(db, &st,
                          "SELECT energy_wh, total_fen FROM bills WHERE account_id = $1"
                          " AND month = $2 AND state = 'settled'",
                          "it", account_id, m);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                *wh = srv_stmt_i64(st, 0);
                *fen = srv_stmt_i64(st, 1);
        }
        srv_stmt_done(st);
        return rc;
}

/* Post the bill: the deduction (monthly) or the difference between the bill
 * and what continuous deduction already took (prepaid). */
static int post(srv_db *db, struct bill *b, const char *by)
{
        struct srv_ledger_entry e = {.month = b->month, .by = by};
        char ref[32], reason[160];
        int64_t sum = b->charge_sum;
        int rc = b->pre ? MB_OK
                        : srv_db_query_i64(db, &sum,
                                           "SELECT coalesce(sum(amount_fen), 0) FROM ledger WHERE"
                                           " account_id = $1 AND month = $2 AND kind = 'charge'",
                                           "it", b->account_id, b->month);

        if (rc < 0)
                return rc;
        b->charged = b->prepaid ? -sum : 0;
        b->posted = b->prepaid ? b->charged - b->total : -b->total;
        snprintf(ref, sizeof(ref), "bill:%s", b->month);
        snprintf(reason, sizeof(reason), "bill %s: %lld Wh, %lld fen%s", b->month,
                 (long long)b->energy, (long long)b->total,
                 b->prepaid ? " less continuous deduction" : "");
        e.kind = b->prepaid ? SRV_LEDGER_SETTLE : SRV_LEDGER_BILL;
        e.amount_fen = b->posted;
        e.reference = ref;
        e.reason = reason;
        if (b->pre) /* the chunk read the balance under the account's lock */
                return srv_ledger_post_from(db, b->account_id, b->balance_before, &e, &b->ledger_id,
                                            &b->balance_after);
        return srv_ledger_post(db, b->account_id, &e, &b->ledger_id, &b->balance_after);
}

/* Queue a trip when the balance is now below the credit limit. */
static int maybe_trip(struct srv *s, srv_db *db, const struct bill *b)
{
        srv_stmt *st = NULL;
        int64_t bal = 0, limit = 0, pending = 0;
        int protect = 1, active = 0;
        char reason[200];
        int rc = MB_OK;

        if (b->pre) {
                bal = b->balance_after;
                limit = b->credit_limit;
                protect = b->protect;
                active = b->active;
        } else if ((rc = srv_db_query(db, &st,
                                      "SELECT balance_fen, credit_limit_fen, protected, state"
                                      " FROM accounts WHERE id = $1",
                                      "i", b->account_id)) >= 0 &&
                   (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                bal = srv_stmt_i64(st, 0);
                limit = srv_stmt_i64(st, 1);
                protect = (int)srv_stmt_i64(st, 2);
                active = strcmp(srv_stmt_text(st, 3), "active") == 0;
        }
        srv_stmt_done(st);
        if (rc < 0 || protect || !active || bal >= limit)
                return rc < 0 ? rc : MB_OK;
        rc = srv_db_query_i64(db, &pending,
                              "SELECT count(*) FROM commands WHERE meter_id = $1 AND op = 'trip'"
                              " AND state IN ('pending', 'delivered') AND expires_at > $2",
                              "ii", b->meter_id, mb_realtime_s());
        if (rc < 0 || pending > 0)
                return rc < 0 ? rc : MB_OK;
        snprintf(reason, sizeof(reason),
                 "balance %lld fen below credit limit %lld fen after the %s bill", (long long)bal,
                 (long long)limit, b->month);
        return srv_command_queue(db, b->meter_id, "trip", reason, "settlement",
                                 s->cfg->command_ttl_s, NULL);
}

/* Boundaries, tariff and flags; 1 when the bill can be computed. */
static int prepare(struct srv *s, srv_db *db, struct bill *b)
{
        char m1[8], m2[8];
        int64_t t0 = 0, t1 = 0, t2 = 0;
        const mb_tariff *t = b->tariff; /* prefetched, or looked up below */
        int rc = MB_OK;

        if (!b->b0.found || !b->b1.found) { /* both prefetched: no window needed */
                rc = srv_month_start(b->month, &t0);
                if (rc == MB_OK && (rc = srv_month_add(b->month, 1, m1)) == MB_OK &&
                    (rc = srv_month_add(b->month, 2, m2)) == MB_OK &&
                    (rc = srv_month_start(m1, &t1)) == MB_OK)
                        rc = srv_month_start(m2, &t2);
        }
        if (rc == MB_OK && !b->b0.found) /* prefetched, or looked up here */
                rc = find_boundary(db, b->meter_id, t0, t1, &b->b0);
        if (rc == MB_OK && !b->b1.found)
                rc = find_boundary(db, b->meter_id, t1, t2, &b->b1);
        if (rc < 0)
                return rc;
        if (b->b0.frozen || b->b1.frozen)
                b->flags |= SRV_FLAG_FROZEN_FALLBACK;
        if (!b->b0.found || !b->b1.found) {
                b->flags |= SRV_FLAG_MISSING_BOUNDARY;
                return 0;
        }
        rc = b->pre && b->pre_backwards >= 0
                 ? b->pre_backwards
                 : went_backwards(db, b->meter_id, b->b0.r.t, b->b1.r.t);
        if (rc < 0)
                return rc;
        if (rc > 0 || b->b1.r.import_wh < b->b0.r.import_wh)
                b->flags |= SRV_FLAG_REGISTER_BACKWARDS;
        if (b->b1.r.import_wh < b->b0.r.import_wh)
                return 0;
        rc = t ? 1
               : srv_tariff_for_account(s, db, b->account_id, b->b0.r.t, &t, b->tariff_id, b->hash);
        if (rc < 0)
                return rc;
        if (rc == 0) {
                b->flags |= SRV_FLAG_NO_TARIFF;
                return 0;
        }
        b->tariff = t;
        return 1;
}

static int compute(struct srv *s, srv_db *db, struct bill *b)
{
        const mb_tariff *t = b->tariff; /* from prepare() */
        mb_tier_pos pos = {0, 0};
        struct srv_compare_in in = {0};
        char err[256];
        int rc;

        if (t == NULL)
                return MB_ENOENT;
        b->b0.r.has_rates = b->b0.r.has_rates && b->b1.r.has_rates;
        b->b1.r.has_rates = b->b0.r.has_rates;
        rc = mb_tariff_bill_month(t, &b->b0.r, &b->b1.r, 0, &pos, b->acc, err, sizeof(err));
        if (rc == MB_OK)
                rc = mb_tariff_acc_total(b->acc, &b->total);
        if (rc < 0) {
                mb_err_log("account %lld %s: bill: %s", (long long)b->account_id, b->month, err);
                return rc;
        }
        b->energy = b->b1.r.import_wh - b->b0.r.import_wh;
        if (!b->pre) { /* else prefetched */
                if ((rc = other_month(db, b->account_id, b->month, -1, &b->prev_wh, &b->prev_fen)) <
                        0 ||
                    (b->has_prev = rc, rc = other_month(db, b->account_id, b->month, -12,
                                                        &b->year_wh, &b->year_fen)) < 0)
                        return rc;
                b->has_year = rc;
        }
        in.wh = b->energy;
        in.has_prev = b->has_prev;
        in.prev_wh = b->prev_wh;
        in.has_last_year = b->has_year;
        in.last_year_wh = b->year_wh;
        in.backwards = (b->flags & SRV_FLAG_REGISTER_BACKWARDS) != 0;
        b->flags |= srv_compare_flags(&in, s->cfg->jump_milli);
        return MB_OK;
}

static int load_account(srv_db *db, struct bill *b)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT m.id, a.mode FROM accounts a JOIN meters m ON"
                              " m.account_id = a.id WHERE a.id = $1",
                              "i", b->account_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                b->meter_id = srv_stmt_i64(st, 0);
                snprintf(b->mode, sizeof(b->mode), "%s", srv_stmt_text(st, 1));
                b->prepaid = strcmp(b->mode, "prepaid") == 0;
        }
        srv_stmt_done(st);
        return rc;
}

int srv_settle_in_tx(struct srv *s, srv_db *db, struct bill *b, const char *by)
{
        int64_t done = b->pre_done;
        /* Two servers closing the same month meet here: the second waits, then
         * finds the bill settled.  (A prefetched bill's chunk holds the lock.) */
        int rc = b->pre ? MB_OK : srv_db_lock(db, SRV_LOCK_ACCOUNT, b->account_id);

        if (rc == MB_OK && !b->pre)
                rc = srv_db_query_i64(db, &done,
                                      "SELECT count(*) FROM bills WHERE account_id = $1 AND"
                                      " month = $2 AND state = 'settled'",
                                      "it", b->account_id, b->month);
        if (rc < 0)
                return rc;
        if (done)
                return ALREADY;
        rc = b->pre ? SRV_DB_ROW : load_account(db, b);
        if (rc <= 0)
                return rc < 0 ? rc : SKIPPED;
        rc = prepare(s, db, b);
        if (rc < 0)
                return rc;
        if (rc == 0)
                return (rc = save_bill(db, b, 0)) < 0 ? rc : HELD;
        if ((rc = compute(s, db, b)) < 0 || (rc = post(db, b, by)) < 0 ||
            (rc = save_bill(db, b, 1)) < 0 || (rc = maybe_trip(s, db, b)) < 0)
                return rc;
        return SETTLED;
}

/* Settle one account-month in its own transaction.  An outcome or error;
 * b is the caller's (acc allocated), filled for its report entry. */
static int settle_account(struct srv *s, srv_db *db, struct bill *b, const char *by)
{
        int rc = srv_db_begin(db);

        if (rc == MB_OK)
                rc = srv_settle_in_tx(s, db, b, by);
        if (rc >= 0)
                rc = srv_db_commit(db) < 0 ? MB_ESTORE : rc;
        if (rc < 0) {
                mb_err_log("account %lld %s: %s", (long long)b->account_id, b->month,
                           srv_db_errmsg(db));
                srv_db_rollback(db);
        }
        return rc;
}

int srv_settle_one(struct srv *s, srv_db *db, int64_t account_id, const char *month, const char *by,
                   struct srv_settle_summary *sum)
{
        struct bill b;
        int rc;

        memset(&b, 0, sizeof(b));
        b.account_id = account_id;
        snprintf(b.month, sizeof(b.month), "%s", month);
        b.acc = mb_tariff_acc_new();
        if (b.acc == NULL)
                return MB_ENOMEM;
        rc = settle_account(s, db, &b, by);
        if (sum && (rc == SETTLED || rc == HELD)) {
                srv_stmt *st = NULL;

                if (srv_db_query(db, &st, "SELECT number FROM accounts WHERE id = $1", "i",
                                 account_id) >= 0 &&
                    srv_stmt_step(st) == SRV_DB_ROW)
                        snprintf(b.number, sizeof(b.number), "%s", srv_stmt_text(st, 0));
                srv_stmt_done(st);
        }
        if (sum)
                srv_settle_count(sum, rc, &b);
        mb_tariff_acc_free(b.acc);
        return rc;
}

/* Ids from a one-column query, into a growing array. */
static int collect(srv_db *db, const char *sql, const char *types, int64_t arg, int64_t **ids,
                   char (**months)[8], size_t *n)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st, sql, types, arg);

        *ids = NULL;
        *n = 0;
        if (months)
                *months = NULL;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (*n == cap) {
                        cap = cap ? cap * 2 : 64;
                        int64_t *p = realloc(*ids, cap * sizeof(**ids));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        *ids = p;
                        if (months) {
                                char(*q)[8] = realloc(*months, cap * sizeof(**months));

                                if (q == NULL) {
                                        rc = MB_ENOMEM;
                                        break;
                                }
                                *months = q;
                        }
                }
                (*ids)[*n] = srv_stmt_i64(st, 0);
                if (months)
                        snprintf((*months)[*n], 8, "%s", srv_stmt_text(st, 1));
                (*n)++;
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_settle_month(struct srv *s, srv_db *db, const char *month, const char *by,
                     struct srv_settle_summary *sum)
{
        int64_t *ids;
        size_t n;
        int rc = srv_month_ended(month, mb_realtime_s());

        memset(sum, 0, sizeof(*sum));
        if (rc < 0)
                return MB_EINVAL;
        if (rc == 0)
                return MB_ESTATE;
        rc = collect(db,
                     "SELECT a.id FROM accounts a JOIN meters m ON m.account_id = a.id"
                     " WHERE $1 = $1 ORDER BY a.id",
                     "i", 0, &ids, NULL, &n);
        if (rc < 0)
                return rc;
        sum->bills = json_object_new_array();
        srv_settle_chunks(s, db, ids, n, month, by, sum); /* srv_settle_chunk.c */
        free(ids);
        srv_metrics_settlement(sum->settled, sum->held, sum->failed);
        mb_notice("month %s: %d settled, %d held, %d already settled, %d failed", month,
                  sum->settled, sum->held, sum->already, sum->failed);
        return MB_OK;
}

void srv_settle_held(struct srv *s, srv_db *db, int64_t account_id)
{
        int64_t *ids;
        char(*months)[8];
        size_t n;

        if (collect(db,
                    "SELECT account_id, month FROM bills WHERE state = 'held'"
                    " AND ($1 = 0 OR account_id = $1) ORDER BY month, account_id",
                    "i", account_id, &ids, &months, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                int rc = srv_settle_one(s, db, ids[i], months[i], "settlement", NULL);

                if (rc == SETTLED)
                        mb_notice("account %lld: held month %s settled", (long long)ids[i],
                                  months[i]);
        }
        free(ids);
        free(months);
}

/* UTC time of this month's scheduled close: day D at HH:MM local. */
static int64_t scheduled(const struct srv_config *cfg, int64_t month_start)
{
        time_t t = (time_t)month_start;
        struct tm tm;

        localtime_r(&t, &tm);
        tm.tm_mday = cfg->settle_day;
        tm.tm_hour = cfg->settle_minute / 60;
        tm.tm_min = cfg->settle_minute % 60;
        tm.tm_sec = 0;
        tm.tm_isdst = -1;
        return (int64_t)mktime(&tm);
}

void srv_settle_tick(struct srv *s, int64_t now)
{
        static char last_run[8];
        static int64_t last_held;
        const struct srv_config *cfg = s->cfg;
        char month[8], prev[8];
        int64_t start;
        struct srv_settle_summary sum;

        if (!cfg->settle_enabled || srv_month_of(now, month) < 0 ||
            srv_month_start(month, &start) < 0)
                return;
        if (strcmp(month, last_run) != 0 && now >= scheduled(cfg, start)) {
                memcpy(last_run, month, sizeof(month));
                if (srv_month_add(month, -1, prev) == MB_OK &&
                    srv_settle_month(s, s->db, prev, "schedule", &sum) == MB_OK)
                        json_object_put(sum.bills);
        }
        if (now - last_held >= 3600) {
                last_held = now;
                srv_settle_held(s, s->db, 0);
        }
}
