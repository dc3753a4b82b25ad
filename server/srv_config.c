/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "mb_build_config.h"
#include "mb_money.h"

static const char *const top_keys[] = {"listen",    "tls",        "database", "timezone",
                                       "limits",    "settlement", "accounts", "log",
                                       "dashboard", "webhooks",   "commands", NULL};
static const char *const listen_keys[] = {"address", "port", "threads", "trusted_proxies", NULL};
static const char *const tls_keys[] = {"certificate", "key", "client_ca", NULL};
static const char *const db_keys[] = {"backend",          "path",        "conninfo",
                                      "busy_timeout_ms",  "deadline_ms", "connect_timeout_s",
                                      "failover_wait_ms", NULL};
static const char *const limit_keys[] = {
    "max_body_bytes",      "max_readings",           "max_events",
    "requests_per_minute", "connection_timeout_s",   "request_deadline_s",
    "max_connections",     "max_connections_per_ip", NULL};
static const char *const settle_keys[] = {
    "enabled",           "day", "time", "jump_ratio", "command_ttl_hours", "due_days", "grace_days",
    "overdue_trip_days", NULL};
static const char *const account_keys[] = {"alarm1", "alarm2", "credit_limit", "reconnect", NULL};
static const char *const log_keys[] = {"level", "syslog", NULL};

/* A money amount in yuan as a decimal string ("20.00") or fen as an integer. */
static void get_money(const config_setting_t *g, const char *key, int64_t *out, mb_diag *d)
{
        const config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;

        if (s == NULL)
                return;
        if (config_setting_type(s) != CONFIG_TYPE_STRING ||
            mb_decimal_parse(config_setting_get_string(s), 2, out) < 0)
                mb_diag_at(d, s, "'%s' must be an amount in yuan as a string, e.g. \"20.00\"", key);
}

/* listen.trusted_proxies: a list of up to 8 numeric addresses. */
static void parse_proxies(struct srv_config *c, const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *l = g ? config_setting_get_member(g, "trusted_proxies") : NULL;
        int n = l ? config_setting_length(l) : 0;

        if (l && !config_setting_is_aggregate(l)) {
                mb_diag_at(d, l,
                           "'trusted_proxies' must be a list of addresses, e.g. "
                           "[\"127.0.0.1\", \"::1\"]");
                return;
        }
        if (n > (int)(sizeof(c->trusted_proxies) / sizeof(c->trusted_proxies[0]))) {
                mb_diag_at(d, l, "at most 8 trusted proxies");
                return;
        }
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(l, (unsigned)i);
                const char *a = config_setting_get_string(e);
                unsigned char buf[16];

                if (a == NULL ||
                    (inet_pton(AF_INET, a, buf) != 1 && inet_pton(AF_INET6, a, buf) != 1)) {
                        mb_diag_at(d, e, "a trusted proxy is a numeric IPv4 or IPv6 address");
                        return;
                }
                c->trusted_proxies[c->n_trusted_proxies++] = a;
        }
}

static void parse_listen(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "listen", listen_keys, d);

        c->listen_address = "127.0.0.1";
        if (g)
                mb_conf_string(g, "address", &c->listen_address, d);
        c->port = (int)mb_conf_int_or(g, "port", 0, 65535, 8080, d);
        c->threads = (int)mb_conf_int_or(g, "threads", 1, 256, 4, d);
        parse_proxies(c, g, d);
}

/* commands { signing_key_file }: the secret the gateways' command keys derive
 * from (docs/security.md).  At least 16 bytes, read once at start. */
static void parse_commands(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        static const char *const keys[] = {"signing_key_file", NULL};
        const config_setting_t *g = mb_conf_group(root, "commands", keys, d);
        const char *path = NULL;
        FILE *f;

        if (!g || mb_conf_need_string(g, "signing_key_file", &path, d) != 1)
                return;
        f = fopen(path, "rb");
        if (f) {
                c->cmd_secret_len = fread(c->cmd_secret, 1, sizeof(c->cmd_secret), f);
                fclose(f);
        }
        if (!f || c->cmd_secret_len < 16)
                mb_diag_at(d, config_setting_get_member(g, "signing_key_file"), "'%s': %s", path,
                           f ? "needs at least 16 bytes of secret" : "cannot be read");
}

static void parse_tls(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "tls", tls_keys, d);

        if (!g)
                return;
        mb_conf_need_string(g, "certificate", &c->tls_cert, d);
        mb_conf_need_string(g, "key", &c->tls_key, d);
        mb_conf_string(g, "client_ca", &c->tls_client_ca, d);
}

/* database: backend "sqlite" (path) or "postgresql" (conninfo). */
static void parse_db(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "database", db_keys, d);
        const config_setting_t *path = g ? config_setting_get_member(g, "path") : NULL;
        const config_setting_t *ci = g ? config_setting_get_member(g, "conninfo") : NULL;

        c->db_backend = "sqlite";
        c->db_path = MB_STATE_DIR "/server.db";
        c->db_conninfo = NULL;
        if (g) {
                mb_conf_string(g, "path", &c->db_path, d);
                mb_conf_string(g, "conninfo", &c->db_conninfo, d);
                if (mb_conf_string(g, "backend", &c->db_backend, d) == 1 &&
                    strcmp(c->db_backend, "sqlite") != 0 &&
                    strcmp(c->db_backend, "postgresql") != 0)
                        mb_diag_at(d, config_setting_get_member(g, "backend"),
                                   "'backend' must be \"sqlite\" or \"postgresql\", not \"%s\"",
                                   c->db_backend);
                else if (strcmp(c->db_backend, "postgresql") == 0 && path)
                        mb_diag_at(d, path,
                                   "'path' is for backend \"sqlite\"; PostgreSQL takes"
                                   " 'conninfo'");
                else if (strcmp(c->db_backend, "postgresql") == 0 && !ci)
                        mb_diag_at(d, g,
                                   "backend \"postgresql\" needs 'conninfo', e.g."
                                   " \"host=/run/postgresql dbname=meterbox\"");
                else if (strcmp(c->db_backend, "sqlite") == 0 && ci)
                        mb_diag_at(d, ci,
                                   "'conninfo' is for backend \"postgresql\"; SQLite"
                                   " takes 'path'");
        }
        c->busy_timeout_ms = (int)mb_conf_int_or(g, "busy_timeout_ms", 0, 600000, 5000, d);
        /* failover (PostgreSQL, docs/operations-install.md): a round trip
         * may wait for a lock, so its deadline is longer than that wait */
        c->db_deadline_ms = (int)mb_conf_int_or(g, "deadline_ms", 0, 3600000, 15000, d);
        c->db_connect_timeout_s = (int)mb_conf_int_or(g, "connect_timeout_s", 2, 600, 3, d);
        c->db_failover_wait_ms = (int)mb_conf_int_or(g, "failover_wait_ms", 0, 600000, 10000, d);
        if (c->db_deadline_ms && c->db_deadline_ms <= c->busy_timeout_ms) {
                /* deadline_ms may be the default: then point at the wait */
                const config_setting_t *at = config_setting_get_member(g, "deadline_ms");

                mb_diag_at(d, at ? at : config_setting_get_member(g, "busy_timeout_ms"),
                           "'deadline_ms' (%d) must be longer than 'busy_timeout_ms' (%d), or 0",
                           c->db_deadline_ms, c->busy_timeout_ms);
        }
}

static void parse_limits(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "limits", limit_keys, d);
        int64_t v = 1048576;

        if (g)
                mb_conf_int(g, "max_body_bytes", 1024, (int64_t)1 << 30, &v, d);
        c->max_body_bytes = v;
        c->max_readings = (int)mb_conf_int_or(g, "max_readings", 1, 1000000, 10000, d);
        c->max_events = (int)mb_conf_int_or(g, "max_events", 1, 1000000, 10000, d);
        c->requests_per_minute =
            (int)(int)mb_conf_int_or(g, "requests_per_minute", 0, 1000000, 1200, d);
        c->connection_timeout_s =
            (int)(int)mb_conf_int_or(g, "connection_timeout_s", 1, 3600, 30, d);
        c->request_deadline_s = (int)mb_conf_int_or(g, "request_deadline_s", 0, 86400, 300, d);
        c->max_connections = (int)(int)mb_conf_int_or(g, "max_connections", 1, 100000, 1000, d);
        c->max_connections_per_ip =
            (int)(int)mb_conf_int_or(g, "max_connections_per_ip", 0, 100000, 100, d);
}

static void parse_hhmm(struct srv_config *c, const config_setting_t *g, mb_diag *d)
{
        const char *s;
        int h, m;
        char tail;

        c->settle_minute = 2 * 60;
        if (!g || mb_conf_string(g, "time", &s, d) != 1)
                return;
        if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || strlen(s) != 5 || h < 0 || h > 23 ||
            m < 0 || m > 59)
                mb_diag_at(d, config_setting_get_member(g, "time"),
                           "'time' must be local \"HH:MM\", not \"%s\"", s);
        else
                c->settle_minute = h * 60 + m;
}

static void parse_settlement(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "settlement", settle_keys, d);
        const char *ratio;

        c->settle_enabled = 1;
        c->jump_milli = 3000;
        if (g)
                mb_conf_bool(g, "enabled", &c->settle_enabled, d);
        c->settle_day = (int)mb_conf_int_or(g, "day", 1, 28, 1, d);
        parse_hhmm(c, g, d);
        if (g && mb_conf_string(g, "jump_ratio", &ratio, d) == 1 &&
            (mb_decimal_parse(ratio, 3, &c->jump_milli) < 0 || c->jump_milli <= 1000))
                mb_diag_at(d, config_setting_get_member(g, "jump_ratio"),
                           "'jump_ratio' must be a decimal string above 1, e.g. \"3.0\"");
        c->command_ttl_s = (int)mb_conf_int_or(g, "command_ttl_hours", 1, 24 * 365, 24, d) * 3600;
        /* postpaid bills (srv_dunning.c): due, grace, and a trip only when asked */
        c->due_days = (int)mb_conf_int_or(g, "due_days", 0, 365, 15, d);
        c->grace_days = (int)mb_conf_int_or(g, "grace_days", 0, 365, 10, d);
        c->overdue_trip_days = (int)mb_conf_int_or(g, "overdue_trip_days", -1, 365, -1, d);
}

static void parse_accounts(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "accounts", account_keys, d);

        c->alarm1_fen = 2000;
        c->alarm2_fen = 500;
        c->credit_limit_fen = 0;
        c->reconnect_fen = 100;
        get_money(g, "alarm1", &c->alarm1_fen, d);
        get_money(g, "alarm2", &c->alarm2_fen, d);
        get_money(g, "credit_limit", &c->credit_limit_fen, d);
        get_money(g, "reconnect", &c->reconnect_fen, d);
}

static void parse_log(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};
        const config_setting_t *g = mb_conf_group(root, "log", log_keys, d);
        int ok = 0;

        c->log_level = "info";
        if (!g)
                return;
        mb_conf_bool(g, "syslog", &c->log_syslog, d);
        if (mb_conf_string(g, "level", &c->log_level, d) != 1)
                return;
        for (int i = 0; levels[i]; i++)
                ok |= strcmp(levels[i], c->log_level) == 0;
        if (!ok)
                mb_diag_at(d, config_setting_get_member(g, "level"),
                           "'level' must be error, warning, notice, info or debug");
}

/* A tz database name must name a zone file: glibc silently falls back to UTC
 * for an unknown TZ, which would move every month boundary. */
static void parse_timezone(struct srv_config *c, const config_setting_t *root, mb_diag *d)
{
        mb_conf_timezone(root, "timezone", &c->timezone, d);
}

struct srv_config *srv_config_load(const char *path, mb_diag *d)
{
        struct srv_config *c = calloc(1, sizeof(*c));
        int before = mb_diag_count(d);
        const config_setting_t *root;

        if (!c) {
                mb_diag_add(d, path, 0, "out of memory");
                return NULL;
        }
        config_init(&c->lc);
        if (mb_conf_read_file(&c->lc, path, d) < 0) {
                srv_config_free(c);
                return NULL;
        }
        root = config_root_setting(&c->lc);
        mb_conf_check_keys(root, top_keys, "server.conf", d);
        parse_listen(c, root, d);
        parse_tls(c, root, d);
        parse_commands(c, root, d);
        parse_db(c, root, d);
        parse_timezone(c, root, d);
        parse_limits(c, root, d);
        parse_settlement(c, root, d);
        parse_accounts(c, root, d);
        parse_log(c, root, d);
        srv_mon_config_parse(&c->mon, &c->hooks, root, d);
        if (mb_diag_count(d) > before) {
                srv_config_free(c);
                return NULL;
        }
        return c;
}

void srv_config_free(struct srv_config *c)
{
        if (!c)
                return;
        srv_mon_config_free(&c->mon);
        config_destroy(&c->lc);
        free(c);
}
