/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register values to integers.  Pure functions: no I/O, no libmodbus,
 * no host; unit-tested (tests/unit/test_modbus_decode.c) and fuzzed
 * (tests/fuzz/fuzz_modbus_decode.c).
 *
 * A value occupies 1, 2 or 4 consecutive registers.  The input is the wire
 * bytes of those registers exactly as they arrived: register after register,
 * each register high byte first, as Modbus sends it.  Decoding assembles the
 * value with shifts, never with a memcpy of a multi-byte value, so the result
 * does not depend on the host's byte order.
 *
 * Byte orders name the bytes of a 32-bit value, A the most significant, in the
 * order they appear on the wire:
 *   ABCD  high word first, each word high byte first (big endian, the Modbus
 *         default)
 *   CDAB  low word first, each word high byte first ("word swap")
 *   BADC  high word first, the two bytes of each word swapped ("byte swap")
 *   DCBA  low word first, bytes swapped (little endian)
 * The same two rules (which word first, are bytes swapped inside a word)
 * apply to 64-bit values across four words.  16-bit values only see the
 * second rule: ABCD and CDAB read AB, BADC and DCBA read BA.
 *
 * Scaling: value × num / den, where num/den combines the register's scale
 * (e.g. 0.01 for a register in 0.01 kWh) with the unit conversion to the
 * reading's unit (kWh -> Wh is × 1000).  Integer registers go through integer
 * arithmetic only; floating-point registers through a double.  Both round
 * once, to the nearest integer, halves away from zero.
 */
#ifndef MB_MODBUS_DECODE_H
#define MB_MODBUS_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum mbd_type {
        MBD_U16 = 0,
        MBD_S16,
        MBD_U32,
        MBD_S32,
        MBD_U64,
        MBD_S64,
        MBD_F32,
        MBD_F64,
        MBD_TYPE_COUNT
};

enum mbd_order { MBD_ABCD = 0, MBD_CDAB, MBD_BADC, MBD_DCBA, MBD_ORDER_COUNT };

/* A rational factor, den > 0, always reduced (gcd(num, den) == 1). */
typedef struct mbd_scale {
        int64_t num;
        int64_t den;
} mbd_scale;

/* A decoded register value before scaling. */
typedef struct mbd_raw {
        int kind;   /* MBD_RAW_* */
        int64_t i;  /* MBD_RAW_INT: signed types and u16/u32 */
        uint64_t u; /* MBD_RAW_UINT: u64 */
        double f;   /* MBD_RAW_FLOAT: f32, f64 (may be NaN or infinite) */
} mbd_raw;

enum { MBD_RAW_INT = 0, MBD_RAW_UINT = 1, MBD_RAW_FLOAT = 2 };

/* Registers a type occupies (1, 2 or 4); 0 for an unknown type. */
int mbd_type_regs(int type);
/* "u16", "f32"...; "?" for an unknown type. */
const char *mbd_type_name(int type);
/* The type named by s[0..len), or -1. */
int mbd_type_parse(const char *s, size_t len);

/* "ABCD"...; "?" for an unknown order. */
const char *mbd_order_name(int order);
/* The order named by s[0..len) (upper or lower case), or -1. */
int mbd_order_parse(const char *s, size_t len);

/* Copy the value's 2 * nregs bytes from wire order into be[], most
 * significant byte first.  nregs is 1, 2 or 4. */
void mbd_gather(const uint8_t *wire, int nregs, int order, uint8_t *be);

/* IEEE 754 binary32 / binary64 bit patterns to a double, by arithmetic (no
 * type punning).  NaN and infinities come back as NaN and infinities. */
double mbd_f32_from_bits(uint32_t bits);
double mbd_f64_from_bits(uint64_t bits);

/* Decode one value of type in order from len wire bytes.  MB_OK, or MB_EINVAL
 * when type/order is unknown or len is shorter than the type. */
int mbd_decode(const uint8_t *wire, size_t len, int type, int order, mbd_raw *out);

/* The integer nearest to raw × s (halves away from zero).  MB_OK, or
 * MB_ERANGE when raw is NaN or infinite or the result does not fit int64. */
int mbd_apply(const mbd_raw *raw, const mbd_scale *s, int64_t *out);

/* mbd_decode and mbd_apply in one call. */
int mbd_value(const uint8_t *wire, size_t len, int type, int order, const mbd_scale *s,
              int64_t *out);

/* Parse a scale: an optional sign and a decimal number ("0.001", "10",
 * "-1", "2.5") or a ratio of two integers ("1/3600", "-5/2").  At most 18
 * significant digits.  MB_OK, MB_EINVAL (not a number, zero, den 0) or
 * MB_ERANGE (too many digits).  The result is reduced. */
int mbd_scale_parse(const char *s, size_t len, mbd_scale *out);

/* out = a × (num / den), reduced; MB_ERANGE on overflow, MB_EINVAL if den <= 0. */
int mbd_scale_mul(const mbd_scale *a, int64_t num, int64_t den, mbd_scale *out);

/* Write "num/den" (or "num" when den is 1) into buf. */
void mbd_scale_format(const mbd_scale *s, char *buf, size_t size);

/* Render raw into buf for an error message ("NaN", "-12", "1.5e+30"). */
void mbd_raw_format(const mbd_raw *raw, char *buf, size_t size);

#endif
