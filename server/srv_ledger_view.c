/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger as an operator reads it (docs/api.md, GET .../ledger).
 * Continuous deduction posts a charge per batch of readings, dozens a day;
 * the rows stay exact in storage (each is what one batch charged), and this
 * view shows a day's charges of a month as one line where the day's last
 * one was, with their sum.  Every other entry is shown as it is.  The
 * balance after each line is the running balance of the lines as shown, so
 * the last one is the account's balance, as in the rows.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "srv_accounts.h"
#include "srv_ledger.h"
#include "srv_topup.h"

struct row {
        json_object *o; /* the row as srv_ledger_row_json gives it (owned) */
        int charge, day;
        const char *month;
        int64_t amount;
        int last; /* the day's last charge: its line stands for them all */
        int64_t sum, n;
};

static int64_t i64_of(json_object *o, const char *k)
{
        json_object *v;

        return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

static const char *str_of(json_object *o, const char *k)
{
        json_object *v;

        return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

static int local_day(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        return localtime_r(&tt, &tm)
                   ? (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday
                   : 0;
}

/* Each charge's group is the day's charges of its month: the last of them
 * carries the sum and count. */
static void group(struct row *r, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (!r[i].charge)
                        continue;
                r[i].last = 1;
                r[i].sum = r[i].amount;
                r[i].n = 1;
                for (size_t k = i; k-- > 0;)
                        if (r[k].last && r[k].day == r[i].day &&
                            strcmp(r[k].month, r[i].month) == 0) {
                                r[k].last = 0;
                                r[i].sum += r[k].sum;
                                r[i].n += r[k].n;
                                break;
                        }
        }
}

/* The lines as shown, each with the running balance after it. */
static json_object *lines(struct row *r, size_t n, int detail)
{
        json_object *a = json_object_new_array();
        int64_t bal = 0;

        for (size_t i = 0; i < n; i++) {
                json_object *o = r[i].o;

                if (!detail && r[i].charge && !r[i].last)
                        continue;
                r[i].o = NULL;
                if (!detail && r[i].charge) {
                        srv_jadd_i64(o, "amount_fen", r[i].sum);
                        srv_jadd_i64(o, "entries", r[i].n);
                        if (r[i].n > 1)
                                srv_jadd_str(o, "reason",
                                             "continuous deduction (the day's charges)");
                }
                bal += i64_of(o, "amount_fen");
                if (!detail)
                        srv_jadd_i64(o, "balance_after_fen", bal);
                json_object_array_add(a, o);
        }
        return a;
}

static int load(srv_db *db, int64_t id, struct row **out, size_t *n)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st,
                              "SELECT " SRV_LEDGER_COLUMNS " FROM ledger WHERE account_id = $1"
                              " ORDER BY id",
                              "i", id);

        *out = NULL;
        *n = 0;
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct row *r;

                if (*n == cap) {
                        struct row *p = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof(*p));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        *out = p;
                }
                r = &(*out)[(*n)++];
                memset(r, 0, sizeof(*r));
                r->o = srv_ledger_row_json(st);
                r->charge = strcmp(str_of(r->o, "kind"), SRV_LEDGER_CHARGE) == 0;
                r->day = local_day(i64_of(r->o, "ts"));
                r->month = str_of(r->o, "month");
                r->amount = i64_of(r->o, "amount_fen");
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

void srv_h_ledger(struct srv_req *rq, struct srv_resp *rs)
{
        const char *d = srv_req_query(rq, "detail");
        int detail = d && strcmp(d, "all") == 0;
        int64_t id, bal = 0;
        struct row *r = NULL;
        size_t n = 0;
        json_object *o;
        int rc = srv_account_id(rq->db, rq->params.v[0], &id);

        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
                return;
        }
        if (d && !detail) {
                srv_reply_errorf(rs, 400, "bad_field", "detail", "'detail' can only be \"all\"");
                return;
        }
        if (rc > 0)
                rc = srv_db_query_i64(rq->db, &bal,
                                      "SELECT balance_fen FROM accounts WHERE id = $1", "i", id);
        if (rc >= 0)
                rc = load(rq->db, id, &r, &n);
        if (rc < 0) {
                for (size_t i = 0; i < n; i++)
                        json_object_put(r[i].o);
                free(r);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        group(r, n);
        o = json_object_new_object();
        srv_jadd_str(o, "account", rq->params.v[0]);
        srv_jadd_i64(o, "balance_fen", bal);
        srv_jadd_str(o, "view", detail ? "all" : "daily");
        json_object_object_add(o, "entries", lines(r, n, detail));
        for (size_t i = 0; i < n; i++)
                json_object_put(r[i].o);
        free(r);
        srv_reply_json(rs, 200, o);
}
