/* SPDX-License-Identifier: Apache-2.0 */
/* GET /search?q= (find an account by number, holder, meter or gateway) and
 * GET /meters/ADDRESS/readings (a meter's reading history for the chart). */
#include "srv_stats.h"

#include <stdlib.h>
#include <string.h>

#include "srv_accounts.h"
#include "srv_desk.h"

void srv_h_search(struct srv_req *rq, struct srv_resp *rs)
{
        const char *q = srv_req_query(rq, "q");
        char *prefix, *inner;
        json_object *list;
        srv_stmt *st = NULL;
        int rc;

        if (q == NULL || q[0] == '\0' || strlen(q) > 64) {
                srv_reply_errorf(rs, 400, "bad_field", "q",
                                 "'q' must be 1..64 characters: an account number, a name, a "
                                 "meter address or a gateway");
                return;
        }
        prefix = srv_like_pattern("", q, "%");
        inner = srv_like_pattern("%", q, "%");
        if (prefix == NULL || inner == NULL) {
                free(prefix);
                free(inner);
                srv_reply_errorf(rs, 500, "internal", "", "out of memory");
                return;
        }
        list = json_object_new_array();
        rc = srv_db_query(
            rq->db, &st,
            "SELECT a.number, a.holder, a.address, a.region, a.mode, a.state, a.protected,"
            " a.balance_fen, " SRV_ACCOUNT_STATUS_SQL ", m.address, g.name"
            " FROM accounts a LEFT JOIN meters m ON m.account_id = a.id"
            " LEFT JOIN gateways g ON g.id = m.gateway_id"
            " WHERE a.number LIKE $1 ESCAPE '\\' OR lower(a.holder) LIKE lower($2) ESCAPE '\\'"
            " OR m.address LIKE $1 ESCAPE '\\' OR g.name LIKE $1 ESCAPE '\\'"
            " ORDER BY a.number LIMIT 50",
            "tt", prefix, inner);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(list, srv_account_row_json(st));
        srv_stmt_done(st);
        free(prefix);
        free(inner);
        srv_reply_list(rq, rs, rc, "accounts", list);
}

void srv_h_meter_readings(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const demand_keys[] = {"demand_mw", "demand_time", "frozen_demand_mw",
                                                  "frozen_demand_time"};
        const char *addr = rq->params.v[0], *ls = srv_req_query(rq, "limit");
        int64_t mid = 0, limit = 200;
        json_object *o, *list;
        srv_stmt *st = NULL;
        char *end = NULL;
        int rc;

        if (ls) {
                limit = strtoll(ls, &end, 10);
                if (*ls == '\0' || *end != '\0' || limit < 1 || limit > 5000) {
                        srv_reply_errorf(rs, 400, "bad_field", "limit",
                                         "'limit' must be an integer in 1..5000");
                        return;
                }
        }
        rc = srv_meter_id(rq->db, addr, &mid, NULL);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no meter '%s'", addr);
                return;
        }
        list = json_object_new_array();
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  "SELECT seq, ts, kind, quality, import_wh, demand_mw,"
                                  " demand_time, frozen_demand_mw, frozen_demand_time"
                                  " FROM readings"
                                  " WHERE meter_id = $1 ORDER BY seq DESC LIMIT $2",
                                  "ii", mid, limit);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *e = json_object_new_object();

                srv_jadd_i64(e, "seq", srv_stmt_i64(st, 0));
                srv_jadd_i64(e, "ts", srv_stmt_i64(st, 1));
                srv_jadd_str(e, "kind", srv_stmt_text(st, 2));
                srv_jadd_i64(e, "quality", srv_stmt_i64(st, 3));
                srv_jadd_i64_or_null(e, "import_wh", srv_stmt_is_null(st, 4), srv_stmt_i64(st, 4));
                /* the maximum demand registers, where the meter gives them */
                for (int c = 5; c < 9; c++)
                        if (!srv_stmt_is_null(st, c))
                                srv_jadd_i64(e, demand_keys[c - 5], srv_stmt_i64(st, c));
                json_object_array_add(list, e);
        }
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(list);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        /* newest first from the index; the answer is oldest first */
        for (size_t i = 0, n = json_object_array_length(list); i < n / 2; i++) {
                json_object *a = json_object_get(json_object_array_get_idx(list, i));
                json_object *b = json_object_get(json_object_array_get_idx(list, n - 1 - i));

                json_object_array_put_idx(list, i, b);
                json_object_array_put_idx(list, n - 1 - i, a);
        }
        o = json_object_new_object();
        srv_jadd_str(o, "meter", addr);
        json_object_object_add(o, "readings", list);
        srv_reply_json(rs, 200, o);
}
