/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration of the monitoring side of meterbox-server: the dashboard
 * (static assets, session cookie, what counts as offline or faulty) and the
 * webhooks.  Parsed from the `dashboard` and `webhooks` groups of
 * server.conf by srv_mon_config_parse (called from srv_config_load); every
 * string is owned by the srv_config's libconfig tree.
 */
#ifndef SRV_MON_CONFIG_H
#define SRV_MON_CONFIG_H

#include <libconfig.h>
#include <stdint.h>

#include "mb_conf.h"

#define SRV_WEBHOOK_MAX 16

/* Notification kinds a webhook may subscribe to (bits of events_mask). */
enum srv_notify_kind {
        SRV_NOTIFY_ALARM1 = 1u << 0,
        SRV_NOTIFY_ALARM2 = 1u << 1,
        SRV_NOTIFY_TRIP = 1u << 2,  /* cut-off */
        SRV_NOTIFY_CLOSE = 1u << 3, /* reconnect */
        SRV_NOTIFY_TAMPER = 1u << 4,
        SRV_NOTIFY_METER_FAULT = 1u << 5,
        SRV_NOTIFY_RELAY_FAULT = 1u << 6,
        SRV_NOTIFY_GATEWAY_OFFLINE = 1u << 7,
        SRV_NOTIFY_ANOMALY = 1u << 8,
};

/* The bit of an event name ("alarm1", "gateway_offline", ...), or 0. */
unsigned srv_notify_bit(const char *name);

struct srv_regions; /* srv_regions.h */

struct srv_mon_config {
        const char *www_dir;         /* static dashboard assets */
        const char *language;        /* "zh-CN" or "en": the pages' default language */
        struct srv_regions *regions; /* region names (owned; srv_mon_config_free) */
        int session_s;               /* lifetime of the dashboard's session cookie */
        int gateway_offline_s;       /* a gateway unseen this long is offline */
        int meter_stale_s;           /* a meter without a reading this long is faulty */
        int month_end_window_days;   /* boundary upload window after a month starts */
        int uplink_weak_pct;         /* a cellular signal below this percent is weak */
};

struct srv_webhook_target {
        const char *name, *url, *secret;
        unsigned events; /* srv_notify_kind bits */
};

struct srv_webhooks_config {
        int n;
        struct srv_webhook_target t[SRV_WEBHOOK_MAX];
        int retry_base_s, retry_max_s, max_attempts, timeout_s;
        int gateway_offline_s; /* notify a gateway unseen this long */
        int poll_ms;           /* how often the sender looks for due deliveries */
};

/* Fill *m and *w from root (defaults for absent keys); problems go to d.
 * Loads the region names (dashboard.regions_file, then region_names): free
 * them with srv_mon_config_free, on success and on failure. */
void srv_mon_config_parse(struct srv_mon_config *m, struct srv_webhooks_config *w,
                          const config_setting_t *root, mb_diag *d);
/* Free what srv_mon_config_parse allocated (the region names). */
void srv_mon_config_free(struct srv_mon_config *m);

/* The languages the pages speak; the first is the default. */
extern const char *const srv_languages[];

#endif
