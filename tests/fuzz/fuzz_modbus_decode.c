/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: modbus register decoding and scales (plugins/modbus/
 * modbus_decode.c).
 *
 * Input: [type][order][n] n bytes of scale text, then the register bytes.
 * Besides "no crash, no UB", it checks that decoding is exact: re-encoding
 * an integer value in the same order gives back the wire bytes, and values
 * stay within their type's range.
 */
#include <stdint.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inverse of mbd_gather: the big-endian value bytes back to wire order. */
static void scatter(const uint8_t *be, int nregs, int order, uint8_t *wire)
{
        int low_word_first = order == MBD_CDAB || order == MBD_DCBA;
        int swap = order == MBD_BADC || order == MBD_DCBA;

        for (int i = 0; i < nregs; i++) {
                int s = low_word_first ? nregs - 1 - i : i;
                wire[2 * i] = swap ? be[2 * s + 1] : be[2 * s];
                wire[2 * i + 1] = swap ? be[2 * s] : be[2 * s + 1];
        }
}

static void check_integer(const uint8_t *wire, size_t len, int type, int order)
{
        const mbd_scale one = {1, 1};
        int nregs = mbd_type_regs(type);
        uint8_t be[8], back[8];
        int64_t v;
        uint64_t u;

        if (type == MBD_F32 || type == MBD_F64 || len < (size_t)nregs * 2)
                return;
        if (mbd_value(wire, len, type, order, &one, &v) != MB_OK) {
                if (type != MBD_U64) /* only u64 above INT64_MAX may not fit */
                        __builtin_trap();
                return;
        }
        switch (type) {
        case MBD_U16:
                if (v < 0 || v > 0xFFFF)
                        __builtin_trap();
                break;
        case MBD_S16:
                if (v < -32768 || v > 32767)
                        __builtin_trap();
                break;
        case MBD_U32:
                if (v < 0 || v > INT64_C(0xFFFFFFFF))
                        __builtin_trap();
                break;
        case MBD_S32:
                if (v < INT32_MIN || v > INT32_MAX)
                        __builtin_trap();
                break;
        }
        u = (uint64_t)v;
        for (int i = 2 * nregs - 1; i >= 0; i--, u >>= 8)
                be[i] = (uint8_t)u;
        scatter(be, nregs, order, back);
        if (memcmp(back, wire, (size_t)nregs * 2) != 0)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        mbd_scale s, s2;
        mbd_raw raw;
        int64_t out;
        char buf[64];
        size_t n;
        int type, order;

        if (size < 3)
                return 0;
        type = data[0] % (MBD_TYPE_COUNT + 1); /* one past the end: an invalid type */
        order = data[1] % (MBD_ORDER_COUNT + 1);
        n = data[2] % 32;
        data += 3;
        size -= 3;
        if (n > size)
                n = size;
        if (mbd_scale_parse((const char *)data, n, &s) == MB_OK) {
                if (s.den <= 0 || s.num == 0)
                        __builtin_trap();
                mbd_scale_format(&s, buf, sizeof(buf));
                mbd_scale_mul(&s, 1000, 1, &s2);
                mbd_scale_mul(&s, s.num, s.den, &s2);
        } else {
                s = (mbd_scale){1000, 1};
        }
        data += n;
        size -= n;
        if (mbd_decode(data, size, type, order, &raw) == MB_OK) {
                mbd_raw_format(&raw, buf, sizeof(buf));
                mbd_apply(&raw, &s, &out);
        }
        mbd_value(data, size, type, order, &s, &out);
        if (order < MBD_ORDER_COUNT && type < MBD_TYPE_COUNT)
                check_integer(data, size, type, order);
        return 0;
}
