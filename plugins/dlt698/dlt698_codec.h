/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the DL/T 698.45 codec.  Pure functions on byte buffers: no I/O, no
 * allocation, no host.  The plugin, the unit tests and the fuzz targets link
 * these files (mb_dlt698_codec) and nothing else:
 *
 *   dlt698_frame.c   link layer: CRC, frames, split-frame reassembly
 *   dlt698_axdr.c    A-XDR: lengths, typed Data, skipping, numbers
 *   dlt698_apdu.c    the APDUs the plugin sends, and the replies it reads
 *   dlt698_value.c   addresses, date_time_s, DAR names, scalers and units
 *
 * Where each fact comes from is in docs/plugins/dlt698.md ("Sources").
 *
 * A frame on the wire (DL/T 698.45 link layer; multi-byte fields of the link
 * layer travel low byte first, A-XDR data inside the APDU high byte first):
 *
 *   [FE..]  68  L0 L1  C  AF [LA] SA..  CA  HCS0 HCS1  [F0 F1] APDU..  FCS0 FCS1  16
 *
 *   L    bits 0-13: bytes from L0 to FCS1 (everything but 68 and 16);
 *        bits 14-15 must be 0 here.
 *   C    bit 7 DIR (1: from the server, the meter), bit 6 PRM (1: the client
 *        started the exchange), bit 5 split frame, bit 3 SC (user data + 33H),
 *        bits 0-2 function (1 link management, 3 user data).
 *   AF   bits 6-7 address type (0 single, 1 wildcard, 2 group, 3 broadcast),
 *        bit 5 an extended logical address byte LA follows, bit 4 logical
 *        address 0/1, bits 0-3 length of LA + SA minus 1.
 *   SA   the server address, BCD, low byte first ("000039200933" travels
 *        33 09 20 39 00 00); a wildcard nibble is A, broadcast is one AA.
 *   CA   the client address (the gateway: 00).
 *   HCS  CRC-16/X-25 of L0 .. CA.   FCS  CRC-16/X-25 of L0 .. the last APDU byte.
 *   F0F1 with the split bit: bits 0-11 fragment number, bits 14-15 type
 *        (00 first, 11 middle, 01 last, 10 confirmation without APDU).
 */
#ifndef DLT698_CODEC_H
#define DLT698_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define D698_START 0x68
#define D698_END 0x16
#define D698_WAKE 0xFE
#define D698_PREAMBLE_MAX 4
#define D698_SA_MAX 16      /* server address bytes */
#define D698_FRAME_MAX 2048 /* a whole frame; meters negotiate 512..2048 */
#define D698_APDU_MAX 8192  /* an APDU reassembled from split frames */
#define D698_MIN_FRAME 12   /* 68 L L C AF SA CA HCS HCS FCS FCS 16, 1-byte SA, no APDU */

/* Control byte. */
#define D698_C_DIR 0x80
#define D698_C_PRM 0x40
#define D698_C_SPLIT 0x20
#define D698_C_SC 0x08
#define D698_C_FUNC 0x07
#define D698_FUNC_LINK 1
#define D698_FUNC_DATA 3
/* A request the gateway sends: client to server, started by the client. */
#define D698_C_REQUEST (D698_C_PRM | D698_FUNC_DATA)

/* Address types (AF bits 6-7). */
enum d698_addr_type {
        D698_SA_SINGLE = 0,
        D698_SA_WILDCARD = 1,
        D698_SA_GROUP = 2,
        D698_SA_BROADCAST = 3,
};

/* Split-frame types (fragment header bits 14-15). */
enum d698_frag_type {
        D698_FRAG_FIRST = 0,
        D698_FRAG_LAST = 1,
        D698_FRAG_CONFIRM = 2,
        D698_FRAG_MIDDLE = 3,
};

/* APDU tags and choices. */
#define D698_GET_REQUEST 0x05
#define D698_ACTION_REQUEST 0x07
#define D698_SECURITY_REQUEST 0x10
#define D698_GET_RESPONSE 0x85
#define D698_ACTION_RESPONSE 0x87
#define D698_SECURITY_RESPONSE 0x90
#define D698_ERROR_RESPONSE 0xEE
#define D698_GET_NORMAL 1
#define D698_GET_NORMAL_LIST 2
#define D698_GET_RECORD 3
#define D698_ACTION_NORMAL 1

/* A-XDR data types. */
enum d698_type {
        D698_T_NULL = 0,
        D698_T_ARRAY = 1,
        D698_T_STRUCT = 2,
        D698_T_BOOL = 3,
        D698_T_BITSTRING = 4,
        D698_T_DOUBLE_LONG = 5,
        D698_T_DOUBLE_LONG_U = 6,
        D698_T_OCTETS = 9,
        D698_T_VISIBLE = 10,
        D698_T_UTF8 = 12,
        D698_T_BCD = 13,
        D698_T_INTEGER = 15,
        D698_T_LONG = 16,
        D698_T_UNSIGNED = 17,
        D698_T_LONG_U = 18,
        D698_T_LONG64 = 20,
        D698_T_LONG64_U = 21,
        D698_T_ENUM = 22,
        D698_T_FLOAT32 = 23,
        D698_T_FLOAT64 = 24,
        D698_T_DATE_TIME = 25,
        D698_T_DATE = 26,
        D698_T_TIME = 27,
        D698_T_DATE_TIME_S = 28,
        D698_T_OI = 80,
        D698_T_OAD = 81,
        D698_T_ROAD = 82,
        D698_T_OMD = 83,
        D698_T_TI = 84,
        D698_T_TSA = 85,
        D698_T_MAC = 86,
        D698_T_RN = 87,
        D698_T_REGION = 88,
        D698_T_SCALER_UNIT = 89,
        D698_T_RSD = 90,
        D698_T_CSD = 91,
        D698_T_MS = 92,
        D698_T_SID = 93,
        D698_T_SID_MAC = 94,
        D698_T_COMDCB = 95,
        D698_T_RCSD = 96,
};

/* Results.  Negative: something was found but is unusable. */
enum d698_result {
        D698_OK = 0,
        D698_MORE = 1,         /* incomplete: read at least *need more bytes */
        D698_E_FCS = -1,       /* frame check sequence does not match */
        D698_E_HCS = -2,       /* header check does not match (but the FCS does) */
        D698_E_DIR = -3,       /* a frame from a client (our own echo?) */
        D698_E_ADDR = -4,      /* from another server address */
        D698_E_CLIENT = -5,    /* for another client address */
        D698_E_FUNC = -6,      /* not user data (function 3) */
        D698_E_SPLIT = -7,     /* split-frame sequence broken */
        D698_E_SHORT = -8,     /* APDU ends early */
        D698_E_DATA = -9,      /* APDU malformed: unknown tag, type or length */
        D698_E_NEST = -10,     /* Data nested too deep */
        D698_E_TOOBIG = -11,   /* larger than the buffer allowed */
        D698_E_MISMATCH = -12, /* an answer to another request (service, PIID, OAD) */
};

/* A server address as on the wire.  text form: "000039200933". */
struct d698_addr {
        uint8_t type;           /* enum d698_addr_type */
        uint8_t logical;        /* 0..255 */
        uint8_t len;            /* bytes in a[], 1..16 */
        uint8_t a[D698_SA_MAX]; /* low byte first */
};

/* A received frame.  User data already descrambled when SC was set; with the
 * split bit, the fragment header is taken out of data. */
struct d698_frame {
        uint8_t ctrl;
        struct d698_addr sa;
        uint8_t ca;
        int split;         /* the split bit */
        uint16_t frag_seq; /* with split: fragment number 0..4095 */
        uint8_t frag_type; /* with split: enum d698_frag_type */
        uint16_t len;      /* bytes in data[] */
        uint8_t data[D698_FRAME_MAX];
        uint16_t skipped; /* noise and FE bytes before the 68H */
};

/* --- link layer (dlt698_frame.c) --- */

/* CRC-16/X-25 (reflected 0x1021, init FFFF, final XOR FFFF), as HCS and FCS.
 * Transmitted low byte first. */
uint16_t d698_crc16(const uint8_t *p, size_t n);

/* Encode one frame: `preamble` FE bytes (0..4), then 68 .. 16 with HCS and
 * FCS.  frag is NULL for an ordinary frame; with frag (split set in ctrl by
 * this function) the two bytes *frag go before the user data.  Returns the
 * bytes written, or 0 when cap is too small or an argument is out of range
 * (address length 0 or above 16 with its logical byte). */
size_t d698_encode(uint8_t *out, size_t cap, unsigned preamble, const struct d698_addr *sa,
                   uint8_t ca, uint8_t ctrl, const uint16_t *frag, const uint8_t *user,
                   size_t ulen);

/* The confirmation the client sends for a split-frame fragment: user data is
 * the fragment header (seq, type 10) alone.  Returns bytes or 0. */
size_t d698_encode_confirm(uint8_t *out, size_t cap, unsigned preamble, const struct d698_addr *sa,
                           uint8_t ca, uint16_t seq);

/*
 * Find one frame in buf[0..len).  Skips noise and FE bytes before a 68H,
 * takes the frame's end from L (never from a 16H: an FCS or a data byte may
 * be 16H), and checks HCS and FCS.  A 68H whose header does not check is
 * noise, unless the whole frame's FCS checks (a server that gets its HCS
 * wrong): D698_E_HCS.
 *
 *   D698_OK     *f holds the frame; *used = bytes through its 16H.
 *   D698_MORE   *used = leading bytes that certainly hold no frame (drop
 *               them); *need = bytes still missing, at least 1.  An
 *               incomplete candidate followed by a complete valid frame was
 *               noise, and that frame is returned.
 *   D698_E_FCS, D698_E_HCS   *f is filled; *used covers the frame.
 *   D698_E_SPLIT  split bit set but no fragment header; *used covers it.
 * Never reads outside buf.
 */
int d698_frame_parse(const uint8_t *buf, size_t len, struct d698_frame *f, size_t *used,
                     size_t *need);

/* Is f a reply to a request sent to `to` by client ca?  Checks, in this
 * order: DIR set, function 3, client address, server address (a request to
 * a wildcard or broadcast address accepts any single address).  Returns
 * D698_OK or a D698_E_*. */
int d698_reply_check(const struct d698_frame *f, const struct d698_addr *to, uint8_t ca);

/* Reassembly of a split APDU.  Start with d698_reasm_init, then feed each
 * reply frame: D698_OK when the APDU is whole (apdu/len), D698_MORE when a
 * confirmation for *confirm_seq must be sent to get the next fragment, or a
 * D698_E_*.  A frame without the split bit is a whole APDU by itself.  A
 * fragment repeated (our confirmation was lost) is ignored: D698_MORE with
 * the same confirmation. */
struct d698_reasm {
        uint8_t apdu[D698_APDU_MAX];
        size_t len;
        int started;
        uint16_t last_seq;
        uint16_t fragments;
};
void d698_reasm_init(struct d698_reasm *r);
int d698_reasm_add(struct d698_reasm *r, const struct d698_frame *f, uint16_t *confirm_seq);

/* A static name of a d698_result. */
const char *d698_result_str(int rc);

/* --- A-XDR (dlt698_axdr.c) --- */

/* A read position in an APDU. */
struct d698_cur {
        const uint8_t *p;
        size_t n;   /* bytes in p */
        size_t off; /* next byte */
        int err;    /* first error, a D698_E_* (0: none); reads fail once set */
};
void d698_cur_init(struct d698_cur *c, const uint8_t *p, size_t n);
/* One byte / n bytes / a big-endian unsigned of n bytes (n <= 8).  On a short
 * buffer they set c->err = D698_E_SHORT and return 0 / NULL. */
uint8_t d698_u8(struct d698_cur *c);
const uint8_t *d698_bytes(struct d698_cur *c, size_t n);
uint64_t d698_be(struct d698_cur *c, size_t n);
/* A-XDR length: one byte below 80H, else 80H+k then k bytes (k 1..2 here). */
size_t d698_len(struct d698_cur *c);
/* Append a length to out (1 to 3 bytes); returns bytes written or 0. */
size_t d698_put_len(uint8_t *out, size_t cap, size_t len);

/* Skip one Data (type tag and value, arrays and structures recursively, at
 * most 8 deep).  Returns 0, or the error (also in c->err). */
int d698_skip_data(struct d698_cur *c);

/* The next Data as a cursor of its own (*one covers exactly it; c moves past
 * it).  Returns 0 or the error. */
int d698_take_data(struct d698_cur *c, struct d698_cur *one);

/* A number: one Data of an integer type (bool, integer, long, double-long,
 * long64, their unsigned forms, enum).  *type receives the tag.  Returns 0;
 * D698_E_DATA for another type (the Data is skipped; a null leaves *type 0). */
int d698_number(struct d698_cur *c, int64_t *v, uint8_t *type);

/* An array or structure header of the given tag: its element count.  Returns
 * 0, or D698_E_DATA when the tag differs (the Data is not consumed). */
int d698_aggregate(struct d698_cur *c, uint8_t tag, size_t *count);

/* --- APDUs (dlt698_apdu.c) --- */

/* date_time_s: year, month, day, hour, minute, second (year 2 bytes). */
struct d698_dt {
        int year, mon, day, hour, min, sec;
};

/* A time tag: when the request was sent and how long it stays valid.  TI
 * units: 0 second, 1 minute, 2 hour, 3 day, 4 month, 5 year. */
struct d698_tt {
        int present;
        struct d698_dt sent;
        uint8_t unit;
        uint16_t interval;
};

/* The request APDUs.  Each returns the bytes written to out, or 0 when cap is
 * too small or an argument is out of range.  piid: bits 0-5 sequence, bit 7
 * priority.  tt NULL: no time tag. */
size_t d698_get_normal(uint8_t *out, size_t cap, uint8_t piid, uint32_t oad,
                       const struct d698_tt *tt);
size_t d698_get_list(uint8_t *out, size_t cap, uint8_t piid, const uint32_t *oads, size_t n,
                     const struct d698_tt *tt);
/* GET-Request-Record with RSD selector 9 (the n-th latest record) and an RCSD
 * of plain OADs (the columns). */
size_t d698_get_record_last(uint8_t *out, size_t cap, uint8_t piid, uint32_t oad, uint8_t nth,
                            const uint32_t *cols, size_t ncols, const struct d698_tt *tt);
/* ACTION-Request-Normal: OMD and its parameter Data (already encoded). */
size_t d698_action(uint8_t *out, size_t cap, uint8_t piid, uint32_t omd, const uint8_t *param,
                   size_t plen, const struct d698_tt *tt);
/* SECURITY-Request with the plaintext APDU and a random number RN (verified
 * by the server, whose reply carries a MAC). */
size_t d698_secure_plain_rn(uint8_t *out, size_t cap, const uint8_t *apdu, size_t alen,
                            const uint8_t *rn, size_t rnlen);

/* What a SECURITY-Response held. */
struct d698_secured {
        const uint8_t *apdu; /* the plaintext APDU inside (points into the input) */
        size_t len;
        int has_mac;
        uint8_t mac[16];
        size_t mac_len;
};
/* Unwrap a SECURITY-Response (90H).  D698_OK with s filled; D698_E_DATA for
 * ciphertext (the plugin cannot read it without the utility's ESAM) with
 * *dar = -1, or for an error answer with *dar its DAR. */
int d698_secure_unwrap(const uint8_t *apdu, size_t n, struct d698_secured *s, int *dar);

/* One result of a GET or ACTION response. */
struct d698_result_item {
        uint32_t oad;         /* OAD, or OMD for ACTION */
        int dar;              /* -1: Data follows; else the DAR */
        struct d698_cur data; /* positioned on the Data (with dar == -1) */
};

/* A response's header: tag, choice and PIID-ACD, and whether it answers
 * (service, choice, piid).  ERROR-Response (EEH) gives *error its code. */
struct d698_resp {
        uint8_t tag, choice, piid;
        int error;         /* ERROR-Response code, or 0 */
        struct d698_cur c; /* positioned after the PIID */
};
int d698_resp_begin(const uint8_t *apdu, size_t n, uint8_t want_tag, uint8_t want_choice,
                    uint8_t piid, struct d698_resp *r);

/* The next A-ResultNormal of a GET-Response-Normal(List): its OAD, then DAR
 * or Data.  On return *item->data covers exactly the Data (r->c moves past
 * it).  Returns 0 or a D698_E_*. */
int d698_next_result(struct d698_resp *r, struct d698_result_item *item);

/* GET-Response-List: the count of results. */
int d698_list_count(struct d698_resp *r, size_t *n);

/* GET-Response-Record: OAD, RCSD (column OADs into cols, at most ncap), then
 * DAR or the row count.  *rows receives the rows; r->c is then on the first
 * row's first column.  Returns 0 or a D698_E_*. */
int d698_record_begin(struct d698_resp *r, uint32_t *oad, uint32_t *cols, size_t ncap,
                      size_t *ncols, int *dar, size_t *rows);

/* ACTION-Response-Normal: OMD, DAR and the optional return Data. */
int d698_action_result(struct d698_resp *r, struct d698_result_item *item);

/* --- values (dlt698_value.c) --- */

/* "123456789012" (1..32 digits, left-padded with 0 to an even count; "A"
 * digits only with wildcard) to wire order.  Returns 0 or -1. */
int d698_addr_parse(const char *text, uint8_t type, struct d698_addr *a);
/* Wire order to text, highest digits first; cap at least 2*len+1.  Returns out. */
char *d698_addr_format(const struct d698_addr *a, char *out, size_t cap);
/* The wildcard address the plugin discovers with: type 1, AAAAAAAAAAAA. */
void d698_addr_wildcard(struct d698_addr *a);
/* The broadcast address: type 3, one byte AA. */
void d698_addr_broadcast(struct d698_addr *a);
/* Are all nibbles BCD digits?  (a usable identity) */
int d698_addr_is_bcd(const struct d698_addr *a);

/* date_time_s to and from its 7 wire bytes (year high byte first). */
void d698_dt_put(const struct d698_dt *t, uint8_t out[7]);
int d698_dt_get(struct d698_cur *c, struct d698_dt *t); /* the bytes only, no tag */
int d698_dt_valid(const struct d698_dt *t);
/* Seconds of t read as UTC, and back (t valid, years 2000..2099). */
int64_t d698_dt_to_epoch(const struct d698_dt *t);
void d698_epoch_to_dt(int64_t s, struct d698_dt *t);

/* The name of a DAR (data access result), "unauthorised (password error)". */
const char *d698_dar_str(int dar);
/* The name of an ERROR-Response code. */
const char *d698_error_str(int code);

/* Units (the Scaler_Unit enumeration) the plugin converts. */
#define D698_UNIT_MONEY 10
#define D698_UNIT_W 27
#define D698_UNIT_KW 28
#define D698_UNIT_KWH 33
#define D698_UNIT_A 36
#define D698_UNIT_V 38
#define D698_UNIT_HZ 47
#define D698_UNIT_NONE 255

/* v x 10^exp as an integer: exp > 0 multiplies (D698_E_TOOBIG on overflow),
 * exp < 0 divides toward zero.  Returns 0 or D698_E_TOOBIG. */
int d698_scale(int64_t v, int exp, int64_t *out);

#endif
