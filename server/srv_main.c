/* SPDX-License-Identifier: Apache-2.0 */
/* meterbox-server: command line, start-up order, signals, the schedule. */
#define MB_LOG_MODULE "server"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mb_build_config.h"
#include "mb_log.h"
#include "mb_notify.h"
#include "mb_signal.h"
#include "mb_time.h"
#include "srv.h"
#include "srv_auth.h"
#include "srv_close_job.h"
#include "srv_bootstrap.h"
#include "srv_http.h"
#include "srv_schema.h"
#include "srv_schema_pg.h"
#include "srv_settle.h"
#include "srv_tariffs.h"
#include "srv_webhook.h"
#include "srv_token.h"

struct options {
        const char *config;
        const char *token_name, *token_role, *revoke_name;
        int test, foreground, verbose;
};

static void usage(FILE *f)
{
        fprintf(f,
                "Usage: meterbox-server [OPTION]...\n"
                "Receive readings, keep accounts and their ledger, settle months into bills.\n\n"
                "  -c, --config FILE        configuration file (default %s/server.conf)\n"
                "  -t, --test               check the configuration, then exit\n"
                "  -f, --foreground         do not detach (for systemd)\n"
                "  -v, --verbose            debug logging\n"
                "      --create-token NAME  create an API token, print it once, exit\n"
                "      --role ROLE          its role: admin (default) or operator\n"
                "      --revoke-token NAME  revoke the API token NAME at once, exit\n"
                "      --version            print the version\n"
                "  -h, --help               this text\n\n"
                "Exit status: 0 ok, 1 bad configuration (-t), 2 error.\n",
                MB_SYSCONF_DIR);
}

static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                                 {"test", no_argument, NULL, 't'},
                                                 {"foreground", no_argument, NULL, 'f'},
                                                 {"verbose", no_argument, NULL, 'v'},
                                                 {"create-token", required_argument, NULL, 'T'},
                                                 {"role", required_argument, NULL, 'R'},
                                                 {"revoke-token", required_argument, NULL, 'X'},
                                                 {"version", no_argument, NULL, 'V'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
        int c;

        while ((c = getopt_long(argc, argv, "c:tfvh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case 't':
                        o->test = 1;
                        break;
                case 'f':
                        o->foreground = 1;
                        break;
                case 'v':
                        o->verbose = 1;
                        break;
                case 'X':
                        o->revoke_name = optarg;
                        break;
                case 'T':
                        o->token_name = optarg;
                        break;
                case 'R':
                        o->token_role = optarg;
                        break;
                case 'V':
                        printf("meterbox-server %s\n", MB_VERSION);
                        exit(0);
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "meterbox-server: unexpected argument '%s'\n", argv[optind]);
                return -1;
        }
        if (o->token_role && !o->token_name) {
                fprintf(stderr, "meterbox-server: --role goes with --create-token NAME\n");
                return -1;
        }
        return 0;
}

static struct srv_config *load_config(const char *path)
{
        mb_diag *d = mb_diag_new();
        struct srv_config *cfg = srv_config_load(path, d);

        if (cfg == NULL)
                mb_diag_print(d, stderr);
        mb_diag_free(d);
        return cfg;
}

static int open_db(const struct srv_config *cfg, srv_db **db)
{
        int pg = strcmp(cfg->db_backend, "postgresql") == 0;
        struct srv_db_pg_opts o = {cfg->busy_timeout_ms, cfg->db_deadline_ms,
                                   cfg->db_connect_timeout_s, cfg->db_failover_wait_ms};
        char err[512];

        if ((pg ? srv_db_open_pg(cfg->db_conninfo, &o, db, err, sizeof(err))
                : srv_db_open_sqlite(cfg->db_path, cfg->busy_timeout_ms, db, err, sizeof(err))) <
                0 ||
            srv_schema_migrate(*db, err, sizeof(err)) < 0) {
                mb_err_log("database %s: %s", pg ? "(postgresql)" : cfg->db_path, err);
                srv_db_close(*db);
                *db = NULL;
                return -1;
        }
        return 0;
}

static int create_token(const struct srv_config *cfg, const char *name, const char *role_name)
{
        unsigned role = srv_role_parse(role_name ? role_name : "admin");
        char token[SRV_TOKEN_MAX], err[600] = "";
        int sqlite = strcmp(cfg->db_backend, "postgresql") != 0;
        srv_db *db;
        int rc;

        if (role != SRV_ROLE_ADMIN && role != SRV_ROLE_OPERATOR) {
                fprintf(stderr, "meterbox-server: --role must be admin or operator (gateway "
                                "tokens come from registering a gateway)\n");
                return 2;
        }
        if (!srv_json_ident_ok(name)) {
                fprintf(stderr, "meterbox-server: a token name may hold letters, digits, "
                                "'-', '_' and '.'\n");
                return 2;
        }
        if (sqlite && srv_bootstrap_dir(cfg->db_path, err, sizeof(err)) < 0) {
                fprintf(stderr, "meterbox-server: %s\n", err);
                return 2;
        }
        if (open_db(cfg, &db) < 0)
                return 2;
        rc = srv_db_begin(db);
        if (rc == MB_OK)
                rc = srv_auth_create_token(db, name, role, 0, token);
        if (rc == MB_OK)
                rc = srv_db_commit(db);
        if (rc < 0) {
                srv_db_rollback(db);
                fprintf(stderr, "meterbox-server: cannot create token '%s': %s\n", name,
                        rc == MB_EEXIST ? "a token with that name exists" : srv_db_errmsg(db));
        } else {
                printf("%s\n", token);
        }
        srv_db_close(db);
        if (rc >= 0 && sqlite && srv_bootstrap_files(cfg->db_path, err, sizeof(err)) < 0) {
                fprintf(stderr, "meterbox-server: %s\n", err);
                rc = -1;
        }
        return rc < 0 ? 2 : 0;
}

/* Revoke the token called name (a stolen operator or admin token, or a
 * gateway's "gateway:NAME"): it fails with 401 from the next request on. */
static int revoke_token(const struct srv_config *cfg, const char *name)
{
        srv_db *db;
        int64_t n = 0;
        int rc;

        if (open_db(cfg, &db) < 0)
                return 2;
        rc = srv_db_begin(db);
        if (rc == MB_OK)
                rc = srv_db_query_i64(db, &n,
                                      "SELECT count(*) FROM tokens WHERE name = $1"
                                      " AND revoked = 0",
                                      "t", name);
        if (rc >= 0)
                rc = srv_db_exec_args(
                    db,
                    "UPDATE tokens SET revoked = 1, name = name || ':revoked:' || id"
                    " WHERE name = $1 AND revoked = 0",
                    "t", name);
        if (rc >= 0)
                rc = srv_db_commit(db);
        if (rc < 0)
                srv_db_rollback(db);
        srv_db_close(db);
        if (rc < 0 || n == 0) {
                fprintf(stderr, "meterbox-server: %s token '%s'\n",
                        rc < 0 ? "cannot revoke" : "no active", name);
                return rc < 0 ? 2 : 1;
        }
        printf("revoked %s\n", name);
        return 0;
}

static int run(const struct srv_config *cfg, int foreground)
{
        struct srv s = {.cfg = cfg};
        struct srv_http *http;
        struct srv_webhook_sender *hooks;
        struct srv_close *close;
        int64_t last_parts;

        pthread_mutex_init(&s.lock, NULL);
        if (open_db(cfg, &s.db) < 0)
                return 2;
        s.tariffs = srv_tariff_cache_new();
        last_parts = mb_realtime_s(); /* open_db made them */
        if (!foreground && daemon(0, 0) < 0) {
                mb_err_log("cannot detach: %m");
                return 2;
        }
        mb_signals_install();
        mb_signals_block(1);
        hooks = srv_webhook_start(&s);
        close = srv_close_start(&s);
        http = close ? srv_http_start(&s) : NULL;
        mb_signals_block(0);
        if (http == NULL) {
                srv_close_stop(close);
                srv_webhook_stop(hooks);
                srv_tariff_cache_free(s.tariffs);
                srv_db_close(s.db);
                return 2;
        }
        mb_notify_ready();
        while (!mb_signal_stop()) {
                int64_t now;

                mb_sleep_ms(200);
                srv_lock(&s);
                now = mb_realtime_s();
                if (strcmp(cfg->db_backend, "postgresql") == 0 && now - last_parts >= 86400) {
                        last_parts = now; /* next months' readings partitions, daily */
                        srv_schema_pg_partitions(s.db, now, 1, 3);
                }
                srv_unlock(&s);
                srv_http_tick(http, mb_monotonic_ms());
                mb_notify_watchdog();
        }
        mb_notify_stopping();
        mb_notice("stopping");
        srv_http_stop(http);
        srv_close_stop(close);
        srv_webhook_stop(hooks);
        srv_tariff_cache_free(s.tariffs);
        srv_db_close(s.db);
        pthread_mutex_destroy(&s.lock);
        return 0;
}

int main(int argc, char **argv)
{
        struct options o = {.config = MB_SYSCONF_DIR "/server.conf"};
        struct srv_config *cfg;
        int rc;

        if (parse_args(argc, argv, &o) < 0)
                return 2;
        cfg = load_config(o.config);
        if (cfg == NULL)
                return o.test ? 1 : 2;
        if (o.test) {
                printf("%s: ok\n", o.config);
                srv_config_free(cfg);
                return 0;
        }
        mb_log_set_level(o.verbose ? MB_LOG_DEBUG : mb_log_level_parse(cfg->log_level));
        if (cfg->log_syslog)
                mb_log_open("meterbox-server");
        if (cfg->timezone)
                setenv("TZ", cfg->timezone, 1);
        tzset();
        if (o.token_name)
                rc = create_token(cfg, o.token_name, o.token_role);
        else if (o.revoke_name)
                rc = revoke_token(cfg, o.revoke_name);
        else
                rc = run(cfg, o.foreground);
        srv_config_free(cfg);
        return rc;
}
