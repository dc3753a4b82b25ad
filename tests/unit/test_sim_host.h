/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake mb_host for plugin unit tests: logs into a buffer, serves the cfg_*
 * getters from a small key/value array, and has clocks the test sets.  Links
 * nothing from agent/.  Used by the sim, example and gpio tests.
 */
#ifndef TEST_SIM_HOST_H
#define TEST_SIM_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <meterbox/plugin.h>

enum fake_type { FK_END = 0, FK_INT, FK_BOOL, FK_STR, FK_DOUBLE };

/* One option; an array of them ends with FK_END (a zeroed entry). */
struct fake_kv {
        const char *key;
        enum fake_type type;
        int64_t i;
        const char *s;
        double d;
        int used; /* looked up by the plugin */
};

#define KV_INT(k, v)                                                                               \
        {                                                                                          \
                .key = (k), .type = FK_INT, .i = (v)                                               \
        }
#define KV_BOOL(k, v)                                                                              \
        {                                                                                          \
                .key = (k), .type = FK_BOOL, .i = (v)                                              \
        }
#define KV_STR(k, v)                                                                               \
        {                                                                                          \
                .key = (k), .type = FK_STR, .s = (v)                                               \
        }
#define KV_DOUBLE(k, v)                                                                            \
        {                                                                                          \
                .key = (k), .type = FK_DOUBLE, .d = (v)                                            \
        }

/* The plugin sees mb_ctx as opaque; here it is the options of one object. */
struct mb_ctx {
        struct fake_kv *kv;
};

extern const mb_host fake_host;
extern int64_t fake_mono_ms; /* host->monotonic_ms() */
extern int64_t fake_real_s;  /* host->realtime_s() */

/* Clear the log, the config errors and set both clocks. */
void fake_reset(int64_t mono_ms, int64_t real_s);
/* Advance both clocks by ms (the UTC clock by whole seconds of it). */
void fake_advance_ms(int64_t ms);

/* Everything logged since fake_reset, one "LEVEL: text" line each. */
const char *fake_log(void);
int fake_log_has(const char *needle);
/* Config errors (wrong type or cfg_error) since fake_reset; the last text. */
int fake_cfg_errors(void);
const char *fake_cfg_last_error(void);
/* Options of ctx the plugin never looked up (the host's "unknown key"). */
int fake_unused_keys(const mb_ctx *ctx);

/* meter_new through a descriptor with options kv (may be NULL). */
int fake_meter_new(const mb_plugin *p, mb_ctx *ctx, struct fake_kv *kv, const char *name,
                   const char *address, int timeout_ms, void **meter, mb_err *err);
/* meter_read with a zeroed reading of the host's size. */
int fake_read(const mb_plugin *p, void *meter, mb_reading *r, mb_err *err);

#endif
