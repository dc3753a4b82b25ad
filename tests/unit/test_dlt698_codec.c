/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DL/T 698.45 codec, byte-exact.  The first two frames are the example
 * of DL/T 698.45 appendix H.3 (reading 40010200 from the wildcard address),
 * as quoted in public implementations; the others were built by hand from
 * the standard's layout (docs/plugins/dlt698.md, Sources), the comment above
 * each saying how, with HCS and FCS from the CRC that reproduces H.3.
 *
 * Meter address 123456789012 travels 12 90 78 56 34 12 (AF 05: single
 * address, 6 bytes); the gateway is client 00.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dlt698_codec.h"

/* Hex text with spaces to bytes; returns the count. */
static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
        size_t n = 0;
        unsigned v;

        while (*s) {
                if (*s == ' ') {
                        s++;
                        continue;
                }
                assert_true(sscanf(s, "%2x", &v) == 1);
                assert_true(n < cap);
                out[n++] = (uint8_t)v;
                s += 2;
        }
        return n;
}

#define HEX(name, text)                                                                            \
        uint8_t name[600];                                                                         \
        size_t name##_len = unhex(text, name, sizeof(name))

/* DL/T 698.45 H.3: GET-Request-Normal 40010200 (the communication address),
 * PIID 25H, to the wildcard address AAAAAAAAAAAA (AF 45H: type 1, 6 bytes),
 * client 00, no time tag; and the meter 000039200933's reply, whose Data is
 * octet-string(6) 000039200933. */
#define H3_REQUEST "68 17 00 43 45 AA AA AA AA AA AA 00 5B 4F 05 01 25 40 01 02 00 00 0A 92 16"
#define H3_REPLY                                                                                   \
        "68 21 00 C3 05 33 09 20 39 00 00 00 4A 55 85 01 25 40 01 02 00 01 09 06 00 00 39 20 09 "  \
        "33 00 00 B2 D8 16"

/* GET-Response-Normal, PIID 01, 00100200 (forward active energy): Data 01 05
 * = array of 5 double-long-unsigned (06): total 1234567, rates 100001,
 * 200002, 300003, 634561 (x 0.01 kWh); then no follow report, no time tag. */
#define REP_ENERGY                                                                                 \
        "68 34 00 C3 05 12 90 78 56 34 12 00 4D F6 85 01 01 00 10 02 00 01 01 05 06 00 12 D6 87 "  \
        "06 00 01 86 A1 06 00 03 0D 42 06 00 04 93 E3 06 00 09 AE C1 00 00 87 55 16"

/* Voltage 200.7 V (array 1 of long-unsigned 07D7): its FCS is 16 7D, so the
 * first 16H after the header is not the frame end. */
#define REP_FCS16                                                                                  \
        "68 1E 00 C3 05 12 90 78 56 34 12 00 4F 03 85 01 02 20 00 02 00 01 01 01 12 07 D7 00 00 "  \
        "16 7D 16"

/* 200F0200 (frequency) answered with DAR 06: object does not exist. */
#define REP_DAR                                                                                    \
        "68 1A 00 C3 05 12 90 78 56 34 12 00 1A 5D 85 01 03 20 0F 02 00 00 06 00 00 9F DD 16"

/* SECURITY-Response: plaintext [0] of 15 bytes (GET-Response-Normal 20000200
 * = 229.7 V), then verification 01 00 04 and the MAC 1A2B3C4D. */
#define REP_SEC                                                                                    \
        "68 28 00 C3 05 12 90 78 56 34 12 00 F7 65 90 00 0F 85 01 04 20 00 02 00 01 01 01 12 08 "  \
        "F9 00 00 01 00 04 1A 2B 3C 4D 71 48 16"

/* A GET-Response-List of 7 results (111 bytes) split in three: control E3H
 * (split bit), fragment headers 00 00 (first, 0), 01 C0 (middle, 1), 02 40
 * (last, 2); the gateway confirms each with control 63H and 00 80 / 01 80 /
 * 02 80 (confirmation, 0..2) and no APDU. */
#define FRAG0                                                                                      \
        "68 39 00 E3 05 12 90 78 56 34 12 00 1A B6 00 00 85 02 07 07 00 10 02 00 01 01 05 06 00 "  \
        "12 D6 87 06 00 01 86 A1 06 00 03 0D 42 06 00 04 93 E3 06 00 09 AE C1 20 00 02 00 21 04 "  \
        "16"
#define FRAG1                                                                                      \
        "68 39 00 E3 05 12 90 78 56 34 12 00 1A B6 01 C0 01 01 01 12 08 99 20 01 02 00 01 01 01 "  \
        "05 FF FF EC 01 20 04 02 00 01 01 02 05 FF FF CF C7 05 FF FF CF C7 20 0A 02 00 01 57 DC "  \
        "16"
#define FRAG2                                                                                      \
        "68 30 00 E3 05 12 90 78 56 34 12 00 21 5F 02 40 01 02 10 FC 25 10 FC 25 20 0F 02 00 01 "  \
        "12 13 89 40 00 02 00 01 1C 07 E8 03 0F 0C 22 38 00 00 F9 E6 16"
#define CONF0 "68 11 00 63 05 12 90 78 56 34 12 00 ED 2C 00 80 D6 78 16"
#define CONF1 "68 11 00 63 05 12 90 78 56 34 12 00 ED 2C 01 80 0E 61 16"
#define CONF2 "68 11 00 63 05 12 90 78 56 34 12 00 ED 2C 02 80 66 4B 16"

static struct d698_addr meter(void)
{
        struct d698_addr a;

        assert_int_equal(d698_addr_parse("123456789012", D698_SA_SINGLE, &a), 0);
        return a;
}

/* Parse a whole buffer that holds exactly one frame. */
static int parse_one(const uint8_t *buf, size_t n, struct d698_frame *f)
{
        size_t used, need;
        int rc = d698_frame_parse(buf, n, f, &used, &need);

        if (rc != D698_MORE)
                assert_int_equal(used, n);
        return rc;
}

static void standard_example(void **state)
{
        HEX(req, H3_REQUEST);
        HEX(rep, H3_REPLY);
        uint8_t apdu[64], out[64];
        struct d698_addr any;
        struct d698_frame f;
        struct d698_resp r;
        struct d698_result_item it;
        const uint8_t *addr;
        char text[40];
        size_t n;

        (void)state;
        d698_addr_wildcard(&any);
        n = d698_get_normal(apdu, sizeof(apdu), 0x25, 0x40010200, NULL);
        n = d698_encode(out, sizeof(out), 0, &any, 0x00, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, req_len);
        assert_memory_equal(out, req, n);

        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(d698_reply_check(&f, &any, 0x00), D698_OK);
        assert_int_equal(f.sa.type, D698_SA_SINGLE);
        assert_string_equal(d698_addr_format(&f.sa, text, sizeof(text)), "000039200933");
        assert_int_equal(
            d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, D698_GET_NORMAL, 0x25, &r), D698_OK);
        assert_int_equal(d698_next_result(&r, &it), D698_OK);
        assert_int_equal(it.oad, 0x40010200);
        assert_int_equal(it.dar, -1);
        assert_int_equal(d698_u8(&it.data), D698_T_OCTETS);
        assert_int_equal(d698_len(&it.data), 6);
        addr = d698_bytes(&it.data, 6);
        assert_non_null(addr);
        assert_memory_equal(addr, "\x00\x00\x39\x20\x09\x33", 6);
        /* The echo of our own request is a client frame. */
        assert_int_equal(parse_one(req, req_len, &f), D698_OK);
        assert_int_equal(d698_reply_check(&f, &any, 0x00), D698_E_DIR);
}

/* The requests the plugin builds, each frame in full. */
static void encodes_requests(void **state)
{
        static const uint32_t list[] = {0x00100200, 0x20000200, 0x20010200, 0x20040200,
                                        0x200A0200, 0x200F0200, 0x40000200};
        static const uint32_t cols[] = {0x20210200, 0x00100200};
        /* GET-Request-Normal 00100200, PIID 01. */
        HEX(energy, "68 17 00 43 05 12 90 78 56 34 12 00 A3 2E 05 01 01 00 10 02 00 00 FE 19 16");
        /* GET-Request-NormalList, PIID 07, 7 OADs. */
        HEX(normal_list, "68 30 00 43 05 12 90 78 56 34 12 00 CF 6C 05 02 07 07 00 10 02 00 20 00 "
                         "02 00 20 01 02 00 20 04 02 00 20 0A 02 00 20 0F 02 00 40 00 02 00 00 6C "
                         "15 16");
        /* GET-Request-Record 50060200 (monthly freeze), PIID 06, RSD
         * Selector9 n=1, RCSD 2 columns: 20210200 (freeze time), 00100200. */
        HEX(record, "68 24 00 43 05 12 90 78 56 34 12 00 DF 43 05 03 06 50 06 02 00 09 01 02 00 "
                    "20 21 02 00 00 00 10 02 00 00 25 D8 16");
        /* SECURITY-Request: plaintext [0] 8 bytes (GET 20000200, PIID 04),
         * RN [1] 16 bytes 00..0F. */
        HEX(secure, "68 2C 00 43 05 12 90 78 56 34 12 00 75 FF 10 00 08 05 01 04 20 00 02 00 00 "
                    "01 10 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 97 91 16");
        /* ACTION-Request 80008100 (remote control, method 129 trip), PIID
         * 05: array 1 of structure 4 {OAD F2050201 (relay 1), unsigned 0
         * (alarm delay), long-unsigned 0 (for ever), bool 0 (no auto close)};
         * time tag 2024-03-15 12:34:56, TI seconds 600. */
        HEX(trip, "68 31 00 43 05 12 90 78 56 34 12 00 5E 39 07 01 05 80 00 81 00 01 01 02 04 51 "
                  "F2 05 02 01 11 00 12 00 00 03 00 01 07 E8 03 0F 0C 22 38 00 02 58 2C 13 16");
        static const uint8_t trip_param[] = {0x01, 0x01, 0x02, 0x04, 0x51, 0xF2, 0x05, 0x02,
                                             0x01, 0x11, 0x00, 0x12, 0x00, 0x00, 0x03, 0x00};
        struct d698_tt tt = {1, {2024, 3, 15, 12, 34, 56}, 0, 600};
        struct d698_addr m = meter();
        uint8_t rn[16], apdu[128], inner[32], out[128];
        size_t n, k;

        (void)state;
        for (int i = 0; i < 16; i++)
                rn[i] = (uint8_t)i;
        n = d698_get_normal(apdu, sizeof(apdu), 0x01, 0x00100200, NULL);
        n = d698_encode(out, sizeof(out), 0, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, energy_len);
        assert_memory_equal(out, energy, n);

        n = d698_get_list(apdu, sizeof(apdu), 0x07, list, 7, NULL);
        n = d698_encode(out, sizeof(out), 0, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, normal_list_len);
        assert_memory_equal(out, normal_list, n);

        n = d698_get_record_last(apdu, sizeof(apdu), 0x06, 0x50060200, 1, cols, 2, NULL);
        n = d698_encode(out, sizeof(out), 0, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, record_len);
        assert_memory_equal(out, record, n);

        k = d698_get_normal(inner, sizeof(inner), 0x04, 0x20000200, NULL);
        n = d698_secure_plain_rn(apdu, sizeof(apdu), inner, k, rn, sizeof(rn));
        n = d698_encode(out, sizeof(out), 0, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, secure_len);
        assert_memory_equal(out, secure, n);

        n = d698_action(apdu, sizeof(apdu), 0x05, 0x80008100, trip_param, sizeof(trip_param), &tt);
        n = d698_encode(out, sizeof(out), 0, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, trip_len);
        assert_memory_equal(out, trip, n);

        /* Four FE before the same frame. */
        n = d698_get_normal(apdu, sizeof(apdu), 0x01, 0x00100200, NULL);
        n = d698_encode(out, sizeof(out), 4, &m, 0, D698_C_REQUEST, NULL, apdu, n);
        assert_int_equal(n, energy_len + 4);
        assert_memory_equal(out, "\xFE\xFE\xFE\xFE", 4);
        assert_memory_equal(out + 4, energy, energy_len);
        /* Too small a buffer, too many FE. */
        assert_int_equal(d698_encode(out, 20, 0, &m, 0, D698_C_REQUEST, NULL, apdu, 8), 0);
        assert_int_equal(d698_encode(out, sizeof(out), 5, &m, 0, D698_C_REQUEST, NULL, apdu, 8), 0);
        assert_int_equal(d698_get_list(apdu, 10, 0x07, list, 7, NULL), 0);
}

static void decodes_energy(void **state)
{
        static const int64_t want[] = {1234567, 100001, 200002, 300003, 634561};
        HEX(rep, REP_ENERGY);
        struct d698_addr m = meter();
        struct d698_frame f;
        struct d698_resp r;
        struct d698_result_item it;
        size_t count;
        int64_t v;
        uint8_t type;

        (void)state;
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(d698_reply_check(&f, &m, 0), D698_OK);
        assert_int_equal(
            d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, D698_GET_NORMAL, 0x01, &r), D698_OK);
        assert_int_equal(d698_next_result(&r, &it), D698_OK);
        assert_int_equal(it.oad, 0x00100200);
        assert_int_equal(d698_aggregate(&it.data, D698_T_ARRAY, &count), 0);
        assert_int_equal(count, 5);
        for (size_t i = 0; i < count; i++) {
                assert_int_equal(d698_number(&it.data, &v, &type), 0);
                assert_int_equal(type, D698_T_DOUBLE_LONG_U);
                assert_int_equal(v, want[i]);
        }
        assert_int_equal(it.data.off, it.data.n); /* the Data, exactly */
        /* Another PIID or service is an answer to another request. */
        assert_int_equal(
            d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, D698_GET_NORMAL, 0x02, &r),
            D698_E_MISMATCH);
        assert_int_equal(d698_resp_begin(f.data, f.len, D698_ACTION_RESPONSE, 1, 0x01, &r),
                         D698_E_MISMATCH);
}

static void preamble_and_noise(void **state)
{
        HEX(rep, REP_ENERGY);
        uint8_t buf[700];
        struct d698_frame f;
        size_t used, need, n;

        (void)state;
        /* FE FE FE FE, then the frame. */
        memset(buf, 0xFE, 4);
        memcpy(buf + 4, rep, rep_len);
        assert_int_equal(d698_frame_parse(buf, rep_len + 4, &f, &used, &need), D698_OK);
        assert_int_equal(used, rep_len + 4);
        assert_int_equal(f.skipped, 4);
        /* Noise with a false 68H start (its header does not check). */
        n = unhex("00 11 68 22 00 43 05 01 FE FE", buf, sizeof(buf));
        memcpy(buf + n, rep, rep_len);
        assert_int_equal(d698_frame_parse(buf, n + rep_len, &f, &used, &need), D698_OK);
        assert_int_equal(used, n + rep_len);
        assert_int_equal(f.skipped, n);
        /* Only FE bytes so far: drop them, wait for a frame. */
        assert_int_equal(d698_frame_parse(buf + n - 2, 2, &f, &used, &need), D698_MORE);
        assert_int_equal(used, 2);
        assert_true(need > 0);
        /* A frame that arrives byte by byte: MORE until the last byte. */
        for (size_t k = 1; k < rep_len; k++) {
                assert_int_equal(d698_frame_parse(rep, k, &f, &used, &need), D698_MORE);
                assert_int_equal(used, 0);
                assert_true(need >= 1 && need <= rep_len - k);
        }
        /* An incomplete candidate followed by a whole frame was noise. */
        n = unhex("68 30 00 C3 05 12 90 78 56 34 12 00 21 5F", buf, sizeof(buf));
        memcpy(buf + n, rep, rep_len);
        assert_int_equal(d698_frame_parse(buf, n + rep_len, &f, &used, &need), D698_OK);
        assert_int_equal(f.skipped, n);
}

static void fcs_with_16(void **state)
{
        HEX(rep, REP_FCS16);
        struct d698_frame f;
        size_t used, need;
        int64_t v;
        uint8_t type;
        struct d698_resp r;
        struct d698_result_item it;
        size_t count;

        (void)state;
        /* Up to the FCS's 16H the frame is incomplete, not ended. */
        assert_int_equal(d698_frame_parse(rep, rep_len - 2, &f, &used, &need), D698_MORE);
        assert_int_equal(need, 2);
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, 1, 0x02, &r), 0);
        assert_int_equal(d698_next_result(&r, &it), 0);
        assert_int_equal(d698_aggregate(&it.data, D698_T_ARRAY, &count), 0);
        assert_int_equal(d698_number(&it.data, &v, &type), 0);
        assert_int_equal(v, 2007);
        assert_int_equal(type, D698_T_LONG_U);
}

static void feed(struct d698_reasm *ra, const char *hex, int want, uint16_t want_seq)
{
        uint8_t buf[300];
        size_t n = unhex(hex, buf, sizeof(buf));
        struct d698_frame f;
        uint16_t seq = 0xFFFF;

        assert_int_equal(parse_one(buf, n, &f), D698_OK);
        assert_true(f.split);
        assert_int_equal(d698_reasm_add(ra, &f, &seq), want);
        if (want >= 0)
                assert_int_equal(seq, want_seq);
}

static void split_reply(void **state)
{
        static struct d698_reasm ra;
        HEX(c0, CONF0);
        HEX(c2, CONF2);
        struct d698_addr m = meter();
        uint8_t out[64];
        struct d698_resp r;
        struct d698_result_item it;
        size_t n, count;

        (void)state;
        d698_reasm_init(&ra);
        feed(&ra, FRAG0, D698_MORE, 0);
        feed(&ra, FRAG0, D698_MORE, 0); /* repeated: ignored, confirmed again */
        feed(&ra, FRAG1, D698_MORE, 1);
        feed(&ra, FRAG2, D698_OK, 2);
        assert_int_equal(ra.len, 111);
        assert_int_equal(ra.fragments, 3);
        assert_int_equal(
            d698_resp_begin(ra.apdu, ra.len, D698_GET_RESPONSE, D698_GET_NORMAL_LIST, 0x07, &r),
            D698_OK);
        assert_int_equal(d698_list_count(&r, &count), 0);
        assert_int_equal(count, 7);
        for (size_t i = 0; i < count; i++) {
                assert_int_equal(d698_next_result(&r, &it), D698_OK);
                assert_int_equal(it.dar, -1);
        }
        assert_int_equal(it.oad, 0x40000200);
        /* The confirmations the gateway sends. */
        n = d698_encode_confirm(out, sizeof(out), 0, &m, 0, 0);
        assert_int_equal(n, c0_len);
        assert_memory_equal(out, c0, n);
        n = d698_encode_confirm(out, sizeof(out), 0, &m, 0, 2);
        assert_int_equal(n, c2_len);
        assert_memory_equal(out, c2, n);
        /* A lost middle fragment breaks the sequence. */
        d698_reasm_init(&ra);
        feed(&ra, FRAG0, D698_MORE, 0);
        feed(&ra, FRAG2, D698_E_SPLIT, 0);
        /* Starting with a middle fragment too. */
        d698_reasm_init(&ra);
        feed(&ra, FRAG1, D698_E_SPLIT, 0);
}

static void security_response(void **state)
{
        HEX(rep, REP_SEC);
        struct d698_frame f;
        struct d698_secured s;
        struct d698_resp r;
        struct d698_result_item it;
        int dar;
        size_t count;
        int64_t v;
        uint8_t type;

        (void)state;
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(f.data[0], D698_SECURITY_RESPONSE);
        assert_int_equal(d698_secure_unwrap(f.data, f.len, &s, &dar), D698_OK);
        assert_int_equal(s.len, 15);
        assert_true(s.has_mac);
        assert_int_equal(s.mac_len, 4);
        assert_memory_equal(s.mac, "\x1A\x2B\x3C\x4D", 4);
        assert_int_equal(d698_resp_begin(s.apdu, s.len, D698_GET_RESPONSE, 1, 0x04, &r), 0);
        assert_int_equal(d698_next_result(&r, &it), 0);
        assert_int_equal(d698_aggregate(&it.data, D698_T_ARRAY, &count), 0);
        assert_int_equal(d698_number(&it.data, &v, &type), 0);
        assert_int_equal(v, 2297);
        /* Ciphertext and an error answer cannot be read. */
        assert_int_equal(
            d698_secure_unwrap((const uint8_t *)"\x90\x01\x02\xAB\xCD\x00", 6, &s, &dar),
            D698_E_DATA);
        assert_int_equal(dar, -1);
        assert_int_equal(d698_secure_unwrap((const uint8_t *)"\x90\x02\x16", 3, &s, &dar),
                         D698_E_DATA);
        assert_int_equal(dar, 22);
        assert_string_equal(d698_dar_str(dar), "ESAM verification failed");
}

static void dar_replies(void **state)
{
        HEX(rep, REP_DAR);
        /* ACTION-Response 80008100, PIID 05: DAR 0F (unauthorised), no Data. */
        HEX(trip, "68 1A 00 C3 05 12 90 78 56 34 12 00 1A 5D 87 01 05 80 00 81 00 0F 00 00 00 BB "
                  "DB 16");
        HEX(ok, "68 1A 00 C3 05 12 90 78 56 34 12 00 1A 5D 87 01 05 80 00 81 00 00 00 00 00 42 69 "
                "16");
        struct d698_frame f;
        struct d698_resp r;
        struct d698_result_item it;

        (void)state;
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, 1, 0x03, &r), 0);
        assert_int_equal(d698_next_result(&r, &it), 0);
        assert_int_equal(it.oad, 0x200F0200);
        assert_int_equal(it.dar, 6);
        assert_string_equal(d698_dar_str(it.dar), "object does not exist");

        assert_int_equal(parse_one(trip, trip_len, &f), D698_OK);
        assert_int_equal(d698_resp_begin(f.data, f.len, D698_ACTION_RESPONSE, 1, 0x05, &r), 0);
        assert_int_equal(d698_action_result(&r, &it), 0);
        assert_int_equal(it.oad, 0x80008100);
        assert_int_equal(it.dar, 15);
        assert_string_equal(d698_dar_str(it.dar), "unauthorised (password error)");
        assert_int_equal(parse_one(ok, ok_len, &f), D698_OK);
        assert_int_equal(d698_resp_begin(f.data, f.len, D698_ACTION_RESPONSE, 1, 0x05, &r), 0);
        assert_int_equal(d698_action_result(&r, &it), 0);
        assert_int_equal(it.dar, 0);

        /* ERROR-Response EE, PIID 07, 02: service not supported. */
        assert_int_equal(
            d698_resp_begin((const uint8_t *)"\xEE\x07\x02", 3, D698_GET_RESPONSE, 2, 0x07, &r), 0);
        assert_int_equal(r.error, 2);
        assert_string_equal(d698_error_str(r.error), "service not supported");
        assert_string_equal(d698_dar_str(255), "other");
        assert_string_equal(d698_dar_str(200), "unknown DAR");
}

static void record_reply(void **state)
{
        /* GET-Response-Record 50060200, RCSD 2 columns, record data [1], 1
         * row: date_time_s 2024-03-01 00:00:00, array 5 of energy. */
        HEX(rep, "68 48 00 C3 05 12 90 78 56 34 12 00 78 4A 85 03 06 50 06 02 00 02 00 20 21 02 00 "
                 "00 00 10 02 00 01 01 1C 07 E8 03 01 00 00 00 01 05 06 00 12 4F B2 06 00 01 86 A0 "
                 "06 00 03 0D 40 06 00 04 93 E0 06 00 09 27 F2 00 00 8E 68 16");
        struct d698_frame f;
        struct d698_resp r;
        struct d698_dt t;
        uint32_t oad, cols[4];
        size_t ncols, rows, count;
        int dar;
        int64_t v;
        uint8_t type;

        (void)state;
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(
            d698_resp_begin(f.data, f.len, D698_GET_RESPONSE, D698_GET_RECORD, 0x06, &r), 0);
        assert_int_equal(d698_record_begin(&r, &oad, cols, 4, &ncols, &dar, &rows), 0);
        assert_int_equal(oad, 0x50060200);
        assert_int_equal(ncols, 2);
        assert_int_equal(cols[0], 0x20210200);
        assert_int_equal(cols[1], 0x00100200);
        assert_int_equal(dar, -1);
        assert_int_equal(rows, 1);
        assert_int_equal(d698_u8(&r.c), D698_T_DATE_TIME_S);
        assert_int_equal(d698_dt_get(&r.c, &t), 0);
        assert_int_equal(t.year, 2024);
        assert_int_equal(t.mon, 3);
        assert_int_equal(t.day, 1);
        assert_true(d698_dt_valid(&t));
        assert_int_equal(d698_aggregate(&r.c, D698_T_ARRAY, &count), 0);
        assert_int_equal(count, 5);
        assert_int_equal(d698_number(&r.c, &v, &type), 0);
        assert_int_equal(v, 1200050);
}

static void checks_and_errors(void **state)
{
        HEX(rep, REP_DAR);
        uint8_t buf[64];
        struct d698_addr m = meter(), other;
        struct d698_frame f;
        size_t used, need;

        (void)state;
        /* A damaged FCS: the frame is reported, whole. */
        memcpy(buf, rep, rep_len);
        buf[rep_len - 3] ^= 0x01;
        assert_int_equal(d698_frame_parse(buf, rep_len, &f, &used, &need), D698_E_FCS);
        assert_int_equal(used, rep_len);
        /* A wrong HCS with a right FCS: the server's bug, reported. */
        memcpy(buf, rep, rep_len);
        buf[12] ^= 0xFF;
        {
                uint16_t fcs = d698_crc16(buf + 1, rep_len - 4);
                buf[rep_len - 3] = (uint8_t)fcs;
                buf[rep_len - 2] = (uint8_t)(fcs >> 8);
        }
        assert_int_equal(d698_frame_parse(buf, rep_len, &f, &used, &need), D698_E_HCS);
        /* A damaged header byte: noise, skipped; nothing else there. */
        memcpy(buf, rep, rep_len);
        buf[3] = 0xC2;
        assert_int_equal(d698_frame_parse(buf, rep_len, &f, &used, &need), D698_MORE);
        assert_int_equal(used, rep_len);
        /* Length bits 14-15 set: not a header. */
        memcpy(buf, rep, rep_len);
        buf[2] = 0x40;
        assert_int_equal(d698_frame_parse(buf, rep_len, &f, &used, &need), D698_MORE);
        /* From another meter, or for another client. */
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(d698_addr_parse("123456789013", D698_SA_SINGLE, &other), 0);
        assert_int_equal(d698_reply_check(&f, &other, 0), D698_E_ADDR);
        assert_int_equal(d698_reply_check(&f, &m, 0x10), D698_E_CLIENT);
        assert_int_equal(d698_addr_parse("1234567890AA", D698_SA_WILDCARD, &other), 0);
        assert_int_equal(d698_reply_check(&f, &other, 0), D698_OK);
        assert_int_equal(d698_addr_parse("1234567891AA", D698_SA_WILDCARD, &other), 0);
        assert_int_equal(d698_reply_check(&f, &other, 0), D698_E_ADDR);
        assert_string_equal(d698_result_str(D698_E_HCS), "header check (HCS) mismatch");
}

static void scrambled_user_data(void **state)
{
        /* Control CBH: SC set, every user-data byte + 33H (the DAR reply). */
        HEX(rep, "68 1A 00 CB 05 12 90 78 56 34 12 00 D0 22 B8 34 36 53 42 35 33 33 39 33 33 AF A2 "
                 "16");
        HEX(plain, "85 01 03 20 0F 02 00 00 06 00 00");
        struct d698_frame f;
        uint8_t out[64];
        struct d698_addr m = meter();
        size_t n;

        (void)state;
        assert_int_equal(parse_one(rep, rep_len, &f), D698_OK);
        assert_int_equal(f.len, plain_len);
        assert_memory_equal(f.data, plain, plain_len);
        n = d698_encode(out, sizeof(out), 0, &m, 0, 0xCB, NULL, plain, plain_len);
        assert_int_equal(n, rep_len);
        assert_memory_equal(out, rep, n);
}

static void axdr(void **state)
{
        struct d698_cur c;
        uint8_t b[8];
        int64_t v;
        uint8_t type;
        size_t count;
        /* 12 levels of array(1): too deep. */
        uint8_t deep[32];

        (void)state;
        assert_int_equal(d698_put_len(b, sizeof(b), 0x7F), 1);
        assert_int_equal(d698_put_len(b, sizeof(b), 0x80), 2);
        assert_memory_equal(b, "\x81\x80", 2);
        assert_int_equal(d698_put_len(b, sizeof(b), 0x1234), 3);
        assert_memory_equal(b, "\x82\x12\x34", 3);
        d698_cur_init(&c, b, 3);
        assert_int_equal(d698_len(&c), 0x1234);
        d698_cur_init(&c, (const uint8_t *)"\x83\x00\x00\x01", 4);
        d698_len(&c);
        assert_int_equal(c.err, D698_E_DATA);

        /* Signed types sign-extend; long64-unsigned above INT64_MAX is refused. */
        d698_cur_init(&c, (const uint8_t *)"\x10\xFC\x25", 3);
        assert_int_equal(d698_number(&c, &v, &type), 0);
        assert_int_equal(v, -987);
        d698_cur_init(&c, (const uint8_t *)"\x0F\x80", 2);
        assert_int_equal(d698_number(&c, &v, &type), 0);
        assert_int_equal(v, -128);
        d698_cur_init(&c, (const uint8_t *)"\x15\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 9);
        assert_int_equal(d698_number(&c, &v, &type), D698_E_TOOBIG);
        /* A string is not a number: skipped, refused. */
        d698_cur_init(&c, (const uint8_t *)"\x09\x02\xAB\xCD\x11\x05", 6);
        assert_int_equal(d698_number(&c, &v, &type), D698_E_DATA);
        assert_int_equal(c.off, 4);
        assert_int_equal(d698_number(&c, &v, &type), 0);
        assert_int_equal(v, 5);
        /* A short value. */
        d698_cur_init(&c, (const uint8_t *)"\x06\x00\x01", 3);
        assert_int_equal(d698_number(&c, &v, &type), D698_E_SHORT);
        /* Nesting is bounded. */
        for (int i = 0; i < 12; i++) {
                deep[2 * i] = D698_T_ARRAY;
                deep[2 * i + 1] = 1;
        }
        deep[24] = D698_T_NULL;
        d698_cur_init(&c, deep, 25);
        assert_int_equal(d698_skip_data(&c), D698_E_NEST);
        d698_cur_init(&c, deep + 12, 13); /* 6 levels: fine */
        assert_int_equal(d698_skip_data(&c), 0);
        assert_int_equal(c.off, 13);
        /* An aggregate of the wrong tag is not consumed. */
        d698_cur_init(&c, (const uint8_t *)"\x02\x01\x00", 3);
        assert_int_equal(d698_aggregate(&c, D698_T_ARRAY, &count), D698_E_DATA);
        assert_int_equal(c.off, 0);
        assert_int_equal(d698_aggregate(&c, D698_T_STRUCT, &count), 0);
        assert_int_equal(count, 1);
        /* Unknown tag. */
        d698_cur_init(&c, (const uint8_t *)"\x07\x00", 2);
        assert_int_equal(d698_skip_data(&c), D698_E_DATA);
}

static void addresses_and_time(void **state)
{
        struct d698_addr a;
        struct d698_dt t = {2024, 3, 15, 12, 34, 56}, back;
        uint8_t b[7];
        char text[40];
        int64_t v;

        (void)state;
        assert_int_equal(d698_addr_parse("123456789012", D698_SA_SINGLE, &a), 0);
        assert_int_equal(a.len, 6);
        assert_memory_equal(a.a, "\x12\x90\x78\x56\x34\x12", 6);
        assert_true(d698_addr_is_bcd(&a));
        assert_int_equal(d698_addr_parse("39200933", D698_SA_SINGLE, &a), 0);
        assert_string_equal(d698_addr_format(&a, text, sizeof(text)), "000039200933");
        assert_int_equal(d698_addr_parse("12345678901234", D698_SA_SINGLE, &a), 0);
        assert_int_equal(a.len, 7);
        assert_int_equal(d698_addr_parse("1234567890123", D698_SA_SINGLE, &a), 0);
        assert_string_equal(d698_addr_format(&a, text, sizeof(text)), "01234567890123");
        assert_int_equal(d698_addr_parse("12345678901A", D698_SA_SINGLE, &a), -1);
        assert_int_equal(d698_addr_parse("", D698_SA_SINGLE, &a), -1);
        assert_int_equal(d698_addr_parse("123456789012345678901234567890123", D698_SA_SINGLE, &a),
                         -1);
        assert_int_equal(d698_addr_parse("aaaaaa123456", D698_SA_WILDCARD, &a), 0);
        assert_false(d698_addr_is_bcd(&a));
        d698_addr_broadcast(&a);
        assert_int_equal(a.len, 1);
        assert_int_equal(a.a[0], 0xAA);

        d698_dt_put(&t, b);
        assert_memory_equal(b, "\x07\xE8\x03\x0F\x0C\x22\x38", 7);
        assert_int_equal(d698_dt_to_epoch(&t), 1710506096);
        d698_epoch_to_dt(1710506096, &back);
        assert_memory_equal(&back, &t, sizeof(t));
        t.day = 30;
        t.mon = 2;
        assert_false(d698_dt_valid(&t));
        t.day = 29;
        assert_true(d698_dt_valid(&t)); /* 2024 is a leap year */

        assert_int_equal(d698_scale(1234567, 1, &v), 0);
        assert_int_equal(v, 12345670);
        assert_int_equal(d698_scale(-12345, 2, &v), 0);
        assert_int_equal(v, -1234500);
        assert_int_equal(d698_scale(-12349, -1, &v), 0);
        assert_int_equal(v, -1234); /* toward zero */
        assert_int_equal(d698_scale(INT64_MAX / 5, 1, &v), D698_E_TOOBIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(standard_example),    cmocka_unit_test(encodes_requests),
            cmocka_unit_test(decodes_energy),      cmocka_unit_test(preamble_and_noise),
            cmocka_unit_test(fcs_with_16),         cmocka_unit_test(split_reply),
            cmocka_unit_test(security_response),   cmocka_unit_test(dar_replies),
            cmocka_unit_test(record_reply),        cmocka_unit_test(checks_and_errors),
            cmocka_unit_test(scrambled_user_data), cmocka_unit_test(axdr),
            cmocka_unit_test(addresses_and_time),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
