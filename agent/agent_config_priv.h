/* SPDX-License-Identifier: Apache-2.0 */
/* Shared between the files that parse agent.conf; not for other modules. */
#ifndef AGENT_CONFIG_PRIV_H
#define AGENT_CONFIG_PRIV_H

#include "agent_config.h"

/* Integer key with range check; def when absent or wrong (the error is in d). */
int agent_conf_int(const config_setting_t *g, const char *key, int64_t min, int64_t max, int def,
                   mb_diag *d);
/* The list `key` of root, with its length in *n; NULL when absent or not a list. */
const config_setting_t *agent_conf_list(const config_setting_t *root, const char *key, int *n,
                                        mb_diag *d);
/* Parse and check the `buses` and `meters` lists (agent_config_devices.c). */
void parse_buses(struct agent_config *c, const config_setting_t *root, mb_diag *d);
void parse_meters(struct agent_config *c, const config_setting_t *root, mb_diag *d);
/* Parse the `server` group (may be NULL: offline) (agent_config_server.c). */
void agent_parse_server(struct agent_server_cfg *s, const config_setting_t *g, mb_diag *d);
/* Parse the `policy` group (may be NULL: defaults) (agent_config_policy.c). */
void agent_parse_policy(struct agent_policy_cfg *p, const config_setting_t *g, mb_diag *d);

#endif
