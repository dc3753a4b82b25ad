/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Config-file helpers over libconfig shared by the agent and the server:
 * a list of diagnostics that each carry file and line, and typed getters that
 * reject a wrong type and report unknown keys, so a typo is never silently
 * ignored (collectd style).
 */
#ifndef MB_CONF_H
#define MB_CONF_H

#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>

/* A growing list of messages "file:line: text".  Owned by its creator. */
typedef struct mb_diag mb_diag;

/* Return a new empty list, or NULL when out of memory.  Free with mb_diag_free. */
mb_diag *mb_diag_new(void);
void mb_diag_free(mb_diag *d);
/* Append "file:line: message"; file may be NULL (then no location is shown). */
void mb_diag_add(mb_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Append a message located at setting s (its file and line); s NULL: no
 * location (a key left out has none). */
void mb_diag_at(mb_diag *d, const config_setting_t *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mb_diag_count(const mb_diag *d);
/* Message i (0-based), owned by d; NULL when out of range. */
const char *mb_diag_get(const mb_diag *d, int i);
/* Print every message, one per line, to f. */
void mb_diag_print(const mb_diag *d, FILE *f);

/* Parse path into cfg (initialised by the caller).  Returns 0, or -1 with the
 * parse error (file, line, text) or the open error added to d. */
int mb_conf_read_file(config_t *cfg, const char *path, mb_diag *d);

/* Typed lookups of key in group.  Each returns 1 and sets *out when the key
 * exists with the right type (and range), 0 when it is absent (out untouched),
 * -1 after adding a located message to d.  Strings are owned by libconfig and
 * live as long as the config_t.  Integers accept int and int64 settings. */
int mb_conf_string(const config_setting_t *group, const char *key, const char **out, mb_diag *d);
int mb_conf_int(const config_setting_t *group, const char *key, int64_t min, int64_t max,
                int64_t *out, mb_diag *d);
int mb_conf_bool(const config_setting_t *group, const char *key, int *out, mb_diag *d);
int mb_conf_double(const config_setting_t *group, const char *key, double *out, mb_diag *d);

/* The group called name in root, with its keys checked against the
 * NULL-terminated list keys (unknown ones are located errors in d); NULL
 * when absent, or when it is not a group (a located error). */
const config_setting_t *mb_conf_group(const config_setting_t *root, const char *name,
                                      const char *const *keys, mb_diag *d);
/* Integer key of group g (may be NULL) within min..max; def when absent or
 * invalid (the error is in d). */
int64_t mb_conf_int_or(const config_setting_t *g, const char *key, int64_t min, int64_t max,
                       int64_t def, mb_diag *d);

/* As mb_conf_string, but absence is an error too (located at the group). */
int mb_conf_need_string(const config_setting_t *group, const char *key, const char **out,
                        mb_diag *d);

/* Add a located "unknown key" message for every member of group whose name is
 * not in the NULL-terminated list allowed.  what names the group in messages.
 * Returns the number of unknown keys. */
int mb_conf_check_keys(const config_setting_t *group, const char *const *allowed, const char *what,
                       mb_diag *d);

/* The time zone key of group: a tz database name with its zone file under
 * /usr/share/zoneinfo (OpenWrt: the zoneinfo-* packages), or a POSIX TZ
 * string such as "CST-8".  glibc and musl silently use UTC for a name they
 * cannot load, which would move every month boundary, so that is an error.
 * Returns like mb_conf_string. */
int mb_conf_timezone(const config_setting_t *group, const char *key, const char **out, mb_diag *d);

/* The type of a setting as a word for messages ("integer", "string", ...). */
const char *mb_conf_type_name(int type);

#endif
