/* SPDX-License-Identifier: Apache-2.0 */
/* Transformer areas: create, update, show, list (srv_areas.h). */
#include "srv_areas.h"

#include <stdio.h>
#include <string.h>

#include "mb_tariff.h"
#include "mb_time.h"
#include "mb_walk.h"

/* The qualified band of line loss when an area does not say: 0 to 15 %,
 * in hundredths of a percent (docs/operations.md). */
#define BAND_MIN_BP 0
#define BAND_MAX_BP 1500
#define BP_LIMIT 10000 /* a rate beyond +-100 % is no band */

struct area_fields {
        const char *code, *name, *region;
        int64_t min_bp, max_bp;
        int has_min, has_max;
};

int srv_area_id(srv_db *db, const char *code, int64_t *id)
{
        return srv_db_query_i64(db, id, "SELECT id FROM areas WHERE code = $1", "t", code);
}

void srv_area_day_text(int day, char out[11])
{
        char buf[40];

        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", day / 10000, day / 100 % 100, day % 100);
        memcpy(out, buf, 10);
        out[10] = '\0';
}

int srv_area_date_param(struct srv_req *rq, struct srv_resp *rs, const char *name, int64_t *t,
                        char date[11])
{
        const char *d = srv_req_query(rq, name);
        int64_t end;

        if (d == NULL) {
                srv_area_day_text(mb_walk_day_of(*t = mb_realtime_s()), date);
                return 0;
        }
        if (strlen(d) != 10 || mb_tariff_local_day(d, t, &end) != MB_OK) {
                srv_reply_errorf(rs, 400, "bad_field", name, "'%s' must be a local date YYYY-MM-DD",
                                 name);
                return -1;
        }
        memcpy(date, d, 11);
        return 0;
}

/* The members of a body: every one of area_keys, or (an update) all but
 * the code. */
static const char *const area_keys[] = {"code",        "name",        "region",
                                        "loss_min_bp", "loss_max_bp", NULL};

static int read_fields(json_object *b, int create, struct area_fields *f, struct srv_err *e)
{
        memset(f, 0, sizeof(*f));
        if ((create && srv_json_string(b, "code", "", 1, 64, &f->code, e) < 0) ||
            srv_json_string(b, "name", "", 0, 128, &f->name, e) < 0 ||
            srv_json_string(b, "region", "", 0, 32, &f->region, e) < 0 ||
            (f->has_min =
                 srv_json_int(b, "loss_min_bp", "", 0, -BP_LIMIT, BP_LIMIT, &f->min_bp, e)) < 0 ||
            (f->has_max =
                 srv_json_int(b, "loss_max_bp", "", 0, -BP_LIMIT, BP_LIMIT, &f->max_bp, e)) < 0)
                return -1;
        if (create && !srv_json_ident_ok(f->code)) {
                srv_err_set(e, 400, "bad_field", "code",
                            "'code' may hold letters, digits, '-', '_' and '.'");
                return -1;
        }
        return 0;
}

/* min below max, with the stored values where the body gives none. */
static int band_ok(const struct area_fields *f, int64_t min_bp, int64_t max_bp, struct srv_err *e)
{
        if (f->has_min)
                min_bp = f->min_bp;
        if (f->has_max)
                max_bp = f->max_bp;
        if (min_bp < max_bp)
                return 0;
        srv_err_set(e, 400, "bad_field", f->has_max ? "loss_max_bp" : "loss_min_bp",
                    "the qualified band must have loss_min_bp (%lld) below loss_max_bp (%lld)",
                    (long long)min_bp, (long long)max_bp);
        return -1;
}

#define AREA_COLUMNS                                                                               \
        "ar.id, ar.code, ar.name, ar.region, ar.loss_min_bp, ar.loss_max_bp, ar.created_at,"       \
        " ar.updated_at,"                                                                          \
        " (SELECT m.address FROM area_meters am JOIN meters m ON m.id = am.meter_id"               \
        "  WHERE am.area_id = ar.id AND am.role = 'main' AND am.effective_from <= $1"              \
        "  AND " SRV_AREA_IN_FORCE(                                                                \
            "am", "$1") " ORDER BY m.address LIMIT 1),"                                            \
                        " (SELECT count(*) FROM area_meters am WHERE am.area_id = ar.id AND "      \
                        "am.role = 'member'"                                                       \
                        "  AND am.effective_from <= $1 AND " SRV_AREA_IN_FORCE("am", "$1") ")"

static json_object *area_json(srv_stmt *st, const char *date)
{
        json_object *o = json_object_new_object();

        srv_jadd_str(o, "code", srv_stmt_text(st, 1));
        srv_jadd_str(o, "name", srv_stmt_text(st, 2));
        srv_jadd_str(o, "region", srv_stmt_text(st, 3));
        srv_jadd_i64(o, "loss_min_bp", srv_stmt_i64(st, 4));
        srv_jadd_i64(o, "loss_max_bp", srv_stmt_i64(st, 5));
        srv_jadd_i64(o, "created_at", srv_stmt_i64(st, 6));
        srv_jadd_i64(o, "updated_at", srv_stmt_i64(st, 7));
        srv_jadd_str(o, "date", date);
        srv_jadd_str(o, "main_meter", srv_stmt_text(st, 8));
        srv_jadd_i64(o, "members", srv_stmt_i64(st, 9));
        return o;
}

/* The area of id (or code, when id is 0) on day t as JSON: 1, 0 unknown, or
 * an error. */
static int load_area(srv_db *db, int64_t id, const char *code, int64_t t, const char *date,
                     json_object **out)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT " AREA_COLUMNS " FROM areas ar"
                              " WHERE ar.id = $2 OR ($2 = 0 AND ar.code = $3)",
                              "iit", t, id, code ? code : "");

        *out = NULL;
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                *out = area_json(st, date);
        srv_stmt_done(st);
        return rc;
}

static void reply_area(struct srv_req *rq, struct srv_resp *rs, int64_t id, int status)
{
        char date[11];
        int64_t t = 0;
        json_object *o;
        int rc;

        if (srv_area_date_param(rq, rs, "date", &t, date) < 0)
                return;
        rc = load_area(rq->db, id, NULL, t, date, &o);
        if (rc > 0)
                srv_reply_json(rs, status, o);
        else
                srv_reply_db_error(rs, rq, rc < 0 ? rc : MB_ESTORE);
}

void srv_h_area_create(struct srv_req *rq, struct srv_resp *rs)
{
        struct area_fields f;
        struct srv_err e;
        int64_t id = 0, now = mb_realtime_s();
        json_object *b;
        int rc;

        if (srv_req_body(rq, rs, area_keys, &b) < 0)
                return;
        if (read_fields(b, 1, &f, &e) < 0 || band_ok(&f, BAND_MIN_BP, BAND_MAX_BP, &e) < 0) {
                srv_reply_error(rs, &e);
                json_object_put(b);
                return;
        }
        rc = srv_db_query_i64(rq->db, &id,
                              "INSERT INTO areas (code, name, region, loss_min_bp, loss_max_bp,"
                              " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)"
                              " ON CONFLICT (code) DO NOTHING RETURNING id",
                              "tttiii", f.code, f.name ? f.name : "", f.region ? f.region : "",
                              f.has_min ? f.min_bp : BAND_MIN_BP,
                              f.has_max ? f.max_bp : BAND_MAX_BP, now);
        if (rc == 0)
                srv_reply_errorf(rs, 409, "exists", "code", "area '%s' exists", f.code);
        else if (rc < 0)
                srv_reply_db_error(rs, rq, rc);
        else
                reply_area(rq, rs, id, 201);
        json_object_put(b);
}

void srv_h_area_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        char date[11];
        int64_t t = 0;
        int rc;

        if (srv_area_date_param(rq, rs, "date", &t, date) < 0) {
                json_object_put(a);
                return;
        }
        rc = srv_db_query(rq->db, &st, "SELECT " AREA_COLUMNS " FROM areas ar ORDER BY ar.code",
                          "i", t);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                json_object_array_add(a, area_json(st, date));
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "areas", a);
}

/* The meters standing in area id at time t, main meter first. */
static int area_meters(srv_db *db, int64_t id, int64_t t, json_object *a)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(
            db, &st,
            "SELECT m.address, am.role, am.effective_date, ac.number, ac.holder, g.name"
            " FROM area_meters am JOIN meters m ON m.id = am.meter_id"
            " JOIN gateways g ON g.id = m.gateway_id"
            " LEFT JOIN accounts ac ON ac.id = m.account_id"
            " WHERE am.area_id = $1 AND am.effective_from <= $2 AND " SRV_AREA_IN_FORCE(
                "am", "$2") " ORDER BY CASE am.role WHEN 'main' THEN 0 ELSE 1 END, m.address",
            "ii", id, t);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *o = json_object_new_object();

                srv_jadd_str(o, "meter", srv_stmt_text(st, 0));
                srv_jadd_str(o, "role", srv_stmt_text(st, 1));
                srv_jadd_str(o, "since", srv_stmt_text(st, 2));
                srv_jadd_str(o, "account", srv_stmt_text(st, 3));
                srv_jadd_str(o, "holder", srv_stmt_text(st, 4));
                srv_jadd_str(o, "gateway", srv_stmt_text(st, 5));
                json_object_array_add(a, o);
        }
        srv_stmt_done(st);
        return rc;
}

/* Every dated placement of the meters that ever stood in area id, newest
 * first: where each came from and went. */
static int area_history(srv_db *db, int64_t id, json_object *a)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT m.address, am.effective_date, ar.code, am.role,"
                              " am.assigned_at, am.assigned_by FROM area_meters am"
                              " JOIN meters m ON m.id = am.meter_id"
                              " LEFT JOIN areas ar ON ar.id = am.area_id"
                              " WHERE am.meter_id IN (SELECT meter_id FROM area_meters"
                              " WHERE area_id = $1)"
                              " ORDER BY am.effective_from DESC, m.address LIMIT 500",
                              "i", id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *o = json_object_new_object();

                srv_jadd_str(o, "meter", srv_stmt_text(st, 0));
                srv_jadd_str(o, "effective", srv_stmt_text(st, 1));
                srv_jadd_str(o, "area", srv_stmt_text(st, 2));
                srv_jadd_str(o, "role", srv_stmt_is_null(st, 2) ? NULL : srv_stmt_text(st, 3));
                srv_jadd_i64(o, "assigned_at", srv_stmt_i64(st, 4));
                srv_jadd_str(o, "by", srv_stmt_text(st, 5));
                json_object_array_add(a, o);
        }
        srv_stmt_done(st);
        return rc;
}

void srv_h_area_show(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *o = NULL, *meters, *history;
        char date[11];
        int64_t t = 0, id = 0;
        int rc;

        if (srv_area_date_param(rq, rs, "date", &t, date) < 0)
                return;
        rc = load_area(rq->db, 0, rq->params.v[0], t, date, &o);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no area '%s'", rq->params.v[0]);
                return;
        }
        if (rc > 0)
                rc = srv_area_id(rq->db, rq->params.v[0], &id);
        meters = json_object_new_array();
        history = json_object_new_array();
        json_object_object_add(o, "meters", meters);
        json_object_object_add(o, "history", history);
        if (rc >= 0)
                rc = area_meters(rq->db, id, t, meters);
        if (rc >= 0)
                rc = area_history(rq->db, id, history);
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        srv_reply_json(rs, 200, o);
}

void srv_h_area_update(struct srv_req *rq, struct srv_resp *rs)
{
        struct area_fields f;
        struct srv_err e;
        int64_t id = 0, min_bp = 0, max_bp = 0;
        srv_stmt *st = NULL;
        json_object *b;
        int rc;

        if (srv_req_body(rq, rs, area_keys + 1, &b) < 0)
                return;
        if (read_fields(b, 0, &f, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_query(rq->db, &st,
                                  "SELECT id, loss_min_bp, loss_max_bp FROM areas WHERE code = $1",
                                  "t", rq->params.v[0]);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                id = srv_stmt_i64(st, 0);
                min_bp = srv_stmt_i64(st, 1);
                max_bp = srv_stmt_i64(st, 2);
        }
        srv_stmt_done(st);
        if (rc == 0 || (rc > 0 && band_ok(&f, min_bp, max_bp, &e) < 0)) {
                srv_db_rollback(rq->db);
                if (rc == 0)
                        srv_reply_errorf(rs, 404, "not_found", "", "no area '%s'", rq->params.v[0]);
                else
                        srv_reply_error(rs, &e);
                goto out;
        }
        if (rc >= 0)
                rc = srv_db_exec_args(
                    rq->db,
                    "UPDATE areas SET name = coalesce($2, name), region = coalesce($3, region),"
                    " loss_min_bp = $4, loss_max_bp = $5, updated_at = $6 WHERE id = $1",
                    "ittiii", id, f.name, f.region, f.has_min ? f.min_bp : min_bp,
                    f.has_max ? f.max_bp : max_bp, mb_realtime_s());
        if (srv_req_commit(rq, rs, rc) >= 0)
                reply_area(rq, rs, id, 200);
out:
        json_object_put(b);
}
