/* SPDX-License-Identifier: Apache-2.0 */
/* The `policy` group of agent.conf: when the agent may cut supply. */
#include <stdio.h>
#include <string.h>

#include "agent_config_priv.h"

static const char *const policy_keys[] = {
    "no_cut_hours",  "no_cut_weekdays", "holidays",        "alarm2_delay",
    "relay_retries", "tamper_wh",       "close_by_arming", NULL};

/* "HH:MM-HH:MM" into minutes of the day. */
static int parse_window(const char *s, int *from, int *to)
{
        int h1, m1, h2, m2;
        char tail;

        if (sscanf(s, "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 < 0 || h1 > 24 ||
            h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59)
                return -1;
        *from = h1 * 60 + m1;
        *to = h2 * 60 + m2;
        return *from > 1440 || *to > 1440 ? -1 : 0;
}

static const config_setting_t *array_of(const config_setting_t *g, const char *key, int max,
                                        mb_diag *d)
{
        const config_setting_t *a = config_setting_get_member(g, key);

        if (!a)
                return NULL;
        if (!config_setting_is_array(a) && !config_setting_is_list(a)) {
                mb_diag_at(d, a, "'%s' must be an array [ ... ]", key);
                return NULL;
        }
        if (config_setting_length(a) > max) {
                mb_diag_at(d, a, "'%s' has more than %d entries", key, max);
                return NULL;
        }
        return a;
}

static void parse_windows(struct agent_policy_cfg *p, const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *a = array_of(g, "no_cut_hours", AGENT_POLICY_MAX_WINDOWS, d);

        for (int i = 0; a && i < config_setting_length(a); i++) {
                const config_setting_t *e = config_setting_get_elem(a, (unsigned)i);
                const char *s = config_setting_get_string(e);
                if (!s || parse_window(s, &p->no_cut[p->n_no_cut].from_min,
                                       &p->no_cut[p->n_no_cut].to_min) < 0)
                        mb_diag_at(d, e, "no_cut_hours[%d] must be \"HH:MM-HH:MM\"", i);
                else
                        p->n_no_cut++;
        }
}

static void parse_days(struct agent_policy_cfg *p, const config_setting_t *g, mb_diag *d)
{
        const config_setting_t *w = array_of(g, "no_cut_weekdays", 7, d);
        const config_setting_t *h = array_of(g, "holidays", AGENT_POLICY_MAX_HOLIDAYS, d);

        for (int i = 0; w && i < config_setting_length(w); i++) {
                const config_setting_t *e = config_setting_get_elem(w, (unsigned)i);
                int v = config_setting_get_int(e);
                if (config_setting_type(e) != CONFIG_TYPE_INT || v < 1 || v > 7)
                        mb_diag_at(d, e, "no_cut_weekdays[%d] must be 1 (Monday) .. 7 (Sunday)", i);
                else
                        p->no_cut_weekdays |= 1u << v;
        }
        for (int i = 0; h && i < config_setting_length(h); i++) {
                const config_setting_t *e = config_setting_get_elem(h, (unsigned)i);
                const char *s = config_setting_get_string(e);
                int y, m, day;
                char tail;
                if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &day, &tail) != 3 || m < 1 || m > 12 ||
                    day < 1 || day > 31)
                        mb_diag_at(d, e, "holidays[%d] must be a date \"YYYY-MM-DD\"", i);
                else
                        p->holidays[p->n_holidays++] = y * 10000 + m * 100 + day;
        }
}

void agent_parse_policy(struct agent_policy_cfg *p, const config_setting_t *g, mb_diag *d)
{
        int64_t v;

        memset(p, 0, sizeof(*p));
        p->relay_retries = 3;
        p->tamper_wh = 10;
        if (!g)
                return;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "'policy' must be a group { ... }");
                return;
        }
        mb_conf_check_keys(g, policy_keys, "policy", d);
        parse_windows(p, g, d);
        parse_days(p, g, d);
        p->alarm2_delay_s = agent_conf_int(g, "alarm2_delay", 0, 7 * 86400, 0, d);
        p->relay_retries = agent_conf_int(g, "relay_retries", 0, 100, 3, d);
        v = p->tamper_wh;
        mb_conf_int(g, "tamper_wh", 0, 1000000, &v, d);
        p->tamper_wh = v;
        mb_conf_bool(g, "close_by_arming", &p->arm_on_close, d);
}
