/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_json.h"
#include "srv_jwalk.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void srv_err_set(struct srv_err *e, int status, const char *code, const char *field,
                 const char *fmt, ...)
{
        va_list ap;

        e->status = status;
        e->code = code;
        snprintf(e->field, sizeof(e->field), "%s", field ? field : "");
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof(e->message), fmt, ap);
        va_end(ap);
}

json_object *srv_err_json(const struct srv_err *e)
{
        json_object *root = json_object_new_object(), *o = json_object_new_object();

        json_object_object_add(o, "code", json_object_new_string(e->code ? e->code : "error"));
        json_object_object_add(o, "message", json_object_new_string(e->message));
        if (e->field[0])
                json_object_object_add(o, "field", json_object_new_string(e->field));
        json_object_object_add(root, "error", o);
        return root;
}

const char *srv_json_field(char *buf, size_t len, const char *path, const char *key)
{
        if (path && path[0])
                snprintf(buf, len, "%s.%s", path, key);
        else
                snprintf(buf, len, "%s", key);
        return buf;
}

int srv_json_parse_object(const char *body, size_t len, json_object **out, struct srv_err *e)
{
        json_tokener *tok;
        json_object *o;
        size_t end;

        *out = NULL;
        /* strict first: json-c alone takes duplicate keys, single quotes and
         * bytes that are not UTF-8 */
        if (srv_jwalk(body, len, NULL, NULL, e) < 0)
                return -1;
        tok = json_tokener_new_ex(32);
        if (tok == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return -1;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, body, (int)len);
        end = json_tokener_get_parse_end(tok);
        if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
                enum json_tokener_error je = json_tokener_get_error(tok);

                srv_err_set(e, 400, "bad_json", "", "malformed JSON at byte %zu: %s", end,
                            je == json_tokener_continue ? "unexpected end of body"
                                                        : json_tokener_error_desc(je));
                json_object_put(o);
                json_tokener_free(tok);
                return -1;
        }
        json_tokener_free(tok);
        for (; end < len; end++)
                if (!strchr(" \t\r\n", body[end])) {
                        srv_err_set(e, 400, "bad_json", "",
                                    "unexpected data after the JSON "
                                    "value at byte %zu",
                                    end);
                        json_object_put(o);
                        return -1;
                }
        if (!json_object_is_type(o, json_type_object)) {
                srv_err_set(e, 400, "bad_json", "", "the body must be a JSON object");
                json_object_put(o);
                return -1;
        }
        *out = o;
        return 0;
}

int srv_json_known_keys(json_object *o, const char *const *allowed, const char *path,
                        struct srv_err *e)
{
        char f[160];

        json_object_object_foreach(o, key, val)
        {
                int ok = 0;

                (void)val;
                for (int i = 0; allowed[i] && !ok; i++)
                        ok = strcmp(allowed[i], key) == 0;
                if (!ok) {
                        srv_err_set(e, 400, "unknown_field",
                                    srv_json_field(f, sizeof(f), path, key), "unknown field '%s'",
                                    key);
                        return -1;
                }
        }
        return 0;
}

/* The member, or NULL when absent or null; -1 when required and missing. */
static int member(json_object *o, const char *key, const char *path, int required, json_object **v,
                  struct srv_err *e)
{
        char f[160];

        if (!json_object_object_get_ex(o, key, v) || *v == NULL) {
                if (required) {
                        srv_err_set(e, 400, "missing_field",
                                    srv_json_field(f, sizeof(f), path, key), "'%s' is required",
                                    key);
                        return -1;
                }
                return 0;
        }
        return 1;
}

static int type_error(const char *key, const char *path, const char *what, struct srv_err *e)
{
        char f[160];

        srv_err_set(e, 400, "bad_field", srv_json_field(f, sizeof(f), path, key), "'%s' must be %s",
                    key, what);
        return -1;
}

int srv_json_string(json_object *o, const char *key, const char *path, int required, size_t maxlen,
                    const char **out, struct srv_err *e)
{
        json_object *v;
        int rc = member(o, key, path, required, &v, e);
        const char *s;
        size_t n;

        if (rc <= 0)
                return rc;
        if (!json_object_is_type(v, json_type_string))
                return type_error(key, path, "a string", e);
        s = json_object_get_string(v);
        n = (size_t)json_object_get_string_len(v);
        if (n == 0 || n > maxlen || strlen(s) != n)
                return type_error(key, path, "a non-empty string of limited length", e);
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                        return type_error(key, path, "a string without control characters", e);
        *out = s;
        return 1;
}

int srv_json_int(json_object *o, const char *key, const char *path, int required, int64_t min,
                 int64_t max, int64_t *out, struct srv_err *e)
{
        json_object *v;
        int rc = member(o, key, path, required, &v, e);
        int64_t x;
        char f[160], what[96];

        if (rc <= 0)
                return rc;
        if (!json_object_is_type(v, json_type_int))
                return type_error(key, path, "an integer", e);
        x = json_object_get_int64(v);
        if (x < min || x > max) {
                snprintf(what, sizeof(what), "between %lld and %lld", (long long)min,
                         (long long)max);
                srv_err_set(e, 400, min == 0 && x < 0 ? "negative" : "out_of_range",
                            srv_json_field(f, sizeof(f), path, key), "'%s' must be %s", key, what);
                return -1;
        }
        *out = x;
        return 1;
}

int srv_json_bool(json_object *o, const char *key, const char *path, int required, int *out,
                  struct srv_err *e)
{
        json_object *v;
        int rc = member(o, key, path, required, &v, e);

        if (rc <= 0)
                return rc;
        if (!json_object_is_type(v, json_type_boolean))
                return type_error(key, path, "true or false", e);
        *out = json_object_get_boolean(v);
        return 1;
}

int srv_json_array(json_object *o, const char *key, const char *path, int required,
                   json_object **out, struct srv_err *e)
{
        json_object *v;
        int rc = member(o, key, path, required, &v, e);

        if (rc <= 0)
                return rc;
        if (!json_object_is_type(v, json_type_array))
                return type_error(key, path, "an array", e);
        *out = v;
        return 1;
}

int srv_json_enum(json_object *o, const char *key, const char *path, int required,
                  const char *const *values, int *out, struct srv_err *e)
{
        const char *s;
        char what[160] = "one of", f[160];
        int rc = srv_json_string(o, key, path, required, 64, &s, e);

        if (rc <= 0)
                return rc;
        for (int i = 0; values[i]; i++)
                if (strcmp(values[i], s) == 0) {
                        *out = i;
                        return 1;
                }
        for (int i = 0; values[i]; i++) {
                strncat(what, " ", sizeof(what) - strlen(what) - 1);
                strncat(what, values[i], sizeof(what) - strlen(what) - 1);
        }
        srv_err_set(e, 400, "bad_field", srv_json_field(f, sizeof(f), path, key), "'%s' must be %s",
                    key, what);
        return -1;
}

int srv_json_ident_ok(const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n == 0 || n > 64)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.'))
                        return 0;
        }
        return 1;
}
