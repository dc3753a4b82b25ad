/* SPDX-License-Identifier: Apache-2.0 */
/* GET /stats/gateways: the gateways the wall names, offline ones first and
 * the ones leaving the most meters unwatched first (srv_stats.h). */
#include "srv_stats.h"

#include <stdlib.h>
#include <string.h>

#include "mb_time.h"

static json_object *gateway_json(srv_stmt *st, int64_t now, int64_t seen_after)
{
        json_object *e = json_object_new_object();
        int never = srv_stmt_is_null(st, 2);
        int64_t last = srv_stmt_i64(st, 2);

        srv_jadd_str(e, "name", srv_stmt_text(st, 0));
        srv_jadd_str(e, "region", srv_stmt_text(st, 1));
        srv_jadd_i64_or_null(e, "last_seen", never, last);
        srv_jadd_bool(e, "online", !never && last >= seen_after);
        /* how long it has been silent; null when it never reported */
        srv_jadd_i64_or_null(e, "silent_s", never, now - last);
        srv_jadd_i64(e, "meters", srv_stmt_i64(st, 3));
        srv_jadd_i64(e, "accounts", srv_stmt_i64(st, 4));
        return e;
}

void srv_h_stats_gateways(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_config *cfg = rq->srv->cfg;
        const char *state = srv_req_query(rq, "state"), *ls = srv_req_query(rq, "limit");
        int64_t now = mb_realtime_s(), seen_after = now - cfg->mon.gateway_offline_s;
        int64_t offline = 0, total = 0, limit = 100;
        int all = state && strcmp(state, "all") == 0;
        json_object *o, *list;
        srv_stmt *st = NULL;
        char *end = NULL;
        int rc;

        if (state && !all && strcmp(state, "offline") != 0) {
                srv_reply_errorf(rs, 400, "bad_field", "state", "'state' must be offline or all");
                return;
        }
        if (ls && ((limit = strtoll(ls, &end, 10)) < 1 || limit > 1000 || *end || !*ls)) {
                srv_reply_errorf(rs, 400, "bad_field", "limit",
                                 "'limit' must be an integer in 1..1000");
                return;
        }
        rc = srv_db_query_i64(rq->db, &total, "SELECT count(*) FROM gateways WHERE $1 = $1", "i",
                              (int64_t)0);
        if (rc >= 0)
                rc = srv_db_query_i64(rq->db, &offline,
                                      "SELECT count(*) FROM gateways"
                                      " WHERE coalesce(last_seen, 0) < $1",
                                      "i", seen_after);
        list = json_object_new_array();
        if (rc >= 0)
                rc = srv_db_query(
                    rq->db, &st,
                    "SELECT g.name, g.region, g.last_seen,"
                    " (SELECT count(*) FROM meters m WHERE m.gateway_id = g.id),"
                    " (SELECT count(*) FROM meters m JOIN accounts a ON a.id = m.account_id"
                    "  WHERE m.gateway_id = g.id AND a.state = 'active')"
                    " FROM gateways g WHERE $2 = 1 OR coalesce(g.last_seen, 0) < $1"
                    " ORDER BY CASE WHEN coalesce(g.last_seen, 0) < $1 THEN 0 ELSE 1 END,"
                    " 4 DESC, coalesce(g.last_seen, 0), g.name LIMIT $3",
                    "iii", seen_after, (int64_t)all, limit);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(list, gateway_json(st, now, seen_after));
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(list);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_i64(o, "server_time", now);
        srv_jadd_i64(o, "total", total);
        srv_jadd_i64(o, "offline", offline);
        srv_jadd_i64(o, "offline_after_s", cfg->mon.gateway_offline_s);
        json_object_object_add(o, "gateways", list);
        srv_reply_json(rs, 200, o);
}
