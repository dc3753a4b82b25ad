/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: register maps as data.  Pure functions: no I/O, no libmodbus, no
 * host; unit-tested (tests/unit/test_modbus_map.c) and fuzzed
 * (tests/fuzz/fuzz_modbus_map.c).
 *
 * A map says, for each quantity of a reading, where it lives (function code 3
 * or 4, register address), how it is encoded (type, byte order) and how to get
 * to the reading's unit (unit and scale).  Built-in profiles are written in
 * the same text form a user gives in the `map` option:
 *
 *   map   := entry { ";" entry }
 *   entry := quantity ":" register ":" type [":" function [":" order
 *            [":" unit [":" scale]]]]
 *
 *   quantity  import_wh export_wh power voltage[_l1|_l2|_l3]
 *             current[_l1|_l2|_l3] pf freq rate1_wh..rate4_wh
 *   register  0..65535, decimal or 0x hex: the address on the wire (0-based,
 *             not a "40001"-style reference number)
 *   type      u16 s16 u32 s32 u64 s64 f32 f64
 *   function  3 (holding registers, default) or 4 (input registers)
 *   order     ABCD (default) CDAB BADC DCBA, see modbus_decode.h
 *   unit      energy Wh kWh MWh; power mW W kW MW; voltage mV V kV;
 *             current mA A kA; pf 1 % milli; freq mHz Hz.  Default: Wh W V
 *             A 1 Hz.
 *   scale     decimal or ratio applied before the unit: "0.01", "1/3600"
 *
 * Empty fields take the default; whitespace around fields is ignored.
 *
 * The plan: the registers a map needs are read in as few requests as the
 * protocol allows (at most 125 registers each), merging entries of the same
 * function code whose registers touch or overlap, or leave a gap of at most
 * max_gap registers (MBM_DEFAULT_MAX_GAP unless the meter's options say).
 * The plan is made when the meter is created; a meter that refuses a read
 * across a gap is planned again without gaps (modbus_plugin.c).
 */
#ifndef MB_MODBUS_MAP_H
#define MB_MODBUS_MAP_H

#include <stddef.h>
#include <stdint.h>

#include <meterbox/reading.h>

#include "modbus_decode.h"

#define MBM_MAX_REGS_PER_READ 125
/* Registers a read may carry that no quantity needs, to save a request.  24
 * registers are 48 bytes, about 55 ms at 9600 baud 8E1: about what one more
 * request costs in frames, silences and turnaround, and every built-in
 * profile then reads in at most two requests (test: modbus_blocks). */
#define MBM_DEFAULT_MAX_GAP 24

enum mbm_quantity {
        MBM_IMPORT = 0,
        MBM_EXPORT,
        MBM_POWER,
        MBM_VOLTAGE_L1,
        MBM_VOLTAGE_L2,
        MBM_VOLTAGE_L3,
        MBM_CURRENT_L1,
        MBM_CURRENT_L2,
        MBM_CURRENT_L3,
        MBM_PF,
        MBM_FREQ,
        MBM_RATE1,
        MBM_RATE2,
        MBM_RATE3,
        MBM_RATE4,
        MBM_DEMAND, /* the maximum demand register (reading.h demand_mw) */
        MBM_Q_COUNT
};

struct mbm_entry {
        uint8_t present;
        uint8_t fc;    /* 3 or 4 */
        uint8_t type;  /* enum mbd_type */
        uint8_t order; /* enum mbd_order */
        uint16_t reg;
        uint16_t off;    /* byte offset of the value in the read buffer (mbm_plan) */
        mbd_scale scale; /* raw value × scale = the reading's unit */
};

/* One read request. */
struct mbm_block {
        uint8_t fc;
        uint16_t start;
        uint16_t count;   /* registers, 1..125 */
        uint16_t buf_off; /* where its data starts in the read buffer */
};

struct mbm_map {
        struct mbm_entry q[MBM_Q_COUNT]; /* indexed by enum mbm_quantity */
        int na_max; /* integer registers at their type's largest value are "not available" */
        int phases; /* 1 or 3 (mbm_plan) */
        struct mbm_block block[MBM_Q_COUNT];
        int n_blocks;
        int buf_bytes; /* read buffer size the plan needs */
};

/* The read buffer never needs more than this. */
#define MBM_BUF_MAX (MBM_Q_COUNT * MBM_MAX_REGS_PER_READ * 2)

struct mbm_profile {
        const char *name;  /* option value, e.g. "sdm120" */
        const char *title; /* e.g. "Eastron SDM120 (single phase)" */
        const char *map;   /* in the map syntax above */
        int na_max;        /* the vendor marks "not available" with the type's largest value */
};

/* "import_wh", "voltage_l1"...; "?" when unknown. */
const char *mbm_quantity_name(int q);

/* The built-in profiles, ending with a zeroed entry. */
extern const struct mbm_profile mbm_profiles[];
/* The profile called name, or NULL. */
const struct mbm_profile *mbm_profile_find(const char *name);
/* "ddsu666, dtsu666, ..." into buf, for error messages. */
void mbm_profile_list(char *buf, size_t size);

/* Add the entries of the map text s[0..len) to m, replacing entries for the
 * same quantities (so a user's map can amend a profile).  default_order is
 * used where an entry gives none.  A quantity may appear once per text.
 * Returns MB_OK, or MB_EINVAL with a message in why naming the entry (its
 * number from 1 and its text) and the field. */
int mbm_parse(const char *s, size_t len, int default_order, struct mbm_map *m, char *why,
              size_t whylen);

/* Set the byte order of every present entry (the word_order option applied
 * to a profile). */
void mbm_set_order(struct mbm_map *m, int order);

/* Check the map is whole (three-phase quantities come in threes) and plan the
 * reads; max_gap 0..124.  MB_OK, or MB_EINVAL with a message in why. */
int mbm_plan(struct mbm_map *m, int max_gap, char *why, size_t whylen);

/* The index in m->block[] of the read that carries quantity q, or -1. */
int mbm_block_of(const struct mbm_map *m, int q);

/*
 * Decode the read buffer (filled per m->block[]) into out: sets the fields
 * and their MB_F_* bits, and out->phases.  block_err (NULL, or one entry per
 * block) names why a block could not be read; its quantities are left out.
 * Per-field readings (reading.h): a quantity that is not available (NaN, or
 * with m->na_max the type's largest value), out of range, or in a block that
 * failed is left out with mb_reading_omit, naming the quantity, function
 * code, register and raw value; the others are kept.  Only the import
 * register is essential: MB_OK, or, when import_wh cannot be had, MB_ERANGE
 * (or MB_EIO for a failed block) with the reason in why.
 */
int mbm_fill(const struct mbm_map *m, const uint8_t *buf, size_t len, const char *const *block_err,
             mb_reading *out, char *why, size_t whylen);

#endif
