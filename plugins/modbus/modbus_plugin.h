/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: Modbus RTU and Modbus TCP meters through libmodbus (internal
 * header).  docs/plugins/modbus.md describes the options and behaviour.
 *
 * Files, one job each:
 *   modbus_plugin.c   descriptor and lifecycle (link_open, meter_new,
 *                     meter_read, meter_free)
 *   modbus_options.c  the bus and meter options: defaults, types, ranges
 *   modbus_link.c     one libmodbus context per bus: lazy connect, reconnect
 *                     with backoff, pause between requests, one transaction
 *                     with frame logging and error classification
 *   modbus_relay.c    meter_control: relay through a coil or a register
 *   modbus_map.c      register maps, built-in profiles, read plan (pure)
 *   modbus_decode.c   register bytes to integers (pure)
 *   modbus_frame.c    request and answer bytes (pure)
 */
#ifndef MB_MODBUS_PLUGIN_H
#define MB_MODBUS_PLUGIN_H

#include <stdint.h>

#include <meterbox/plugin.h>

#include "modbus_frame.h"
#include "modbus_map.h"

typedef struct _modbus modbus_t;

#define MBP_LOG(host, ctx, level, ...) (host)->log((ctx), (level), __VA_ARGS__)

/* Per bus: one libmodbus context shared by every meter on the bus.  The host
 * calls one link's meters one at a time, so nothing here needs a lock. */
struct mbp_link {
        const mb_host *host;
        mb_ctx *ctx;
        char where[160]; /* "tcp 10.0.0.5:502", "/dev/ttyS1 9600 8E1": names the bus in messages */
        int transport;   /* enum mbf_transport */
        modbus_t *mb;
        int connected;
        int timeout_ms; /* per transaction */
        int pause_ms;   /* quiet time between transactions */
        int rs485;      /* option rs485: ask the driver for RS-485 mode */
        int rts;        /* option rts: -1 leave alone, else MODBUS_RTU_RTS_* */
        int rs485_warned;
        int have_last_io;
        int64_t last_io_ms;       /* host monotonic time the last transaction ended */
        int fails;                /* connection attempts failed in a row */
        int64_t retry_at_ms;      /* no new attempt before this */
        int reconnect_min_ms;     /* backoff after the first failure ... */
        int reconnect_max_ms;     /* ... doubling up to this */
        char last_error[120];     /* why the last attempt failed */
        uint8_t rsp[MBF_ADU_MAX]; /* the answer of the transaction in progress */
};

enum mbp_relay_kind { MBP_RELAY_NONE = 0, MBP_RELAY_COIL = 1, MBP_RELAY_REGISTER = 2 };

struct mbp_relay {
        int kind;          /* enum mbp_relay_kind */
        uint16_t addr;     /* coil or holding register */
        uint16_t on_value; /* register: value that closes the relay (supply on) */
        uint16_t off_value;
        int coil_on_trips; /* coil: ON means open (tripped) instead of closed */
        int in_reading;    /* report the relay state in each reading */
};

struct mbp_meter {
        const mb_host *host;
        mb_ctx *ctx;
        struct mbp_link *link;
        const char *name; /* host-owned, valid as long as ctx */
        int unit;
        int timeout_ms;
        int64_t deadline_ms; /* of the call in progress */
        struct mbm_map map;
        int max_gap; /* the plan's; 0 once the meter refused a read across a gap */
        struct mbp_relay relay;
        uint8_t buf[MBM_BUF_MAX];
        char block_err[MBM_Q_COUNT]
                      [sizeof(((mb_err *)0)->msg)]; /* why each block failed, this reading */
};

/* modbus_options.c: MB_OK or MB_ECONFIG (already reported through the host
 * with file and line; err is filled only for problems the host did not
 * locate). */
int mbp_link_options(struct mbp_link *l, const mb_link_params *bus, mb_err *err);
int mbp_meter_options(struct mbp_meter *m, const mb_meter_params *params, mb_err *err);

/* modbus_link.c */
int mbp_link_create(struct mbp_link *l, const mb_link_params *bus, mb_err *err);
void mbp_link_destroy(struct mbp_link *l);
/* Start a call on m: its whole budget is m->timeout_ms from now. */
void mbp_call_begin(struct mbp_meter *m);
/* One request/answer for m.  raw is a MBF_RAW_REQ_LEN raw request; on MB_OK
 * *data and *data_len hold the answer's payload (valid until the next call),
 * otherwise err names the unit, the request and what went wrong. */
int mbp_transact(struct mbp_meter *m, const uint8_t *raw, const char *what, const uint8_t **data,
                 size_t *data_len, mb_err *err);

/* modbus_relay.c */
int mbp_relay_state(struct mbp_meter *m, int *state, mb_err *err);
int mbp_control(struct mbp_meter *m, int op, int *state, mb_err *err);

#endif
