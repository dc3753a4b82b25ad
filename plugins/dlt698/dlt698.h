/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: DL/T 698.45 electricity meters on RS-485 or TCP (internal header).
 * See docs/plugins/dlt698.md for what a user sees.
 *
 * Files, one job each:
 *   dlt698.c          descriptor and lifecycle (link_open, meter_new, ...)
 *   dlt698_options.c  the meter's options group: defaults, types, ranges
 *   dlt698_codec.h    the pure codec (frames, A-XDR, APDUs, values)
 *   dlt698_port.c     the line: a serial port or a TCP connection, reopened
 *                     with backoff, every wait bounded
 *   dlt698_xact.c     one request and its reply: security wrapping, split
 *                     replies, stale and echoed frames; address discovery
 *   dlt698_read.c     meter_read: which objects, in which requests
 *   dlt698_decode.c   an object's Data into mb_reading, with its scaler
 *   dlt698_control.c  meter_control: ACTION on 8000/8001, relay read-back
 *   dlt698_time.c     meter local time <-> UTC; time tags
 *   dlt698_signer.h   the seam for a utility's encryption service
 *
 * Clocks: I/O deadlines use CLOCK_MONOTONIC directly (a frozen test clock
 * must not make a read wait forever); wall time (meter clock, time tags)
 * comes from host->realtime_s.
 */
#ifndef DLT698_H
#define DLT698_H

#include <stdint.h>
#include <termios.h>

#include <meterbox/plugin.h>

#include "dlt698_codec.h"
#include "dlt698_signer.h"

#define D698_LOG(m, level, ...) (m)->host->log((m)->ctx, (level), __VA_ARGS__)

/* Reopen backoff after an I/O error: 500 ms, doubling, at most 30 s. */
#define D698_BACKOFF_MIN_MS 500
#define D698_BACKOFF_MAX_MS 30000
/* Fragments accepted for one split reply. */
#define D698_MAX_FRAGMENTS 64

/* One line (serial bus or TCP connection), shared by the meters on it. */
struct d698_link {
        const mb_host *host;
        mb_ctx *ctx;
        const char *name;   /* bus name, host-owned */
        int tcp;            /* 1: host:port, 0: serial device */
        const char *device; /* serial device or TCP host, host-owned */
        int port;           /* TCP port */
        int baud;
        speed_t speed;
        char parity; /* 'N', 'E', 'O' as configured */
        int data_bits, stop_bits;
        int timeout_ms; /* one transaction */
        int pause_ms;   /* quiet time before a request */

        int fd;            /* -1: closed */
        int parity_off;    /* the port refused parity: running without */
        int failures;      /* consecutive open / I/O failures */
        int64_t reopen_at; /* CLOCK_MONOTONIC ms: no open before this */
        char last_error[160];
        int64_t last_io; /* CLOCK_MONOTONIC ms at the end of the last transaction */

        int n_meters, n_auto; /* meters on this line; of them discovering */

        uint8_t rx[2 * D698_FRAME_MAX];
        size_t rx_len;
        struct d698_frame frame; /* the frame being looked at */
        struct d698_reasm reasm; /* the reply being reassembled */
};

/* The objects a reading may hold, for per-object memory (a DAR is logged
 * once) and the scalers read from the meter. */
enum d698_obj {
        OBJ_IMPORT,    /* 0010 forward active energy, total and rates */
        OBJ_EXPORT,    /* 0020 reverse active energy */
        OBJ_VOLTAGE,   /* 2000 */
        OBJ_CURRENT,   /* 2001 */
        OBJ_POWER,     /* 2004 active power */
        OBJ_PF,        /* 200A power factor */
        OBJ_FREQ,      /* 200F frequency */
        OBJ_CLOCK,     /* 4000 date-time */
        OBJ_ADDRESS,   /* 4001 communication address */
        OBJ_WALLET,    /* 202C remaining money and purchase count */
        OBJ_OVERDRAFT, /* 202D overdraft money */
        OBJ_ACCOUNT,   /* 4003 customer number (客户编号) */
        OBJ_RELAY,     /* 8000 attribute 3, relay output state */
        OBJ_RELAY_CMD, /* 8000 attribute 5, relay command state */
        OBJ_FROZEN,    /* 5006 monthly freeze, the latest record */
        OBJ_COUNT
};

/* An object: its attribute-2 OAD, name, and (for scaled quantities) the
 * scaler and unit the standard gives it. */
struct d698_object {
        uint32_t oad;
        const char *name;
        int scaled;    /* has a Scaler_Unit (attribute 3) */
        int8_t scaler; /* the standard's */
        uint8_t unit;  /* the standard's */
};
extern const struct d698_object d698_objects[OBJ_COUNT];

enum d698_security {
        D698_SEC_PLAIN = 0, /* plain GET */
        D698_SEC_RN = 1,    /* SECURITY-Request: plaintext + RN, reply with MAC */
};

/* Parsed options; see dlt698_options.c for defaults and ranges. */
struct d698_opts {
        int phases;
        int preamble;
        int client;  /* client address CA */
        int logical; /* server logical address */
        int list;    /* GET-Request-NormalList (else one Normal per object) */
        int reverse, rates, electrical, clock, frozen, prepaid, relay_status, account;
        int64_t clock_tolerance_s;
        int read_scalers; /* read attribute 3 once, else the standard's */
        int security;     /* enum d698_security for reads */
        int has_utc_offset;
        int64_t utc_offset_s;
        int64_t control_validity_s;
        int direct_close;
};

struct d698_meter {
        const mb_host *host;
        mb_ctx *ctx;
        struct d698_link *link;
        const char *name; /* host-owned */
        int timeout_ms;
        struct d698_opts o;
        const struct d698_signer *signer; /* NULL: plaintext control */
        void *signer_ctx;

        struct d698_addr addr;    /* the meter's address (configured or discovered) */
        struct d698_addr from;    /* the address the last reply came from */
        struct d698_addr pattern; /* what discovery asks: AAAAAAAAAAAA or a configured pattern */
        int auto_addr;            /* discover the address with pattern */
        int have_addr;
        uint8_t piid; /* the next service sequence number, 0..63 */

        int64_t deadline; /* CLOCK_MONOTONIC ms: the current call must end by then */
        uint32_t told;    /* 1 << enum d698_obj: its refusal was logged */
        int list_refused; /* the meter answered NormalList with ERROR-Response */
        int scalers_read;
        int8_t scaler[OBJ_COUNT];
        uint8_t unit[OBJ_COUNT];
        int64_t purchases;            /* the wallet's purchase count, -1 unknown */
        char account[MB_ACCOUNT_LEN]; /* customer number from 4003; "": none */
        int64_t account_read_s;       /* host UTC when 4003 was last answered, 0: never */

        /* The APDU of the last reply (plaintext, unwrapped). */
        uint8_t apdu[D698_APDU_MAX];
        size_t apdu_len;
};

/* dlt698_options.c */
int d698_options_parse(struct d698_meter *m);
int d698_meter_requests(const struct d698_meter *m);

/* dlt698_port.c */
int64_t d698_now_ms(void);
void d698_sleep_until(int64_t when);
int d698_baud_speed(int baud, speed_t *out);
int d698_port_ready(struct d698_link *l, int64_t deadline, mb_err *err);
void d698_port_close(struct d698_link *l);
int d698_port_write(struct d698_link *l, const uint8_t *buf, size_t n, int64_t deadline,
                    mb_err *err);
int d698_port_read(struct d698_link *l, int64_t deadline, mb_err *err);
void d698_port_discard_input(struct d698_link *l);

/* dlt698_xact.c */
struct d698_req {
        const uint8_t *apdu; /* the plain APDU */
        size_t len;
        const char *what;           /* "GET 00100200 (forward active energy)", for messages */
        int secure;                 /* wrap as SECURITY-Request (plaintext + RN) */
        int raw;                    /* keep a SECURITY-Response as it came (for a signer) */
        const struct d698_addr *to; /* NULL: the meter's address */
};
int d698_begin(struct d698_meter *m);
uint8_t d698_next_piid(struct d698_meter *m);
int d698_xact(struct d698_meter *m, const struct d698_req *req, mb_err *err);
int d698_discover(struct d698_meter *m, mb_err *err);

/* dlt698_decode.c: each fills its fields of r from one object's Data, or
 * returns an error naming the object.  MB_OK when the field was filled. */
int d698_decode(struct d698_meter *m, int obj, struct d698_cur *data, mb_reading *r, mb_err *err);
int d698_decode_scaler(struct d698_meter *m, int obj, struct d698_cur *data, mb_err *err);
int d698_relay_state(int open, int trip_cmd);

/* dlt698_read.c */
int d698_read(struct d698_meter *m, mb_reading *r, mb_err *err);
int d698_read_relay(struct d698_meter *m, int *state, mb_err *err);
int d698_dar_error(struct d698_meter *m, const char *what, int dar, mb_err *err);

/* dlt698_control.c */
int d698_control(struct d698_meter *m, int op, int *state, mb_err *err);

/* dlt698_time.c */
int64_t d698_local_to_utc(const struct d698_meter *m, const struct d698_dt *t);
void d698_utc_to_local(const struct d698_meter *m, int64_t utc, struct d698_dt *t);
void d698_time_tag(const struct d698_meter *m, struct d698_tt *tt);

#endif
