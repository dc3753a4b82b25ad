/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: a simulated electricity meter (internal header).
 *
 * The simulated meter integrates a deterministic load profile into integer
 * registers, has a relay that really stops consumption while open, freezes its
 * register at each local month boundary, can persist its state and can inject
 * faults.  See docs/plugins/sim.md for the behaviour a user sees.
 *
 * Files, one job each:
 *   sim.c          descriptor and lifecycle (meter_new, meter_read, meter_free)
 *   sim_options.c  the options group: defaults, types, ranges
 *   sim_profile.c  load shape and the electrical quantities of a moment
 *   sim_calendar.c local time: minute of day, TOU rate, month boundaries
 *   sim_energy.c   advancing the simulated clock and integrating energy
 *   sim_relay.c    meter_control: relay, arming, alarm, protection
 *   sim_fault.c    injected faults: timeouts, garbage, register reset
 *   sim_state.c    the optional state file (atomic save, strict load)
 */
#ifndef MB_SIM_H
#define MB_SIM_H

#include <stdint.h>

#include <meterbox/plugin.h>

/* One watt-hour in the integration unit, milliwatt-milliseconds. */
#define SIM_MWMS_PER_WH INT64_C(3600000000)
#define SIM_MS_PER_MIN INT64_C(60000)
#define SIM_MS_PER_DAY INT64_C(86400000)
/* The longest gap (restart with a state file, clock jump) that is integrated;
 * longer gaps accrue nothing and are logged. */
#define SIM_MAX_GAP_MS (INT64_C(400) * SIM_MS_PER_DAY)

#define SIM_LOG(m, level, ...) (m)->host->log((m)->ctx, (level), __VA_ARGS__)

/* TOU rate indexes into mb_reading.rate_wh (reading.h: 1 sharp .. 4 valley). */
enum sim_rate {
        SIM_RATE_SHARP = 0,
        SIM_RATE_PEAK = 1,
        SIM_RATE_FLAT = 2,
        SIM_RATE_VALLEY = 3,
};

enum sim_profile_kind {
        SIM_PROFILE_RESIDENTIAL = 0,
        SIM_PROFILE_COMMERCIAL = 1,
        SIM_PROFILE_FLAT = 2,
};

enum sim_garbage_mode {
        SIM_GARBAGE_FRAME = 0,   /* meter_read fails with MB_EPROTO */
        SIM_GARBAGE_READING = 1, /* meter_read succeeds with invalid content */
};

/* Parsed options; see sim_options.c for defaults and ranges. */
struct sim_opts {
        uint64_t seed;
        int profile; /* enum sim_profile_kind */
        int64_t base_mw;
        int64_t peak_mw;
        int noise_pct; /* random variation, percent of the shaped power */
        int64_t start_wh;
        int64_t speed; /* energy accrues this many times faster than real time */
        int phases;    /* 1 or 3 */
        int32_t voltage_mv;
        int32_t freq_mhz;
        int has_relay;
        int64_t arm_autoclose_ms;
        int64_t utc_offset_s;
        int64_t fault_timeout_every;
        int64_t fault_garbage_every;
        int garbage_mode; /* enum sim_garbage_mode */
        int64_t fault_reset_at;
        int64_t fault_relay_fail; /* the first N relay moves fail */
        int64_t fault_stop_from;  /* UTC s: the register stops counting (bypass); 0 never */
        int64_t fault_stop_until; /* UTC s: and counts again (0: never again) */
        const char *account;      /* the customer number the meter holds; NULL: none */
        int demand;               /* the meter registers the month's maximum demand */
        int64_t demand_ms;        /* its interval: the average power of each block this long */
        const char *state_file;   /* host-owned, valid as long as the ctx; NULL: none */
};

/* The meter's non-volatile registers. */
struct sim_registers {
        int64_t import_wh; /* always the sum of rate_wh */
        int64_t rate_wh[MB_RATES];
        int64_t rate_acc[MB_RATES]; /* remainder per rate, mW·ms, < SIM_MWMS_PER_WH */
        int has_frozen;
        int64_t frozen_wh;
        int64_t frozen_time; /* UTC seconds of the local month boundary */
        /* maximum demand (option demand): this month's largest block
         * average, mW, and the UTC second its block ended; last month's,
         * frozen at the month boundary (frozen_demand_time: its start) */
        int64_t demand_mw, demand_time;
        int has_frozen_demand;
        int64_t frozen_demand_mw, frozen_demand_time;
        int64_t block_ms;  /* UTC ms the demand block being integrated started */
        int64_t block_acc; /* its energy so far, mW·ms (not persisted) */
};

struct sim_meter {
        const mb_host *host;
        mb_ctx *ctx;
        int timeout_ms;
        struct sim_opts o;
        char address[MB_ADDR_LEN];
        char *state_tmp; /* state_file + ".tmp", or NULL */

        struct sim_registers reg;
        int relay;             /* enum mb_relay_state; CLOSED without a relay */
        int protect;           /* MB_CTL_PROTECT: trips are refused */
        int alarm;             /* MB_CTL_ALARM shown */
        int64_t armed_mono_ms; /* when the relay was armed */
        int64_t relay_moves;   /* trip/close/arm requests seen (fault_relay_fail) */

        int loaded;               /* state file looked at (first read or control) */
        int started;              /* clocks anchored (first read or control) */
        int64_t last_mono_ms;     /* host monotonic clock at the last advance */
        int64_t last_wall_ms;     /* host UTC clock at the last advance, ms */
        int64_t next_freeze_ms;   /* next local month boundary, UTC ms */
        int64_t restored_wall_ms; /* from the state file, 0: none */

        uint64_t reads;           /* meter_read calls, persisted with the state */
        uint64_t garbage;         /* garbage faults injected so far */
        int reset_done;           /* fault_reset_at has fired */
        uint32_t pending_quality; /* MB_Q_* for the next successful reading */
        int save_failing;         /* last state save failed (log once per streak) */
};

/* sim_options.c */
int sim_options_parse(const mb_host *host, mb_ctx *ctx, const mb_meter_params *params,
                      struct sim_opts *o);
uint64_t sim_hash_name(const char *s);

/* sim_profile.c */
uint64_t sim_mix(uint64_t seed, uint64_t a, uint64_t b);
int64_t sim_power_mw(const struct sim_opts *o, int64_t wall_ms);
void sim_fill_electrical(const struct sim_opts *o, int64_t wall_ms, int64_t power_mw,
                         mb_reading *out);

/* sim_calendar.c */
int64_t sim_floor_div(int64_t a, int64_t b);
int sim_local_minute_of_day(int64_t wall_ms, int64_t utc_offset_s);
int sim_rate_at(int64_t wall_ms, int64_t utc_offset_s);
int64_t sim_month_start_ms(int64_t wall_ms, int64_t utc_offset_s);
int64_t sim_next_month_ms(int64_t wall_ms, int64_t utc_offset_s);

/* sim_reading.c */
void sim_fill_reading(struct sim_meter *m, mb_reading *out);

/* sim_energy.c */
void sim_registers_init(struct sim_registers *r, int64_t start_wh);
/* Finish the demand blocks that ended by UTC ms t (option demand). */
void sim_demand_to(struct sim_meter *m, int64_t t);
void sim_advance(struct sim_meter *m);
void sim_walk(struct sim_meter *m, int64_t from_ms, int64_t to_ms, int accrue);

/* sim_relay.c */
int sim_control(struct sim_meter *m, int op, int *state, mb_err *err);
void sim_relay_settle(struct sim_meter *m, int64_t mono_ms, int64_t *closed_from_mono);

/* sim_fault.c: sim_fault_before_read returns MB_OK, an error code, or
 * SIM_FAULT_CORRUPT when this reading must be corrupted after it was filled. */
#define SIM_FAULT_CORRUPT 1
int sim_fault_before_read(struct sim_meter *m, mb_err *err);
/* Is the meter bypassed (fault_stop_from..until) at UTC wall_ms? */
int sim_fault_stopped(const struct sim_meter *m, int64_t wall_ms);
int sim_fault_garbage_reading(const struct sim_meter *m, mb_reading *out);
void sim_fault_after_advance(struct sim_meter *m);
void sim_sleep_ms(int ms);

/* sim_state.c */
void sim_state_load(struct sim_meter *m);
void sim_state_save(struct sim_meter *m);

#endif
