/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WH ((int64_t)1 << 53) /* beyond any real register, in Wh */
#define MIN_TS 946684800          /* 2000-01-01: an agent clock before it is broken */
/* ... unless the agent says so: a reading flagged MB_Q_GATEWAY_CLOCK (16)
 * and any event may be as old as 1970 (a gateway without a battery-backed
 * clock boots there), so the server sees the doubt instead of the agent
 * setting the record aside (tests/integration/fault_clock.sh). */
#define Q_GATEWAY_CLOCK 16
#define MAX_TS 4102444800 /* 2100-01-01 */

static const char *const reading_keys[] = {
    "meter",      "seq",           "ts",       "kind",       "quality",          "import_wh",
    "export_wh",  "rate_wh",       "power_mw", "voltage_mv", "current_ma",       "pf_milli",
    "freq_mhz",   "relay",         "address",  "meter_time", "frozen_import_wh", "frozen_time",
    "remain_fen", "overdraft_fen", NULL};
static const char *const event_keys[] = {"id",     "meter",       "ts",   "type",
                                         "reason", "balance_fen", "data", NULL};
static const char *const top_keys[] = {"gateway", "sent_at", "clock", "readings", "events", NULL};
static const char *const kinds[] = {"routine", "boundary", NULL};

static int parse_rates(json_object *o, const char *path, struct srv_reading *r, struct srv_err *e)
{
        json_object *a;
        char f[160];
        int rc = srv_json_array(o, "rate_wh", path, 0, &a, e);

        if (rc <= 0)
                return rc;
        if (json_object_array_length(a) != MB_RATES) {
                srv_err_set(e, 400, "bad_field", srv_json_field(f, sizeof(f), path, "rate_wh"),
                            "'rate_wh' must hold %d integers (sharp, peak, flat, valley)",
                            MB_RATES);
                return -1;
        }
        for (int i = 0; i < MB_RATES; i++) {
                json_object *v = json_object_array_get_idx(a, (size_t)i);

                if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 ||
                    json_object_get_int64(v) > MAX_WH) {
                        snprintf(f, sizeof(f), "%s.rate_wh[%d]", path, i);
                        srv_err_set(e, 400, "bad_field", f,
                                    "rate registers are integers in "
                                    "Wh between 0 and 2^53");
                        return -1;
                }
                r->rate_wh[i] = json_object_get_int64(v);
        }
        r->has_rates = 1;
        return 1;
}

static int parse_reading(json_object *o, size_t i, struct srv_reading *r, struct srv_err *e)
{
        char path[48];
        int rc;

        snprintf(path, sizeof(path), "readings[%zu]", i);
        r->index = i;
        if (!json_object_is_type(o, json_type_object)) {
                srv_err_set(e, 400, "bad_field", path, "each reading must be an object");
                return -1;
        }
        if (srv_json_known_keys(o, reading_keys, path, e) < 0 ||
            srv_json_string(o, "meter", path, 1, MB_ADDR_LEN - 1, &r->meter, e) < 0 ||
            srv_json_int(o, "seq", path, 1, 1, INT64_MAX / 2, &r->seq, e) < 0 ||
            srv_json_int(o, "ts", path, 1, 0, MAX_TS, &r->ts, e) < 0 ||
            srv_json_enum(o, "kind", path, 0, kinds, &r->kind, e) < 0 ||
            srv_json_int(o, "quality", path, 0, 0, 0xffff, &r->quality, e) < 0)
                return -1;
        if (r->ts < MIN_TS && !(r->quality & Q_GATEWAY_CLOCK)) {
                char f[160];

                srv_err_set(e, 400, "out_of_range", srv_json_field(f, sizeof(f), path, "ts"),
                            "'ts' must be between %d and %lld unless quality has bit %d"
                            " (gateway clock suspect)",
                            MIN_TS, (long long)MAX_TS, Q_GATEWAY_CLOCK);
                return -1;
        }
        rc = srv_json_int(o, "import_wh", path, 0, 0, MAX_WH, &r->import_wh, e);
        if (rc < 0)
                return -1;
        r->has_import = rc;
        if (parse_rates(o, path, r, e) < 0)
                return -1;
        rc = srv_json_int(o, "frozen_import_wh", path, 0, 0, MAX_WH, &r->frozen_import_wh, e);
        if (rc < 0)
                return -1;
        if (rc == 1) {
                if (srv_json_int(o, "frozen_time", path, 1,
                                 r->quality & Q_GATEWAY_CLOCK ? 0 : MIN_TS, MAX_TS, &r->frozen_time,
                                 e) < 0)
                        return -1;
                r->has_frozen = 1;
        }
        if (!r->has_import && r->kind == SRV_KIND_BOUNDARY && !r->has_frozen) {
                char f[160];

                srv_err_set(e, 400, "missing_field",
                            srv_json_field(f, sizeof(f), path, "import_wh"),
                            "a boundary reading needs 'import_wh' or 'frozen_import_wh'");
                return -1;
        }
        r->body = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        return 0;
}

static int parse_event(json_object *o, size_t i, struct srv_event *ev, struct srv_err *e)
{
        static const char *const states[] = {"done", "failed", NULL};
        json_object *data = NULL;
        char path[48], dpath[64];
        int64_t balance, cmd;
        int st;

        snprintf(path, sizeof(path), "events[%zu]", i);
        ev->index = i;
        if (!json_object_is_type(o, json_type_object)) {
                srv_err_set(e, 400, "bad_field", path, "each event must be an object");
                return -1;
        }
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
        if (b->n_readings > 1)
                qsort(b->readings, b->n_readings, sizeof(*b->readings), cmp_reading);
}

static int check_duplicates(struct srv_batch *b, struct srv_err *e)
{
        char f[48];

        srv_batch_sort(b);
        for (size_t i = 1; i < b->n_readings; i++) {
                struct srv_reading *p = &b->readings[i - 1], *r = &b->readings[i];

                if (p->seq == r->seq && strcmp(p->meter, r->meter) == 0 &&
                    strcmp(p->body, r->body) != 0) {
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

static int parse_arrays(struct srv_batch *b, size_t max_readings, size_t max_events,
                        struct srv_err *e)
{
        json_object *ra = NULL, *ea = NULL;

        if (srv_json_array(b->root, "readings", "", 0, &ra, e) < 0 ||
            srv_json_array(b->root, "events", "", 0, &ea, e) < 0)
                return -1;
        b->n_readings = ra ? json_object_array_length(ra) : 0;
        b->n_events = ea ? json_object_array_length(ea) : 0;
        if (b->n_readings > max_readings || b->n_events > max_events) {
                srv_err_set(
                    e, 413, "too_large", b->n_readings > max_readings ? "readings" : "events",
                    "at most %zu readings and %zu events per batch", max_readings, max_events);
                return -1;
        }
        b->readings = calloc(b->n_readings ? b->n_readings : 1, sizeof(*b->readings));
        b->events = calloc(b->n_events ? b->n_events : 1, sizeof(*b->events));
        if (!b->readings || !b->events) {
                srv_err_set(e, 500, "internal", "", "out of memory");
                return -1;
        }
        for (size_t i = 0; i < b->n_readings; i++)
                if (parse_reading(json_object_array_get_idx(ra, i), i, &b->readings[i], e) < 0)
                        return -1;
        for (size_t i = 0; i < b->n_events; i++)
                if (parse_event(json_object_array_get_idx(ea, i), i, &b->events[i], e) < 0)
                        return -1;
        return check_duplicates(b, e);
}

int srv_batch_parse(const char *body, size_t len, size_t max_readings, size_t max_events,
                    struct srv_batch *b, struct srv_err *e)
{
        json_object *clock = NULL;

        memset(b, 0, sizeof(*b));
        if (srv_json_parse_object(body, len, &b->root, e) < 0)
                return -1;
        if (srv_json_known_keys(b->root, top_keys, "", e) < 0 ||
            srv_json_string(b->root, "gateway", "", 1, 64, &b->gateway, e) < 0 ||
            srv_json_int(b->root, "sent_at", "", 0, 0, MAX_TS, &b->sent_at, e) < 0)
                goto fail;
        if (json_object_object_get_ex(b->root, "clock", &clock) && clock &&
            !json_object_is_type(clock, json_type_object)) {
                srv_err_set(e, 400, "bad_field", "clock", "'clock' must be an object");
                goto fail;
        }
        if (parse_arrays(b, max_readings, max_events, e) < 0)
                goto fail;
        return 0;
fail:
        srv_batch_free(b);
        return -1;
}

void srv_batch_free(struct srv_batch *b)
{
        json_object_put(b->root);
        free(b->readings);
        free(b->events);
        memset(b, 0, sizeof(*b));
}
