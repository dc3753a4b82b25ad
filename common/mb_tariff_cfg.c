/* SPDX-License-Identifier: Apache-2.0 */
/* Strict libconfig getters for the tariff parser: see mb_tariff_cfg.h. */
#include "mb_tariff_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_money.h"

int mbt_cfg_line(const config_setting_t *s)
{
        int line = s ? (int)config_setting_source_line(s) : 0;

        return line > 0 ? line : 1;
}

int mbt_cfg_error(struct mbt_pctx *c, const config_setting_t *s, const char *fmt, ...)
{
        char msg[256];
        const char *file =
            s && config_setting_source_file(s) ? config_setting_source_file(s) : c->name;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        mbt_err(c->err, c->errlen, "%s:%d: %s", file, mbt_cfg_line(s), msg);
        return MB_ECONFIG;
}

static const char *type_name(const config_setting_t *s)
{
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_GROUP:
                return "a group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                return "an integer";
        case CONFIG_TYPE_FLOAT:
                return "a floating-point number";
        case CONFIG_TYPE_STRING:
                return "a string";
        case CONFIG_TYPE_BOOL:
                return "a boolean";
        case CONFIG_TYPE_ARRAY:
                return "an array";
        case CONFIG_TYPE_LIST:
                return "a list";
        default:
                return "a setting";
        }
}

int mbt_cfg_group(struct mbt_pctx *c, const config_setting_t *s, const char *what,
                  const char *const *keys)
{
        int n;

        if (!config_setting_is_group(s))
                return mbt_cfg_error(c, s, "%s must be a group { ... }, not %s", what,
                                     type_name(s));
        n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
                const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
                const char *name = config_setting_name(m);
                size_t k = 0;

                while (keys[k] && strcmp(keys[k], name) != 0)
                        k++;
                if (keys[k] == NULL)
                        return mbt_cfg_error(c, m, "unknown key '%s' in %s", name, what);
        }
        return MB_OK;
}

static int missing(struct mbt_pctx *c, const config_setting_t *g, const char *key)
{
        return mbt_cfg_error(c, g, "missing required key '%s'", key);
}

int mbt_cfg_list(struct mbt_pctx *c, const config_setting_t *g, const char *key, int required,
                 int max, const config_setting_t **out)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        int n;

        *out = NULL;
        if (s == NULL)
                return required ? missing(c, g, key) : MB_OK;
        if (!config_setting_is_list(s) && !config_setting_is_array(s))
                return mbt_cfg_error(c, s, "'%s' must be a list ( ... ), not %s", key,
                                     type_name(s));
        n = config_setting_length(s);
        if (n < 1 || n > max)
                return mbt_cfg_error(c, s, "'%s' must have 1 to %d elements, not %d", key, max, n);
        *out = s;
        return MB_OK;
}

int mbt_cfg_string(struct mbt_pctx *c, const config_setting_t *g, const char *key, int required,
                   const char **out)
{
        const config_setting_t *s = config_setting_get_member(g, key);

        *out = NULL;
        if (s == NULL)
                return required ? missing(c, g, key) : MB_OK;
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return mbt_cfg_error(c, s, "'%s' must be a string, not %s", key, type_name(s));
        *out = config_setting_get_string(s);
        if (**out == '\0')
                return mbt_cfg_error(c, s, "'%s' must not be empty", key);
        return MB_OK;
}

int mbt_cfg_strdup(struct mbt_pctx *c, const config_setting_t *g, const char *key, const char *def,
                   char **out)
{
        const char *s;
        int rc = mbt_cfg_string(c, g, key, 0, &s);

        if (rc < 0)
                return rc;
        if (s == NULL)
                s = def;
        if (s == NULL)
                return MB_OK;
        *out = strdup(s);
        return *out ? MB_OK : MB_ENOMEM;
}

int mbt_cfg_int(struct mbt_pctx *c, const config_setting_t *g, const char *key, int64_t def,
                int64_t lo, int64_t hi, int64_t *out)
{
        const config_setting_t *s = config_setting_get_member(g, key);
        int64_t v;

        *out = def;
        if (s == NULL)
                return MB_OK;
        if (config_setting_type(s) != CONFIG_TYPE_INT &&
            config_setting_type(s) != CONFIG_TYPE_INT64)
                return mbt_cfg_error(c, s, "'%s' must be an integer, not %s", key, type_name(s));
        v = config_setting_get_int64(s);
        if (v < lo || v > hi)
                return mbt_cfg_error(c, s, "'%s' must be between %lld and %lld, not %lld", key,
                                     (long long)lo, (long long)hi, (long long)v);
        *out = v;
        return MB_OK;
}

int mbt_cfg_decimal_of(struct mbt_pctx *c, const config_setting_t *s, const char *what,
                       int decimals, int64_t *out)
{
        int64_t v, scale = 1;
        int rc;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_STRING:
                rc = mb_decimal_parse(config_setting_get_string(s), decimals, &v);
                if (rc < 0)
                        return mbt_cfg_error(c, s,
                                             "'%s' is not a decimal with at most %d "
                                             "decimals: \"%s\"",
                                             what, decimals, config_setting_get_string(s));
                break;
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                for (int i = 0; i < decimals; i++)
                        scale *= 10;
                if (__builtin_mul_overflow(config_setting_get_int64(s), scale, &v))
                        return mbt_cfg_error(c, s, "'%s' is too large", what);
                break;
        case CONFIG_TYPE_FLOAT:
                return mbt_cfg_error(c, s,
                                     "write '%s' as a string such as \"0.4883\": "
                                     "floating point is not exact",
                                     what);
        default:
                return mbt_cfg_error(c, s, "'%s' must be a decimal string, not %s", what,
                                     type_name(s));
        }
        if (v < 0)
                return mbt_cfg_error(c, s, "'%s' must not be negative", what);
        *out = v;
        return MB_OK;
}

int mbt_cfg_decimal(struct mbt_pctx *c, const config_setting_t *g, const char *key, int decimals,
                    int *present, int64_t *out)
{
        const config_setting_t *s = config_setting_get_member(g, key);

        *present = s != NULL;
        return s ? mbt_cfg_decimal_of(c, s, key, decimals, out) : MB_OK;
}
