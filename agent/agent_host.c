/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "host"
#include "agent_host.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "mb_time.h"

static int64_t (*clock_mono)(void) = mb_monotonic_ms;
static int64_t (*clock_real)(void) = mb_realtime_s;

static void host_log(const mb_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void host_log(const mb_ctx *ctx, int level, const char *fmt, ...)
{
        char msg[900];
        va_list ap;

        if (level > mb_log_get_level())
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (ctx)
                mb_log(level, ctx->plugin, "%s: %s", ctx->label, msg);
        else
                mb_log(level, "plugin", "%s", msg);
}

static void host_log_frame(const mb_ctx *ctx, const char *dir, const uint8_t *buf, size_t len)
{
        char hex[3 * 96 + 8];
        size_t n = 0;

        if (mb_log_get_level() < MB_LOG_DEBUG)
                return;
        for (size_t i = 0; i < len && n + 4 < sizeof(hex); i++)
                n += (size_t)snprintf(hex + n, sizeof(hex) - n, "%02X ", buf[i]);
        if (len > 96)
                snprintf(hex + n, sizeof(hex) - n, "...");
        host_log(ctx, MB_LOG_DEBUG, "%s %zu bytes: %s", dir, len, hex);
}

/* cfg_* outside the call that received ctx: refused, never touching the
 * configuration or diag, which may be gone. */
static int closed(mb_ctx *ctx, const char *fn, const char *key)
{
        if (ctx && ctx->open)
                return 0;
        if (ctx && !ctx->misused) {
                ctx->misused = 1;
                mb_log(MB_LOG_WARNING, ctx->plugin,
                       "%s: %s(\"%s\") outside meter_new/link_open: refused (plugin bug)",
                       ctx->label, fn, key ? key : "");
        }
        return 1;
}

static void mark_used(mb_ctx *ctx, const char *key)
{
        for (int i = 0; i < ctx->n_used; i++)
                if (strcmp(ctx->used[i], key) == 0)
                        return;
        if (ctx->n_used == ctx->cap_used) {
                int cap = ctx->cap_used ? 2 * ctx->cap_used : 16;
                const char **n = realloc(ctx->used, (size_t)cap * sizeof(*n));
                if (!n)
                        return;
                ctx->used = n;
                ctx->cap_used = cap;
        }
        /* Keys are the plugin's string literals or libconfig's names: both
         * outlive the ctx. */
        ctx->used[ctx->n_used++] = key;
}

/* Turn a mb_conf result (1 found, 0 absent, -1 error in ctx->diag) into an
 * SDK code. */
static int lookup_rc(int rc)
{
        return rc > 0 ? MB_OK : rc == 0 ? MB_ENOENT : MB_ECONFIG;
}

static int cfg_int(mb_ctx *ctx, const char *key, int64_t *out)
{
        if (closed(ctx, "cfg_int", key))
                return MB_EINVAL;
        mark_used(ctx, key);
        return lookup_rc(mb_conf_int(ctx->options, key, INT64_MIN, INT64_MAX, out, ctx->diag));
}

static int cfg_bool(mb_ctx *ctx, const char *key, int *out)
{
        if (closed(ctx, "cfg_bool", key))
                return MB_EINVAL;
        mark_used(ctx, key);
        return lookup_rc(mb_conf_bool(ctx->options, key, out, ctx->diag));
}

static int cfg_string(mb_ctx *ctx, const char *key, const char **out)
{
        if (closed(ctx, "cfg_string", key))
                return MB_EINVAL;
        mark_used(ctx, key);
        return lookup_rc(mb_conf_string(ctx->options, key, out, ctx->diag));
}

static int cfg_double(mb_ctx *ctx, const char *key, double *out)
{
        if (closed(ctx, "cfg_double", key))
                return MB_EINVAL;
        mark_used(ctx, key);
        return lookup_rc(mb_conf_double(ctx->options, key, out, ctx->diag));
}

static int cfg_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int cfg_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
{
        const config_setting_t *s = NULL;
        char msg[400];
        va_list ap;

        if (closed(ctx, "cfg_error", key))
                return MB_EINVAL;
        if (ctx->options)
                s = config_setting_get_member(ctx->options, key);
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (s)
                mb_diag_at(ctx->diag, s, "%s: option '%s': %s", ctx->label, key, msg);
        else if (ctx->options)
                mb_diag_at(ctx->diag, ctx->options, "%s: option '%s': %s", ctx->label, key, msg);
        else
                mb_diag_add(ctx->diag, NULL, 0, "%s: option '%s': %s", ctx->label, key, msg);
        return MB_ECONFIG;
}

static int64_t host_mono(void)
{
        return clock_mono();
}

static int64_t host_real(void)
{
        return clock_real();
}

static const mb_host host_table = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_host),
    .log = host_log,
    .log_frame = host_log_frame,
    .cfg_int = cfg_int,
    .cfg_bool = cfg_bool,
    .cfg_string = cfg_string,
    .cfg_double = cfg_double,
    .cfg_error = cfg_error,
    .monotonic_ms = host_mono,
    .realtime_s = host_real,
};

const mb_host *agent_host(void)
{
        return &host_table;
}

void agent_host_set_clocks(int64_t (*monotonic_ms)(void), int64_t (*realtime_s)(void))
{
        clock_mono = monotonic_ms ? monotonic_ms : mb_monotonic_ms;
        clock_real = realtime_s ? realtime_s : mb_realtime_s;
}

void agent_ctx_init(mb_ctx *ctx, const char *label, const char *plugin,
                    const config_setting_t *options, mb_diag *diag)
{
        memset(ctx, 0, sizeof(*ctx));
        snprintf(ctx->label, sizeof(ctx->label), "%s", label);
        ctx->plugin = plugin;
        ctx->options = options;
        ctx->diag = diag;
        ctx->open = 1;
}

void agent_ctx_close(mb_ctx *ctx)
{
        ctx->open = 0;
        ctx->diag = NULL;
        ctx->options = NULL;
}

int agent_ctx_check_unused(mb_ctx *ctx)
{
        int n = 0, len = ctx->options ? config_setting_length(ctx->options) : 0;

        for (int i = 0; i < len; i++) {
                const config_setting_t *s = config_setting_get_elem(ctx->options, (unsigned)i);
                const char *name = config_setting_name(s);
                int used = 0;

                for (int k = 0; name && k < ctx->n_used && !used; k++)
                        used = strcmp(ctx->used[k], name) == 0;
                if (used)
                        continue;
                n++;
                mb_diag_at(ctx->diag, s, "%s: plugin %s has no option '%s'", ctx->label,
                           ctx->plugin, name);
        }
        return n;
}

void agent_ctx_release(mb_ctx *ctx)
{
        free(ctx->used);
        ctx->used = NULL;
        ctx->n_used = ctx->cap_used = 0;
}
