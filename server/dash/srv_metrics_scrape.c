/* SPDX-License-Identifier: Apache-2.0 */
/* GET /metrics: the counters of srv_metrics.c plus gauges read from the
 * database at scrape time (a handful of indexed counts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mb_time.h"
#include "srv.h"
#include "srv_metrics.h"

static int64_t count(srv_db *db, const char *sql, const char *types, int64_t arg)
{
        int64_t v = 0;

        if (types[0] ? srv_db_query_i64(db, &v, sql, types, arg) < 0
                     : srv_db_query_i64(db, &v, sql, "") < 0)
                return -1;
        return v;
}

/* The SQLite file and its WAL; -1 when there is no such file. */
static int64_t db_bytes(const char *path)
{
        char wal[4096];
        struct stat st;
        int64_t n;

        if (path == NULL || stat(path, &st) != 0)
                return -1;
        n = (int64_t)st.st_size;
        snprintf(wal, sizeof(wal), "%s-wal", path);
        if (stat(wal, &st) == 0)
                n += (int64_t)st.st_size;
        return n;
}

static void read_gauges(struct srv_req *rq, struct srv_metrics_gauges *g)
{
        static const char *const states[] = {"pending", "delivered", "done", "failed"};
        const struct srv_config *cfg = rq->srv->cfg;
        srv_db *db = rq->db;

        g->gateway_window_s = cfg->mon.gateway_offline_s;
        g->gateways = count(db, "SELECT count(*) FROM gateways", "", 0);
        g->gateways_seen = count(db, "SELECT count(*) FROM gateways WHERE last_seen >= $1", "i",
                                 mb_realtime_s() - cfg->mon.gateway_offline_s);
        g->meters = count(db, "SELECT count(*) FROM meters", "", 0);
        g->accounts = count(db, "SELECT count(*) FROM accounts", "", 0);
        for (int i = 0; i < 4; i++) {
                int64_t v = 0;

                if (srv_db_query_i64(db, &v, "SELECT count(*) FROM commands WHERE state = $1", "t",
                                     states[i]) < 0)
                        v = -1;
                g->commands[i] = v;
        }
        if (g->commands[1] < 0 || g->commands[2] < 0 || g->commands[3] < 0)
                g->commands[0] = -1;
        g->bills_held = count(db, "SELECT count(*) FROM bills WHERE state = 'held'", "", 0);
        g->webhook_pending =
            count(db, "SELECT count(*) FROM webhook_queue WHERE state = 'pending'", "", 0);
        g->webhook_dead =
            count(db, "SELECT count(*) FROM webhook_queue WHERE state = 'dead'", "", 0);
        if (g->webhook_dead < 0)
                g->webhook_pending = -1;
        g->db_bytes = strcmp(srv_db_backend(db), "postgresql") == 0
                          ? count(db, "SELECT pg_database_size(current_database())", "", 0)
                          : db_bytes(cfg->db_path);
}

void srv_h_metrics(struct srv_req *rq, struct srv_resp *rs)
{
        struct srv_metrics_gauges g;
        char *text;

        memset(&g, 0, sizeof(g));
        read_gauges(rq, &g);
        text = srv_metrics_render(srv_routes, srv_n_routes, &g);
        if (text == NULL) {
                srv_reply_errorf(rs, 500, "internal", "", "out of memory");
                return;
        }
        rs->status = 200;
        rs->text = text;
        rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
