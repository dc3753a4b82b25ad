/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Typed, strict access to libconfig settings for the tariff parser: every
 * error names the file (or the caller's name for text) and the line, unknown
 * keys are refused, and money is read from decimal strings, never floats.
 * Internal to common/mb_tariff_parse*.c.
 */
#ifndef MB_TARIFF_CFG_H
#define MB_TARIFF_CFG_H

#include <libconfig.h>

#include "mb_tariff_priv.h"

struct mbt_pctx {
        const char *name; /* file name, or the caller's name for text */
        char *err;
        size_t errlen;
};

/* Write "NAME:LINE: message" (line of s, or 1 for the root) and return
 * MB_ECONFIG. */
int mbt_cfg_error(struct mbt_pctx *c, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Line of a setting, for messages that point at another one. */
int mbt_cfg_line(const config_setting_t *s);

/* Check that s is a group whose keys are all in the NULL-terminated list;
 * `what` names it in messages. */
int mbt_cfg_group(struct mbt_pctx *c, const config_setting_t *s, const char *what,
                  const char *const *keys);

/* Member `key` of group g that must be a list (or array) with 1..max
 * elements, or NULL with MB_OK when absent and optional. */
int mbt_cfg_list(struct mbt_pctx *c, const config_setting_t *g, const char *key, int required,
                 int max, const config_setting_t **out);

/* String member; *out is NULL when absent and optional.  Strings are not
 * empty. */
int mbt_cfg_string(struct mbt_pctx *c, const config_setting_t *g, const char *key, int required,
                   const char **out);

/* A copy of a string member, or of `def` when absent (def may be NULL). */
int mbt_cfg_strdup(struct mbt_pctx *c, const config_setting_t *g, const char *key, const char *def,
                   char **out);

/* Integer member in [lo, hi]; *out = def when absent. */
int mbt_cfg_int(struct mbt_pctx *c, const config_setting_t *g, const char *key, int64_t def,
                int64_t lo, int64_t hi, int64_t *out);

/* A non-negative decimal (string "0.4883", or an integer for whole units)
 * scaled by 10^decimals.  The setting itself, not a member. */
int mbt_cfg_decimal_of(struct mbt_pctx *c, const config_setting_t *s, const char *what,
                       int decimals, int64_t *out);

/* Decimal member as above; *present tells whether it was there (out then
 * untouched when absent). */
int mbt_cfg_decimal(struct mbt_pctx *c, const config_setting_t *g, const char *key, int decimals,
                    int *present, int64_t *out);

/* The TOU section of a version (mb_tariff_parse_tou.c): fills v's schedules
 * and sets *used to the mask of rates the schedules use. */
int mbt_parse_tou(struct mbt_pctx *c, const config_setting_t *tou, struct mbt_version *v,
                  unsigned *used);

#endif
