/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_jwalk: one strict pass over a JSON body with yajl's event parser, no
 * tree built.  Every request body goes through it (srv_json_parse_object),
 * and the readings batch is read from its events directly (srv_batch.c).
 *
 * Strict means RFC 8259 and a little more: yajl refuses single quotes,
 * comments, NaN, trailing commas and anything after the value (400
 * bad_json, with the byte); the walk refuses an object that holds a key
 * twice (400 duplicate_key: json-c would keep the last value silently) and
 * a key or string that is not valid UTF-8 (422 bad_utf8), naming the field
 * ("readings[3].meter"), and nests at most SRV_JW_MAX_DEPTH deep.
 *
 * The callback sees each value as it ends (containers also as they start),
 * with the path that leads to it: srv_jw_depth() levels, each a key or an
 * index.  It returns 0 to go on, or -1 after filling the walk's error
 * (srv_jw_err) to stop.
 */
#ifndef SRV_JWALK_H
#define SRV_JWALK_H

#include <stddef.h>
#include <stdint.h>

#include "srv_json.h"

#define SRV_JW_MAX_DEPTH 32

enum srv_jw_kind {
        SRV_JW_NULL,
        SRV_JW_BOOL,
        SRV_JW_INT,
        SRV_JW_DOUBLE,
        SRV_JW_STRING,
        SRV_JW_MAP_START,
        SRV_JW_MAP_END,
        SRV_JW_ARRAY_START,
        SRV_JW_ARRAY_END,
};

struct srv_jw_value {
        enum srv_jw_kind kind;
        int64_t i;     /* INT; BOOL 0 or 1 */
        const char *s; /* STRING: the unescaped bytes (not NUL-terminated), valid
                        * only during the call */
        size_t len;
        size_t offset; /* MAP_START/ARRAY_START: where the container starts in the
                        * body; MAP_END/ARRAY_END: just past its end */
};

struct srv_jw; /* the walk, opaque */

typedef int (*srv_jw_cb)(void *user, struct srv_jw *w, const struct srv_jw_value *v);

/* Walk body[0..len) (a NUL inside is refused), calling cb (may be NULL: only
 * check) for every event.  0, or -1 with *e set: the walk's own refusals
 * above, or what cb put there. */
int srv_jwalk(const char *body, size_t len, srv_jw_cb cb, void *user, struct srv_err *e);

/* The path of the value the callback sees: depth() levels; at level l
 * (0 = inside the top object), key() is the member's key (NUL-terminated,
 * owned by the walk) or NULL inside an array, where index() counts from 0.
 * The top-level value itself is at depth 0. */
int srv_jw_depth(const struct srv_jw *w);
const char *srv_jw_key(const struct srv_jw *w, int level);
size_t srv_jw_index(const struct srv_jw *w, int level);
/* "readings[3].meter" for the current value, into buf. */
const char *srv_jw_path(const struct srv_jw *w, char *buf, size_t len);
/* The error the callback fills before returning -1. */
struct srv_err *srv_jw_err(struct srv_jw *w);

/* The first byte of s[0..n) that is not part of valid UTF-8 (overlong
 * forms, surrogates and code points past U+10FFFF are invalid), or n. */
size_t srv_utf8_check(const char *s, size_t n);

#endif
