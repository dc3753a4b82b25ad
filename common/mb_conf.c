/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_conf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct mb_diag {
        char **msgs;
        int count;
        int cap;
};

mb_diag *mb_diag_new(void)
{
        return calloc(1, sizeof(mb_diag));
}

void mb_diag_free(mb_diag *d)
{
        if (!d)
                return;
        for (int i = 0; i < d->count; i++)
                free(d->msgs[i]);
        free(d->msgs);
        free(d);
}

static void diag_push(mb_diag *d, const char *file, int line, const char *fmt, va_list ap)
{
        char text[512], *msg;

        if (!d)
                return;
        vsnprintf(text, sizeof(text), fmt, ap);
        if (d->count == d->cap) {
                int cap = d->cap ? d->cap * 2 : 8;
                char **n = realloc(d->msgs, (size_t)cap * sizeof(*n));
                if (!n)
                        return;
                d->msgs = n;
                d->cap = cap;
        }
        if (file && line > 0) {
                if (asprintf(&msg, "%s:%d: %s", file, line, text) < 0)
                        return;
        } else if (file) {
                if (asprintf(&msg, "%s: %s", file, text) < 0)
                        return;
        } else if (!(msg = strdup(text))) {
                return;
        }
        d->msgs[d->count++] = msg;
}

void mb_diag_add(mb_diag *d, const char *file, int line, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        diag_push(d, file, line, fmt, ap);
        va_end(ap);
}

void mb_diag_at(mb_diag *d, const config_setting_t *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        if (s)
                diag_push(d, config_setting_source_file(s), (int)config_setting_source_line(s), fmt,
                          ap);
        else /* a key left out: no line to name */
                diag_push(d, NULL, 0, fmt, ap);
        va_end(ap);
}

int mb_diag_count(const mb_diag *d)
{
        return d ? d->count : 0;
}

const char *mb_diag_get(const mb_diag *d, int i)
{
        return d && i >= 0 && i < d->count ? d->msgs[i] : NULL;
}

void mb_diag_print(const mb_diag *d, FILE *f)
{
        for (int i = 0; i < mb_diag_count(d); i++)
                fprintf(f, "%s\n", d->msgs[i]);
}

int mb_conf_read_file(config_t *cfg, const char *path, mb_diag *d)
{
        if (config_read_file(cfg, path) == CONFIG_TRUE)
                return 0;
        if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
                mb_diag_add(d, path, 0, "cannot read file: %s",
                            config_error_text(cfg) ? config_error_text(cfg) : "I/O error");
        else
                mb_diag_add(d, config_error_file(cfg) ? config_error_file(cfg) : path,
                            config_error_line(cfg), "syntax error: %s", config_error_text(cfg));
        return -1;
}

const char *mb_conf_type_name(int type)
{
        switch (type) {
        case CONFIG_TYPE_GROUP:
                return "group";
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                return "integer";
        case CONFIG_TYPE_FLOAT:
                return "number";
        case CONFIG_TYPE_STRING:
                return "string";
        case CONFIG_TYPE_BOOL:
                return "boolean";
        case CONFIG_TYPE_ARRAY:
                return "array";
        case CONFIG_TYPE_LIST:
                return "list";
        default:
                return "unknown";
        }
}

static config_setting_t *member(const config_setting_t *group, const char *key)
{
        return group ? config_setting_get_member(group, key) : NULL;
}

static int wrong_type(const config_setting_t *s, const char *want, mb_diag *d)
{
        mb_diag_at(d, s, "'%s' must be %s, not %s", config_setting_name(s), want,
                   mb_conf_type_name(config_setting_type(s)));
        return -1;
}

int mb_conf_string(const config_setting_t *group, const char *key, const char **out, mb_diag *d)
{
        config_setting_t *s = member(group, key);

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return wrong_type(s, "a string", d);
        *out = config_setting_get_string(s);
        return 1;
}

int mb_conf_need_string(const config_setting_t *group, const char *key, const char **out,
                        mb_diag *d)
{
        int rc = mb_conf_string(group, key, out, d);

        if (rc == 0) {
                mb_diag_at(d, group, "missing required key '%s'", key);
                return -1;
        }
        return rc;
}

int mb_conf_int(const config_setting_t *group, const char *key, int64_t min, int64_t max,
                int64_t *out, mb_diag *d)
{
        config_setting_t *s = member(group, key);
        int64_t v;

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_INT &&
            config_setting_type(s) != CONFIG_TYPE_INT64)
                return wrong_type(s, "an integer", d);
        v = config_setting_get_int64(s);
        if (v < min || v > max) {
                mb_diag_at(d, s, "'%s' = %lld is out of range %lld..%lld", key, (long long)v,
                           (long long)min, (long long)max);
                return -1;
        }
        *out = v;
        return 1;
}

int mb_conf_bool(const config_setting_t *group, const char *key, int *out, mb_diag *d)
{
        config_setting_t *s = member(group, key);

        if (!s)
                return 0;
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                return wrong_type(s, "true or false", d);
        *out = config_setting_get_bool(s);
        return 1;
}

int mb_conf_double(const config_setting_t *group, const char *key, double *out, mb_diag *d)
{
        config_setting_t *s = member(group, key);

        if (!s)
                return 0;
        switch (config_setting_type(s)) {
        case CONFIG_TYPE_FLOAT:
                *out = config_setting_get_float(s);
                return 1;
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                *out = (double)config_setting_get_int64(s);
                return 1;
        default:
                return wrong_type(s, "a number", d);
        }
}

int mb_conf_check_keys(const config_setting_t *group, const char *const *allowed, const char *what,
                       mb_diag *d)
{
        int n = 0, len = group ? config_setting_length(group) : 0;

        for (int i = 0; i < len; i++) {
                config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
                const char *name = config_setting_name(s);
                int ok = 0;

                for (const char *const *a = allowed; name && *a && !ok; a++)
                        ok = strcmp(*a, name) == 0;
                if (!ok) {
                        mb_diag_at(d, s, "%s: unknown key '%s'", what, name ? name : "?");
                        n++;
                }
        }
        return n;
}

int mb_conf_timezone(const config_setting_t *group, const char *key, const char **out, mb_diag *d)
{
        char path[512];
        const char *tz;
        int rc = mb_conf_string(group, key, &tz, d);

        if (rc != 1)
                return rc;
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
        /* A POSIX TZ string carries its offset (a digit); a name needs its file. */
        if (tz[0] && !strstr(tz, "..") && (strpbrk(tz, "0123456789") || access(path, R_OK) == 0)) {
                *out = tz;
                return 1;
        }
        mb_diag_at(d, config_setting_get_member(group, key),
                   "unknown time zone \"%s\" (a tz database name such as \"Asia/Shanghai\" "
                   "with its zone file installed, or a POSIX TZ string such as \"CST-8\")",
                   tz);
        return -1;
}

const config_setting_t *mb_conf_group(const config_setting_t *root, const char *name,
                                      const char *const *keys, mb_diag *d)
{
        const config_setting_t *g = config_setting_get_member(root, name);

        if (g == NULL)
                return NULL;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
                mb_diag_at(d, g, "'%s' must be a group { ... }", name);
                return NULL;
        }
        mb_conf_check_keys(g, keys, name, d);
        return g;
}

int64_t mb_conf_int_or(const config_setting_t *g, const char *key, int64_t min, int64_t max,
                       int64_t def, mb_diag *d)
{
        int64_t v = def;

        if (g)
                mb_conf_int(g, key, min, max, &v, d);
        return v;
}
