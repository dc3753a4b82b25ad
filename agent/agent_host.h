/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the plugin SDK: the const mb_host table handed to plugins
 * and the mb_ctx handle that names a link or meter and gives its plugin
 * typed access to its `options` group.
 */
#ifndef AGENT_HOST_H
#define AGENT_HOST_H

#include <libconfig.h>
#include <meterbox/plugin.h>

#include "mb_conf.h"

struct mb_ctx {
        char label[96];                  /* "meter m1", "bus rs485-1": prefix of log lines */
        const char *plugin;              /* plugin name, the log module */
        const config_setting_t *options; /* may be NULL: every lookup is absent */
        const char **used;               /* keys the plugin looked up */
        int n_used, cap_used;
        mb_diag *diag; /* config problems go here; NULL once closed */
        int open;      /* in the *_new / link_open call: cfg_* allowed */
        int misused;   /* a cfg_* call came after close (logged once) */
};

/* The table handed to every plugin.  Static, never NULL. */
const mb_host *agent_host(void);

/* Prepare ctx for an object; label and plugin are copied/borrowed (plugin must
 * outlive ctx).  diag must not be NULL; the caller prints it. */
void agent_ctx_init(mb_ctx *ctx, const char *label, const char *plugin,
                    const config_setting_t *options, mb_diag *diag);
/* Report every option the plugin never looked up as an unknown key (located).
 * Returns how many there were. */
int agent_ctx_check_unused(mb_ctx *ctx);
/* The *_new / link_open call is over: from now on the cfg_* getters refuse
 * with MB_EINVAL (plugin.h), since diag and the options go away.  The label
 * stays for log lines. */
void agent_ctx_close(mb_ctx *ctx);
/* Free what the ctx allocated (not the ctx itself). */
void agent_ctx_release(mb_ctx *ctx);

/* Replace the clocks plugins see (tests); NULL restores the real one. */
void agent_host_set_clocks(int64_t (*monotonic_ms)(void), int64_t (*realtime_s)(void));

#endif
