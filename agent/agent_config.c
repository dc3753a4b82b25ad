/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_config.h"
#include "agent_config_priv.h"
#include "mb_build_config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const top_keys[] = {"gateway", "timezone", "plugin_dir",  "plugins",
                                       "store",   "log",      "policy",      "server",
                                       "buses",   "meters",   "stall_limit", NULL};
static const char *const gateway_keys[] = {"id", "region", "upload_slot", NULL};
static const char *const store_keys[] = {"path",        "commit_every", "commit_interval_ms",
                                         "synchronous", "max_bytes",    "keep_acked_days",
                                         NULL};
static const char *const log_keys[] = {"level", "syslog", NULL};

int agent_conf_int(const config_setting_t *g, const char *key, int64_t min, int64_t max, int def,
                   mb_diag *d)
{
        int64_t v = def;

        mb_conf_int(g, key, min, max, &v, d);
        return (int)v;
}

static const config_setting_t *group_or_null(const config_setting_t *s, const char *what,
                                             mb_diag *d)
{
        if (s && config_setting_type(s) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, s, "'%s' must be a group { ... }", what);
                return NULL;
        }
        return s;
}

static void parse_gateway(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g =
            group_or_null(config_setting_get_member(root, "gateway"), "gateway", d);

        if (!g) {
                mb_diag_at(d, root, "missing required group 'gateway'");
                return;
        }
        mb_conf_check_keys(g, gateway_keys, "gateway", d);
        mb_conf_need_string(g, "id", &c->gateway_id, d);
        c->region = "";
        mb_conf_string(g, "region", &c->region, d);
        c->upload_slot = agent_conf_int(g, "upload_slot", 0, 1439, -1, d);
}

/* Defaults: routine readings reach flash every 5 s or 100 readings, and
 * everything acted on or uploaded at once (docs/durability.md). */
static void parse_store(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g =
            group_or_null(config_setting_get_member(root, "store"), "store", d);
        const char *sync = "full";

        c->store_path = MB_STATE_DIR "/agent.db";
        c->commit_every = 100;
        c->commit_interval_ms = 5000;
        c->keep_acked_days = 7;
        if (!g)
                return;
        mb_conf_check_keys(g, store_keys, "store", d);
        mb_conf_string(g, "path", &c->store_path, d);
        c->commit_every = agent_conf_int(g, "commit_every", 1, 100000, 100, d);
        c->commit_interval_ms = agent_conf_int(g, "commit_interval_ms", 0, 3600000, 5000, d);
        mb_conf_int(g, "max_bytes", 0, INT64_MAX, &c->store_max_bytes, d);
        c->keep_acked_days = agent_conf_int(g, "keep_acked_days", 0, 3650, 7, d);
        /* Kept for old files: every commit is synced now, whatever it says. */
        if (mb_conf_string(g, "synchronous", &sync, d) == 1 && strcmp(sync, "full") != 0 &&
            strcmp(sync, "normal") != 0)
                mb_diag_at(d, config_setting_get_member(g, "synchronous"),
                           "'synchronous' must be \"full\" or \"normal\", not \"%s\"", sync);
}

static void parse_log(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = group_or_null(config_setting_get_member(root, "log"), "log", d);
        static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};
        int ok = 0;

        c->log_level = "info";
        if (!g)
                return;
        mb_conf_check_keys(g, log_keys, "log", d);
        mb_conf_bool(g, "syslog", &c->log_syslog, d);
        if (mb_conf_string(g, "level", &c->log_level, d) != 1)
                return;
        for (int i = 0; levels[i]; i++)
                ok |= strcmp(levels[i], c->log_level) == 0;
        if (!ok)
                mb_diag_at(d, config_setting_get_member(g, "level"),
                           "'level' must be error, warning, notice, info or debug");
}

static void parse_plugin_files(struct agent_config *c, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *s = config_setting_get_member(root, "plugins");
        int n;

        if (!s)
                return;
        if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP) {
                mb_diag_at(d, s, "'plugins' must be a list of file names");
                return;
        }
        n = config_setting_length(s);
        c->plugin_files = calloc((size_t)n + 1, sizeof(char *));
        for (int i = 0; c->plugin_files && i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
                if (config_setting_type(e) != CONFIG_TYPE_STRING)
                        mb_diag_at(d, e, "plugins[%d] must be a string", i);
                else
                        c->plugin_files[i] = config_setting_get_string(e);
        }
}

const config_setting_t *agent_conf_list(const config_setting_t *root, const char *key, int *n,
                                        mb_diag *d)
{
        const config_setting_t *s = config_setting_get_member(root, key);

        *n = 0;
        if (!s)
                return NULL;
        if (config_setting_type(s) != CONFIG_TYPE_LIST) {
                mb_diag_at(d, s, "'%s' must be a list ( { ... }, ... )", key);
                return NULL;
        }
        *n = config_setting_length(s);
        return s;
}

struct agent_config *agent_config_load(const char *path, mb_diag *d)
{
        struct agent_config *c = calloc(1, sizeof(*c));
        int before = mb_diag_count(d);
        const config_setting_t *root;

        if (!c) {
                mb_diag_add(d, path, 0, "out of memory");
                return NULL;
        }
        config_init(&c->lc);
        c->path = strdup(path);
        if (mb_conf_read_file(&c->lc, path, d) < 0) {
                agent_config_free(c);
                return NULL;
        }
        root = config_root_setting(&c->lc);
        mb_conf_check_keys(root, top_keys, "agent.conf", d);
        parse_gateway(c, root, d);
        c->timezone = NULL;
        mb_conf_timezone(root, "timezone", &c->timezone, d);
        mb_conf_string(root, "plugin_dir", &c->plugin_dir, d);
        /* A plugin call that overran its timeout cannot be taken back: past
         * this, a restart is the only cure (agent_tick). */
        c->stall_limit_s = agent_conf_int(root, "stall_limit", 0, 86400, 300, d);
        parse_plugin_files(c, root, d);
        parse_store(c, root, d);
        parse_log(c, root, d);
        agent_parse_policy(&c->policy, config_setting_get_member(root, "policy"), d);
        agent_parse_server(&c->server, config_setting_get_member(root, "server"), d);
        parse_buses(c, root, d);
        parse_meters(c, root, d);
        if (mb_diag_count(d) > before) {
                agent_config_free(c);
                return NULL;
        }
        return c;
}

void agent_config_free(struct agent_config *c)
{
        if (!c)
                return;
        config_destroy(&c->lc);
        free(c->plugin_files);
        free(c->buses);
        free(c->meters);
        free(c->path);
        free(c);
}

int agent_config_meter_index(const struct agent_config *c, const char *name)
{
        for (int i = 0; name && i < c->n_meters; i++)
                if (c->meters[i].name && strcmp(c->meters[i].name, name) == 0)
                        return i;
        return -1;
}

int agent_config_bus_index(const struct agent_config *c, const char *name)
{
        for (int i = 0; name && i < c->n_buses; i++)
                if (c->buses[i].name && strcmp(c->buses[i].name, name) == 0)
                        return i;
        return -1;
}
