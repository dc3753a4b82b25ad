/* SPDX-License-Identifier: Apache-2.0 */
/* The fake mb_host described in test_sim_host.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "test_sim_host.h"

int64_t fake_mono_ms;
int64_t fake_real_s;
static int64_t real_ms;

static char log_buf[1 << 16];
static size_t log_len;
static int cfg_errors;
static char cfg_last[256];

static void append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void append(const char *fmt, ...)
{
        va_list ap;
        int n;

        if (log_len >= sizeof(log_buf) - 1)
                return;
        va_start(ap, fmt);
        n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
        va_end(ap);
        if (n > 0)
                log_len += (size_t)n;
        if (log_len >= sizeof(log_buf))
                log_len = sizeof(log_buf) - 1;
}

static const char *level_name(int level)
{
        switch (level) {
        case MB_LOG_ERR:
                return "err";
        case MB_LOG_WARNING:
                return "warning";
        case MB_LOG_NOTICE:
                return "notice";
        case MB_LOG_INFO:
                return "info";
        default:
                return "debug";
        }
}

static void fake_log_fn(const mb_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fake_log_fn(const mb_ctx *ctx, int level, const char *fmt, ...)
{
        char line[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        append("%s: %s\n", level_name(level), line);
}

static void fake_log_frame(const mb_ctx *ctx, const char *dir, const uint8_t *buf, size_t len)
{
        append("frame %s %zu bytes\n", dir, len);
}

static struct fake_kv *find(mb_ctx *ctx, const char *key)
{
        for (struct fake_kv *kv = ctx ? ctx->kv : NULL; kv && kv->type != FK_END; kv++) {
                if (strcmp(kv->key, key) == 0) {
                        kv->used = 1;
                        return kv;
                }
        }
        return NULL;
}

static int type_error(const char *key, const char *want)
{
        cfg_errors++;
        snprintf(cfg_last, sizeof(cfg_last), "test.conf:1: %s: expected %s", key, want);
        append("err: %s\n", cfg_last);
        return MB_ECONFIG;
}

static int fake_cfg_int(mb_ctx *ctx, const char *key, int64_t *out)
{
        struct fake_kv *kv = find(ctx, key);

        if (!kv)
                return MB_ENOENT;
        if (kv->type != FK_INT)
                return type_error(key, "an integer");
        *out = kv->i;
        return MB_OK;
}

static int fake_cfg_bool(mb_ctx *ctx, const char *key, int *out)
{
        struct fake_kv *kv = find(ctx, key);

        if (!kv)
                return MB_ENOENT;
        if (kv->type != FK_BOOL)
                return type_error(key, "true or false");
        *out = kv->i != 0;
        return MB_OK;
}

static int fake_cfg_string(mb_ctx *ctx, const char *key, const char **out)
{
        struct fake_kv *kv = find(ctx, key);

        if (!kv)
                return MB_ENOENT;
        if (kv->type != FK_STR)
                return type_error(key, "a string");
        *out = kv->s;
        return MB_OK;
}

static int fake_cfg_double(mb_ctx *ctx, const char *key, double *out)
{
        struct fake_kv *kv = find(ctx, key);

        if (!kv)
                return MB_ENOENT;
        if (kv->type != FK_DOUBLE && kv->type != FK_INT)
                return type_error(key, "a number");
        *out = kv->type == FK_INT ? (double)kv->i : kv->d;
        return MB_OK;
}

static int fake_cfg_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fake_cfg_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
{
        char msg[200];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cfg_errors++;
        snprintf(cfg_last, sizeof(cfg_last), "test.conf:1: %s: %s", key, msg);
        append("err: %s\n", cfg_last);
        return MB_ECONFIG;
}

static int64_t fake_monotonic(void)
{
        return fake_mono_ms;
}

static int64_t fake_realtime(void)
{
        return fake_real_s;
}

const mb_host fake_host = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_host),
    .log = fake_log_fn,
    .log_frame = fake_log_frame,
    .cfg_int = fake_cfg_int,
    .cfg_bool = fake_cfg_bool,
    .cfg_string = fake_cfg_string,
    .cfg_double = fake_cfg_double,
    .cfg_error = fake_cfg_error,
    .monotonic_ms = fake_monotonic,
    .realtime_s = fake_realtime,
};

void fake_reset(int64_t mono_ms, int64_t real_s)
{
        fake_mono_ms = mono_ms;
        fake_real_s = real_s;
        real_ms = real_s * 1000;
        log_len = 0;
        log_buf[0] = '\0';
        cfg_errors = 0;
        cfg_last[0] = '\0';
}

void fake_advance_ms(int64_t ms)
{
        fake_mono_ms += ms;
        real_ms += ms;
        fake_real_s = real_ms / 1000;
}

const char *fake_log(void)
{
        return log_buf;
}

int fake_log_has(const char *needle)
{
        return strstr(log_buf, needle) != NULL;
}

int fake_cfg_errors(void)
{
        return cfg_errors;
}

const char *fake_cfg_last_error(void)
{
        return cfg_last;
}

int fake_unused_keys(const mb_ctx *ctx)
{
        int n = 0;

        for (const struct fake_kv *kv = ctx->kv; kv && kv->type != FK_END; kv++)
                n += !kv->used;
        return n;
}

int fake_meter_new(const mb_plugin *p, mb_ctx *ctx, struct fake_kv *kv, const char *name,
                   const char *address, int timeout_ms, void **meter, mb_err *err)
{
        mb_meter_params params = {.name = name, .address = address, .timeout_ms = timeout_ms};

        ctx->kv = kv;
        memset(err, 0, sizeof(*err));
        *meter = NULL;
        return p->meter_new(&fake_host, ctx, NULL, &params, meter, err);
}

int fake_read(const mb_plugin *p, void *meter, mb_reading *r, mb_err *err)
{
        memset(r, 0, sizeof(*r));
        r->size = sizeof(*r);
        memset(err, 0, sizeof(*err));
        return p->meter_read(meter, r, err);
}
