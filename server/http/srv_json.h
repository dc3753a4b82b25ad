/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading and validating JSON request bodies (json-c), with errors that name
 * the field ("readings[3].seq") as docs/api.md promises.  Pure functions.
 *
 * Every getter takes the object, the key and the path of the object
 * ("" at the top, "readings[3]" inside a batch) for messages.  Getters return
 * 1 when the value was found and stored, 0 when an optional key is absent or
 * null, and -1 after filling *e (then nothing was stored).
 */
#ifndef SRV_JSON_H
#define SRV_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* An error for the client: HTTP status, a stable code, a message and the
 * offending field ("" when none). */
struct srv_err {
        int status;
        const char *code; /* static string: "bad_request", "not_found", ... */
        char field[128];
        char message[256];
};

void srv_err_set(struct srv_err *e, int status, const char *code, const char *field,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* {"error": {"code", "message", "field"?}}: a new object the caller owns. */
json_object *srv_err_json(const struct srv_err *e);

/* Parse a whole body as one JSON object (max depth 32, trailing whitespace
 * allowed, nothing else), strictly (srv_jwalk.h: duplicate keys and single
 * quotes refused with 400, strings that are not UTF-8 with 422 naming the
 * field).  *out is the caller's.  -1 with the error in *e. */
int srv_json_parse_object(const char *body, size_t len, json_object **out, struct srv_err *e);

/* Reject members of o not in the NULL-terminated allowed list: -1 with a
 * 400 naming the first unknown key, else 0. */
int srv_json_known_keys(json_object *o, const char *const *allowed, const char *path,
                        struct srv_err *e);

/* A string of 1..maxlen bytes without control characters. */
int srv_json_string(json_object *o, const char *key, const char *path, int required, size_t maxlen,
                    const char **out, struct srv_err *e);
/* An integer in [min, max] (JSON integers only: 1.0 and "1" are refused). */
int srv_json_int(json_object *o, const char *key, const char *path, int required, int64_t min,
                 int64_t max, int64_t *out, struct srv_err *e);
/* true / false. */
int srv_json_bool(json_object *o, const char *key, const char *path, int required, int *out,
                  struct srv_err *e);
/* An array (borrowed reference). */
int srv_json_array(json_object *o, const char *key, const char *path, int required,
                   json_object **out, struct srv_err *e);
/* A string from a NULL-terminated list; *out is its index. */
int srv_json_enum(json_object *o, const char *key, const char *path, int required,
                  const char *const *values, int *out, struct srv_err *e);

/* path + "." + key, or key alone when path is "", into buf. */
const char *srv_json_field(char *buf, size_t len, const char *path, const char *key);

/* Is s a plain identifier (letters, digits, '-', '_', '.', 1..64 bytes)? */
int srv_json_ident_ok(const char *s);

#endif
