/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: DL/T 645-2007 (and -1997) electricity meters on a serial line
 * (internal header).  See docs/plugins/dlt645.md for what a user sees.
 *
 * Files, one job each:
 *   dlt645.c          descriptor and lifecycle (link_open, meter_new, ...)
 *   dlt645_options.c  the meter's options group: defaults, types, ranges
 *   dlt645_codec.h    the pure frame codec and value decoders:
 *     dlt645_frame.c    encode requests, parse replies from a byte buffer
 *     dlt645_value.c    BCD, addresses, error words, dates
 *   dlt645_serial.c   the port: termios, reopen with backoff, timed I/O
 *   dlt645_xact.c     one request and its reply; follow-up frames; discovery
 *   dlt645_read.c     meter_read: which identifiers, the import register,
 *                     per-field failures; helpers for:
 *   dlt645_items.c    the optional items (electrical, clock, frozen, prepaid,
 *                     relay state)
 *   dlt645_control.c  meter_control: 1CH commands, relay state read-back
 *   dlt645_time.c     meter local time <-> UTC; broadcast time sync
 *
 * Clocks: I/O deadlines use CLOCK_MONOTONIC directly (a frozen test clock must
 * not make a read wait forever); wall time (meter clock, control deadline,
 * time sync) comes from host->realtime_s.
 */
#ifndef DLT645_H
#define DLT645_H

#include <stdint.h>
#include <termios.h>

#include <meterbox/plugin.h>

#include "dlt645_codec.h"

#define DLT_LOG(m, level, ...) (m)->host->log((m)->ctx, (level), __VA_ARGS__)

/* Reopen backoff after an I/O error: 500 ms, doubling, at most 30 s. */
#define DLT_BACKOFF_MIN_MS 500
#define DLT_BACKOFF_MAX_MS 30000
/* Follow-up frames (12H) accepted for one identifier. */
#define DLT_MAX_FOLLOWUPS 16
/* Bytes one identifier's data may reach over all its frames. */
#define DLT_VALUE_MAX 1024

/* One serial line, shared by every dlt645 meter on the bus. */
struct dlt_link {
        const mb_host *host;
        mb_ctx *ctx;
        const char *device; /* host-owned, valid as long as ctx */
        int baud;
        speed_t speed;
        char parity; /* 'N', 'E', 'O' as configured */
        int data_bits, stop_bits;
        int timeout_ms; /* per transaction */
        int pause_ms;   /* quiet time between transactions */

        int fd;            /* -1: closed */
        int parity_off;    /* the port refused parity: running without */
        int failures;      /* consecutive open / I/O failures */
        int64_t reopen_at; /* CLOCK_MONOTONIC ms: no open before this */
        char last_error[160];
        int64_t last_io;     /* CLOCK_MONOTONIC ms at the end of the last transaction */
        int64_t last_sync_s; /* UTC of the last broadcast time sync, 0: none */

        int n_meters, n_auto; /* meters on this link; of them with address "auto" */

        uint8_t rx[2 * DLT_FRAME_MAX];
        size_t rx_len;
};

/* Items of a reading, for the "meter does not have it" memory. */
enum dlt_item {
        IT_IMPORT,
        IT_RATES,
        IT_EXPORT,
        IT_VOLTAGE,
        IT_CURRENT,
        IT_POWER,
        IT_PF,
        IT_FREQ,
        IT_CLOCK,
        IT_FROZEN,
        IT_SETTLE_DAY,
        IT_REMAIN,
        IT_OVERDRAFT,
        IT_STATUS,
        IT_ACCOUNT,
        IT_DEMAND,
        IT_FROZEN_DEMAND,
        IT_COUNT
};

enum dlt_import_reg {
        DLT_IMPORT_FORWARD = 0,  /* forward active energy, 0001xx00 */
        DLT_IMPORT_COMBINED = 1, /* combined active energy, 0000xx00 */
};

/* Parsed options; see dlt645_options.c for defaults and ranges. */
struct dlt_opts {
        int proto; /* enum dlt_proto */
        int phases;
        int block;
        int preamble;
        int import_reg; /* enum dlt_import_reg */
        int reverse, rates, electrical, clock, frozen, prepaid, relay_status, account, demand;
        int64_t clock_tolerance_s; /* 0: never flag the clock */
        int has_utc_offset;
        int64_t utc_offset_s;
        int has_password;
        uint8_t password[4]; /* wire order: PA (level) P0 P1 P2 */
        uint8_t operator_code[4];
        int64_t control_validity_s;
        int direct_close;
        int time_sync;
        int64_t time_sync_interval_s;
};

struct dlt_meter {
        const mb_host *host;
        mb_ctx *ctx;
        struct dlt_link *link;
        const char *name; /* host-owned */
        int timeout_ms;
        struct dlt_opts o;

        uint8_t addr[DLT_ADDR_LEN];     /* wire order */
        int auto_addr;                  /* discover with 13H */
        int have_addr;                  /* addr is known (configured or discovered) */
        int pattern;                    /* addr holds wildcards: learn it from a reply */
        uint8_t cfg_addr[DLT_ADDR_LEN]; /* as configured, to go back to */

        int64_t deadline; /* CLOCK_MONOTONIC ms: the current call must end by then */
        int no_blocks;    /* the meter refused a block identifier */
        uint32_t missing; /* 1 << enum dlt_item: the meter said it has no such data */
        uint8_t last_errword;
        int settle_day, settle_hour; /* from 04000B01; day 0: unknown */
        int64_t settle_read_s;       /* host UTC when it was read */
        char account[13];            /* customer number from 0400040E; "": not read */
        int64_t account_read_s;      /* host UTC when it was read */
        /* last month's maximum demand (01010001), read again when the
         * settlement moment it was frozen at is no longer the last one */
        int64_t frozen_demand_mw, frozen_demand_at;
};

/* dlt645_options.c */
int dlt_options_parse(struct dlt_meter *m, const mb_meter_params *params);
int dlt_meter_items(const struct dlt_meter *m);

/* dlt645_serial.c */
int64_t dlt_now_ms(void);
int dlt_baud_speed(int baud, speed_t *out);
int dlt_port_ready(struct dlt_link *l, const struct dlt_meter *m, mb_err *err);
void dlt_port_close(struct dlt_link *l);
void dlt_port_failed(struct dlt_link *l, const char *what);
int dlt_port_write(struct dlt_link *l, const uint8_t *buf, size_t n, int64_t deadline, mb_err *err);
int dlt_port_read(struct dlt_link *l, int64_t deadline, mb_err *err);
void dlt_port_discard_input(struct dlt_link *l);
void dlt_sleep_until(int64_t when);

/* dlt645_xact.c */
struct dlt_req {
        const uint8_t *addr; /* wire order */
        uint8_t ctrl;
        const uint8_t *data;
        size_t len;
        const char *what; /* "DI 00010000", for messages */
        int no_reply;     /* broadcast: nothing comes back */
};
int dlt_begin(struct dlt_meter *m);
int dlt_xact(struct dlt_meter *m, const struct dlt_req *req, const struct dlt_expect *e,
             struct dlt_frame *f, mb_err *err);
int dlt_read_di(struct dlt_meter *m, uint32_t di, uint8_t *out, size_t cap, size_t *n, mb_err *err);
int dlt_discover(struct dlt_meter *m, mb_err *err);
int dlt_is_exception(int rc);
const char *dlt_di_str(const struct dlt_meter *m, uint32_t di, char buf[16]);

/* dlt645_read.c */
int dlt_read(struct dlt_meter *m, mb_reading *r, mb_err *err);

/* One identifier's data, over all its frames. */
struct dlt_value {
        uint8_t b[DLT_VALUE_MAX];
        size_t n;
};
/* The meter has not said it lacks item. */
int dlt_has(const struct dlt_meter *m, int item);
/* An optional item's result: an exception means the meter lacks it (logged
 * once, not asked again).  Returns 1 (lacks it), MB_OK, or the error. */
int dlt_optional(struct dlt_meter *m, int item, int rc, mb_err *err);
/* Read di with at least min data bytes. */
int dlt_get(struct dlt_meter *m, uint32_t di, size_t min, struct dlt_value *v, mb_err *err);
/* A block identifier: 1 when blocks cannot be used (fall back to items). */
int dlt_get_block(struct dlt_meter *m, uint32_t di, size_t min, struct dlt_value *v, mb_err *err);
/* BCD (signed: top bit) to an integer; MB_EPROTO naming what otherwise. */
int dlt_dec_u(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
              mb_err *err);
int dlt_dec_s(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, int64_t *out,
              mb_err *err);
int dlt_not_bcd(struct dlt_meter *m, const char *what, const uint8_t *p, size_t n, mb_err *err);
/* XXXXXX.XX kWh to Wh. */
int dlt_energy_wh(struct dlt_meter *m, const char *what, const uint8_t *p, int64_t *wh,
                  mb_err *err);

/* dlt645_items.c: each fills its field and returns MB_OK (also when the
 * meter lacks the item), or the error.  now: the meter's clock in UTC once
 * dlt_read_clock has read it, else 0. */
int dlt_read_voltage(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_current(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_power(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_pf(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_freq(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_clock(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_frozen(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_prepaid(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_relay(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_account(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_read_demand(struct dlt_meter *m, mb_reading *r, int64_t *now, mb_err *err);
int dlt_relay_state(uint16_t st3);
int dlt_read_status(struct dlt_meter *m, int *state, mb_err *err);

/* dlt645_control.c */
int dlt_control(struct dlt_meter *m, int op, int *state, mb_err *err);

/* dlt645_time.c */
int64_t dlt_local_to_utc(const struct dlt_meter *m, const struct dlt_datetime *t);
void dlt_utc_to_local(const struct dlt_meter *m, int64_t utc, struct dlt_datetime *t);
int64_t dlt_last_settlement(const struct dlt_meter *m, int64_t now_utc);
void dlt_time_sync_maybe(struct dlt_meter *m);

#endif
