/* SPDX-License-Identifier: Apache-2.0 */
/* The `server` group of agent.conf: the uploader's peer and pace. */
#include <string.h>

#include "agent_config_priv.h"

static const char *const server_keys[] = {"url",
                                          "token",
                                          "ca_file",
                                          "cert_file",
                                          "key_file",
                                          "interval",
                                          "batch_readings",
                                          "batch_bytes",
                                          "timeout",
                                          "backoff_max",
                                          "window_minutes",
                                          "command_key",
                                          "uplink",
                                          "uplink_every",
                                          NULL};

void agent_parse_server(struct agent_server_cfg *s, const config_setting_t *g, mb_diag *d)
{
        memset(s, 0, sizeof(*s));
        s->interval_s = 300;
        s->batch_readings = 500;
        s->batch_bytes = 256 * 1024;
        s->timeout_s = 30;
        s->backoff_max_s = 600;
        s->window_minutes = 360;
        s->uplink = "auto";
        s->uplink_every_s = 300;
        if (!g)
                return;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "'server' must be a group { ... }");
                return;
        }
        mb_conf_check_keys(g, server_keys, "server", d);
        if (mb_conf_need_string(g, "url", &s->url, d) == 1 && strncmp(s->url, "http://", 7) != 0 &&
            strncmp(s->url, "https://", 8) != 0)
                mb_diag_at(d, config_setting_get_member(g, "url"),
                           "'url' must start with http:// or https://");
        /* A client certificate (mutual TLS) may stand for the token. */
        if (mb_conf_string(g, "token", &s->token, d) == 0 &&
            !config_setting_get_member(g, "cert_file"))
                mb_diag_at(d, g,
                           "missing required key 'token' (or a client certificate: "
                           "cert_file and key_file)");
        mb_conf_string(g, "ca_file", &s->ca_file, d);
        mb_conf_string(g, "cert_file", &s->cert_file, d);
        mb_conf_string(g, "key_file", &s->key_file, d);
        if (mb_conf_string(g, "command_key", &s->command_key, d) == 1 &&
            strspn(s->command_key, "0123456789abcdef") != 64)
                mb_diag_at(d, config_setting_get_member(g, "command_key"),
                           "'command_key' must be the 64 hex digits printed at registration");
        s->interval_s = agent_conf_int(g, "interval", 1, 86400, 300, d);
        s->batch_readings = agent_conf_int(g, "batch_readings", 1, 100000, 500, d);
        s->batch_bytes = agent_conf_int(g, "batch_bytes", 1024, 64 << 20, 256 * 1024, d);
        s->timeout_s = agent_conf_int(g, "timeout", 1, 3600, 30, d);
        s->backoff_max_s = agent_conf_int(g, "backoff_max", 1, 86400, 600, d);
        s->window_minutes = agent_conf_int(g, "window_minutes", 1, 40320, 360, d);
        if (mb_conf_string(g, "uplink", &s->uplink, d) == 1 && strcmp(s->uplink, "auto") != 0 &&
            strcmp(s->uplink, "mmcli") != 0 && strcmp(s->uplink, "uqmi") != 0 &&
            strcmp(s->uplink, "none") != 0)
                mb_diag_at(d, config_setting_get_member(g, "uplink"),
                           "'uplink' must be \"auto\", \"mmcli\", \"uqmi\" or \"none\"");
        s->uplink_every_s = agent_conf_int(g, "uplink_every", 10, 86400, 300, d);
}
