/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A 2xx is a promise (DESIGN.md, Durability): the server on SQLite, driven
 * through its request path (srv_http_dispatch: authentication, handlers,
 * the wait for stable storage) by four gateways posting readings and a
 * clerk posting top-ups at once, loses power at a random moment (the
 * powercut VFS drops every write not synced).  After each cut the store is
 * reopened from what reached the disk: every reading and every top-up that
 * was answered 2xx before the cut is there with its values, the ledger adds
 * up to each balance, and the database is intact.  Then the load resumes
 * where the acknowledgements left off (as agents resend), for several cuts.
 *
 * MB_SEED=N repeats a run's random cut times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "mb_log.h"
#include "mb_time.h"
#include "powercut_vfs.h"
#include "srv.h"
#include "srv_auth.h"
#include "srv_http.h"
#include "srv_schema.h"
#include "srv_tariffs.h"
#include "srv_token.h"

#define NGW 4
#define MPG 8  /* meters per gateway */
#define RPB 20 /* readings per meter per batch */
#define CYCLES 8
#define MAX_TOPUPS 4096
#define T0 1735660800 /* 2025-01-01 00:00 Asia/Shanghai */

struct topup {
        char ref[32];
        int account;
        int64_t amount;
};

static struct {
        char dir[64], conf[96];
        struct srv_config *cfg;
        struct srv s;
        char admin[SRV_TOKEN_MAX], gw_tok[NGW][SRV_TOKEN_MAX];
        int cycle;
        /* what was acknowledged before the cut (under ack_mu) */
        pthread_mutex_t ack_mu;
        int cut;
        int64_t high[NGW * MPG]; /* the highest seq acked, per meter */
        struct topup topups[MAX_TOPUPS];
        int n_topups;
        int64_t acked_batches;
} w;

static int64_t import_of(int meter, int64_t seq)
{
        return 1000000 + meter * 1000 + seq * 50;
}

static int call(const char *method, const char *path, const char *body, const char *token,
                json_object **out)
{
        char auth[SRV_TOKEN_MAX + 16];
        struct srv_req rq;
        struct srv_resp rs;

        memset(&rq, 0, sizeof(rq));
        memset(&rs, 0, sizeof(rs));
        rq.method = method;
        rq.path = path;
        rq.body = body ? body : "";
        rq.body_len = strlen(rq.body);
        snprintf(auth, sizeof(auth), "Bearer %s", token);
        srv_http_dispatch(&w.s, &rq, auth, &rs);
        if (out)
                *out = json_object_get(rs.json);
        json_object_put(rs.json);
        free(rs.text);
        return rs.status;
}

static void open_server(void)
{
        char err[256];
        mb_diag *d = mb_diag_new();

        w.cfg = srv_config_load(w.conf, d);
        if (w.cfg == NULL)
                mb_diag_print(d, stderr);
        mb_diag_free(d);
        assert_non_null(w.cfg);
        memset(&w.s, 0, sizeof(w.s));
        w.s.cfg = w.cfg;
        pthread_mutex_init(&w.s.lock, NULL);
        assert_int_equal(srv_db_open_sqlite(w.cfg->db_path, 5000, &w.s.db, err, sizeof(err)),
                         MB_OK);
        assert_int_equal(srv_schema_migrate(w.s.db, err, sizeof(err)), MB_OK);
        w.s.tariffs = srv_tariff_cache_new();
}

static void close_server(void)
{
        srv_tariff_cache_free(w.s.tariffs);
        srv_db_close(w.s.db);
        pthread_mutex_destroy(&w.s.lock);
        srv_config_free(w.cfg);
}

static char *slurp(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf = calloc(1, 1 << 16);

        assert_non_null(f);
        assert_non_null(buf);
        assert_true(fread(buf, 1, (1 << 16) - 1, f) > 0);
        fclose(f);
        return buf;
}

/* Tokens, a tariff, NGW gateways of MPG meters, one prepaid account each. */
static void bootstrap(void)
{
        char path[128], body[256], *tariff = slurp(MB_SRC "/etc/tariffs/beijing-residential.conf");
        json_object *o = NULL, *v;

        assert_int_equal(srv_db_begin(w.s.db), MB_OK);
        assert_int_equal(srv_auth_create_token(w.s.db, "root", SRV_ROLE_ADMIN, 0, w.admin), MB_OK);
        assert_int_equal(srv_db_commit(w.s.db), MB_OK);
        assert_int_equal(call("POST", "/api/v1/tariffs", tariff, w.admin, NULL), 201);
        free(tariff);
        for (int g = 0; g < NGW; g++) {
                snprintf(body, sizeof(body), "{\"name\":\"gw%d\"}", g);
                assert_int_equal(call("POST", "/api/v1/gateways", body, w.admin, &o), 201);
                assert_true(json_object_object_get_ex(o, "token", &v));
                snprintf(w.gw_tok[g], sizeof(w.gw_tok[g]), "%s", json_object_get_string(v));
                json_object_put(o);
                for (int m = g * MPG; m < (g + 1) * MPG; m++) {
                        snprintf(body, sizeof(body), "{\"number\":\"A%03d\",\"mode\":\"prepaid\"}",
                                 m);
                        assert_int_equal(call("POST", "/api/v1/accounts", body, w.admin, NULL),
                                         201);
                        snprintf(path, sizeof(path), "/api/v1/accounts/A%03d/tariff", m);
                        assert_int_equal(call("PUT", path,
                                              "{\"tariff\":\"cn-bj-residential\","
                                              "\"effective\":\"2025-01-01\"}",
                                              w.admin, NULL),
                                         200);
                        snprintf(path, sizeof(path), "/api/v1/meters/100000000%03d", m);
                        snprintf(body, sizeof(body), "{\"gateway\":\"gw%d\",\"account\":\"A%03d\"}",
                                 g, m);
                        assert_int_equal(call("PUT", path, body, w.admin, NULL), 200);
                }
        }
}

static int is_cut(void)
{
        int c;

        pthread_mutex_lock(&w.ack_mu);
        c = w.cut;
        pthread_mutex_unlock(&w.ack_mu);
        return c;
}

/* One gateway uploading in order, from the seq after its acknowledged ones. */
static void *gateway(void *arg)
{
        int g = (int)(intptr_t)arg;
        int64_t next = w.high[g * MPG] + 1;
        size_t cap = MPG * RPB * 160 + 64;
        char *body = malloc(cap);

        while (!is_cut()) {
                size_t off = (size_t)snprintf(body, cap, "{\"gateway\":\"gw%d\",\"readings\":[", g);

                for (int k = 0; k < RPB; k++)
                        for (int m = g * MPG; m < (g + 1) * MPG; m++)
                                off += (size_t)snprintf(
                                    body + off, cap - off,
                                    "%s{\"meter\":\"100000000%03d\",\"seq\":%lld,\"ts\":%lld,"
                                    "\"import_wh\":%lld}",
                                    body[off - 1] == '[' ? "" : ",", m, (long long)(next + k),
                                    (long long)(T0 + (next + k) * 900),
                                    (long long)import_of(m, next + k));
                snprintf(body + off, cap - off, "]}");
                if (call("POST", "/api/v1/readings", body, w.gw_tok[g], NULL) != 200)
                        continue; /* after the cut: every write fails */
                pthread_mutex_lock(&w.ack_mu);
                if (!w.cut) {
                        for (int m = g * MPG; m < (g + 1) * MPG; m++)
                                w.high[m] = next + RPB - 1;
                        w.acked_batches++;
                }
                pthread_mutex_unlock(&w.ack_mu);
                next += RPB;
        }
        free(body);
        return NULL;
}

static void *clerk(void *arg)
{
        char path[64], body[128], ref[32];

        for (int n = 0; !is_cut(); n++) {
                int account = n % (NGW * MPG);
                int64_t amount = 100 + n % 97;

                snprintf(ref, sizeof(ref), "PAY-%d-%d", w.cycle, n);
                snprintf(path, sizeof(path), "/api/v1/accounts/A%03d/topups", account);
                snprintf(body, sizeof(body), "{\"amount_fen\":%lld,\"reference\":\"%s\"}",
                         (long long)amount, ref);
                if (call("POST", path, body, w.admin, NULL) != 201)
                        continue;
                pthread_mutex_lock(&w.ack_mu);
                if (!w.cut && w.n_topups < MAX_TOPUPS) {
                        struct topup *t = &w.topups[w.n_topups++];

                        snprintf(t->ref, sizeof(t->ref), "%s", ref);
                        t->account = account;
                        t->amount = amount;
                }
                pthread_mutex_unlock(&w.ack_mu);
        }
        return NULL;
}

static int64_t q_i64(const char *sql, const char *types, ...)
{
        srv_stmt *st = NULL;
        int64_t v = -1;
        va_list ap;
        int rc;

        /* srv_db_query is variadic: forward the few shapes used here */
        va_start(ap, types);
        if (strcmp(types, "") == 0) {
                rc = srv_db_query(w.s.db, &st, sql, "");
        } else if (strcmp(types, "t") == 0) {
                rc = srv_db_query(w.s.db, &st, sql, "t", va_arg(ap, const char *));
        } else {
                const char *a = va_arg(ap, const char *);
                int64_t b = va_arg(ap, int64_t);

                rc = srv_db_query(w.s.db, &st, sql, "ti", a, b);
        }
        va_end(ap);
        assert_true(rc >= 0);
        if (srv_stmt_step(st) == SRV_DB_ROW)
                v = srv_stmt_i64(st, 0);
        srv_stmt_done(st);
        return v;
}

/* Everything acknowledged before the cut is in the reopened store. */
static void verify(void)
{
        srv_stmt *st = NULL;
        char addr[16];

        assert_int_equal(srv_db_query(w.s.db, &st, "PRAGMA integrity_check", ""), MB_OK);
        assert_int_equal(srv_stmt_step(st), SRV_DB_ROW);
        assert_string_equal(srv_stmt_text(st, 0), "ok");
        srv_stmt_done(st);
        for (int m = 0; m < NGW * MPG; m++) {
                int64_t n;

                snprintf(addr, sizeof(addr), "100000000%03d", m);
                n = q_i64("SELECT count(*) FROM readings r JOIN meters x ON x.id = r.meter_id"
                          " WHERE x.address = $1 AND r.seq <= $2"
                          " AND r.import_wh = 1000000 + (CAST(substr(x.address, 10) AS INTEGER))"
                          " * 1000 + r.seq * 50",
                          "ti", addr, w.high[m]);
                if (n != w.high[m])
                        fail_msg("cycle %d: meter %s: %lld of its %lld acknowledged readings"
                                 " survived the power cut",
                                 w.cycle, addr, (long long)n, (long long)w.high[m]);
        }
        for (int i = 0; i < w.n_topups; i++) {
                int64_t amount = q_i64("SELECT amount_fen FROM payments WHERE reference = $1", "t",
                                       w.topups[i].ref);

                if (amount != w.topups[i].amount)
                        fail_msg("cycle %d: acknowledged top-up %s (%lld fen) is %s after the cut",
                                 w.cycle, w.topups[i].ref, (long long)w.topups[i].amount,
                                 amount < 0 ? "missing" : "changed");
        }
        assert_int_equal(q_i64("SELECT count(*) FROM accounts a WHERE a.balance_fen !="
                               " (SELECT coalesce(sum(amount_fen), 0) FROM ledger l"
                               " WHERE l.account_id = a.id)",
                               ""),
                         0);
}

static void acknowledged_writes_survive_power_cuts(void **state)
{
        const char *seed_env = getenv("MB_SEED");
        unsigned seed = seed_env ? (unsigned)atoi(seed_env) : (unsigned)mb_monotonic_ms();
        pthread_t th[NGW + 1];
        uint64_t before, checkpoints = 0;

        srand(seed);
        open_server();
        bootstrap();
        close_server(); /* a clean shutdown: the set-up is on disk */
        for (w.cycle = 0; w.cycle < CYCLES; w.cycle++) {
                open_server();
                w.cut = 0;
                for (int g = 0; g < NGW; g++)
                        pthread_create(&th[g], NULL, gateway, (void *)(intptr_t)g);
                pthread_create(&th[NGW], NULL, clerk, NULL);
                before = powercut_db_syncs();
                mb_sleep_ms(30 + rand() % 500);
                pthread_mutex_lock(&w.ack_mu);
                w.cut = 1;
                powercut_cut();
                pthread_mutex_unlock(&w.ack_mu);
                checkpoints += powercut_db_syncs() - before;
                for (int i = 0; i <= NGW; i++)
                        pthread_join(th[i], NULL);
                close_server();
                powercut_revive();
                open_server();
                verify();
                close_server();
        }
        print_message("seed %u: %lld batches and %d top-ups acknowledged across %d power cuts,"
                      " %llu syncs, %llu of the database file under load (checkpoints)\n",
                      seed, (long long)w.acked_batches, w.n_topups, CYCLES,
                      (unsigned long long)powercut_syncs(), (unsigned long long)checkpoints);
        assert_true(w.acked_batches > 0 && w.n_topups > 0); /* the test did test something */
}

struct syncer {
        srv_db *db;
        uint64_t n;
        int rc;
        pthread_t th;
};

static void *sync_thread(void *arg)
{
        struct syncer *y = arg;

        y->rc = srv_db_sync(y->db, y->n);
        return NULL;
}

/* Group commit: while one sync runs, the connection goes on committing,
 * and the requests that wait meanwhile share a single next sync. */
static void group_commit_shares_one_sync(void **state)
{
        struct syncer y[4];
        char path[96], err[256];
        srv_db *db;
        uint64_t before, n0;

        snprintf(path, sizeof(path), "%s/group.db", w.dir);
        assert_int_equal(srv_db_open_sqlite(path, 5000, &db, err, sizeof(err)), MB_OK);
        assert_int_equal(srv_db_exec_script(db, "CREATE TABLE t (x INTEGER)"), MB_OK);
        n0 = srv_db_commits(db);
        assert_true(n0 >= 1);
        assert_int_equal(srv_db_sync(db, n0), MB_OK);
        assert_int_equal(srv_db_sync(db, n0), MB_OK); /* nothing new: no sync */
        before = powercut_syncs();
        powercut_hold(1);
        assert_int_equal(srv_db_exec_args(db, "INSERT INTO t VALUES (1)", ""), 1);
        y[0] = (struct syncer){.db = db, .n = srv_db_commits(db)};
        assert_int_equal(y[0].n, n0 + 1);
        pthread_create(&y[0].th, NULL, sync_thread, &y[0]);
        while (powercut_held() == 0)
                mb_sleep_ms(1);
        /* the first sync is under way; the connection is not held by it */
        for (int i = 1; i < 4; i++) {
                assert_int_equal(srv_db_begin(db), MB_OK);
                assert_int_equal(srv_db_exec_args(db, "INSERT INTO t VALUES ($1)", "i", (int64_t)i),
                                 1);
                assert_int_equal(srv_db_commit(db), MB_OK);
                y[i] = (struct syncer){.db = db, .n = srv_db_commits(db)};
                pthread_create(&y[i].th, NULL, sync_thread, &y[i]);
        }
        powercut_hold(0);
        for (int i = 0; i < 4; i++) {
                pthread_join(y[i].th, NULL);
                assert_int_equal(y[i].rc, MB_OK);
        }
        /* one sync for the first commit, one for the three behind it */
        assert_int_equal(powercut_syncs() - before, 2);
        srv_db_close(db);
}

static int setup(void **state)
{
        FILE *f;

        setenv("TZ", "Asia/Shanghai", 1);
        mb_log_set_level(MB_LOG_ERR - 1); /* the failing writes after each cut are expected */
        snprintf(w.dir, sizeof(w.dir), "/tmp/mbpowercut.XXXXXX");
        assert_non_null(mkdtemp(w.dir));
        snprintf(w.conf, sizeof(w.conf), "%s/server.conf", w.dir);
        f = fopen(w.conf, "w");
        assert_non_null(f);
        fprintf(f,
                "database = { path = \"%s/server.db\"; };\n"
                "timezone = \"Asia/Shanghai\";\n"
                "limits = { max_readings = 1000; requests_per_minute = 0; };\n"
                "settlement = { enabled = false; };\n"
                "log = { level = \"error\"; };\n",
                w.dir);
        fclose(f);
        pthread_mutex_init(&w.ack_mu, NULL);
        return powercut_register(1) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf %s", w.dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(group_commit_shares_one_sync),
            cmocka_unit_test(acknowledged_writes_survive_power_cuts),
        };

        return cmocka_run_group_tests(tests, setup, teardown);
}
