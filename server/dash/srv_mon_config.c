/* SPDX-License-Identifier: Apache-2.0 */
/* The `dashboard` and `webhooks` groups of server.conf (etc/server.conf). */
#include "srv_mon_config.h"

#include <string.h>
#include <unistd.h>

#include "mb_build_config.h"
#include "srv_regions.h"

#define DEFAULT_REGIONS MB_DATA_DIR "/regions-cn.txt"

const char *const srv_languages[] = {"zh-CN", "en", NULL};

static const char *const dash_keys[] = {"www",
                                        "session_hours",
                                        "gateway_offline_after",
                                        "meter_stale_after",
                                        "month_end_window_days",
                                        "uplink_weak_below",
                                        "language",
                                        "regions_file",
                                        "region_names",
                                        NULL};
static const char *const hook_keys[] = {"targets",
                                        "retry_base",
                                        "retry_max",
                                        "max_attempts",
                                        "timeout",
                                        "poll_ms",
                                        "gateway_offline_after",
                                        NULL};
static const char *const target_keys[] = {"name", "url", "secret", "events", NULL};

static const struct {
        const char *name;
        unsigned bit;
} kinds[] = {
    {"alarm1", SRV_NOTIFY_ALARM1},
    {"alarm2", SRV_NOTIFY_ALARM2},
    {"trip", SRV_NOTIFY_TRIP},
    {"close", SRV_NOTIFY_CLOSE},
    {"tamper", SRV_NOTIFY_TAMPER},
    {"meter_fault", SRV_NOTIFY_METER_FAULT},
    {"relay_fault", SRV_NOTIFY_RELAY_FAULT},
    {"gateway_offline", SRV_NOTIFY_GATEWAY_OFFLINE},
    {"anomaly", SRV_NOTIFY_ANOMALY},
};

unsigned srv_notify_bit(const char *name)
{
        for (size_t i = 0; name && i < sizeof(kinds) / sizeof(kinds[0]); i++)
                if (strcmp(kinds[i].name, name) == 0)
                        return kinds[i].bit;
        return 0;
}

static void parse_events(struct srv_webhook_target *t, const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *ev = config_setting_get_member(g, "events");

        if (ev == NULL) {
                mb_diag_at(d, g, "a webhook target needs 'events', e.g. [\"alarm1\", \"trip\"]");
                return;
        }
        if (config_setting_type(ev) != CONFIG_TYPE_ARRAY || config_setting_length(ev) == 0) {
                mb_diag_at(d, ev, "'events' must be a non-empty array of event names");
                return;
        }
        for (int i = 0; i < config_setting_length(ev); i++) {
                const char *name = config_setting_get_string_elem(ev, i);
                unsigned bit = srv_notify_bit(name);

                if (bit == 0)
                        mb_diag_at(d, ev,
                                   "unknown event \"%s\" (alarm1, alarm2, trip, close, tamper, "
                                   "meter_fault, relay_fault, gateway_offline, anomaly)",
                                   name ? name : "?");
                t->events |= bit;
        }
}

static void parse_target(struct srv_webhooks_config *w, const config_setting_t *g, mb_diag *d)
{
        struct srv_webhook_target *t = &w->t[w->n];

        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "each webhook target must be a group { name = ...; url = ...; }");
                return;
        }
        mb_conf_check_keys(g, target_keys, "webhooks.targets", d);
        memset(t, 0, sizeof(*t));
        mb_conf_need_string(g, "name", &t->name, d);
        mb_conf_need_string(g, "url", &t->url, d);
        mb_conf_need_string(g, "secret", &t->secret, d);
        parse_events(t, g, d);
        if (t->url && strncmp(t->url, "http://", 7) != 0 && strncmp(t->url, "https://", 8) != 0)
                mb_diag_at(d, config_setting_get_member(g, "url"),
                           "'url' must start with http:// or https://");
        if (t->secret && strlen(t->secret) < 16)
                mb_diag_at(d, config_setting_get_member(g, "secret"),
                           "'secret' must be at least 16 characters");
        for (int i = 0; t->name && i < w->n; i++)
                if (strcmp(w->t[i].name, t->name) == 0)
                        mb_diag_at(d, g, "webhook target name \"%s\" is used twice", t->name);
        w->n++;
}

static void parse_webhooks(struct srv_webhooks_config *w, const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "webhooks", hook_keys, d), *list;

        memset(w, 0, sizeof(*w));
        w->retry_base_s = (int)mb_conf_int_or(g, "retry_base", 1, 86400, 10, d);
        w->retry_max_s = (int)mb_conf_int_or(g, "retry_max", 1, 7 * 86400, 3600, d);
        w->max_attempts = (int)mb_conf_int_or(g, "max_attempts", 1, 1000, 20, d);
        w->timeout_s = (int)mb_conf_int_or(g, "timeout", 1, 600, 10, d);
        w->poll_ms = (int)mb_conf_int_or(g, "poll_ms", 50, 60000, 1000, d);
        w->gateway_offline_s =
            (int)mb_conf_int_or(g, "gateway_offline_after", 10, 30 * 86400, 1800, d);
        list = g ? config_setting_get_member(g, "targets") : NULL;
        if (list == NULL)
                return;
        if (config_setting_type(list) != CONFIG_TYPE_LIST) {
                mb_diag_at(d, list, "'targets' must be a list ( { ... }, { ... } )");
                return;
        }
        for (int i = 0; i < config_setting_length(list); i++) {
                if (w->n == SRV_WEBHOOK_MAX) {
                        mb_diag_at(d, list, "at most %d webhook targets", SRV_WEBHOOK_MAX);
                        return;
                }
                parse_target(w, config_setting_get_elem(list, (unsigned)i), d);
        }
}

static void parse_language(struct srv_mon_config *m, const config_setting_t *g, mb_diag *d)
{
        m->language = srv_languages[0];
        if (g == NULL || mb_conf_string(g, "language", &m->language, d) <= 0)
                return;
        for (int i = 0; srv_languages[i]; i++)
                if (strcmp(srv_languages[i], m->language) == 0)
                        return;
        mb_diag_at(d, config_setting_get_member(g, "language"),
                   "'language' must be \"zh-CN\" or \"en\", not \"%s\"", m->language);
        m->language = srv_languages[0];
}

/* region_names = ( ("110105", "朝阳区", "Chaoyang"), ... ) */
static void parse_region_names(struct srv_mon_config *m, const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *list = g ? config_setting_get_member(g, "region_names") : NULL;

        if (list == NULL)
                return;
        if (config_setting_type(list) != CONFIG_TYPE_LIST) {
                mb_diag_at(d, list,
                           "'region_names' must be a list of (\"CODE\", \"name\"[, "
                           "\"English name\"])");
                return;
        }
        for (int i = 0; i < config_setting_length(list); i++) {
                const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
                int n = config_setting_length(e);
                const char *code = config_setting_get_string_elem(e, 0),
                           *name = config_setting_get_string_elem(e, 1),
                           *en = n > 2 ? config_setting_get_string_elem(e, 2) : NULL;

                if (config_setting_type(e) != CONFIG_TYPE_LIST || n < 2 || n > 3 || !code ||
                    !name || (n > 2 && !en) || srv_regions_add(m->regions, code, name, en) < 0)
                        mb_diag_at(d, e,
                                   "each region name is (\"CODE\", \"name\"[, \"English "
                                   "name\"]): a code of letters and digits, names of UTF-8 "
                                   "text");
        }
}

static void parse_regions(struct srv_mon_config *m, const config_setting_t *g, mb_diag *d)
{
        const char *file = NULL;

        m->regions = srv_regions_new();
        if (m->regions == NULL) {
                mb_diag_add(d, NULL, 0, "out of memory for region names");
                return;
        }
        /* the shipped table is optional (a build tree has none installed);
         * a file named in the config must be there */
        if ((g && mb_conf_string(g, "regions_file", &file, d) > 0) ||
            access(DEFAULT_REGIONS, R_OK) == 0) {
                if (srv_regions_load(m->regions, file ? file : DEFAULT_REGIONS, d) < 0)
                        mb_diag_add(d, NULL, 0, "out of memory for region names");
        }
        parse_region_names(m, g, d);
}

void srv_mon_config_free(struct srv_mon_config *m)
{
        srv_regions_free(m->regions);
        m->regions = NULL;
}

void srv_mon_config_parse(struct srv_mon_config *m, struct srv_webhooks_config *w,
                          const config_setting_t *root, mb_diag *d)
{
        const config_setting_t *g = mb_conf_group(root, "dashboard", dash_keys, d);

        m->www_dir = MB_DATA_DIR "/www";
        if (g)
                mb_conf_string(g, "www", &m->www_dir, d);
        parse_language(m, g, d);
        parse_regions(m, g, d);
        m->session_s = (int)mb_conf_int_or(g, "session_hours", 1, 24 * 30, 12, d) * 3600;
        m->gateway_offline_s =
            (int)mb_conf_int_or(g, "gateway_offline_after", 10, 30 * 86400, 900, d);
        m->meter_stale_s = (int)mb_conf_int_or(g, "meter_stale_after", 10, 30 * 86400, 7200, d);
        m->month_end_window_days = (int)mb_conf_int_or(g, "month_end_window_days", 1, 28, 5, d);
        m->uplink_weak_pct = (int)mb_conf_int_or(g, "uplink_weak_below", 0, 100, 25, d);
        parse_webhooks(w, root, d);
}
