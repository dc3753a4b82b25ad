/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: the meter's `options` group.  Every option is optional; each has a
 * default and a range.  Parsing goes on after an error so that one
 * `meterbox-agent -t` run reports every bad key (and looks up every key, so
 * the host never reports a valid key as unknown).  The getters and their
 * messages are the SDK's, <meterbox/options.h>.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <meterbox/options.h>

#include "sim.h"

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

static void parse_load(mb_opt_parser *p, const mb_meter_params *params, struct sim_opts *o)
{
        int64_t seed, base_w, peak_w;

        mb_opt_int64(p, "seed", &seed, (int64_t)(sim_hash_name(params->name) >> 1), 0, INT64_MAX);
        o->seed = (uint64_t)seed;
        mb_opt_enum(p, "profile", &o->profile, 0, profile_names, NULL);
        mb_opt_int64(p, "base_w", &base_w, 150, 0, 100000);
        mb_opt_int64(p, "peak_w", &peak_w, base_w > 3000 ? base_w : 3000, 0, 100000);
        if (peak_w < base_w)
                mb_opt_error(p, "peak_w",
                             "peak_w (%" PRId64 ") must not be below base_w (%" PRId64 ")", peak_w,
                             base_w);
        o->base_mw = base_w * 1000;
        o->peak_mw = peak_w * 1000;
        mb_opt_int(p, "noise_pct", &o->noise_pct, 10, 0, 50);
        mb_opt_int64(p, "start_wh", &o->start_wh, 0, 0, INT64_C(1000000000000));
        mb_opt_int64(p, "speed", &o->speed, 1, 1, 100000);
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

static void parse_electrical(mb_opt_parser *p, struct sim_opts *o)
{
        int64_t offset_min;
        int volts, hz;

        mb_opt_int_either(p, "phases", &o->phases, 1, 1, 3);
        mb_opt_int(p, "voltage_v", &volts, 220, 50, 500);
        o->voltage_mv = (int32_t)(volts * 1000);
        mb_opt_int_either(p, "frequency_hz", &hz, 50, 50, 60);
        o->freq_mhz = (int32_t)(hz * 1000);
        mb_opt_int64(p, "utc_offset_min", &offset_min, process_offset_min(), -720, 840);
        o->utc_offset_s = offset_min * 60;
}

static void parse_relay(mb_opt_parser *p, struct sim_opts *o)
{
        int64_t autoclose_s;
        int have;

        mb_opt_bool(p, "relay", &o->has_relay, 1);
        have = mb_opt_int64(p, "arm_autoclose_s", &autoclose_s, 0, 0, 86400) != MB_ENOENT;
        o->arm_autoclose_ms = autoclose_s * 1000;
        if (have && !o->has_relay)
                mb_opt_error(p, "arm_autoclose_s",
                             "arm_autoclose_s needs a relay (relay = false here)");
}

/* The maximum demand register (最大需量): off by default, as on a
 * household meter; its interval divides a quarter hour, so that blocks end
 * at every quarter hour and never straddle a month start. */
static void parse_demand(mb_opt_parser *p, struct sim_opts *o)
{
        int64_t s;

        mb_opt_bool(p, "demand", &o->demand, 0);
        if (mb_opt_int64(p, "demand_interval_s", &s, 900, 1, 900) == MB_OK && 900 % s != 0)
                mb_opt_error(p, "demand_interval_s",
                             "demand_interval_s (%" PRId64 ") must divide 900 (a quarter hour)", s);
        o->demand_ms = s * 1000;
}

static void parse_faults(mb_opt_parser *p, struct sim_opts *o)
{
        mb_opt_int64(p, "fault_timeout_every", &o->fault_timeout_every, 0, 0, INT32_MAX);
        mb_opt_int64(p, "fault_garbage_every", &o->fault_garbage_every, 0, 0, INT32_MAX);
        mb_opt_enum(p, "fault_garbage_mode", &o->garbage_mode, 0, garbage_names, NULL);
        mb_opt_int64(p, "fault_reset_at", &o->fault_reset_at, 0, 0, INT32_MAX);
        mb_opt_int64(p, "fault_relay_fail", &o->fault_relay_fail, 0, 0, INT32_MAX);
        mb_opt_int64(p, "fault_stop_from", &o->fault_stop_from, 0, 0, INT64_C(253402300799));
        mb_opt_int64(p, "fault_stop_until", &o->fault_stop_until, 0, 0, INT64_C(253402300799));
        if (o->fault_stop_until && o->fault_stop_until <= o->fault_stop_from)
                mb_opt_error(p, "fault_stop_until",
                             "fault_stop_until (%" PRId64
                             ") must be after fault_stop_from (%" PRId64 ")",
                             o->fault_stop_until, o->fault_stop_from);
        mb_opt_string(p, "state_file", &o->state_file, NULL);
        if (mb_opt_string(p, "account", &o->account, NULL) == MB_OK &&
            strlen(o->account) >= MB_ACCOUNT_LEN)
                mb_opt_error(p, "account", "account must be shorter than %d characters",
                             MB_ACCOUNT_LEN);
}

int sim_options_parse(const mb_host *host, mb_ctx *ctx, const mb_meter_params *params,
                      struct sim_opts *o)
{
        mb_opt_parser p = mb_opt_parser_init(host, ctx);

        memset(o, 0, sizeof(*o));
        parse_load(&p, params, o);
        parse_electrical(&p, o);
        parse_relay(&p, o);
        parse_faults(&p, o);
        parse_demand(&p, o);
        return p.rc;
}
