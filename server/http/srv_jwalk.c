/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict walk (srv_jwalk.h) on yajl 2.  A stack of open containers
 * holds, for an array, the index of the value being read and, for an
 * object, its current key and every key seen so far (a 64-bit Bloom filter
 * in front of the list, so the usual object of distinct keys costs one hash
 * per key).
 */
#include "srv_jwalk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

struct frame {
        int is_map;
        size_t index;                 /* arrays: the value being read */
        size_t key_off;               /* maps: the current key, in the arena */
        uint64_t bloom;               /* maps: the keys seen, hashed */
        size_t keys_from, arena_from; /* maps: where their keys start */
};

struct keyent {
        size_t off, len;
        uint32_t hash;
};

struct srv_jw {
        yajl_handle h;
        srv_jw_cb cb;
        void *user;
        struct srv_err *e;
        struct frame f[SRV_JW_MAX_DEPTH];
        int depth;
        char *arena;
        size_t alen, acap;
        struct keyent *keys;
        size_t nkeys, kcap;
        int oom;
};

size_t srv_utf8_check(const char *str, size_t n)
{
        const unsigned char *s = (const unsigned char *)str;
        size_t i = 0;

        while (i < n) {
                unsigned c = s[i];
                size_t k;
                unsigned cp, min;

                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xC2 && c <= 0xDF)
                        k = 1, cp = c & 0x1F, min = 0x80;
                else if (c >= 0xE0 && c <= 0xEF)
                        k = 2, cp = c & 0x0F, min = 0x800;
                else if (c >= 0xF0 && c <= 0xF4)
                        k = 3, cp = c & 0x07, min = 0x10000;
                else
                        return i;
                for (size_t j = 1; j <= k; j++) {
                        if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
                                return i;
                        cp = (cp << 6) | (s[i + j] & 0x3F);
                }
                if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                        return i;
                i += k + 1;
        }
        return n;
}

int srv_jw_depth(const struct srv_jw *w)
{
        return w->depth;
}

const char *srv_jw_key(const struct srv_jw *w, int level)
{
        return w->f[level].is_map ? w->arena + w->f[level].key_off : NULL;
}

size_t srv_jw_index(const struct srv_jw *w, int level)
{
        return w->f[level].index;
}

struct srv_err *srv_jw_err(struct srv_jw *w)
{
        return w->e;
}

const char *srv_jw_path(const struct srv_jw *w, char *buf, size_t len)
{
        size_t off = 0;

        buf[0] = '\0';
        for (int l = 0; l < w->depth && off < len; l++) {
                int n = w->f[l].is_map && w->arena[w->f[l].key_off] == '\0' ? 0
                        : w->f[l].is_map ? snprintf(buf + off, len - off, "%s%s", off ? "." : "",
                                                    w->arena + w->f[l].key_off)
                                         : snprintf(buf + off, len - off, "[%zu]", w->f[l].index);

                off += n > 0 ? (size_t)n : 0;
        }
        return buf;
}

static int refuse(struct srv_jw *w, int status, const char *code, const char *msg)
{
        char path[128];

        srv_err_set(w->e, status, code, srv_jw_path(w, path, sizeof(path)), "%s", msg);
        return 0; /* yajl: stop */
}

/* A value has been read: the next one in an array has the next index. */
static int emit(struct srv_jw *w, const struct srv_jw_value *v)
{
        if (w->cb && w->cb(w->user, w, v) < 0)
                return 0;
        if (w->depth && !w->f[w->depth - 1].is_map &&
            (v->kind < SRV_JW_MAP_START || v->kind == SRV_JW_MAP_END ||
             v->kind == SRV_JW_ARRAY_END))
                w->f[w->depth - 1].index++;
        return 1;
}

static int on_null(void *ctx)
{
        struct srv_jw_value v = {.kind = SRV_JW_NULL};

        return emit(ctx, &v);
}

static int on_bool(void *ctx, int b)
{
        struct srv_jw_value v = {.kind = SRV_JW_BOOL, .i = b != 0};

        return emit(ctx, &v);
}

static int on_int(void *ctx, long long i)
{
        struct srv_jw_value v = {.kind = SRV_JW_INT, .i = i};

        return emit(ctx, &v);
}

static int on_double(void *ctx, double d)
{
        struct srv_jw_value v = {.kind = SRV_JW_DOUBLE};

        (void)d;
        return emit(ctx, &v);
}

static int on_string(void *ctx, const unsigned char *s, size_t len)
{
        struct srv_jw *w = ctx;
        struct srv_jw_value v = {.kind = SRV_JW_STRING, .s = (const char *)s, .len = len};

        if (srv_utf8_check(v.s, len) != len)
                return refuse(w, 422, "bad_utf8", "a string must be valid UTF-8");
        return emit(w, &v);
}

static uint32_t hash(const unsigned char *s, size_t n)
{
        uint32_t h = 2166136261u; /* FNV-1a */

        for (size_t i = 0; i < n; i++)
                h = (h ^ s[i]) * 16777619u;
        return h;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
        size_t c = *cap ? *cap : 64;
        void *q;

        if (need <= *cap)
                return 0;
        while (c < need)
                c *= 2;
        q = realloc(*p, c * size);
        if (q == NULL)
                return -1;
        *p = q;
        *cap = c;
        return 0;
}

static int on_key(void *ctx, const unsigned char *k, size_t len)
{
        struct srv_jw *w = ctx;
        struct frame *f = &w->f[w->depth - 1];
        uint32_t h = hash(k, len);
        uint64_t bit = (uint64_t)1 << (h & 63);

        if (srv_utf8_check((const char *)k, len) != len) {
                f->key_off = f->arena_from; /* "": the path names the object */
                return refuse(w, 422, "bad_utf8", "a key must be valid UTF-8");
        }
        if (grow((void **)&w->arena, &w->acap, w->alen + len + 1, 1) < 0 ||
            grow((void **)&w->keys, &w->kcap, w->nkeys + 1, sizeof(*w->keys)) < 0) {
                w->oom = 1;
                return 0;
        }
        memcpy(w->arena + w->alen, k, len);
        w->arena[w->alen + len] = '\0';
        f->key_off = w->alen;
        if (f->bloom & bit)
                for (size_t i = f->keys_from; i < w->nkeys; i++)
                        if (w->keys[i].hash == h && w->keys[i].len == len &&
                            memcmp(w->arena + w->keys[i].off, k, len) == 0)
                                return refuse(w, 400, "duplicate_key",
                                              "a key may appear only once in an object");
        f->bloom |= bit;
        w->keys[w->nkeys++] = (struct keyent){.off = w->alen, .len = len, .hash = h};
        w->alen += len + 1;
        return 1;
}

static int open_container(struct srv_jw *w, int is_map)
{
        struct srv_jw_value v = {.kind = is_map ? SRV_JW_MAP_START : SRV_JW_ARRAY_START,
                                 .offset = yajl_get_bytes_consumed(w->h) - 1};
        struct frame *f;

        if (w->depth == SRV_JW_MAX_DEPTH)
                return refuse(w, 400, "bad_json", "nested too deeply");
        if (w->cb && w->cb(w->user, w, &v) < 0)
                return 0;
        f = &w->f[w->depth++];
        memset(f, 0, sizeof(*f));
        f->is_map = is_map;
        f->key_off = w->alen; /* "" until the first key */
        f->keys_from = w->nkeys;
        f->arena_from = w->alen;
        if (is_map) {
                if (grow((void **)&w->arena, &w->acap, w->alen + 1, 1) < 0) {
                        w->oom = 1;
                        return 0;
                }
                w->arena[w->alen++] = '\0';
        }
        return 1;
}

static int close_container(struct srv_jw *w, int is_map)
{
        struct frame *f = &w->f[--w->depth];
        struct srv_jw_value v = {.kind = is_map ? SRV_JW_MAP_END : SRV_JW_ARRAY_END,
                                 .offset = yajl_get_bytes_consumed(w->h)};

        if (is_map) {
                w->nkeys = f->keys_from;
                w->alen = f->arena_from;
        }
        return emit(w, &v);
}

static int on_start_map(void *ctx)
{
        return open_container(ctx, 1);
}

static int on_end_map(void *ctx)
{
        return close_container(ctx, 1);
}

static int on_start_array(void *ctx)
{
        return open_container(ctx, 0);
}

static int on_end_array(void *ctx)
{
        return close_container(ctx, 0);
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_integer = on_int,
    .yajl_double = on_double,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

/* yajl's own message, first line, without its trailing newline. */
static void syntax_error(struct srv_jw *w, const char *body, size_t len)
{
        unsigned char *msg = yajl_get_error(w->h, 0, (const unsigned char *)body, len);
        size_t at = yajl_get_bytes_consumed(w->h);
        char text[160];

        snprintf(text, sizeof(text), "%s", msg ? (const char *)msg : "syntax error");
        text[strcspn(text, "\n")] = '\0';
        srv_err_set(w->e, 400, "bad_json", "", "malformed JSON at byte %zu: %s", at, text);
        yajl_free_error(w->h, msg);
}

int srv_jwalk(const char *body, size_t len, srv_jw_cb cb, void *user, struct srv_err *e)
{
        struct srv_jw w = {.cb = cb, .user = user, .e = e};
        yajl_status st;

        e->status = 0;
        if (body == NULL || len == 0) {
                srv_err_set(e, 400, "bad_json", "", "a JSON object body is required");
                return -1;
        }
        if (memchr(body, '\0', len)) {
                srv_err_set(e, 400, "bad_json", "", "body contains a NUL byte");
                return -1;
        }
        w.h = yajl_alloc(&callbacks, NULL, &w);
        if (w.h == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return -1;
        }
        /* UTF-8 is checked here, where the field is known */
        yajl_config(w.h, yajl_dont_validate_strings, 1);
        st = yajl_parse(w.h, (const unsigned char *)body, len);
        if (st == yajl_status_ok)
                st = yajl_complete_parse(w.h);
        if (w.oom)
                srv_err_set(e, 500, "internal", "", "out of memory");
        else if (st == yajl_status_error)
                syntax_error(&w, body, len);
        else if (st == yajl_status_client_canceled && e->status == 0)
                srv_err_set(e, 400, "bad_json", "", "refused");
        yajl_free(w.h);
        free(w.arena);
        free(w.keys);
        return st == yajl_status_ok && !w.oom ? 0 : -1;
}
