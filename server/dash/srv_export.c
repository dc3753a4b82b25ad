/* SPDX-License-Identifier: Apache-2.0 */
/* The CSV exports: one SELECT each, streamed into an srv_csv. */
#include "srv_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_tariff_wire.h"
#include "srv_csv.h"
#include "srv_month.h"

/* The month query parameter, or a 400 (NULL). */
static const char *want_month(struct srv_req *rq, struct srv_resp *rs)
{
        const char *month = srv_req_query(rq, "month");

        if (month == NULL) {
                srv_reply_errorf(rs, 400, "missing_field", "month",
                                 "'month' is required: ?month=YYYY-MM");
                return NULL;
        }
        if (!mb_tariff_wire_month_ok(month)) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "'month' must be \"YYYY-MM\"");
                return NULL;
        }
        return month;
}

/* Local time in the server's zone, "YYYY-MM-DD HH:MM:SS" (spreadsheets
 * read it as a date). */
static void csv_time(struct srv_csv *c, srv_stmt *st, int col)
{
        char s[32];
        time_t t;
        struct tm tm;

        if (srv_stmt_is_null(st, col)) {
                srv_csv_null(c);
                return;
        }
        t = (time_t)srv_stmt_i64(st, col);
        if (localtime_r(&t, &tm) == NULL || strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm) == 0)
                s[0] = '\0';
        srv_csv_str(c, s);
}

static void csv_money(struct srv_csv *c, srv_stmt *st, int col)
{
        if (srv_stmt_is_null(st, col)) {
                srv_csv_null(c);
                srv_csv_null(c);
                return;
        }
        srv_csv_yuan(c, srv_stmt_i64(st, col));
        srv_csv_i64(c, srv_stmt_i64(st, col));
}

static void csv_header(struct srv_csv *c, const char *const *cols)
{
        for (int i = 0; cols[i]; i++)
                srv_csv_str(c, cols[i]);
        srv_csv_end(c);
}

/* "["jump","zero_use"]" -> "jump;zero_use" */
static void csv_flags(struct srv_csv *c, const char *json)
{
        json_object *a = srv_jparse_stored(json);
        struct srv_buf b = {0};
        char *s;

        for (size_t i = 0;
             a && json_object_is_type(a, json_type_array) && i < json_object_array_length(a); i++) {
                if (i)
                        srv_buf_add(&b, ";", 1);
                srv_buf_puts(&b, json_object_get_string(json_object_array_get_idx(a, i)));
        }
        json_object_put(a);
        s = srv_buf_take(&b);
        srv_csv_str(c, s ? s : "");
        free(s);
}

void srv_export_finish(struct srv_req *rq, struct srv_resp *rs, struct srv_csv *c, int rc,
                       const char *kind, const char *period)
{
        char *text;

        if (rc < 0) {
                srv_buf_free(&c->buf);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        text = srv_buf_take(&c->buf);
        if (text == NULL) {
                srv_reply_errorf(rs, 500, "internal", "", "out of memory");
                return;
        }
        rs->status = 200;
        rs->text = text;
        rs->content_type = "text/csv; charset=utf-8; header=present";
        snprintf(rs->header_name, sizeof(rs->header_name), "Content-Disposition");
        snprintf(rs->header_value, sizeof(rs->header_value),
                 "attachment; filename=\"meterbox-%s-%.32s.csv\"", kind, period);
}

void srv_export_start(struct srv_req *rq, struct srv_csv *c)
{
        const char *bom = srv_req_query(rq, "bom");

        memset(c, 0, sizeof(*c));
        /* A UTF-8 byte order mark, for spreadsheets that otherwise guess a
         * legacy code page for Chinese names. */
        if (bom && strcmp(bom, "1") == 0)
                srv_buf_puts(&c->buf, "\xEF\xBB\xBF");
}

void srv_h_export_bills(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const cols[] = {"account",
                                           "holder",
                                           "region",
                                           "month",
                                           "state",
                                           "mode",
                                           "meter",
                                           "tariff",
                                           "from_time",
                                           "to_time",
                                           "from_import_kwh",
                                           "to_import_kwh",
                                           "energy_kwh",
                                           "energy_wh",
                                           "total_yuan",
                                           "total_fen",
                                           "charged_yuan",
                                           "charged_fen",
                                           "posted_yuan",
                                           "posted_fen",
                                           "flags",
                                           "settled_at",
                                           NULL};
        const char *month = want_month(rq, rs);
        struct srv_csv c;
        srv_stmt *st = NULL;
        int rc;

        if (month == NULL)
                return;
        srv_export_start(rq, &c);
        csv_header(&c, cols);
        rc = srv_db_query(rq->db, &st,
                          "SELECT a.number, a.holder, a.region, b.month, b.state, b.mode,"
                          " m.address, b.tariff_id, b.from_ts, b.to_ts, b.from_import_wh,"
                          " b.to_import_wh, b.energy_wh, b.total_fen, b.charged_fen,"
                          " b.posted_fen, b.flags, b.settled_at"
                          " FROM bills b JOIN accounts a ON a.id = b.account_id"
                          " LEFT JOIN meters m ON m.id = b.meter_id"
                          " WHERE b.month = $1 ORDER BY a.number",
                          "t", month);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                srv_csv_str(&c, srv_stmt_text(st, 0));
                srv_csv_text(&c, srv_stmt_text(st, 1));
                srv_csv_text(&c, srv_stmt_text(st, 2));
                for (int i = 3; i <= 7; i++)
                        srv_csv_str(&c, srv_stmt_text(st, i));
                csv_time(&c, st, 8);
                csv_time(&c, st, 9);
                for (int i = 10; i <= 11; i++) {
                        if (srv_stmt_is_null(st, i))
                                srv_csv_null(&c);
                        else
                                srv_csv_kwh(&c, srv_stmt_i64(st, i));
                }
                if (srv_stmt_is_null(st, 12)) {
                        srv_csv_null(&c);
                        srv_csv_null(&c);
                } else {
                        srv_csv_kwh(&c, srv_stmt_i64(st, 12));
                        srv_csv_i64(&c, srv_stmt_i64(st, 12));
                }
                csv_money(&c, st, 13);
                csv_money(&c, st, 14);
                csv_money(&c, st, 15);
                csv_flags(&c, srv_stmt_text(st, 16));
                csv_time(&c, st, 17);
                srv_csv_end(&c);
        }
        srv_stmt_done(st);
        srv_export_finish(rq, rs, &c, rc, "bills", month);
}

void srv_h_export_ledger(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const cols[] = {"id",
                                           "time",
                                           "ts",
                                           "account",
                                           "holder",
                                           "kind",
                                           "amount_yuan",
                                           "amount_fen",
                                           "balance_after_yuan",
                                           "balance_after_fen",
                                           "month",
                                           "reference",
                                           "reason",
                                           "by",
                                           NULL};
        const char *month = want_month(rq, rs);
        char next[8];
        int64_t from, to;
        struct srv_csv c;
        srv_stmt *st = NULL;
        int rc;

        if (month == NULL)
                return;
        if (srv_month_add(month, 1, next) < 0 || srv_month_start(month, &from) < 0 ||
            srv_month_start(next, &to) < 0) {
                srv_reply_errorf(rs, 400, "bad_field", "month", "month %s is out of range", month);
                return;
        }
        srv_export_start(rq, &c);
        csv_header(&c, cols);
        rc = srv_db_query(rq->db, &st,
                          "SELECT l.id, l.ts, a.number, a.holder, l.kind, l.amount_fen,"
                          " l.balance_after_fen, l.month, l.reference, l.reason, l.by_name"
                          " FROM ledger l JOIN accounts a ON a.id = l.account_id"
                          " WHERE l.ts >= $1 AND l.ts < $2 ORDER BY l.id",
                          "ii", from, to);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                srv_csv_i64(&c, srv_stmt_i64(st, 0));
                csv_time(&c, st, 1);
                srv_csv_i64(&c, srv_stmt_i64(st, 1));
                srv_csv_str(&c, srv_stmt_text(st, 2));
                srv_csv_text(&c, srv_stmt_text(st, 3));
                srv_csv_str(&c, srv_stmt_text(st, 4));
                csv_money(&c, st, 5);
                csv_money(&c, st, 6);
                srv_csv_str(&c, srv_stmt_text(st, 7));
                srv_csv_text(&c, srv_stmt_text(st, 8));
                srv_csv_text(&c, srv_stmt_text(st, 9));
                srv_csv_text(&c, srv_stmt_text(st, 10));
                srv_csv_end(&c);
        }
        srv_stmt_done(st);
        srv_export_finish(rq, rs, &c, rc, "ledger", month);
}
