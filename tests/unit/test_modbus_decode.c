/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register decoding (plugins/modbus/modbus_decode.c).  Every input is
 * given byte for byte as it arrives on the wire, so each expectation holds on
 * a big-endian host as on a little-endian one: the decoder must assemble
 * values with shifts, never by copying memory in host order.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <meterbox/errors.h>

#include "modbus_decode.h"

struct vec {
        int type;
        int order;
        uint8_t wire[8];
};

static const mbd_scale one = {1, 1};

static int64_t value_of(const uint8_t *wire, size_t len, int type, int order)
{
        int64_t v = 0;

        assert_int_equal(mbd_value(wire, len, type, order, &one, &v), MB_OK);
        return v;
}

static double float_of(const uint8_t *wire, size_t len, int type, int order)
{
        mbd_raw raw;

        assert_int_equal(mbd_decode(wire, len, type, order, &raw), MB_OK);
        assert_int_equal(raw.kind, MBD_RAW_FLOAT);
        return raw.f;
}

/* The order names say it: the byte named A is the most significant. */
static void test_order_names_mean_wire_bytes(void **state)
{
        for (int o = 0; o < MBD_ORDER_COUNT; o++) {
                const char *name = mbd_order_name(o);
                uint8_t wire[4];

                for (int i = 0; i < 4; i++)
                        wire[i] = (uint8_t)(0xAA + 0x11 * (name[i] - 'A'));
                assert_int_equal(value_of(wire, 4, MBD_U32, o), 0xAABBCCDD);
        }
}

static void test_u16_s16(void **state)
{
        static const uint8_t be[] = {0x12, 0x34}, sw[] = {0x34, 0x12};
        static const uint8_t m2[] = {0xFF, 0xFE}, m2sw[] = {0xFE, 0xFF};
        static const uint8_t one_be[] = {0x00, 0x01};

        /* Word order is meaningless for one register. */
        assert_int_equal(value_of(be, 2, MBD_U16, MBD_ABCD), 0x1234);
        assert_int_equal(value_of(be, 2, MBD_U16, MBD_CDAB), 0x1234);
        assert_int_equal(value_of(sw, 2, MBD_U16, MBD_BADC), 0x1234);
        assert_int_equal(value_of(sw, 2, MBD_U16, MBD_DCBA), 0x1234);
        assert_int_equal(value_of(m2, 2, MBD_S16, MBD_ABCD), -2);
        assert_int_equal(value_of(m2, 2, MBD_S16, MBD_CDAB), -2);
        assert_int_equal(value_of(m2sw, 2, MBD_S16, MBD_BADC), -2);
        assert_int_equal(value_of(m2sw, 2, MBD_S16, MBD_DCBA), -2);
        assert_int_equal(value_of(m2, 2, MBD_U16, MBD_ABCD), 65534);
        /* A host-order copy on a little-endian machine would read 256. */
        assert_int_equal(value_of(one_be, 2, MBD_U16, MBD_ABCD), 1);
}

static const struct vec u32_vecs[] = {
    {MBD_U32, MBD_ABCD, {0x11, 0x22, 0x33, 0x44}},
    {MBD_U32, MBD_CDAB, {0x33, 0x44, 0x11, 0x22}},
    {MBD_U32, MBD_BADC, {0x22, 0x11, 0x44, 0x33}},
    {MBD_U32, MBD_DCBA, {0x44, 0x33, 0x22, 0x11}},
};

static const struct vec s32_vecs[] = {
    {MBD_S32, MBD_ABCD, {0xF8, 0xA4, 0x32, 0xEB}},
    {MBD_S32, MBD_CDAB, {0x32, 0xEB, 0xF8, 0xA4}},
    {MBD_S32, MBD_BADC, {0xA4, 0xF8, 0xEB, 0x32}},
    {MBD_S32, MBD_DCBA, {0xEB, 0x32, 0xA4, 0xF8}},
};

static const struct vec u64_vecs[] = {
    {MBD_U64, MBD_ABCD, {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}},
    {MBD_U64, MBD_CDAB, {0x07, 0x08, 0x05, 0x06, 0x03, 0x04, 0x01, 0x02}},
    {MBD_U64, MBD_BADC, {0x02, 0x01, 0x04, 0x03, 0x06, 0x05, 0x08, 0x07}},
    {MBD_U64, MBD_DCBA, {0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01}},
};

static const struct vec s64_vecs[] = {
    {MBD_S64, MBD_ABCD, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE}},
    {MBD_S64, MBD_CDAB, {0xFF, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
    {MBD_S64, MBD_BADC, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE, 0xFF}},
    {MBD_S64, MBD_DCBA, {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
};

/* 230.5 = 0x43668000 */
static const struct vec f32_vecs[] = {
    {MBD_F32, MBD_ABCD, {0x43, 0x66, 0x80, 0x00}},
    {MBD_F32, MBD_CDAB, {0x80, 0x00, 0x43, 0x66}},
    {MBD_F32, MBD_BADC, {0x66, 0x43, 0x00, 0x80}},
    {MBD_F32, MBD_DCBA, {0x00, 0x80, 0x66, 0x43}},
};

/* -1234.5 = 0xC0934A0000000000 */
static const struct vec f64_vecs[] = {
    {MBD_F64, MBD_ABCD, {0xC0, 0x93, 0x4A, 0x00, 0x00, 0x00, 0x00, 0x00}},
    {MBD_F64, MBD_CDAB, {0x00, 0x00, 0x00, 0x00, 0x4A, 0x00, 0xC0, 0x93}},
    {MBD_F64, MBD_BADC, {0x93, 0xC0, 0x00, 0x4A, 0x00, 0x00, 0x00, 0x00}},
    {MBD_F64, MBD_DCBA, {0x00, 0x00, 0x00, 0x00, 0x00, 0x4A, 0x93, 0xC0}},
};

static void test_integers_every_order(void **state)
{
        for (int i = 0; i < 4; i++) {
                assert_int_equal(value_of(u32_vecs[i].wire, 4, MBD_U32, u32_vecs[i].order),
                                 0x11223344);
                assert_int_equal(value_of(s32_vecs[i].wire, 4, MBD_S32, s32_vecs[i].order),
                                 -123456789);
                assert_int_equal(value_of(u64_vecs[i].wire, 8, MBD_U64, u64_vecs[i].order),
                                 INT64_C(0x0102030405060708));
                assert_int_equal(value_of(s64_vecs[i].wire, 8, MBD_S64, s64_vecs[i].order), -2);
        }
}

static void test_floats_every_order(void **state)
{
        for (int i = 0; i < 4; i++) {
                assert_true(float_of(f32_vecs[i].wire, 4, MBD_F32, f32_vecs[i].order) == 230.5);
                assert_true(float_of(f64_vecs[i].wire, 8, MBD_F64, f64_vecs[i].order) == -1234.5);
        }
}

static void test_signed_limits(void **state)
{
        static const uint8_t s32min[] = {0x80, 0, 0, 0}, s32max[] = {0x7F, 0xFF, 0xFF, 0xFF};
        static const uint8_t s64min[] = {0x80, 0, 0, 0, 0, 0, 0, 0};
        static const uint8_t u32max[] = {0xFF, 0xFF, 0xFF, 0xFF};
        static const uint8_t s16min[] = {0x80, 0x00};

        assert_int_equal(value_of(s32min, 4, MBD_S32, MBD_ABCD), INT32_MIN);
        assert_int_equal(value_of(s32max, 4, MBD_S32, MBD_ABCD), INT32_MAX);
        assert_int_equal(value_of(u32max, 4, MBD_U32, MBD_ABCD), INT64_C(4294967295));
        assert_int_equal(value_of(s64min, 8, MBD_S64, MBD_ABCD), INT64_MIN);
        assert_int_equal(value_of(s16min, 2, MBD_S16, MBD_ABCD), -32768);
}

static void test_float_bits(void **state)
{
        assert_true(mbd_f32_from_bits(0x3F800000u) == 1.0);
        assert_true(mbd_f32_from_bits(0xC0200000u) == -2.5);
        assert_true(mbd_f32_from_bits(0x00000001u) == ldexp(1.0, -149)); /* subnormal */
        assert_true(mbd_f32_from_bits(0x7F7FFFFFu) == ldexp(0xFFFFFF, 104));
        assert_true(mbd_f32_from_bits(0x00000000u) == 0.0);
        assert_true(signbit(mbd_f32_from_bits(0x80000000u)));
        assert_true(isinf(mbd_f32_from_bits(0x7F800000u)));
        assert_true(isinf(mbd_f32_from_bits(0xFF800000u)) && mbd_f32_from_bits(0xFF800000u) < 0);
        assert_true(isnan(mbd_f32_from_bits(0x7FC00000u)));
        assert_true(mbd_f64_from_bits(UINT64_C(0x3FF0000000000000)) == 1.0);
        assert_true(mbd_f64_from_bits(UINT64_C(0x0000000000000001)) == ldexp(1.0, -1074));
        assert_true(isnan(mbd_f64_from_bits(UINT64_C(0x7FF8000000000000))));
        assert_true(isinf(mbd_f64_from_bits(UINT64_C(0x7FF0000000000000))));
}

static void test_short_input_and_bad_args(void **state)
{
        static const uint8_t w[8] = {0};
        mbd_raw raw;

        assert_int_equal(mbd_decode(w, 3, MBD_U32, MBD_ABCD, &raw), MB_EINVAL);
        assert_int_equal(mbd_decode(w, 7, MBD_F64, MBD_ABCD, &raw), MB_EINVAL);
        assert_int_equal(mbd_decode(w, 8, MBD_TYPE_COUNT, MBD_ABCD, &raw), MB_EINVAL);
        assert_int_equal(mbd_decode(w, 8, MBD_U16, MBD_ORDER_COUNT, &raw), MB_EINVAL);
        assert_int_equal(mbd_decode(w, 8, MBD_U16, -1, &raw), MB_EINVAL);
        assert_int_equal(mbd_decode(w, 2, MBD_U16, MBD_DCBA, &raw), MB_OK);
}

static int64_t apply_int(int64_t v, int64_t num, int64_t den)
{
        mbd_raw raw = {.kind = MBD_RAW_INT, .i = v};
        mbd_scale s = {num, den};
        int64_t out = 0;

        assert_int_equal(mbd_apply(&raw, &s, &out), MB_OK);
        return out;
}

static void test_integer_scaling_rounds_half_away(void **state)
{
        assert_int_equal(apply_int(15, 1, 10), 2);
        assert_int_equal(apply_int(-15, 1, 10), -2);
        assert_int_equal(apply_int(14, 1, 10), 1);
        assert_int_equal(apply_int(-14, 1, 10), -1);
        assert_int_equal(apply_int(16, 1, 10), 2);
        assert_int_equal(apply_int(5, 1, 10), 1);
        assert_int_equal(apply_int(4, 1, 10), 0);
        assert_int_equal(apply_int(1, 2, 3), 1); /* 0.667 */
        assert_int_equal(apply_int(1, 1, 3), 0); /* 0.333 */
        assert_int_equal(apply_int(-1, 2, 3), -1);
        assert_int_equal(apply_int(7, -1, 1), -7); /* a negative scale flips the sign */
        /* ABB energy: 0.01 kWh per count -> Wh is exactly x10 */
        assert_int_equal(apply_int(123456789, 10, 1), 1234567890);
        assert_int_equal(apply_int(INT64_MIN, 1, 1), INT64_MIN);
        assert_int_equal(apply_int(INT64_MAX, 1, 1), INT64_MAX);
        assert_int_equal(apply_int(INT64_MIN, 1, 2), INT64_MIN / 2);
}

static void test_scaling_overflow(void **state)
{
        mbd_raw big = {.kind = MBD_RAW_INT, .i = INT64_MAX};
        mbd_raw umax = {.kind = MBD_RAW_UINT, .u = UINT64_MAX};
        mbd_raw neg = {.kind = MBD_RAW_INT, .i = INT64_MIN};
        mbd_scale x2 = {2, 1}, x1 = {1, 1}, half = {1, 2}, quarter = {1, 4}, m1 = {-1, 1};
        mbd_scale bad = {1, 0};
        int64_t out;

        assert_int_equal(mbd_apply(&big, &x2, &out), MB_ERANGE);
        assert_int_equal(mbd_apply(&umax, &x1, &out), MB_ERANGE);
        /* (2^64 - 1) / 2 rounds up to 2^63: one past INT64_MAX. */
        assert_int_equal(mbd_apply(&umax, &half, &out), MB_ERANGE);
        assert_int_equal(mbd_apply(&umax, &quarter, &out), MB_OK);
        assert_int_equal(out, INT64_C(4611686018427387904));     /* 2^62 - 0.25 */
        assert_int_equal(mbd_apply(&neg, &m1, &out), MB_ERANGE); /* -INT64_MIN */
        assert_int_equal(mbd_apply(&big, &bad, &out), MB_EINVAL);
}

static void test_float_scaling(void **state)
{
        /* 12345.678 kWh as float32 is 12345.677734375 kWh: 12345677.73 Wh. */
        static const uint8_t kwh[] = {0x46, 0x40, 0xE6, 0xB6};
        static const uint8_t nan[] = {0x7F, 0xC0, 0x00, 0x00}, inf[] = {0xFF, 0x80, 0x00, 0x00};
        static const uint8_t huge[] = {0x7F, 0x7F, 0xFF, 0xFF};
        mbd_scale to_wh = {1000, 1}, tenth = {1, 10};
        mbd_raw half = {.kind = MBD_RAW_FLOAT, .f = 2.5},
                mhalf = {.kind = MBD_RAW_FLOAT, .f = -2.5};
        int64_t v;

        assert_int_equal(mbd_value(kwh, 4, MBD_F32, MBD_ABCD, &to_wh, &v), MB_OK);
        assert_int_equal(v, 12345678);
        assert_int_equal(mbd_value(nan, 4, MBD_F32, MBD_ABCD, &to_wh, &v), MB_ERANGE);
        assert_int_equal(mbd_value(inf, 4, MBD_F32, MBD_ABCD, &to_wh, &v), MB_ERANGE);
        assert_int_equal(mbd_value(huge, 4, MBD_F32, MBD_ABCD, &to_wh, &v), MB_ERANGE);
        assert_int_equal(mbd_apply(&half, &one, &v), MB_OK);
        assert_int_equal(v, 3);
        assert_int_equal(mbd_apply(&mhalf, &one, &v), MB_OK);
        assert_int_equal(v, -3);
        /* DTSU666 voltage: 2301.0 in 0.1 V -> 230100 mV */
        mbd_raw dv = {.kind = MBD_RAW_FLOAT, .f = 2301.0};
        mbd_scale tenth_to_mv;
        assert_int_equal(mbd_scale_mul(&tenth, 1000, 1, &tenth_to_mv), MB_OK);
        assert_int_equal(mbd_apply(&dv, &tenth_to_mv, &v), MB_OK);
        assert_int_equal(v, 230100);
}

static mbd_scale scale_of(const char *s)
{
        mbd_scale out = {0, 0};

        assert_int_equal(mbd_scale_parse(s, strlen(s), &out), MB_OK);
        return out;
}

static int scale_rc(const char *s)
{
        mbd_scale out;

        return mbd_scale_parse(s, strlen(s), &out);
}

static void test_scale_parse(void **state)
{
        mbd_scale s;

        s = scale_of("0.01");
        assert_int_equal(s.num, 1);
        assert_int_equal(s.den, 100);
        s = scale_of("1/3600");
        assert_int_equal(s.num, 1);
        assert_int_equal(s.den, 3600);
        s = scale_of("-1");
        assert_int_equal(s.num, -1);
        assert_int_equal(s.den, 1);
        s = scale_of("2.50");
        assert_int_equal(s.num, 5);
        assert_int_equal(s.den, 2);
        s = scale_of("+10");
        assert_int_equal(s.num, 10);
        s = scale_of(".5");
        assert_int_equal(s.num, 1);
        assert_int_equal(s.den, 2);
        s = scale_of("6/4");
        assert_int_equal(s.num, 3);
        assert_int_equal(s.den, 2);
        s = scale_of("0.000000000000000001");
        assert_int_equal(s.den, INT64_C(1000000000000000000));
        assert_int_equal(scale_rc(""), MB_EINVAL);
        assert_int_equal(scale_rc("0"), MB_EINVAL);
        assert_int_equal(scale_rc("0.000"), MB_EINVAL);
        assert_int_equal(scale_rc("-"), MB_EINVAL);
        assert_int_equal(scale_rc("."), MB_EINVAL);
        assert_int_equal(scale_rc("abc"), MB_EINVAL);
        assert_int_equal(scale_rc("1e3"), MB_EINVAL);
        assert_int_equal(scale_rc("1/0"), MB_EINVAL);
        assert_int_equal(scale_rc("1/-2"), MB_EINVAL);
        assert_int_equal(scale_rc("/2"), MB_EINVAL);
        assert_int_equal(scale_rc("1/"), MB_EINVAL);
        assert_int_equal(scale_rc("1.2.3"), MB_EINVAL);
        assert_int_equal(scale_rc("0.0000000000000000001"), MB_ERANGE);
        assert_int_equal(scale_rc("1234567890123456789"), MB_ERANGE);
}

static void test_scale_mul_and_format(void **state)
{
        mbd_scale s = {1, 100}, out;
        char buf[48];

        assert_int_equal(mbd_scale_mul(&s, 1000, 1, &out), MB_OK);
        assert_int_equal(out.num, 10);
        assert_int_equal(out.den, 1);
        mbd_scale_format(&out, buf, sizeof(buf));
        assert_string_equal(buf, "10");
        s = (mbd_scale){1, 3};
        assert_int_equal(mbd_scale_mul(&s, 1, 7, &out), MB_OK);
        mbd_scale_format(&out, buf, sizeof(buf));
        assert_string_equal(buf, "1/21");
        s = (mbd_scale){INT64_MAX, 1};
        assert_int_equal(mbd_scale_mul(&s, 2, 1, &out), MB_ERANGE);
        assert_int_equal(mbd_scale_mul(&s, 2, 0, &out), MB_EINVAL);
}

static void test_names(void **state)
{
        assert_int_equal(mbd_type_parse("f32", 3), MBD_F32);
        assert_int_equal(mbd_type_parse("U64", 3), MBD_U64);
        assert_int_equal(mbd_type_parse("f33", 3), -1);
        assert_int_equal(mbd_type_parse("u1", 2), -1);
        assert_int_equal(mbd_order_parse("cdab", 4), MBD_CDAB);
        assert_int_equal(mbd_order_parse("ABDC", 4), -1);
        assert_string_equal(mbd_type_name(MBD_S16), "s16");
        assert_string_equal(mbd_type_name(99), "?");
        assert_string_equal(mbd_order_name(MBD_DCBA), "DCBA");
        assert_int_equal(mbd_type_regs(MBD_F64), 4);
        assert_int_equal(mbd_type_regs(MBD_U16), 1);
        assert_int_equal(mbd_type_regs(-1), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_order_names_mean_wire_bytes),
            cmocka_unit_test(test_u16_s16),
            cmocka_unit_test(test_integers_every_order),
            cmocka_unit_test(test_floats_every_order),
            cmocka_unit_test(test_signed_limits),
            cmocka_unit_test(test_float_bits),
            cmocka_unit_test(test_short_input_and_bad_args),
            cmocka_unit_test(test_integer_scaling_rounds_half_away),
            cmocka_unit_test(test_scaling_overflow),
            cmocka_unit_test(test_float_scaling),
            cmocka_unit_test(test_scale_parse),
            cmocka_unit_test(test_scale_mul_and_format),
            cmocka_unit_test(test_names),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
