/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's configuration (/etc/meterbox/agent.conf), parsed and validated.
 *
 * Validation collects every problem with its file and line instead of stopping
 * at the first, so `meterbox-agent -t` shows an operator the whole list.
 * Plugin-specific `options` groups are validated later by the plugins
 * themselves (agent_host.c), once they are loaded.
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <libconfig.h>
#include <stdint.h>

#include "agent_policy.h"
#include "mb_conf.h"

struct agent_bus_cfg {
        const char *name;
        const char *type; /* "none", "serial", "tcp" */
        const char *device;
        int baud, data_bits, stop_bits;
        char parity;
        const char *host;
        int port;
        int timeout_ms, pause_ms;
        const config_setting_t *options; /* may be NULL */
        const config_setting_t *where;   /* for messages */
};

struct agent_meter_cfg {
        const char *name;
        const char *plugin;
        const char *bus;      /* bus name */
        int bus_index;        /* index into buses[] */
        const char *address;  /* may be NULL */
        const char *account;  /* account number (户号), may be NULL for relay-only devices */
        int poll_interval_ms; /* 0: not polled (relay-only device) */
        int timeout_ms;       /* defaults to the bus's */
        const char *relay;    /* "self", "none" or the name of another meter entry */
        const char *relay_fallback; /* another meter entry that cuts this one when its own
                                     * relay cannot (meter_caps); NULL: none */
        const config_setting_t *options;
        const config_setting_t *where;
};

/* The `server` group: where and how the uploader syncs.  url NULL: no server
 * (an offline gateway; snapshots come by --apply). */
struct agent_server_cfg {
        const char *url;
        const char *token;
        const char *ca_file, *cert_file, *key_file;
        const char *command_key; /* hex key for signed commands; NULL: unsigned accepted */
        int interval_s;          /* routine uploads */
        int batch_readings;      /* readings per request */
        int batch_bytes;         /* about this much JSON per request */
        int timeout_s;
        int backoff_max_s;
        int window_minutes; /* month-end upload window */
        const char *uplink; /* the modem tool: "auto", "mmcli", "uqmi" or "none" */
        int uplink_every_s; /* look at the uplink again after this long */
};

struct agent_config {
        config_t lc; /* keeps every string above alive */
        char *path;
        const char *gateway_id;
        const char *region;
        int upload_slot; /* -1: derived from the gateway id */
        const char *timezone;
        const char *plugin_dir;    /* NULL: compiled-in default */
        const char **plugin_files; /* explicit plugins to load, NULL-terminated */
        int stall_limit_s; /* a bus stuck in one call this long: stop feeding the watchdog */
        const char *store_path;
        int commit_every;       /* readings per transaction */
        int commit_interval_ms; /* longest a reading waits for its commit */
        const char *log_level;
        int log_syslog;
        struct agent_policy_cfg policy;
        struct agent_server_cfg server;
        int64_t store_max_bytes; /* cap of agent.db; 0: none */
        int keep_acked_days;     /* acknowledged data kept this long */
        struct agent_bus_cfg *buses;
        int n_buses;
        struct agent_meter_cfg *meters;
        int n_meters;
};

/* Parse and validate path.  Returns a new config (free with
 * agent_config_free) when d received no message, else NULL with every problem
 * in d.  d is the caller's. */
struct agent_config *agent_config_load(const char *path, mb_diag *d);
void agent_config_free(struct agent_config *cfg);

/* Index of the meter or bus with this name, or -1. */
int agent_config_meter_index(const struct agent_config *cfg, const char *name);
int agent_config_bus_index(const struct agent_config *cfg, const char *name);

#endif
