/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The readings batch of POST /api/v1/readings (docs/wire.md), parsed and
 * validated as a whole before anything is stored.  Pure: no database.
 *
 * One strict pass over the body (srv_jwalk: yajl's events) fills the
 * readings' typed fields directly, with no JSON tree per reading; each
 * event, a few per batch, is then read from its own bytes with json-c.
 * Errors name the field and index ("readings[3].seq").  A batch either
 * parses completely or not at all.
 */
#ifndef SRV_BATCH_H
#define SRV_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <meterbox/reading.h>

#include "srv_json.h"
#include "srv_uplink.h"

enum srv_reading_kind { SRV_KIND_ROUTINE = 0, SRV_KIND_BOUNDARY = 1 };

/* Which of a reading's optional fields it carries (srv_reading.has). */
enum srv_reading_field {
        SRV_R_EXPORT = 1u << 0,
        SRV_R_POWER = 1u << 1,
        SRV_R_PF = 1u << 2,
        SRV_R_FREQ = 1u << 3,
        SRV_R_METER_TIME = 1u << 4,
        SRV_R_REMAIN = 1u << 5,
        SRV_R_OVERDRAFT = 1u << 6,
        SRV_R_DEMAND = 1u << 7,              /* this month's maximum demand so far */
        SRV_R_DEMAND_TIME = 1u << 8,         /* when it occurred */
        SRV_R_FROZEN_DEMAND = 1u << 9,       /* last month's, frozen */
        SRV_R_FROZEN_DEMAND_TIME = 1u << 10, /* when that froze */
};

/* One reading as stored: a typed column per field (server/db/srv_schema.c). */
struct srv_reading {
        size_t index;      /* position in the batch, for messages */
        const char *meter; /* address; owned by the batch */
        int64_t seq, ts;
        int kind; /* enum srv_reading_kind */
        int64_t quality;
        int has_import, has_rates, has_frozen;
        int64_t import_wh;
        int64_t rate_wh[MB_RATES];
        int64_t frozen_import_wh, frozen_time;
        unsigned has; /* SRV_R_* for the fields below */
        int64_t export_wh, power_mw, pf_milli, freq_mhz, meter_time, remain_fen, overdraft_fen;
        int64_t demand_mw, demand_time, frozen_demand_mw, frozen_demand_time;
        int n_voltage, n_current; /* phases given, 0..MB_PHASES */
        int64_t voltage_mv[MB_PHASES], current_ma[MB_PHASES];
        const char *relay, *address; /* NULL when absent; owned by the batch */
        int64_t meter_id;            /* filled by ingest */
};

/* Do a and b carry the same values (the same reading sent twice)? */
int srv_reading_same(const struct srv_reading *a, const struct srv_reading *b);

struct srv_event {
        size_t index;
        int64_t id, ts;
        const char *meter; /* may be NULL */
        const char *type;
        const char *reason; /* may be NULL */
        const char *body;   /* JSON text */
        /* command_result only */
        int is_command_result;
        int64_t command;
        const char *state; /* "done" | "failed" */
        const char *relay; /* may be NULL */
};

struct srv_batch {
        json_object *root; /* the events' objects: owns their strings */
        char *strings;     /* owns the readings' strings and gateway */
        const char *gateway;
        int64_t sent_at;
        int resume;               /* the agent's store is new: answer where it should resume */
        struct srv_uplink uplink; /* .present when the batch reports one */
        struct srv_reading *readings;
        size_t n_readings;
        struct srv_event *events;
        size_t n_events;
};

/*
 * Parse body into *b (zeroed first).  max_readings / max_events bound the
 * arrays (413 beyond).  Returns 0, or -1 with *e set and *b empty.  Free with
 * srv_batch_free in both cases.
 */
int srv_batch_parse(const char *body, size_t len, size_t max_readings, size_t max_events,
                    struct srv_batch *b, struct srv_err *e);
void srv_batch_free(struct srv_batch *b);

/* Order readings by (meter address, seq) for the insert (DESIGN.md, Measured
 * facts); index keeps each one's place in the request. */
void srv_batch_sort(struct srv_batch *b);

#endif
