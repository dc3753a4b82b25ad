/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The batch read from the strict walk's events (srv_jwalk.h): where the walk
 * is (its depth and the top-level member it is in) says what a value is.
 * Readings are filled field by field as their values go by and checked as a
 * whole when their object ends (check_reading); events are cut out of the
 * body by their byte span and read with json-c.
 */
#include "srv_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srv_jwalk.h"
#include "srv_reading_check.h"

#define MAX_WH ((int64_t)1 << 53)  /* beyond any real register, in Wh */
#define MAX_ABS ((int64_t)1 << 53) /* any other integer of a reading */
#define MIN_TS 946684800           /* 2000-01-01: an agent clock before it is broken */
/* ... unless the agent says so: a reading flagged MB_Q_GATEWAY_CLOCK (16)
 * and any event may be as old as 1970 (a gateway without a battery-backed
 * clock boots there), so the server sees the doubt instead of the agent
 * setting the record aside (tests/integration/fault_clock.sh). */
#define Q_GATEWAY_CLOCK 16
#define MAX_TS 4102444800 /* 2100-01-01 */

static const char *const event_keys[] = {"id",     "meter",       "ts",   "type",
                                         "reason", "balance_fen", "data", NULL};
static const char *const kinds[] = {"routine", "boundary", NULL};

/* ---- events: a few per batch, each read with json-c from its bytes ---- */

static int parse_event(json_object *o, size_t i, struct srv_event *ev, struct srv_err *e)
{
        static const char *const states[] = {"done", "failed", NULL};
        json_object *data = NULL;
        char path[48], dpath[64];
        int64_t balance, cmd;
        int st;

        snprintf(path, sizeof(path), "events[%zu]", i);
        ev->index = i;
        if (srv_json_known_keys(o, event_keys, path, e) < 0 ||
            srv_json_int(o, "id", path, 1, 1, INT64_MAX / 2, &ev->id, e) < 0 ||
            srv_json_int(o, "ts", path, 1, 0, MAX_TS, &ev->ts, e) < 0 ||
            srv_json_string(o, "type", path, 1, 64, &ev->type, e) < 0 ||
            srv_json_string(o, "meter", path, 0, MB_ADDR_LEN - 1, &ev->meter, e) < 0 ||
            srv_json_string(o, "reason", path, 0, 1024, &ev->reason, e) < 0 ||
            srv_json_int(o, "balance_fen", path, 0, -((int64_t)1 << 50), (int64_t)1 << 50, &balance,
                         e) < 0)
                return -1;
        if (json_object_object_get_ex(o, "data", &data) && data &&
            !json_object_is_type(data, json_type_object)) {
                srv_err_set(e, 400, "bad_field", srv_json_field(dpath, sizeof(dpath), path, "data"),
                            "'data' must be an object");
                return -1;
        }
        if (strcmp(ev->type, "command_result") == 0) {
                snprintf(dpath, sizeof(dpath), "%s.data", path);
                if (data == NULL) {
                        srv_err_set(e, 400, "missing_field", dpath,
                                    "a command_result event needs 'data'");
                        return -1;
                }
                if (srv_json_int(data, "command", dpath, 1, 1, INT64_MAX / 2, &cmd, e) < 0 ||
                    srv_json_enum(data, "state", dpath, 1, states, &st, e) < 0 ||
                    srv_json_string(data, "relay", dpath, 0, 16, &ev->relay, e) < 0)
                        return -1;
                ev->is_command_result = 1;
                ev->command = cmd;
                ev->state = states[st];
        }
        ev->body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return 0;
}

/* ---- the walk ---- */

enum member { M_NONE, M_READINGS, M_EVENTS, M_CLOCK, M_UPLINK };

struct parse {
        struct srv_batch *b;
        const char *body;
        size_t max_readings, max_events, cap_readings, cap_events;
        size_t used; /* of b->strings: never more than the body's length */
        enum member in;
        size_t ev_start, uplink_start;
        int gateway_seen;
};

static int bad(struct srv_jw *w, int status, const char *code, const char *fmt, const char *key)
{
        char path[128];

        srv_err_set(srv_jw_err(w), status, code, srv_jw_path(w, path, sizeof(path)), fmt, key);
        return -1;
}

static int type_error(struct srv_jw *w, const char *key, const char *what)
{
        char path[128], msg[96];

        snprintf(msg, sizeof(msg), "'%s' must be %s", key, what);
        srv_err_set(srv_jw_err(w), 400, "bad_field", srv_jw_path(w, path, sizeof(path)), "%s", msg);
        return -1;
}

/* An integer in [min, max] into *out, as srv_json_int words it. */
static int get_int(struct srv_jw *w, const struct srv_jw_value *v, const char *key, int64_t min,
                   int64_t max, int64_t *out)
{
        char path[128];

        if (v->kind != SRV_JW_INT)
                return type_error(w, key, "an integer");
        if (v->i < min || v->i > max) {
                srv_err_set(srv_jw_err(w), 400, min == 0 && v->i < 0 ? "negative" : "out_of_range",
                            srv_jw_path(w, path, sizeof(path)),
                            "'%s' must be between %lld and %lld", key, (long long)min,
                            (long long)max);
                return -1;
        }
        *out = v->i;
        return 1;
}

/* A string of 1..maxlen bytes without control characters, kept in the
 * batch's string block (as srv_json_string words it). */
static int get_str(struct parse *p, struct srv_jw *w, const struct srv_jw_value *v, const char *key,
                   size_t maxlen, const char **out)
{
        char *s;

        if (v->kind != SRV_JW_STRING)
                return type_error(w, key, "a string");
        if (v->len == 0 || v->len > maxlen || memchr(v->s, '\0', v->len))
                return type_error(w, key, "a non-empty string of limited length");
        for (size_t i = 0; i < v->len; i++)
                if ((unsigned char)v->s[i] < 0x20 || v->s[i] == 0x7f)
                        return type_error(w, key, "a string without control characters");
        /* an unescaped string and its NUL fit in its quoted form */
        s = p->b->strings + p->used;
        memcpy(s, v->s, v->len);
        s[v->len] = '\0';
        p->used += v->len + 1;
        *out = s;
        return 1;
}

static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
        void *q;
        size_t c = *cap ? *cap * 2 : 64;

        if (n < *cap)
                return 0;
        q = realloc(*arr, c * size);
        if (q == NULL)
                return -1;
        memset((char *)q + *cap * size, 0, (c - *cap) * size);
        *arr = q;
        *cap = c;
        return 0;
}

/* The arrays of a reading: rate_wh (exactly MB_RATES), voltage_mv and
 * current_ma (one value per phase, 1..MB_PHASES). */
static int array_elem(struct srv_jw *w, struct srv_reading *r, const char *key,
                      const struct srv_jw_value *v)
{
        size_t i = srv_jw_index(w, 3);
        char path[128];
        int64_t x;

        if (strcmp(key, "rate_wh") == 0) {
                if (i >= MB_RATES || v->kind != SRV_JW_INT || v->i < 0 || v->i > MAX_WH) {
                        srv_err_set(srv_jw_err(w), 400, "bad_field",
                                    srv_jw_path(w, path, sizeof(path)),
                                    i >= MB_RATES ? "'rate_wh' must hold %d integers (sharp, "
                                                    "peak, flat, valley)"
                                                  : "rate registers are integers in Wh between "
                                                    "0 and 2^%d",
                                    i >= MB_RATES ? MB_RATES : 53);
                        return -1;
                }
                r->rate_wh[i] = v->i;
                return 0;
        }
        if (i >= MB_PHASES) {
                srv_err_set(srv_jw_err(w), 400, "bad_field", srv_jw_path(w, path, sizeof(path)),
                            "'%s' holds one value per phase, at most %d", key, MB_PHASES);
                return -1;
        }
        if (get_int(w, v, key, -MAX_ABS, MAX_ABS, &x) < 0)
                return -1;
        if (key[0] == 'v')
                r->voltage_mv[i] = x, r->n_voltage = (int)i + 1;
        else
                r->current_ma[i] = x, r->n_current = (int)i + 1;
        return 0;
}

/* An int64 field of a reading that only needs to be an integer. */
struct int_field {
        const char *key;
        unsigned bit;
        size_t off;
        int64_t min, max;
};

#define F(k, b, m, lo, hi)                                                                         \
        {                                                                                          \
                k, b, offsetof(struct srv_reading, m), lo, hi                                      \
        }
static const struct int_field int_fields[] = {
    F("export_wh", SRV_R_EXPORT, export_wh, 0, MAX_WH),
    F("power_mw", SRV_R_POWER, power_mw, -MAX_ABS, MAX_ABS),
    F("pf_milli", SRV_R_PF, pf_milli, -1000, 1000),
    F("freq_mhz", SRV_R_FREQ, freq_mhz, 0, MAX_ABS),
    F("meter_time", SRV_R_METER_TIME, meter_time, 0, MAX_TS),
    F("remain_fen", SRV_R_REMAIN, remain_fen, -MAX_ABS, MAX_ABS),
    F("overdraft_fen", SRV_R_OVERDRAFT, overdraft_fen, -MAX_ABS, MAX_ABS),
    F("demand_mw", SRV_R_DEMAND, demand_mw, 0, MAX_ABS),
    F("demand_time", SRV_R_DEMAND_TIME, demand_time, 0, MAX_TS),
    F("frozen_demand_mw", SRV_R_FROZEN_DEMAND, frozen_demand_mw, 0, MAX_ABS),
    F("frozen_demand_time", SRV_R_FROZEN_DEMAND_TIME, frozen_demand_time, 0, MAX_TS),
};
#undef F

/* A reading's members; the rest of its integers are int_fields. */
enum key_id {
        K_METER,
        K_SEQ,
        K_TS,
        K_KIND,
        K_QUALITY,
        K_IMPORT,
        K_RATES,
        K_VOLTAGE,
        K_CURRENT,
        K_FROZEN,
        K_FROZEN_TIME,
        K_RELAY,
        K_ADDRESS,
        K_INT, /* + index in int_fields */
};

struct key {
        const char *name;
        size_t len;
        int id;
};

#define K(n, id)                                                                                   \
        {                                                                                          \
                n, sizeof(n) - 1, id                                                               \
        }
static const struct key keys[] = {
    K("meter", K_METER),
    K("seq", K_SEQ),
    K("ts", K_TS),
    K("kind", K_KIND),
    K("quality", K_QUALITY),
    K("import_wh", K_IMPORT),
    K("rate_wh", K_RATES),
    K("voltage_mv", K_VOLTAGE),
    K("current_ma", K_CURRENT),
    K("frozen_import_wh", K_FROZEN),
    K("frozen_time", K_FROZEN_TIME),
    K("relay", K_RELAY),
    K("address", K_ADDRESS),
    K("export_wh", K_INT + 0),
    K("power_mw", K_INT + 1),
    K("pf_milli", K_INT + 2),
    K("freq_mhz", K_INT + 3),
    K("meter_time", K_INT + 4),
    K("remain_fen", K_INT + 5),
    K("overdraft_fen", K_INT + 6),
    K("demand_mw", K_INT + 7),
    K("demand_time", K_INT + 8),
    K("frozen_demand_mw", K_INT + 9),
    K("frozen_demand_time", K_INT + 10),
};
#undef K

/* Which member k is (-1: unknown): by length and first byte, then the
 * bytes; a batch has some twenty of these per reading. */
static int key_id(const char *k)
{
        size_t n = strlen(k);

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                if (keys[i].len == n && keys[i].name[0] == k[0] && memcmp(keys[i].name, k, n) == 0)
                        return keys[i].id;
        return -1;
}

static int set_int(struct srv_jw *w, const struct srv_jw_value *v, const char *k, int64_t min,
                   int64_t max, int64_t *out)
{
        return get_int(w, v, k, min, max, out) < 0 ? -1 : 0;
}

/* A member of readings[i] (its value, or an array of values starting). */
static int reading_field(struct parse *p, struct srv_jw *w, struct srv_reading *r,
                         const struct srv_jw_value *v)
{
        const char *k = srv_jw_key(w, 2), *s;
        int id = key_id(k);

        if (v->kind == SRV_JW_NULL || v->kind == SRV_JW_ARRAY_END)
                return id < 0 ? bad(w, 400, "unknown_field", "unknown field '%s'", k) : 0;
        switch (id) {
        case K_RATES:
        case K_VOLTAGE:
        case K_CURRENT:
                if (v->kind != SRV_JW_ARRAY_START)
                        return type_error(w, k, "an array");
                r->has_rates |= id == K_RATES ? 2 : 0; /* 2: started; checked at the end */
                return 0;
        case K_METER:
                return get_str(p, w, v, k, MB_ADDR_LEN - 1, &r->meter) < 0 ? -1 : 0;
        case K_SEQ:
                return set_int(w, v, k, 1, INT64_MAX / 2, &r->seq);
        case K_TS:
                return set_int(w, v, k, 0, MAX_TS, &r->ts);
        case K_QUALITY:
                return set_int(w, v, k, 0, 0xffff, &r->quality);
        case K_IMPORT:
                r->has_import = 1;
                return set_int(w, v, k, 0, MAX_WH, &r->import_wh);
        case K_FROZEN:
                r->has_frozen |= 1;
                return set_int(w, v, k, 0, MAX_WH, &r->frozen_import_wh);
        case K_FROZEN_TIME: /* its lower bound waits for quality */
                r->has_frozen |= 2;
                return set_int(w, v, k, 0, MAX_TS, &r->frozen_time);
        case K_KIND:
                if (get_str(p, w, v, k, 64, &s) < 0)
                        return -1;
                for (int i = 0; kinds[i]; i++)
                        if (strcmp(kinds[i], s) == 0)
                                return r->kind = i, 0;
                return type_error(w, k, "one of routine boundary");
        case K_RELAY:
                return get_str(p, w, v, k, 16, &r->relay) < 0 ? -1 : 0;
        case K_ADDRESS:
                return get_str(p, w, v, k, MB_ADDR_LEN - 1, &r->address) < 0 ? -1 : 0;
        case -1:
                return bad(w, 400, "unknown_field", "unknown field '%s'", k);
        default: {
                const struct int_field *f = &int_fields[id - K_INT];

                r->has |= f->bit;
                return set_int(w, v, k, f->min, f->max, (int64_t *)((char *)r + f->off));
        }
        }
}

static int missing(struct srv_jw *w, const char *key, const char *msg)
{
        char path[128], f[160];

        srv_jw_path(w, path, sizeof(path));
        srv_err_set(srv_jw_err(w), 400, "missing_field", srv_json_field(f, sizeof(f), path, key),
                    "%s", msg);
        return -1;
}

static int out_of_range(struct srv_jw *w, const char *key, const char *msg)
{
        char path[128], f[160];

        srv_jw_path(w, path, sizeof(path));
        srv_err_set(srv_jw_err(w), 400, "out_of_range", srv_json_field(f, sizeof(f), path, key),
                    "%s", msg);
        return -1;
}

/*
 * A reading is complete: what no single field can say alone.  The place for
 * checks of a whole reading's values.
 */
static int check_reading(struct srv_jw *w, struct srv_reading *r)
{
        char msg[160];

        if (r->meter == NULL)
                return missing(w, "meter", "'meter' is required");
        if (r->seq == 0)
                return missing(w, "seq", "'seq' is required");
        if (r->ts < MIN_TS && !(r->quality & Q_GATEWAY_CLOCK)) {
                snprintf(msg, sizeof(msg),
                         "'ts' must be between %d and %lld unless quality has bit %d"
                         " (gateway clock suspect)",
                         MIN_TS, (long long)MAX_TS, Q_GATEWAY_CLOCK);
                return out_of_range(w, "ts", msg);
        }
        if (r->has_rates == 2) {
                char path[128], f[160];

                srv_jw_path(w, path, sizeof(path));
                srv_err_set(
                    srv_jw_err(w), 400, "bad_field", srv_json_field(f, sizeof(f), path, "rate_wh"),
                    "'rate_wh' must hold %d integers (sharp, peak, flat, valley)", MB_RATES);
                return -1;
        }
        if (r->has_frozen == 1)
                return missing(w, "frozen_time", "'frozen_time' is required");
        if (r->has_frozen && r->frozen_time < (r->quality & Q_GATEWAY_CLOCK ? 0 : MIN_TS)) {
                snprintf(msg, sizeof(msg), "'frozen_time' must be between %d and %lld", MIN_TS,
                         (long long)MAX_TS);
                return out_of_range(w, "frozen_time", msg);
        }
        r->has_frozen = (r->has_frozen & 1) != 0;
        /* a time says when a maximum occurred or froze: never alone; a
         * frozen maximum needs it (which month it is) */
        if ((r->has & SRV_R_DEMAND_TIME) && !(r->has & SRV_R_DEMAND))
                return missing(w, "demand_mw", "'demand_time' needs 'demand_mw'");
        if ((r->has & SRV_R_FROZEN_DEMAND_TIME) && !(r->has & SRV_R_FROZEN_DEMAND))
                return missing(w, "frozen_demand_mw",
                               "'frozen_demand_time' needs 'frozen_demand_mw'");
        if ((r->has & SRV_R_FROZEN_DEMAND) && !(r->has & SRV_R_FROZEN_DEMAND_TIME))
                return missing(w, "frozen_demand_time", "'frozen_demand_time' is required");
        if (!r->has_import && r->kind == SRV_KIND_BOUNDARY && !r->has_frozen)
                return missing(w, "import_wh",
                               "a boundary reading needs 'import_wh' or 'frozen_import_wh'");
        return srv_reading_check(r, srv_jw_err(w)); /* no bill can hold: 422 */
}

static int on_reading(struct parse *p, struct srv_jw *w, const struct srv_jw_value *v)
{
        struct srv_batch *b = p->b;
        int d = srv_jw_depth(w);
        struct srv_reading *r;

        if (d == 2) {
                if (v->kind == SRV_JW_MAP_START) {
                        if (b->n_readings == p->max_readings) {
                                srv_err_set(srv_jw_err(w), 413, "too_large", "readings",
                                            "at most %zu readings and %zu events per batch",
                                            p->max_readings, p->max_events);
                                return -1;
                        }
                        if (grow((void **)&b->readings, &p->cap_readings, b->n_readings,
                                 sizeof(*b->readings)) < 0)
                                return bad(w, 500, "internal", "out of memory%s", "");
                        b->readings[b->n_readings].index = srv_jw_index(w, 1);
                        b->readings[b->n_readings].ts = -1;
                        return 0;
                }
                if (v->kind != SRV_JW_MAP_END)
                        return bad(w, 400, "bad_field", "each reading must be an object%s", "");
                r = &b->readings[b->n_readings++];
                if (r->ts < 0) {
                        r->ts = 0;
                        return missing(w, "ts", "'ts' is required");
                }
                return check_reading(w, r);
        }
        r = &b->readings[b->n_readings];
        if (d == 3)
                return reading_field(p, w, r, v);
        if (d == 4) {
                const char *k = srv_jw_key(w, 2);

                if (key_id(k) == K_RATES)
                        r->has_rates = srv_jw_index(w, 3) + 1 == MB_RATES ? 1 : 2;
                return array_elem(w, r, k, v);
        }
        return type_error(w, srv_jw_key(w, 2), "an array of integers");
}

static int on_event(struct parse *p, struct srv_jw *w, const struct srv_jw_value *v)
{
        struct srv_batch *b = p->b;
        json_tokener *tok;
        json_object *o;

        if (srv_jw_depth(w) > 2)
                return 0; /* inside an event: read below from its bytes */
        if (v->kind == SRV_JW_MAP_START) {
                p->ev_start = v->offset;
                return 0;
        }
        if (v->kind != SRV_JW_MAP_END)
                return bad(w, 400, "bad_field", "each event must be an object%s", "");
        if (b->n_events == p->max_events) {
                srv_err_set(srv_jw_err(w), 413, "too_large", "events",
                            "at most %zu readings and %zu events per batch", p->max_readings,
                            p->max_events);
                return -1;
        }
        if (grow((void **)&b->events, &p->cap_events, b->n_events, sizeof(*b->events)) < 0)
                return bad(w, 500, "internal", "out of memory%s", "");
        tok = json_tokener_new_ex(SRV_JW_MAX_DEPTH);
        if (tok == NULL)
                return bad(w, 500, "internal", "out of memory%s", "");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, p->body + p->ev_start, (int)(v->offset - p->ev_start));
        json_tokener_free(tok);
        if (o == NULL)
                return bad(w, 400, "bad_json", "this event cannot be read as JSON%s", "");
        json_object_array_add(b->root, o);
        if (parse_event(o, b->n_events, &b->events[b->n_events], srv_jw_err(w)) < 0)
                return -1;
        b->n_events++;
        return 0;
}

/* The gateway's uplink (srv_uplink.h): an object read with json-c from its
 * bytes when it ends, as an event is. */
static int on_uplink(struct parse *p, struct srv_jw *w, const struct srv_jw_value *v)
{
        json_tokener *tok;
        json_object *o;

        p->in = M_UPLINK;
        if (v->kind == SRV_JW_NULL)
                return 0;
        if (v->kind == SRV_JW_MAP_START) {
                p->uplink_start = v->offset;
                return 0;
        }
        if (v->kind != SRV_JW_MAP_END)
                return bad(w, 400, "bad_field", "'%s' must be an object", "uplink");
        tok = json_tokener_new_ex(SRV_JW_MAX_DEPTH);
        if (tok == NULL)
                return bad(w, 500, "internal", "out of memory%s", "");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        o = json_tokener_parse_ex(tok, p->body + p->uplink_start,
                                  (int)(v->offset - p->uplink_start));
        json_tokener_free(tok);
        if (o == NULL)
                return bad(w, 400, "bad_json", "'%s' cannot be read as JSON", "uplink");
        json_object_array_add(p->b->root, o);
        return srv_uplink_parse(o, &p->b->uplink, srv_jw_err(w));
}

/* The top object's own members. */
static int on_member(struct parse *p, struct srv_jw *w, const struct srv_jw_value *v)
{
        const char *k = srv_jw_key(w, 0);
        int end = v->kind == SRV_JW_MAP_END || v->kind == SRV_JW_ARRAY_END;

        if (strcmp(k, "gateway") == 0) {
                p->gateway_seen = v->kind != SRV_JW_NULL;
                if (v->kind != SRV_JW_NULL && get_str(p, w, v, k, 64, &p->b->gateway) < 0)
                        return -1;
                return 0;
        }
        if (strcmp(k, "sent_at") == 0) {
                if (v->kind != SRV_JW_NULL && get_int(w, v, k, 0, MAX_TS, &p->b->sent_at) < 0)
                        return -1;
                return 0;
        }
        if (strcmp(k, "resume") == 0) {
                /* agent.db is new: the answer says where to resume (srv_ingest.c) */
                if (v->kind != SRV_JW_NULL && v->kind != SRV_JW_BOOL)
                        return type_error(w, k, "true or false");
                p->b->resume = v->kind == SRV_JW_BOOL && v->i;
                return 0;
        }
        if (strcmp(k, "uplink") == 0)
                return on_uplink(p, w, v);
        if (strcmp(k, "clock") == 0) {
                if (v->kind != SRV_JW_NULL && v->kind != SRV_JW_MAP_START && !end)
                        return bad(w, 400, "bad_field", "'%s' must be an object", k);
                p->in = M_CLOCK;
                return 0;
        }
        if (strcmp(k, "readings") == 0 || strcmp(k, "events") == 0) {
                if (v->kind != SRV_JW_NULL && v->kind != SRV_JW_ARRAY_START && !end)
                        return type_error(w, k, "an array");
                p->in = k[0] == 'r' ? M_READINGS : M_EVENTS;
                return 0;
        }
        return bad(w, 400, "unknown_field", "unknown field '%s'", k);
}

static int on_value(void *user, struct srv_jw *w, const struct srv_jw_value *v)
{
        struct parse *p = user;
        int d = srv_jw_depth(w);

        if (d == 0) {
                if (v->kind != SRV_JW_MAP_START && v->kind != SRV_JW_MAP_END)
                        return bad(w, 400, "bad_json", "the body must be a JSON object%s", "");
                if (v->kind == SRV_JW_MAP_END && !p->gateway_seen)
                        return missing(w, "gateway", "'gateway' is required");
                return 0;
        }
        if (d == 1)
                return on_member(p, w, v);
        if (p->in == M_READINGS)
                return on_reading(p, w, v);
        if (p->in == M_EVENTS)
                return on_event(p, w, v);
        return 0; /* clock: anything; uplink: read when it ends */
}

int srv_reading_same(const struct srv_reading *a, const struct srv_reading *b)
{
        if (a->seq != b->seq || a->ts != b->ts || a->kind != b->kind || a->quality != b->quality ||
            a->has_import != b->has_import || (a->has_import && a->import_wh != b->import_wh) ||
            a->has_rates != b->has_rates ||
            (a->has_rates && memcmp(a->rate_wh, b->rate_wh, sizeof(a->rate_wh)) != 0) ||
            a->has_frozen != b->has_frozen ||
            (a->has_frozen &&
             (a->frozen_import_wh != b->frozen_import_wh || a->frozen_time != b->frozen_time)) ||
            a->has != b->has || a->n_voltage != b->n_voltage || a->n_current != b->n_current)
                return 0;
        for (size_t i = 0; i < sizeof(int_fields) / sizeof(int_fields[0]); i++)
                if ((a->has & int_fields[i].bit) &&
                    *(const int64_t *)((const char *)a + int_fields[i].off) !=
                        *(const int64_t *)((const char *)b + int_fields[i].off))
                        return 0;
        for (int i = 0; i < a->n_voltage; i++)
                if (a->voltage_mv[i] != b->voltage_mv[i])
                        return 0;
        for (int i = 0; i < a->n_current; i++)
                if (a->current_ma[i] != b->current_ma[i])
                        return 0;
        if (!a->relay != !b->relay || (a->relay && strcmp(a->relay, b->relay) != 0) ||
            !a->address != !b->address || (a->address && strcmp(a->address, b->address) != 0))
                return 0;
        return 1;
}

/* Event ids increase per gateway, and a meter's seqs are unique in a batch. */
static int cmp_reading(const void *a, const void *b)
{
        const struct srv_reading *x = a, *y = b;
        int c = strcmp(x->meter, y->meter);

        if (c)
                return c;
        if (x->seq != y->seq)
                return x->seq < y->seq ? -1 : 1;
        return x->index < y->index ? -1 : (x->index > y->index);
}

void srv_batch_sort(struct srv_batch *b)
{
        size_t i = 1;

        /* ingest sorts again what parsing sorted, under the server's lock:
         * a pass that finds it in order costs a tenth of qsort's merges */
        while (i < b->n_readings && cmp_reading(&b->readings[i - 1], &b->readings[i]) <= 0)
                i++;
        if (i < b->n_readings)
                qsort(b->readings, b->n_readings, sizeof(*b->readings), cmp_reading);
}

static int check_duplicates(struct srv_batch *b, struct srv_err *e)
{
        char f[48];

        srv_batch_sort(b);
        for (size_t i = 1; i < b->n_readings; i++) {
                struct srv_reading *p = &b->readings[i - 1], *r = &b->readings[i];

                if (p->seq == r->seq && strcmp(p->meter, r->meter) == 0 &&
                    !srv_reading_same(p, r)) {
                        snprintf(f, sizeof(f), "readings[%zu].seq", r->index);
                        srv_err_set(e, 409, "conflict", f,
                                    "meter %s seq %lld appears twice with different values "
                                    "(also readings[%zu])",
                                    r->meter, (long long)r->seq, p->index);
                        return -1;
                }
        }
        return 0;
}

int srv_batch_parse(const char *body, size_t len, size_t max_readings, size_t max_events,
                    struct srv_batch *b, struct srv_err *e)
{
        struct parse p = {
            .b = b, .body = body, .max_readings = max_readings, .max_events = max_events};

        memset(b, 0, sizeof(*b));
        b->strings = malloc(len + 1);
        b->root = json_object_new_array();
        if (b->strings == NULL || b->root == NULL) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                goto fail;
        }
        if (srv_jwalk(body, len, on_value, &p, e) < 0 || check_duplicates(b, e) < 0)
                goto fail;
        return 0;
fail:
        srv_batch_free(b);
        return -1;
}

void srv_batch_free(struct srv_batch *b)
{
        json_object_put(b->root);
        free(b->strings);
        free(b->readings);
        free(b->events);
        memset(b, 0, sizeof(*b));
}
