/* SPDX-License-Identifier: Apache-2.0 */
/* GET /stats/gateways: the gateways the wall names, offline ones first and
 * the ones leaving the most meters unwatched first, then those whose uplink
 * is failing or weak (srv_stats.h, srv_uplink.h). */
#include "srv_stats.h"

#include <stdlib.h>
#include <string.h>

#include "mb_time.h"
#include "srv_uplink.h"

/* Each gateway with the group it is listed in: 0 offline, 1 a failing
 * uplink, 2 a weak one (srv_uplink.h), 3 the rest; ? is the offline time. */
#define GROUPED(from)                                                                              \
        "SELECT g.name, g.region, g.last_seen,"                                                    \
        " (SELECT count(*) FROM meters m WHERE m.gateway_id = g.id) AS n_meters,"                  \
        " (SELECT count(*) FROM meters m JOIN accounts a ON a.id = m.account_id"                   \
        "  WHERE m.gateway_id = g.id AND a.state = 'active') AS n_accounts,"                       \
        " " SRV_UPLINK_COLUMNS ","                                                                 \
        " CASE WHEN coalesce(g.last_seen, 0) < " from " THEN 0 WHEN u.health = 'failing' THEN 1"   \
        "  WHEN u.health = 'weak' THEN 2 ELSE 3 END AS grp"                                        \
        " FROM gateways g" SRV_UPLINK_JOIN

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
        json_object_object_add(e, "uplink", srv_uplink_json(st, 5));
        return e;
}

/* The counts: every gateway, offline, and online with a failing or weak
 * uplink, into c[0..3]. */
static int counts(srv_db *db, int64_t seen_after, int64_t c[4])
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT count(*),"
                              " coalesce(sum(CASE WHEN grp = 0 THEN 1 ELSE 0 END), 0),"
                              " coalesce(sum(CASE WHEN grp = 1 THEN 1 ELSE 0 END), 0),"
                              " coalesce(sum(CASE WHEN grp = 2 THEN 1 ELSE 0 END), 0)"
                              " FROM (" GROUPED("$1") ") x",
                              "i", seen_after);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                for (int i = 0; i < 4; i++)
                        c[i] = srv_stmt_i64(st, i);
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

void srv_h_stats_gateways(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const states[] = {"offline", "attention", "all", NULL};
        static const int groups_below[] = {1, 3, 4};
        const struct srv_config *cfg = rq->srv->cfg;
        const char *state = srv_req_query(rq, "state"), *ls = srv_req_query(rq, "limit");
        int64_t now = mb_realtime_s(), seen_after = now - cfg->mon.gateway_offline_s;
        int64_t c[4] = {0}, limit = 100, below = 1; /* list the groups below this */
        json_object *o, *list;
        srv_stmt *st = NULL;
        char *end = NULL;
        int rc, known = state == NULL;

        for (int i = 0; state && states[i]; i++)
                if (strcmp(state, states[i]) == 0)
                        below = groups_below[i], known = 1;
        if (!known) {
                srv_reply_errorf(rs, 400, "bad_field", "state",
                                 "'state' must be offline, attention or all");
                return;
        }
        if (ls && ((limit = strtoll(ls, &end, 10)) < 1 || limit > 1000 || *end || !*ls)) {
                srv_reply_errorf(rs, 400, "bad_field", "limit",
                                 "'limit' must be an integer in 1..1000");
                return;
        }
        rc = counts(rq->db, seen_after, c);
        list = json_object_new_array();
        /* offline: the most meters unwatched, then the longest silent; an
         * uplink in trouble: the weakest signal first; the rest as offline */
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  "SELECT * FROM (" GROUPED(
                                      "$1") ") x WHERE grp < $2"
                                            " ORDER BY grp, CASE WHEN grp IN (1, 2)"
                                            " THEN coalesce(signal_pct, 101) ELSE -n_meters END,"
                                            " coalesce(last_seen, 0), name LIMIT $3",
                                  "iii", seen_after, below, limit);
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
        srv_jadd_i64(o, "total", c[0]);
        srv_jadd_i64(o, "offline", c[1]);
        srv_jadd_i64(o, "offline_after_s", cfg->mon.gateway_offline_s);
        srv_jadd_i64(o, "uplink_failing", c[2]);
        srv_jadd_i64(o, "uplink_weak", c[3]);
        srv_jadd_i64(o, "uplink_weak_below", cfg->mon.uplink_weak_pct);
        json_object_object_add(o, "gateways", list);
        srv_reply_json(rs, 200, o);
}
