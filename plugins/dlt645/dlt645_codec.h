/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: the DL/T 645 frame codec and value decoders.  Pure functions on
 * byte buffers: no I/O, no allocation, no host.  The plugin, the unit tests
 * and the fuzz targets all link these two files (dlt645_frame.c,
 * dlt645_value.c) and nothing else.
 *
 * A frame on the wire (DL/T 645-2007 section 4, the same in 1997):
 *
 *     [FE FE FE FE]  68  A0 A1 A2 A3 A4 A5  68  C  L  D0 .. D(L-1)  CS  16
 *      wake-up        |  address, BCD,      |   |  |  data, each     |   end
 *      (optional)     |  low byte first     |   |  |  byte + 33H     checksum:
 *                     start                 |   |  length            sum mod 256 of
 *                                         start control              68 .. D(L-1)
 *
 * Control code C: D7 direction (1: reply from the meter), D6 exception
 * (reply carries an error word), D5 follow-up frames exist, D4..D0 function.
 * Multi-byte items (DI, values, address) travel low byte first.
 */
#ifndef DLT645_CODEC_H
#define DLT645_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define DLT_ADDR_LEN 6
#define DLT_MAX_DATA 255
#define DLT_PREAMBLE_MAX 4
#define DLT_OVERHEAD 12 /* 68 A0..A5 68 C L CS 16 */
#define DLT_FRAME_MAX (DLT_PREAMBLE_MAX + DLT_OVERHEAD + DLT_MAX_DATA)

#define DLT_START 0x68
#define DLT_END 0x16
#define DLT_WAKE 0xFE
#define DLT_SCRAMBLE 0x33  /* added to each data byte on the wire */
#define DLT_WILDCARD 0xAA  /* address byte that matches any (AAAAAAAAAAAA: anyone) */
#define DLT_BROADCAST 0x99 /* 999999999999: broadcast (time sync), no reply */

/* Control code bits. */
#define DLT_C_DIR 0x80  /* 1: slave (meter) to master */
#define DLT_C_EXC 0x40  /* 1: exception reply, data is an error word */
#define DLT_C_MORE 0x20 /* 1: follow-up frames exist */
#define DLT_C_FUNC 0x1F /* function code */

/* Function codes, DL/T 645-2007. */
#define DLT07_TIME_SYNC 0x08 /* broadcast time sync, data ssmmhhDDMMYY */
#define DLT07_READ 0x11      /* read data: DI0..DI3 */
#define DLT07_READ_MORE 0x12 /* read follow-up data: DI0..DI3 SEQ */
#define DLT07_READ_ADDR 0x13 /* read the communication address */
#define DLT07_CONTROL 0x1C   /* remote trip / close / alarm / protect */
/* DL/T 645-1997. */
#define DLT97_READ 0x01
#define DLT97_READ_MORE 0x02
#define DLT97_TIME_SYNC 0x08

/* Control commands (N1) of 1CH. */
#define DLT_CTL_TRIP 0x1A
#define DLT_CTL_CLOSE_ALLOW 0x1B
#define DLT_CTL_CLOSE_DIRECT 0x1C
#define DLT_CTL_ALARM 0x2A
#define DLT_CTL_ALARM_CLEAR 0x2B
#define DLT_CTL_PROTECT 0x3A
#define DLT_CTL_PROTECT_CLEAR 0x3B

/* Error word (ERR) bits of an exception reply, DL/T 645-2007 table (1997:
 * bit 0 illegal data, bit 1 wrong data identifier, bit 2 password error). */
#define DLT_ERR_OTHER 0x01
#define DLT_ERR_NO_DATA 0x02
#define DLT_ERR_PASSWORD 0x04 /* password error or unauthorised */
#define DLT_ERR_BAUD 0x08
#define DLT_ERR_YEAR_ZONES 0x10
#define DLT_ERR_DAY_PERIODS 0x20
#define DLT_ERR_TARIFFS 0x40

/* Run status word 3 (DI 04000503) bits. */
#define DLT_ST3_RELAY_OPEN 0x0010 /* bit 4: relay state, 1 = open (supply off) */
#define DLT_ST3_RELAY_CMD 0x0040  /* bit 6: relay command, 1 = trip */
#define DLT_ST3_PROTECT 0x1000    /* bit 12: protected (Q/GDW 1365 meters) */

enum dlt_proto {
        DLT_1997 = 1997,
        DLT_2007 = 2007,
};

/* Results of the parser.  Negative: a frame was found but is unusable. */
enum dlt_result {
        DLT_OK = 0,
        DLT_MORE = 1,         /* incomplete: read at least *need more bytes */
        DLT_E_CHECKSUM = -1,  /* checksum does not match */
        DLT_E_DIR = -2,       /* direction bit 0: a request (our own echo?) */
        DLT_E_FUNC = -3,      /* reply to another function */
        DLT_E_ADDR = -4,      /* reply from another address */
        DLT_E_EXCEPTION = -5, /* exception reply; error word in data[0] */
        DLT_E_DI = -6,        /* reply for another data identifier */
        DLT_E_SHORT = -7,     /* data shorter than the reply must hold */
};

/* A received frame, data already descrambled (- 33H). */
struct dlt_frame {
        uint8_t addr[DLT_ADDR_LEN]; /* as on the wire: A0 (lowest digits) first */
        uint8_t ctrl;
        uint8_t len;
        uint8_t data[DLT_MAX_DATA];
        uint16_t skipped; /* noise and FE bytes before the first 68H */
};

/* What a reply must look like to answer a request. */
struct dlt_expect {
        uint8_t addr[DLT_ADDR_LEN]; /* wire order; AAH bytes match any byte */
        uint8_t func;               /* function code of the request (D4..D0) */
        uint8_t di_len;             /* 0: no DI echo to check; else 2 or 4 */
        uint8_t di[4];              /* DI in wire order (DI0 first), descrambled */
};

/* Encode one frame into out: `preamble` FE bytes (0..4), then the frame with
 * data scrambled.  Returns the bytes written, or 0 when cap is too small, len
 * is above 255 or preamble above 4. */
size_t dlt_encode(uint8_t *out, size_t cap, unsigned preamble, const uint8_t addr[DLT_ADDR_LEN],
                  uint8_t ctrl, const uint8_t *data, size_t len);

/* The DI in wire order: 4 bytes for 2007, 2 for 1997 (di = 0x9010).
 * Returns the number of bytes. */
size_t dlt_di_bytes(int proto, uint32_t di, uint8_t out[4]);

/* A read request (11H, or 01H for 1997) for di.  Returns bytes or 0. */
size_t dlt_encode_read(uint8_t *out, size_t cap, int proto, unsigned preamble,
                       const uint8_t addr[DLT_ADDR_LEN], uint32_t di);

/*
 * Find one frame in buf[0..len).  Skips noise and FE bytes before a 68H,
 * checks the second 68H, takes the length from L (never from a 16H, since a
 * checksum or a data byte may be 16H), then the end byte and the checksum.
 *
 *   DLT_OK         *f holds the frame; *used = bytes through its 16H.
 *   DLT_MORE       *used = leading bytes that are certainly not a frame (drop
 *                  them); *need = bytes still missing, at least 1.  If an
 *                  incomplete candidate is followed by a complete valid frame,
 *                  the candidate was noise and that frame is returned.
 *   DLT_E_CHECKSUM *f is filled; *used = bytes through its 16H.
 * Never reads outside buf.
 */
int dlt_frame_parse(const uint8_t *buf, size_t len, struct dlt_frame *f, size_t *used,
                    size_t *need);

/* Check a parsed frame against a request, in this order: direction bit,
 * function, address, exception bit, DI echo.  Returns DLT_OK or a DLT_E_*. */
int dlt_reply_check(const struct dlt_frame *f, const struct dlt_expect *e);

/* dlt_frame_parse, then dlt_reply_check on a frame found.  On DLT_E_* after
 * parsing, *f is filled and *used covers the frame. */
int dlt_reply_parse(const uint8_t *buf, size_t len, const struct dlt_expect *e, struct dlt_frame *f,
                    size_t *used, size_t *need);

/* A static name of a dlt_result. */
const char *dlt_result_str(int rc);

/* --- values (dlt645_value.c) --- */

/* BCD bytes, low byte first, to an integer.  Returns 0, or -1 when a nibble
 * is not a decimal digit.  n at most 9 bytes. */
int dlt_bcd_u(const uint8_t *p, size_t n, uint64_t *out);
/* The same with the highest bit of the highest byte (p[n-1]) as the sign, as
 * 2007 sends current, power, power factor and combined energy. */
int dlt_bcd_s(const uint8_t *p, size_t n, int64_t *out);
/* Write v as n BCD bytes, low byte first.  Returns 0, or -1 if it does not fit. */
int dlt_put_bcd(uint8_t *p, size_t n, uint64_t v);

/* "123456789012" (1 to 12 digits, left-padded with 0; pairs "AA" as
 * wildcards) to wire order.  Returns 0 or -1. */
int dlt_addr_parse(const char *text, uint8_t addr[DLT_ADDR_LEN]);
/* Wire order to 12 characters and a NUL (AA bytes as "AA"). */
void dlt_addr_format(const uint8_t addr[DLT_ADDR_LEN], char out[13]);

/* Hex digits of a password / operator code ("02123456") to 4 bytes in wire
 * order (last pair first); returns 0 or -1 (not 8 hex digits). */
int dlt_hex4_parse(const char *text, uint8_t out[4]);

/* Describe an error word: "no data requested, password error or
 * unauthorised" (the 1997 names differ in bits 0 and 1).  Returns out. */
char *dlt_errword_str(int proto, uint8_t err, char *out, size_t cap);

struct dlt_datetime {
        int year; /* 2000..2099 */
        int mon;  /* 1..12 */
        int day;  /* 1..31 */
        int hour, min, sec;
        int wday; /* 0 Sunday .. 6; -1 unknown */
};

/* Date of 04000101 / C010: WW DD MM YY on the wire.  Returns 0 or -1. */
int dlt_decode_date(const uint8_t p[4], struct dlt_datetime *t);
/* Time of 04000102 / C011: ss mm hh on the wire.  Returns 0 or -1. */
int dlt_decode_time(const uint8_t p[3], struct dlt_datetime *t);
/* When a maximum demand occurred (01010000, 01010001 after the demand):
 * mm hh DD MM YY on the wire, seconds 0.  Returns 1 for a real moment, 0
 * for the all-zero "none yet" a meter shows before its first demand
 * interval of the month, -1 for anything else. */
int dlt_decode_minute(const uint8_t p[5], struct dlt_datetime *t);
/* ss mm hh DD MM YY (time sync, control deadline).  Returns 0 or -1. */
int dlt_encode_datetime6(const struct dlt_datetime *t, uint8_t out[6]);
/* Is t a real calendar moment? */
int dlt_datetime_valid(const struct dlt_datetime *t);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int64_t dlt_days_from_civil(int64_t y, int m, int d);
/* Seconds since the epoch of t read as UTC (no time zone). */
int64_t dlt_datetime_to_epoch(const struct dlt_datetime *t);
/* The reverse; wday is filled. */
void dlt_epoch_to_datetime(int64_t s, struct dlt_datetime *t);

#endif
