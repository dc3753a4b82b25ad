/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DL/T 645 frame codec and value decoders, byte-exact.  Frames are built
 * by hand from the standard (DL/T 645-2007 section 4 and its data
 * dictionary); the comment above each shows how.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dlt645_codec.h"

/* Meter address 123456789012: BCD pairs 12 34 56 78 90 12, low byte first. */
static const uint8_t ADDR[6] = {0x12, 0x90, 0x78, 0x56, 0x34, 0x12};

/* Reply to "read 00010000" (forward active energy, total): 12345.67 kWh.
 *   68 | 12 90 78 56 34 12 | 68 | 91 (D7 reply, function 11H) | 08 (length)
 *   33 33 34 33   DI 00 00 01 00 (DI0 first) + 33H each
 *   9A 78 56 34   67 45 23 01 + 33H: BCD 01234567, XXXXXX.XX -> 012345.67 kWh
 *   88            sum 68..34 mod 256
 *   16 */
static const uint8_t REPLY_FWD[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x68, 0x91, 0x08,
                                    0x33, 0x33, 0x34, 0x33, 0x9A, 0x78, 0x56, 0x34, 0x88, 0x16};

/* The same reply for 12400.39 kWh (39 00 24 01 + 33H = 6C 33 57 34): the
 * checksum happens to be 16H, so a frame end is not the first 16H. */
static const uint8_t REPLY_CS16[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x68, 0x91, 0x08,
                                     0x33, 0x33, 0x34, 0x33, 0x6C, 0x33, 0x57, 0x34, 0x16, 0x16};

/* Exception reply to a read: control D1H (reply, exception, function 11H),
 * length 01, error word 02H + 33H = 35H (no data requested), checksum 8DH. */
static const uint8_t REPLY_EXC[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12,
                                    0x68, 0xD1, 0x01, 0x35, 0x8D, 0x16};

/* Exception reply to remote control 1CH: DCH, error word 04H (password). */
static const uint8_t REPLY_CTL_EXC[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12,
                                        0x68, 0xDC, 0x01, 0x37, 0x9A, 0x16};

static struct dlt_expect expect_read(uint32_t di)
{
        struct dlt_expect e = {.func = DLT07_READ};

        memcpy(e.addr, ADDR, 6);
        e.di_len = (uint8_t)dlt_di_bytes(DLT_2007, di, e.di);
        return e;
}

/* The frames everyone quotes from the standard's examples. */
static void encodes_known_requests(void **state)
{
        static const uint8_t anyone[6] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
        /* Read the address (13H) of whoever is on the line: no data.
         * 68+6*AA+68+13+00 = 4DF -> DF. */
        static const uint8_t read_addr[] = {0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                                            0xAA, 0x68, 0x13, 0x00, 0xDF, 0x16};
        /* Read 00010000 on the wildcard address with 4 wake-up bytes:
         * DI 00 00 01 00 + 33H = 33 33 34 33; sum 5AE -> AE. */
        static const uint8_t read_fwd[] = {0xFE, 0xFE, 0xFE, 0xFE, 0x68, 0xAA, 0xAA,
                                           0xAA, 0xAA, 0xAA, 0xAA, 0x68, 0x11, 0x04,
                                           0x33, 0x33, 0x34, 0x33, 0xAE, 0x16};
        /* DL/T 645-1997: read 9010 (control 01H, DI 10 90 + 33H = 43 C3). */
        static const uint8_t read97[] = {0x68, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
                                         0x68, 0x01, 0x02, 0x43, 0xC3, 0xD5, 0x16};
        /* Read 00010000 from 123456789012, no wake-up bytes: sum 468 -> 68. */
        static const uint8_t read_addr_fwd[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x68,
                                                0x11, 0x04, 0x33, 0x33, 0x34, 0x33, 0x68, 0x16};
        uint8_t out[DLT_FRAME_MAX];
        size_t n;

        n = dlt_encode(out, sizeof(out), 0, anyone, DLT07_READ_ADDR, NULL, 0);
        assert_int_equal(n, sizeof(read_addr));
        assert_memory_equal(out, read_addr, n);
        n = dlt_encode_read(out, sizeof(out), DLT_2007, 4, anyone, 0x00010000);
        assert_int_equal(n, sizeof(read_fwd));
        assert_memory_equal(out, read_fwd, n);
        n = dlt_encode_read(out, sizeof(out), DLT_1997, 0, anyone, 0x9010);
        assert_int_equal(n, sizeof(read97));
        assert_memory_equal(out, read97, n);
        n = dlt_encode_read(out, sizeof(out), DLT_2007, 0, ADDR, 0x00010000);
        assert_int_equal(n, sizeof(read_addr_fwd));
        assert_memory_equal(out, read_addr_fwd, n);
        /* Too small a buffer, too long data, too many wake-up bytes. */
        assert_int_equal(dlt_encode_read(out, 15, DLT_2007, 0, ADDR, 0x00010000), 0);
        assert_int_equal(dlt_encode(out, sizeof(out), 5, ADDR, DLT07_READ, NULL, 0), 0);
        assert_int_equal(dlt_encode(out, sizeof(out), 0, ADDR, DLT07_READ, out, 256), 0);
}

static void parses_reply(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        struct dlt_frame f;
        size_t used, need;
        uint64_t v;

        assert_int_equal(dlt_reply_parse(REPLY_FWD, sizeof(REPLY_FWD), &e, &f, &used, &need),
                         DLT_OK);
        assert_int_equal(used, sizeof(REPLY_FWD));
        assert_int_equal(f.ctrl, 0x91);
        assert_int_equal(f.len, 8);
        assert_int_equal(f.skipped, 0);
        assert_memory_equal(f.addr, ADDR, 6);
        assert_int_equal(dlt_bcd_u(f.data + 4, 4, &v), 0);
        assert_int_equal(v, 1234567); /* hundredths of a kWh */
}

static void checksum_may_be_16h(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        uint8_t buf[sizeof(REPLY_CS16) + sizeof(REPLY_FWD)];
        struct dlt_frame f;
        size_t used, need;
        uint64_t v;

        /* Without the end byte, the 16H checksum must not end the frame. */
        assert_int_equal(dlt_reply_parse(REPLY_CS16, sizeof(REPLY_CS16) - 1, &e, &f, &used, &need),
                         DLT_MORE);
        assert_int_equal(need, 1);
        assert_int_equal(dlt_reply_parse(REPLY_CS16, sizeof(REPLY_CS16), &e, &f, &used, &need),
                         DLT_OK);
        assert_int_equal(used, sizeof(REPLY_CS16));
        assert_int_equal(dlt_bcd_u(f.data + 4, 4, &v), 0);
        assert_int_equal(v, 1240039);
        /* Two frames back to back: the first ends at its own length. */
        memcpy(buf, REPLY_CS16, sizeof(REPLY_CS16));
        memcpy(buf + sizeof(REPLY_CS16), REPLY_FWD, sizeof(REPLY_FWD));
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_OK);
        assert_int_equal(used, sizeof(REPLY_CS16));
        assert_int_equal(dlt_reply_parse(buf + used, sizeof(buf) - used, &e, &f, &used, &need),
                         DLT_OK);
        assert_int_equal(f.data[4], 0x67);
}

static void skips_noise_and_wakeup(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        /* Line noise (with a stray 68H), then four FE wake-up bytes. */
        static const uint8_t noise[] = {0x00, 0x68, 0x11, 0x22, 0xFE, 0xFE, 0xFE, 0xFE};
        uint8_t buf[sizeof(noise) + sizeof(REPLY_FWD)];
        struct dlt_frame f;
        size_t used, need;

        memcpy(buf, noise, sizeof(noise));
        memcpy(buf + sizeof(noise), REPLY_FWD, sizeof(REPLY_FWD));
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_OK);
        assert_int_equal(f.skipped, sizeof(noise));
        assert_int_equal(used, sizeof(buf));
        /* Only the noise so far: drop it, wait for a frame. */
        assert_int_equal(dlt_reply_parse(buf, 1, &e, &f, &used, &need), DLT_MORE);
        assert_int_equal(used, 1);
        assert_int_equal(need, 12);
        /* Noise and wake-up only: all of it can go. */
        assert_int_equal(dlt_reply_parse(noise + 4, 4, &e, &f, &used, &need), DLT_MORE);
        assert_int_equal(used, 4);
}

/* "68 11 22 33 44 55 66" looks like a header whose second 68H is the real
 * frame's start, with a length byte (90H) far beyond the data: the complete,
 * valid frame after it proves it was noise. */
static void false_start_before_frame(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        static const uint8_t fake[] = {0x68, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66};
        uint8_t buf[sizeof(fake) + sizeof(REPLY_FWD)];
        struct dlt_frame f;
        size_t used, need;

        memcpy(buf, fake, sizeof(fake));
        memcpy(buf + sizeof(fake), REPLY_FWD, sizeof(REPLY_FWD));
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_OK);
        assert_int_equal(f.skipped, sizeof(fake));
        assert_int_equal(used, sizeof(buf));
        /* Until the real frame is complete, the candidate stays. */
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf) - 1, &e, &f, &used, &need), DLT_MORE);
        assert_int_equal(used, 0);
}

static void truncated_needs_more(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        struct dlt_frame f;
        size_t used, need;

        for (size_t n = 1; n < sizeof(REPLY_FWD); n++) {
                assert_int_equal(dlt_reply_parse(REPLY_FWD, n, &e, &f, &used, &need), DLT_MORE);
                assert_int_equal(used, 0);
                if (n >= 10) /* the length byte is in: exactly what is missing */
                        assert_int_equal(need, sizeof(REPLY_FWD) - n);
                else
                        assert_true(need >= 1 && need <= sizeof(REPLY_FWD) - n);
        }
        assert_int_equal(dlt_reply_parse(REPLY_FWD, 0, &e, &f, &used, &need), DLT_MORE);
        assert_int_equal(need, 12);
}

static void bad_checksum(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        uint8_t buf[sizeof(REPLY_FWD)];
        struct dlt_frame f;
        size_t used, need;

        memcpy(buf, REPLY_FWD, sizeof(buf));
        buf[18] = 0x89;
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_E_CHECKSUM);
        assert_int_equal(used, sizeof(buf));
        /* A data byte changed: same. */
        memcpy(buf, REPLY_FWD, sizeof(buf));
        buf[15] ^= 0x01;
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_E_CHECKSUM);
        /* An end byte that is not 16H: not a frame at all. */
        memcpy(buf, REPLY_FWD, sizeof(buf));
        buf[19] = 0x17;
        assert_int_equal(dlt_reply_parse(buf, sizeof(buf), &e, &f, &used, &need), DLT_MORE);
}

/* Our own request echoed back (control 11H: direction bit 0). */
static void wrong_direction(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        uint8_t req[DLT_FRAME_MAX];
        struct dlt_frame f;
        size_t used, need, n = dlt_encode_read(req, sizeof(req), DLT_2007, 2, ADDR, 0x00010000);

        assert_int_equal(dlt_reply_parse(req, n, &e, &f, &used, &need), DLT_E_DIR);
        assert_int_equal(used, n);
        assert_int_equal(f.ctrl, 0x11);
}

static void exception_reply(void **state)
{
        struct dlt_expect e = expect_read(0x02800002);
        struct dlt_expect c = {.func = DLT07_CONTROL};
        struct dlt_frame f;
        size_t used, need;
        char text[200];

        assert_int_equal(dlt_reply_parse(REPLY_EXC, sizeof(REPLY_EXC), &e, &f, &used, &need),
                         DLT_E_EXCEPTION);
        assert_int_equal(f.data[0], DLT_ERR_NO_DATA);
        assert_string_equal(dlt_errword_str(DLT_2007, f.data[0], text, sizeof(text)),
                            "no data requested");
        memcpy(c.addr, ADDR, 6);
        assert_int_equal(
            dlt_reply_parse(REPLY_CTL_EXC, sizeof(REPLY_CTL_EXC), &c, &f, &used, &need),
            DLT_E_EXCEPTION);
        assert_int_equal(f.data[0], DLT_ERR_PASSWORD);
        assert_string_equal(dlt_errword_str(DLT_2007, f.data[0], text, sizeof(text)),
                            "password error or unauthorised");
        assert_string_equal(dlt_errword_str(DLT_2007, 0x41, text, sizeof(text)),
                            "other error, tariff count exceeded");
        assert_string_equal(dlt_errword_str(DLT_2007, 0x38, text, sizeof(text)),
                            "baud rate cannot change, annual time zone count exceeded, daily "
                            "period count exceeded");
        assert_string_equal(dlt_errword_str(DLT_1997, 0x06, text, sizeof(text)),
                            "wrong data identifier, password error");
        assert_string_equal(dlt_errword_str(DLT_2007, 0, text, sizeof(text)), "no error bit set");
        /* The exception to a read is not an answer to a control. */
        assert_int_equal(dlt_reply_parse(REPLY_EXC, sizeof(REPLY_EXC), &c, &f, &used, &need),
                         DLT_E_FUNC);
}

static void follow_up_flag_is_normal(void **state)
{
        struct dlt_expect e = expect_read(0x0001FF00);
        /* Control B1H: reply, follow-up frames exist (D5).  DI 00 FF 01 00
         * + 33H = 33 32 34 33; sum A7. */
        static const uint8_t more[] = {0x68, 0x12, 0x90, 0x78, 0x56, 0x34, 0x12, 0x68, 0xB1, 0x08,
                                       0x33, 0x32, 0x34, 0x33, 0x9A, 0x78, 0x56, 0x34, 0xA7, 0x16};
        struct dlt_frame f;
        size_t used, need;

        assert_int_equal(dlt_reply_parse(more, sizeof(more), &e, &f, &used, &need), DLT_OK);
        assert_true(f.ctrl & DLT_C_MORE);
}

static void address_and_di_checks(void **state)
{
        struct dlt_expect e = expect_read(0x00010000);
        struct dlt_frame f;
        size_t used, need;

        e.addr[0] = 0x13;
        assert_int_equal(dlt_reply_parse(REPLY_FWD, sizeof(REPLY_FWD), &e, &f, &used, &need),
                         DLT_E_ADDR);
        /* AAH bytes are wildcards: AAAAAAAA9012 matches 123456789012. */
        assert_int_equal(dlt_addr_parse("AAAAAAAA9012", e.addr), 0);
        assert_int_equal(dlt_reply_parse(REPLY_FWD, sizeof(REPLY_FWD), &e, &f, &used, &need),
                         DLT_OK);
        e = expect_read(0x00020000);
        assert_int_equal(dlt_reply_parse(REPLY_FWD, sizeof(REPLY_FWD), &e, &f, &used, &need),
                         DLT_E_DI);
        /* A reply shorter than its DI. */
        e = expect_read(0x00010000);
        f.ctrl = 0x91;
        f.len = 2;
        memcpy(f.addr, ADDR, 6);
        assert_int_equal(dlt_reply_check(&f, &e), DLT_E_SHORT);
}

static void bcd_values(void **state)
{
        static const uint8_t cur[] = {0x23, 0x51, 0x80}; /* -005.123 A: sign in bit 7 */
        static const uint8_t pf[] = {0x87, 0x09};        /* 0.987 */
        static const uint8_t bad[] = {0x1A, 0x00};
        uint8_t out[4];
        uint64_t u;
        int64_t s;

        assert_int_equal(dlt_bcd_s(cur, 3, &s), 0);
        assert_int_equal(s, -5123);
        assert_int_equal(dlt_bcd_s(pf, 2, &s), 0);
        assert_int_equal(s, 987);
        assert_int_equal(dlt_bcd_u(bad, 2, &u), -1);
        assert_int_equal(dlt_bcd_s(bad, 2, &s), -1);
        assert_int_equal(dlt_bcd_u(cur, 0, &u), 0);
        assert_int_equal(u, 0);
        assert_int_equal(dlt_put_bcd(out, 4, 12345678), 0);
        assert_memory_equal(out, ((uint8_t[]){0x78, 0x56, 0x34, 0x12}), 4);
        assert_int_equal(dlt_put_bcd(out, 2, 12345), -1);
        assert_int_equal(dlt_bcd_u((const uint8_t[]){0x99, 0x99, 0x99, 0x99}, 4, &u), 0);
        assert_int_equal(u, 99999999);
}

static void addresses(void **state)
{
        uint8_t a[6];
        char text[13];

        assert_int_equal(dlt_addr_parse("123456789012", a), 0);
        assert_memory_equal(a, ADDR, 6);
        dlt_addr_format(a, text);
        assert_string_equal(text, "123456789012");
        assert_int_equal(dlt_addr_parse("1", a), 0); /* left-padded */
        dlt_addr_format(a, text);
        assert_string_equal(text, "000000000001");
        assert_int_equal(a[0], 0x01);
        assert_int_equal(dlt_addr_parse("aaaaaa123456", a), 0);
        assert_int_equal(a[5], 0xAA);
        assert_int_equal(a[0], 0x56);
        assert_int_equal(dlt_addr_parse("1234567890123", a), -1);
        assert_int_equal(dlt_addr_parse("", a), -1);
        assert_int_equal(dlt_addr_parse("12345678901x", a), -1);
        assert_int_equal(dlt_addr_parse("A12345678901", a), -1);
}

static void passwords(void **state)
{
        uint8_t b[4];

        /* Operator code 12345678 travels C0..C3 = 78 56 34 12. */
        assert_int_equal(dlt_hex4_parse("12345678", b), 0);
        assert_memory_equal(b, ((uint8_t[]){0x78, 0x56, 0x34, 0x12}), 4);
        assert_int_equal(dlt_hex4_parse("0212345", b), -1);
        assert_int_equal(dlt_hex4_parse("0212345G", b), -1);
        assert_int_equal(dlt_hex4_parse("abcdefAB", b), 0);
        assert_int_equal(b[0], 0xAB);
}

static void dates(void **state)
{
        /* 04000101: WW DD MM YY = 05 15 03 24: Friday 2024-03-15. */
        static const uint8_t date[] = {0x05, 0x15, 0x03, 0x24};
        /* 04000102: ss mm hh = 56 34 12. */
        static const uint8_t tod[] = {0x56, 0x34, 0x12};
        struct dlt_datetime t = {0}, back;
        uint8_t six[6];

        assert_int_equal(dlt_decode_date(date, &t), 0);
        assert_int_equal(dlt_decode_time(tod, &t), 0);
        assert_int_equal(t.year, 2024);
        assert_int_equal(t.mon, 3);
        assert_int_equal(t.day, 15);
        assert_int_equal(t.wday, 5);
        assert_int_equal(t.hour, 12);
        assert_int_equal(t.sec, 56);
        /* 2024-03-15 12:34:56 read as UTC. */
        assert_int_equal(dlt_datetime_to_epoch(&t), 1710506096);
        dlt_epoch_to_datetime(1710506096, &back);
        assert_int_equal(back.year, 2024);
        assert_int_equal(back.mon, 3);
        assert_int_equal(back.day, 15);
        assert_int_equal(back.hour, 12);
        assert_int_equal(back.min, 34);
        assert_int_equal(back.sec, 56);
        assert_int_equal(back.wday, 5);
        /* Time sync / deadline order: ss mm hh DD MM YY. */
        assert_int_equal(dlt_encode_datetime6(&t, six), 0);
        assert_memory_equal(six, ((uint8_t[]){0x56, 0x34, 0x12, 0x15, 0x03, 0x24}), 6);
        /* Not a date: 30 February, month 13, hour 24, non-BCD. */
        assert_int_equal(dlt_decode_date((const uint8_t[]){0x01, 0x30, 0x02, 0x24}, &t), -1);
        assert_int_equal(dlt_decode_date((const uint8_t[]){0x01, 0x01, 0x13, 0x24}, &t), -1);
        assert_int_equal(dlt_decode_time((const uint8_t[]){0x00, 0x00, 0x24}, &t), -1);
        assert_int_equal(dlt_decode_time((const uint8_t[]){0x0A, 0x00, 0x00}, &t), -1);
        assert_int_equal(dlt_decode_date((const uint8_t[]){0x04, 0x29, 0x02, 0x24}, &t), 0);
        assert_int_equal(dlt_days_from_civil(1970, 1, 1), 0);
        assert_int_equal(dlt_days_from_civil(2000, 3, 1), 11017);
        t.year = 2100;
        assert_int_equal(dlt_encode_datetime6(&t, six), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(encodes_known_requests),
            cmocka_unit_test(parses_reply),
            cmocka_unit_test(checksum_may_be_16h),
            cmocka_unit_test(skips_noise_and_wakeup),
            cmocka_unit_test(false_start_before_frame),
            cmocka_unit_test(truncated_needs_more),
            cmocka_unit_test(bad_checksum),
            cmocka_unit_test(wrong_direction),
            cmocka_unit_test(exception_reply),
            cmocka_unit_test(follow_up_flag_is_normal),
            cmocka_unit_test(address_and_di_checks),
            cmocka_unit_test(bcd_values),
            cmocka_unit_test(addresses),
            cmocka_unit_test(passwords),
            cmocka_unit_test(dates),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
