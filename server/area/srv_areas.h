/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Transformer areas (台区, docs/operations.md): an area groups the meters fed
 * by one distribution transformer.  Its main meter (总表) measures what the
 * transformer supplies and is billed to no account; its members are the
 * households' meters.  Where a meter stands is effective-dated like a tariff
 * assignment: from a local date on, a meter is an area's main meter, one of
 * its members, or in no area (table area_meters; the latest row at or
 * before a day is in force), so a member moves between areas on a date and
 * a replaced main meter hands over on a date.
 *
 * Handlers (docs/api.md, Transformer areas).  Roles are in srv_routes.c.
 */
#ifndef SRV_AREAS_H
#define SRV_AREAS_H

#include "srv.h"

/* POST /api/v1/areas {code, name?, region?, loss_min_bp?, loss_max_bp?}:
 * 201 with the area; 409 exists. */
void srv_h_area_create(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/areas[?date=D]: every area with its main meter and number
 * of members on D (default today). */
void srv_h_area_list(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/areas/CODE[?date=D]: the area, its meters on D and the
 * history of where its meters stood. */
void srv_h_area_show(struct srv_req *rq, struct srv_resp *rs);
/* PATCH /api/v1/areas/CODE {name?, region?, loss_min_bp?, loss_max_bp?}. */
void srv_h_area_update(struct srv_req *rq, struct srv_resp *rs);
/* PUT /api/v1/meters/ADDRESS/area {area, role?, effective}: where the meter
 * stands from the local date effective on (area null: in no area). */
void srv_h_meter_area_set(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/meters/ADDRESS/area[?date=D]: where it stands on D, and every
 * dated placement. */
void srv_h_meter_area_show(struct srv_req *rq, struct srv_resp *rs);

/* The id of area code: 1 and *id, 0 when there is none, or an error. */
int srv_area_id(srv_db *db, const char *code, int64_t *id);

/*
 * The ?date=YYYY-MM-DD of the request (default: now) as the UTC start of
 * that local day (*t, now itself without date) and the date text (date[11],
 * today's without the parameter).  0, or -1 after a 400 naming `date`.
 */
int srv_area_date_param(struct srv_req *rq, struct srv_resp *rs, const char *name, int64_t *t,
                        char date[11]);

/* Is the meter an area's main meter now, or from a later date?  1, 0, or an
 * error.  (Binding it to an account is refused: a main meter is billed to
 * no one.) */
int srv_area_is_main(srv_db *db, int64_t meter_id, int64_t now);

/* "YYYY-MM-DD" of a day key YYYYMMDD (mb_walk_day_of) into out[11]. */
void srv_area_day_text(int day, char out[11]);

/* SQL: the row am of area_meters is the one in force at time $T (a column
 * or placeholder), i.e. no later row of its meter starts at or before it. */
#define SRV_AREA_IN_FORCE(am, T)                                                                   \
        "NOT EXISTS (SELECT 1 FROM area_meters x WHERE x.meter_id = " am ".meter_id"               \
        " AND x.effective_from > " am ".effective_from AND x.effective_from <= " T ")"

#endif
