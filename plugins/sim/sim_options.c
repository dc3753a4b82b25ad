/*
 * sim: the meter's `options` group.  Every option is optional; each has a
 * default and a range.  Parsing goes on after an error so that one
 * `meterbox-agent -t` run reports every bad key (and looks up every key, so
 * the host never reports a valid key as unknown).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim.h"

struct opt_parser {
        const mb_host *host;
        mb_ctx *ctx;
        int rc; /* MB_OK, or MB_ECONFIG once any key was bad */
};

/* Returns 1 when the key is present (even with a bad value), else 0. */
static int opt_int(struct opt_parser *p, const char *key, int64_t *out, int64_t def, int64_t lo,
                   int64_t hi)
{
        int64_t v;
        int rc = p->host->cfg_int(p->ctx, key, &v);

        *out = def;
        if (rc == MB_ENOENT)
                return 0;
        if (rc != MB_OK) {
                p->rc = MB_ECONFIG;
                return 1;
        }
        if (v < lo || v > hi) {
                p->rc = p->host->cfg_error(
                    p->ctx, key, "%s must be between %" PRId64 " and %" PRId64 ", not %" PRId64,
                    key, lo, hi, v);
                return 1;
        }
        *out = v;
        return 1;
}

/* An integer that must be one of two values. */
static void opt_int2(struct opt_parser *p, const char *key, int64_t *out, int64_t def, int64_t a,
                     int64_t b)
{
        opt_int(p, key, out, def, INT64_MIN, INT64_MAX);
        if (*out != a && *out != b) {
                p->rc = p->host->cfg_error(p->ctx, key,
                                           "%s must be %" PRId64 " or %" PRId64 ", not %" PRId64,
                                           key, a, b, *out);
                *out = def;
        }
}

static void opt_bool(struct opt_parser *p, const char *key, int *out, int def)
{
        int rc = p->host->cfg_bool(p->ctx, key, out);

        if (rc == MB_ENOENT)
                *out = def;
        else if (rc != MB_OK) {
                *out = def;
                p->rc = MB_ECONFIG;
        }
}

/* "a", "b", "c" for an error message; names is NULL-terminated. */
static const char *join_names(const char *const *names)
{
        static _Thread_local char buf[128];
        size_t used = 0;

        buf[0] = '\0';
        for (int i = 0; names[i] && used < sizeof(buf); i++)
                used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s\"%s\"", i ? ", " : "",
                                         names[i]);
        return buf;
}

/* names: NULL-terminated; *out receives the index of the matching name. */
static void opt_enum(struct opt_parser *p, const char *key, int *out, const char *const *names)
{
        const char *v;
        int rc = p->host->cfg_string(p->ctx, key, &v);

        *out = 0;
        if (rc == MB_ENOENT)
                return;
        if (rc != MB_OK) {
                p->rc = MB_ECONFIG;
                return;
        }
        for (int i = 0; names[i]; i++) {
                if (strcmp(v, names[i]) == 0) {
                        *out = i;
                        return;
                }
        }
        p->rc = p->host->cfg_error(p->ctx, key, "%s: unknown value \"%s\" (expected one of %s)",
                                   key, v, join_names(names));
}

static void opt_string(struct opt_parser *p, const char *key, const char **out)
{
        int rc = p->host->cfg_string(p->ctx, key, out);

        if (rc == MB_ENOENT) {
                *out = NULL;
        } else if (rc != MB_OK) {
                *out = NULL;
                p->rc = MB_ECONFIG;
        } else if (**out == '\0') {
                p->rc = p->host->cfg_error(p->ctx, key, "%s must not be empty", key);
        }
}

/* 64-bit FNV-1a: the default seed and address come from the meter's name. */
uint64_t sim_hash_name(const char *s)
{
        uint64_t h = UINT64_C(14695981039346656037);

        for (; s && *s; s++) {
                h ^= (unsigned char)*s;
                h *= UINT64_C(1099511628211);
        }
        return h;
}

static const char *const profile_names[] = {"residential", "commercial", "flat", NULL};
static const char *const garbage_names[] = {"frame", "reading", NULL};

static void parse_load(struct opt_parser *p, const mb_meter_params *params, struct sim_opts *o)
{
        int64_t seed, base_w, peak_w, noise;

        opt_int(p, "seed", &seed, (int64_t)(sim_hash_name(params->name) >> 1), 0, INT64_MAX);
        o->seed = (uint64_t)seed;
        opt_enum(p, "profile", &o->profile, profile_names);
        opt_int(p, "base_w", &base_w, 150, 0, 100000);
        opt_int(p, "peak_w", &peak_w, base_w > 3000 ? base_w : 3000, 0, 100000);
        if (peak_w < base_w)
                p->rc = p->host->cfg_error(
                    p->ctx, "peak_w", "peak_w (%" PRId64 ") must not be below base_w (%" PRId64 ")",
                    peak_w, base_w);
        o->base_mw = base_w * 1000;
        o->peak_mw = peak_w * 1000;
        opt_int(p, "noise_pct", &noise, 10, 0, 50);
        o->noise_pct = (int)noise;
        opt_int(p, "start_wh", &o->start_wh, 0, 0, INT64_C(1000000000000));
        opt_int(p, "speed", &o->speed, 1, 1, 100000);
}

/* The offset of the process time zone now: the agent sets TZ from its
 * config, so by default the meter's clock agrees with the agent's zone. */
static int64_t process_offset_min(void)
{
        time_t now = time(NULL);
        struct tm tm;

        localtime_r(&now, &tm);
        return tm.tm_gmtoff / 60;
}

static void parse_electrical(struct opt_parser *p, struct sim_opts *o)
{
        int64_t phases, volts, hz, offset_min;

        opt_int2(p, "phases", &phases, 1, 1, 3);
        o->phases = (int)phases;
        opt_int(p, "voltage_v", &volts, 220, 50, 500);
        o->voltage_mv = (int32_t)(volts * 1000);
        opt_int2(p, "frequency_hz", &hz, 50, 50, 60);
        o->freq_mhz = (int32_t)(hz * 1000);
        opt_int(p, "utc_offset_min", &offset_min, process_offset_min(), -720, 840);
        o->utc_offset_s = offset_min * 60;
}

static void parse_relay(struct opt_parser *p, struct sim_opts *o)
{
        int64_t autoclose_s;
        int have;

        opt_bool(p, "relay", &o->has_relay, 1);
        have = opt_int(p, "arm_autoclose_s", &autoclose_s, 0, 0, 86400);
        o->arm_autoclose_ms = autoclose_s * 1000;
        if (have && !o->has_relay)
                p->rc = p->host->cfg_error(p->ctx, "arm_autoclose_s",
                                           "arm_autoclose_s needs a relay (relay = false here)");
}

static void parse_faults(struct opt_parser *p, struct sim_opts *o)
{
        opt_int(p, "fault_timeout_every", &o->fault_timeout_every, 0, 0, INT32_MAX);
        opt_int(p, "fault_garbage_every", &o->fault_garbage_every, 0, 0, INT32_MAX);
        opt_enum(p, "fault_garbage_mode", &o->garbage_mode, garbage_names);
        opt_int(p, "fault_reset_at", &o->fault_reset_at, 0, 0, INT32_MAX);
        opt_string(p, "state_file", &o->state_file);
}

int sim_options_parse(const mb_host *host, mb_ctx *ctx, const mb_meter_params *params,
                      struct sim_opts *o)
{
        struct opt_parser p = {.host = host, .ctx = ctx, .rc = MB_OK};

        memset(o, 0, sizeof(*o));
        parse_load(&p, params, o);
        parse_electrical(&p, o);
        parse_relay(&p, o);
        parse_faults(&p, o);
        return p.rc;
}
