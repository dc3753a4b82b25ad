/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "agent"
#include "agent.h"
#include "agent_upload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_log.h"
#include "mb_time.h"

/* Plugins and devices for a loaded config; 0 or -1 with problems in d. */
static int prepare_devices(struct agent *a, const char *plugin_dir, mb_diag *d)
{
        a->plugins = agent_plugins_new(plugin_dir ? plugin_dir : a->cfg->plugin_dir);
        if (!a->plugins)
                return -1;
        for (int i = 0; a->cfg->plugin_files && a->cfg->plugin_files[i]; i++)
                agent_plugins_load_file(a->plugins, a->cfg->plugin_files[i], d);
        if (mb_diag_count(d) == 0)
                a->devs = agent_devices_create(a->cfg, a->plugins, d);
        return a->devs ? 0 : -1;
}

int agent_prepare(struct agent *a, const char *config_path, const char *plugin_dir)
{
        mb_diag *d = mb_diag_new();
        int rc = -1;

        memset(a, 0, sizeof(*a));
        if (!d)
                return -1;
        a->cfg = agent_config_load(config_path, d);
        if (a->cfg) {
                /* Before any plugin starts: plugins read local time from the
                 * process zone. */
                if (a->cfg->timezone)
                        setenv("TZ", a->cfg->timezone, 1);
                tzset();
                rc = prepare_devices(a, plugin_dir, d);
        }
        mb_diag_print(d, stderr);
        mb_diag_free(d);
        if (rc < 0)
                agent_stop(a);
        return rc;
}

int agent_start(struct agent *a)
{
        struct agent_store_opts so = {
            .path = a->cfg->store_path,
            .commit_every = a->cfg->commit_every,
            .commit_interval_ms = a->cfg->commit_interval_ms,
            .prune = 1,
            .keep_acked_days = a->cfg->keep_acked_days,
            .max_bytes = a->cfg->store_max_bytes,
        };
        struct agent_bus_sink sink;
        char err[512];

        if (agent_store_open(&so, &a->store, err, sizeof(err)) != MB_OK) {
                mb_err_log("%s", err);
                return -1;
        }
        if (agent_record_meters(a) < 0)
                return -1;
        pthread_mutex_init(&a->policy_lock, NULL);
        a->data_version = agent_store_data_version(a->store);
        sink = agent_record_sink(a);
        a->buses = calloc((size_t)a->cfg->n_buses + 1, sizeof(*a->buses));
        for (int i = 0; a->buses && i < a->cfg->n_buses; i++) {
                a->buses[i] = agent_bus_start(a->devs, i, a->cfg->buses[i].name, &sink, 0);
                if (!a->buses[i]) {
                        mb_err_log("cannot start a thread for bus %s", a->cfg->buses[i].name);
                        return -1;
                }
                a->n_buses++;
        }
        if (agent_store_begin(a->store) == MB_OK) {
                agent_store_requeue_commands(a->store);
                agent_store_end(a->store);
        }
        agent_policy_reload(a);
        agent_policy_resume(a);
        if (a->cfg->server.url && !(a->upload = agent_upload_start(a)))
                mb_err_log("cannot start the uploader: readings stay in %s", a->cfg->store_path);
        mb_notice("gateway %s: %d meters on %d buses, store %s", a->cfg->gateway_id,
                  a->cfg->n_meters, a->cfg->n_buses, a->cfg->store_path);
        return a->buses ? 0 : -1;
}

static void free_devices(struct agent *a)
{
        agent_devices_free(a->devs);
        agent_plugins_free(a->plugins);
        a->devs = NULL;
        a->plugins = NULL;
}

static void stop_buses(struct agent *a)
{
        agent_upload_stop(a->upload);
        a->upload = NULL;
        for (int i = 0; i < a->n_buses; i++)
                agent_bus_stop(a->buses[i]);
        free(a->buses);
        a->buses = NULL;
        a->n_buses = 0;
}

void agent_stop(struct agent *a)
{
        stop_buses(a);
        agent_store_close(a->store);
        free_devices(a);
        agent_config_free(a->cfg);
        memset(a, 0, sizeof(*a));
}

/* Plugins are unloaded before the new config loads them again, so no plugin
 * ever sees init twice without fini between. */
int agent_reload(struct agent *a, const char *config_path, const char *plugin_dir)
{
        mb_diag *d = mb_diag_new();
        struct agent_config *next = d ? agent_config_load(config_path, d) : NULL;
        struct agent_config *old = a->cfg;

        mb_diag_print(d, stderr);
        mb_diag_free(d);
        if (!next) {
                mb_err_log("%s: reload refused, keeping the running configuration", config_path);
                return -1;
        }
        mb_notice("%s: reloading", config_path);
        stop_buses(a);
        agent_store_close(a->store);
        a->store = NULL;
        free_devices(a);
        a->cfg = next;
        d = mb_diag_new();
        if (prepare_devices(a, plugin_dir, d) < 0) {
                mb_diag_print(d, stderr);
                mb_err_log("%s: plugins refused the new configuration, keeping the old one",
                           config_path);
                free_devices(a);
                agent_config_free(next);
                a->cfg = old;
                mb_diag_free(d);
                d = mb_diag_new();
                prepare_devices(a, plugin_dir, d);
                mb_diag_print(d, stderr);
        } else {
                agent_config_free(old);
        }
        mb_diag_free(d);
        if (!a->devs || agent_start(a) < 0) {
                mb_err_log("%s: the agent cannot run after the reload (above): exiting, for the "
                           "service manager to start it again",
                           config_path);
                return AGENT_DEAD;
        }
        return 0;
}

/* Report a stuck bus (once a minute); whether it is stuck past stall_limit. */
static int check_bus(struct agent *a, int i, int64_t now)
{
        struct agent_stall s;
        const char *bus = a->cfg->buses[i].name;

        if (!agent_bus_stuck(a->buses[i], now, &s))
                return 0;
        if (s.report && s.reports == 1)
                mb_err_log("bus %s: plugin %s has been in a call for meter %s for %lld ms "
                           "(timeout %d ms): the bus is stalled",
                           bus, s.meter->plugin->desc->name, s.meter->cfg->name,
                           (long long)s.running_ms, s.meter->cfg->timeout_ms);
        else if (s.report)
                mb_err_log("bus %s: plugin %s still in the same call for meter %s, %lld s now "
                           "(reported %d times)",
                           bus, s.meter->plugin->desc->name, s.meter->cfg->name,
                           (long long)(s.running_ms / 1000), s.reports);
        return a->cfg->stall_limit_s > 0 && s.running_ms > a->cfg->stall_limit_s * INT64_C(1000);
}

int agent_tick(struct agent *a)
{
        int64_t now = mb_monotonic_ms();
        int stuck = -1;

        agent_clock_check(a);

        if (a->store) {
                int64_t v = agent_store_data_version(a->store);
                agent_store_tick(a->store);
                /* Another process (meterbox-agent --apply) wrote to agent.db. */
                if (v != a->data_version) {
                        a->data_version = v;
                        agent_policy_reload(a);
                }
        }
        /* policy relay operations waiting for their retry (agent_control.c) */
        if (a->n_buses)
                agent_control_tick(a);
        for (int i = 0; i < a->n_buses; i++)
                if (check_bus(a, i, now) && stuck < 0)
                        stuck = i;
        if (stuck >= 0 && !a->watchdog_withheld)
                mb_err_log("bus %s stuck for longer than stall_limit (%d s): no longer telling the "
                           "service manager the agent is alive, so that it restarts it",
                           a->cfg->buses[stuck].name, a->cfg->stall_limit_s);
        a->watchdog_withheld = stuck >= 0;
        return stuck < 0;
}
