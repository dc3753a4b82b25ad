/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_desk.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_buf.h"
#include "srv_ledger.h"
#include "srv_stats.h"

char *srv_like_pattern(const char *prefix, const char *q, const char *suffix)
{
        struct srv_buf b = {0};

        srv_buf_puts(&b, prefix);
        for (; *q; q++) {
                if (*q == '%' || *q == '_' || *q == '\\')
                        srv_buf_add(&b, "\\", 1);
                srv_buf_add(&b, q, 1);
        }
        srv_buf_puts(&b, suffix);
        return srv_buf_take(&b);
}

static const char *const statuses[] = {"all",     "cut",    "alarm",    "arrears", "protected",
                                       "offline", "normal", "inactive", NULL};

/* The account named by the path's first segment: 1 with *id, 0 after a
 * 404, or a database error (not replied). */
static int path_account(struct srv_req *rq, struct srv_resp *rs, int64_t *id)
{
        int rc = srv_account_id(rq->db, rq->params.v[0], id);

        if (rc == 0)
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
        return rc;
}

/* An integer query parameter in [min, max] (def when absent): 0, or -1
 * after a 400. */
static int int_arg(struct srv_req *rq, struct srv_resp *rs, const char *key, int64_t min,
                   int64_t max, int64_t def, int64_t *out)
{
        const char *s = srv_req_query(rq, key);
        char *end;

        *out = def;
        if (s == NULL)
                return 0;
        *out = strtoll(s, &end, 10);
        if (*s && !*end && *out >= min && *out <= max)
                return 0;
        srv_reply_errorf(rs, 400, "bad_field", key, "'%s' must be an integer in %lld..%lld", key,
                         (long long)min, (long long)max);
        return -1;
}

/* The FROM and WHERE of the desk's list: $1 now, $2 status, $3 region,
 * $4 tariff, $5 q, $6 q as a prefix pattern, $7 q as an inner pattern,
 * $8 heard-from threshold, $9 read-from threshold ('' and 'all': no filter). */
#define DESK_STATUS SRV_ACCOUNT_STATUS_SQL
#define DESK_TARIFF                                                                                \
        "(SELECT t.tariff_id FROM account_tariffs t WHERE t.account_id = a.id"                     \
        " AND t.effective_from <= $1 ORDER BY t.effective_from DESC LIMIT 1)"
#define DESK_OFFLINE "(coalesce(g.last_seen, 0) < $8 OR coalesce(m.last_ts, 0) < $9)"
#define DESK_FROM                                                                                  \
        " FROM accounts a LEFT JOIN meters m ON m.account_id = a.id"                               \
        " LEFT JOIN gateways g ON g.id = m.gateway_id"                                             \
        " WHERE ($2 = 'all' OR ($2 = 'cut' AND " DESK_STATUS " = 'cut')"                           \
        "  OR ($2 = 'alarm' AND " DESK_STATUS " IN ('alarm1', 'alarm2'))"                          \
        "  OR ($2 = 'arrears' AND a.balance_fen < 0)"                                              \
        "  OR ($2 = 'protected' AND a.protected != 0)"                                             \
        "  OR ($2 = 'offline' AND m.id IS NOT NULL AND " DESK_OFFLINE ")"                          \
        "  OR ($2 = 'normal' AND " DESK_STATUS " = 'normal')"                                      \
        "  OR ($2 = 'inactive' AND a.state != 'active'))"                                          \
        " AND ($3 = '' OR a.region = $3) AND ($4 = '' OR " DESK_TARIFF " = $4)"                    \
        " AND ($5 = '' OR a.number LIKE $6 ESCAPE '\\' OR lower(a.holder) LIKE lower($7)"          \
        "  ESCAPE '\\' OR m.address LIKE $6 ESCAPE '\\' OR g.name LIKE $6 ESCAPE '\\')"

json_object *srv_account_row_json(srv_stmt *st)
{
        json_object *e = json_object_new_object();

        srv_jadd_str(e, "number", srv_stmt_text(st, 0));
        srv_jadd_str(e, "holder", srv_stmt_text(st, 1));
        srv_jadd_str(e, "address", srv_stmt_text(st, 2));
        srv_jadd_str(e, "region", srv_stmt_text(st, 3));
        srv_jadd_str(e, "mode", srv_stmt_text(st, 4));
        srv_jadd_str(e, "state", srv_stmt_text(st, 5));
        srv_jadd_bool(e, "protected", srv_stmt_i64(st, 6) != 0);
        srv_jadd_i64(e, "balance_fen", srv_stmt_i64(st, 7));
        srv_jadd_str(e, "status", srv_stmt_text(st, 8));
        srv_jadd_str(e, "meter", srv_stmt_text(st, 9));
        srv_jadd_str(e, "gateway", srv_stmt_text(st, 10));
        return e;
}

static json_object *desk_row(srv_stmt *st, int64_t seen_after, int64_t read_after)
{
        json_object *e = srv_account_row_json(st);

        srv_jadd_i64_or_null(e, "last_seen", srv_stmt_is_null(st, 11), srv_stmt_i64(st, 11));
        srv_jadd_i64_or_null(e, "last_reading", srv_stmt_is_null(st, 12), srv_stmt_i64(st, 12));
        /* the meter cannot be reached or has not read: the desk says so */
        srv_jadd_bool(e, "offline",
                      !srv_stmt_is_null(st, 9) &&
                          (srv_stmt_i64(st, 11) < seen_after || srv_stmt_is_null(st, 11) ||
                           srv_stmt_is_null(st, 12) || srv_stmt_i64(st, 12) < read_after));
        srv_jadd_str(e, "tariff", srv_stmt_text(st, 13));
        return e;
}

void srv_h_desk_accounts(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        const char *status = srv_req_query(rq, "status"), *region = srv_req_query(rq, "region");
        const char *tariff = srv_req_query(rq, "tariff"), *q = srv_req_query(rq, "q");
        int64_t now = mb_realtime_s(), seen = now - cfg->mon.gateway_offline_s,
                read = now - cfg->mon.meter_stale_s, limit, offset, total = 0;
        char *prefix = NULL, *inner = NULL;
        json_object *o, *list;
        srv_stmt *st = NULL;
        int known = 0, rc;

        status = status && status[0] ? status : "all";
        for (int i = 0; statuses[i]; i++)
                known |= strcmp(statuses[i], status) == 0;
        if (!known) {
                srv_reply_errorf(rs, 400, "bad_field", "status",
                                 "'status' must be all, cut, alarm, arrears, protected, offline, "
                                 "normal or inactive");
                return;
        }
        if (q && strlen(q) > 64) {
                srv_reply_errorf(rs, 400, "bad_field", "q", "'q' is at most 64 characters");
                return;
        }
        if (int_arg(rq, rs, "limit", 1, 200, 50, &limit) < 0 ||
            int_arg(rq, rs, "offset", 0, 100000000, 0, &offset) < 0)
                return;
        q = q ? q : "";
        prefix = srv_like_pattern("", q, "%");
        inner = srv_like_pattern("%", q, "%");
        list = json_object_new_array();
        rc = prefix && inner ? MB_OK : MB_ENOMEM;
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &total, "SELECT count(*)" DESK_FROM, "ittttttii", now,
                                      status, region ? region : "", tariff ? tariff : "", q, prefix,
                                      inner, seen, read);
        /* what needs doing first: the lowest balance among the cut, alarmed
         * or in arrears; the longest silent among the offline */
        if (rc >= 0)
                rc = srv_db_query(
                    rq->db, &st,
                    "SELECT a.number, a.holder, a.address, a.region, a.mode, a.state, a.protected,"
                    " a.balance_fen, " DESK_STATUS
                    ", m.address, g.name, g.last_seen, m.last_ts, " DESK_TARIFF DESK_FROM
                    " ORDER BY CASE WHEN $2 IN ('cut', 'alarm', 'arrears') THEN"
                    " a.balance_fen ELSE 0 END, CASE WHEN $2 = 'offline' THEN"
                    " coalesce(g.last_seen, 0) ELSE 0 END, a.number LIMIT $10 OFFSET $11",
                    "ittttttiiii", now, status, region ? region : "", tariff ? tariff : "", q,
                    prefix, inner, seen, read, limit, offset);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(list, desk_row(st, seen, read));
        srv_stmt_done(st);
        free(prefix);
        free(inner);
        if (rc < 0) {
                json_object_put(list);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_i64(o, "total", total);
        srv_jadd_i64(o, "offset", offset);
        json_object_object_add(o, "accounts", list);
        srv_reply_json(rs, 200, o);
}

/* The local date of t, "YYYY-MM-DD". */
static void local_day(int64_t t, char out[11])
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        strftime(out, 11, "%Y-%m-%d", &tm);
}

struct day_line {
        json_object *o;
        char day[11];
        int64_t n, fen, first_id;
};

static void close_day(json_object *lines, struct day_line *d)
{
        if (d->o == NULL)
                return;
        srv_jadd_i64(d->o, "count", d->n);
        srv_jadd_i64(d->o, "amount_fen", d->fen);
        srv_jadd_i64(d->o, "first_id", d->first_id);
        json_object_array_add(lines, d->o);
        d->o = NULL;
}

#define STATEMENT_SCAN 50000 /* rows read per request at most (a year at 15 min) */

void srv_h_statement(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id = 0, limit, before, balance = 0, scanned = 0, last_id = 0;
        struct day_line d = {0};
        json_object *o, *lines;
        srv_stmt *st = NULL;
        int rc, nlines = 0, more;

        if (int_arg(rq, rs, "limit", 1, 500, 100, &limit) < 0 ||
            int_arg(rq, rs, "before", 1, INT64_MAX, INT64_MAX, &before) < 0)
                return;
        if ((rc = path_account(rq, rs, &id)) == 0)
                return;
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, &balance,
                                      "SELECT balance_fen FROM accounts WHERE id = $1", "i", id);
        lines = json_object_new_array();
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  "SELECT " SRV_LEDGER_COLUMNS " FROM ledger WHERE account_id = $1"
                                  " AND id < $2 ORDER BY id DESC LIMIT $3",
                                  "iii", id, before, (int64_t)STATEMENT_SCAN);
        /* newest first; a day's continuous deductions are one line */
        while (rc >= 0 && nlines < limit && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int charge = strcmp(srv_stmt_text(st, 2), "charge") == 0;
                char day[11];

                scanned++;
                local_day(srv_stmt_i64(st, 1), day);
                if (d.o && (!charge || strcmp(day, d.day) != 0)) {
                        close_day(lines, &d);
                        nlines++;
                        if (nlines >= limit)
                                break;
                }
                last_id = srv_stmt_i64(st, 0);
                if (!charge) {
                        json_object_array_add(lines, srv_ledger_row_json(st));
                        nlines++;
                        continue;
                }
                if (d.o == NULL) {
                        d.o = json_object_new_object();
                        snprintf(d.day, sizeof(d.day), "%s", day);
                        srv_jadd_str(d.o, "kind", "charge_day");
                        srv_jadd_str(d.o, "day", day);
                        srv_jadd_i64(d.o, "id", last_id);
                        srv_jadd_i64(d.o, "ts", srv_stmt_i64(st, 1));
                        srv_jadd_i64(d.o, "balance_after_fen", srv_stmt_i64(st, 4));
                        srv_jadd_str(d.o, "month", srv_stmt_text(st, 5));
                        d.n = d.fen = 0;
                }
                d.n++;
                d.fen += srv_stmt_i64(st, 3);
                d.first_id = last_id;
        }
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(d.o);
                json_object_put(lines);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        close_day(lines, &d);
        /* more: the page ended at its limit (the row read last is the next
         * page's first), or at the scan limit (a day may go on there) */
        more = rc == SRV_DB_ROW || scanned == STATEMENT_SCAN;
        o = json_object_new_object();
        srv_jadd_str(o, "account", rq->params.v[0]);
        srv_jadd_i64(o, "balance_fen", balance);
        srv_jadd_bool(o, "more", more);
        srv_jadd_i64_or_null(o, "before", !more, last_id);
        json_object_object_add(o, "lines", lines);
        srv_reply_json(rs, 200, o);
}

void srv_h_ledger_entry(struct srv_req *rq, struct srv_resp *rs)
{
        int64_t id = 0, entry;
        srv_stmt *st = NULL;
        char *end;
        int rc;

        entry = strtoll(rq->params.v[1], &end, 10);
        if (*end || entry < 1) {
                srv_reply_errorf(rs, 404, "not_found", "", "no ledger entry '%s'", rq->params.v[1]);
                return;
        }
        if ((rc = path_account(rq, rs, &id)) == 0)
                return;
        if (rc > 0)
                rc = srv_db_query(rq->db, &st,
                                  "SELECT " SRV_LEDGER_COLUMNS " FROM ledger WHERE account_id = $1"
                                  " AND id = $2",
                                  "ii", id, entry);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *o = srv_ledger_row_json(st);

                srv_jadd_str(o, "account", rq->params.v[0]);
                srv_reply_json(rs, 200, o);
        } else if (rc >= 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no ledger entry %lld for account '%s'",
                                 (long long)entry, rq->params.v[0]);
        } else {
                srv_reply_db_error(rs, rq, rc);
        }
        srv_stmt_done(st);
}
