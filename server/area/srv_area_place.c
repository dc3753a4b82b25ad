/* SPDX-License-Identifier: Apache-2.0 */
/* Where a meter stands, from a date on: an area's main meter, a member, or
 * in no area (srv_areas.h). */
#include <stdio.h>
#include <string.h>

#include "mb_tariff.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_areas.h"
#include "srv_binding.h"

static const char *const roles[] = {"member", "main", NULL};

struct placement {
        const char *area, *date;
        int role; /* index into roles */
        int64_t from, meter_id, area_id;
};

static int read_placement(json_object *b, struct placement *p, struct srv_err *e)
{
        int64_t end;

        memset(p, 0, sizeof(*p));
        if (srv_json_string(b, "area", "", 0, 64, &p->area, e) < 0 ||
            srv_json_enum(b, "role", "", 0, roles, &p->role, e) < 0 ||
            srv_json_string(b, "effective", "", 1, 10, &p->date, e) < 0)
                return -1;
        if (!json_object_object_get_ex(b, "area", NULL)) {
                srv_err_set(e, 400, "missing_field", "area",
                            "'area' is required: an area's code, or null for none");
                return -1;
        }
        if (p->role < 0)
                p->role = 0;
        if (p->area == NULL && p->role != 0) {
                srv_err_set(e, 400, "bad_field", "role", "a meter in no area has no role");
                return -1;
        }
        if (strlen(p->date) != 10 || mb_tariff_local_day(p->date, &p->from, &end) != MB_OK) {
                srv_err_set(e, 400, "bad_field", "effective",
                            "'effective' must be a local date YYYY-MM-DD");
                return -1;
        }
        return 0;
}

/* A main meter measures a transformer and is billed to no one: 1 when the
 * meter may be one, 0 after filling *e, or an error. */
static int may_be_main(srv_db *db, int64_t meter_id, const char *address, struct srv_err *e)
{
        char number[72];
        int rc = srv_binding_account(db, meter_id, number, sizeof(number));

        if (rc > 0)
                srv_err_set(e, 409, "has_account", "role",
                            "meter '%s' is bound to account '%s': an area's main meter measures"
                            " the transformer and is billed to no account",
                            address, number);
        return rc < 0 ? rc : !rc;
}

int srv_area_is_main(srv_db *db, int64_t meter_id, int64_t now)
{
        int64_t n = 0;
        int rc =
            srv_db_query_i64(db, &n,
                             "SELECT count(*) FROM area_meters am WHERE am.meter_id = $1"
                             " AND am.role = 'main' AND am.area_id IS NOT NULL"
                             " AND (am.effective_from > $2 OR " SRV_AREA_IN_FORCE("am", "$2") ")",
                             "ii", meter_id, now);

        return rc < 0 ? rc : n > 0;
}

/* A new main meter replaces the area's old one from the same date: the old
 * one stands in no area from then. */
static int replace_main(srv_db *db, const struct placement *p, const char *by)
{
        return srv_db_exec_args(
            db,
            "INSERT INTO area_meters (meter_id, effective_from, effective_date, area_id, role,"
            " assigned_at, assigned_by)"
            " SELECT am.meter_id, $2, $3, NULL, 'member', $4, $5 FROM area_meters am"
            " WHERE am.area_id = $1 AND am.role = 'main' AND am.meter_id <> $6"
            " AND am.effective_from <= $2 AND " SRV_AREA_IN_FORCE(
                "am", "$2") " ON CONFLICT (meter_id, effective_from) DO UPDATE SET area_id = NULL,"
                            " role = 'member', assigned_at = excluded.assigned_at,"
                            " assigned_by = excluded.assigned_by",
            "iititi", p->area_id, p->from, p->date, mb_realtime_s(), by, p->meter_id);
}

static int store(srv_db *db, const struct placement *p, const char *by)
{
        int rc = srv_db_begin(db);

        if (rc >= 0 && p->role == 1)
                rc = replace_main(db, p, by);
        if (rc >= 0)
                rc = srv_db_exec_args(
                    db,
                    "INSERT INTO area_meters (meter_id, effective_from, effective_date, area_id,"
                    " role, assigned_at, assigned_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT (meter_id, effective_from) DO UPDATE"
                    " SET area_id = excluded.area_id, role = excluded.role,"
                    " assigned_at = excluded.assigned_at, assigned_by = excluded.assigned_by",
                    "iitItit", p->meter_id, p->from, p->date,
                    p->area_id ? p->area_id : SRV_DB_NULL_I64, roles[p->role], mb_realtime_s(), by);
        if (rc >= 0)
                rc = srv_db_commit(db);
        if (rc < 0)
                srv_db_rollback(db);
        return rc;
}

/* The meter of the path: 1, 0 after a 404, or an error (not replied). */
static int path_meter(struct srv_req *rq, struct srv_resp *rs, int64_t *id)
{
        int rc = srv_meter_id(rq->db, rq->params.v[0], id, NULL);

        if (rc == 0)
                srv_reply_errorf(rs, 404, "not_found", "", "no meter '%s'", rq->params.v[0]);
        return rc;
}

void srv_h_meter_area_set(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"area", "role", "effective", NULL};
        struct placement p;
        struct srv_err e;
        json_object *b, *o;
        int rc;

        if (srv_req_body(rq, rs, keys, &b) < 0)
                return;
        if (read_placement(b, &p, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        rc = path_meter(rq, rs, &p.meter_id);
        if (rc == 0)
                goto out;
        if (rc > 0 && p.area && (rc = srv_area_id(rq->db, p.area, &p.area_id)) == 0) {
                srv_reply_errorf(rs, 422, "unknown_area", "area", "no area '%s'", p.area);
                goto out;
        }
        if (rc > 0 && p.role == 1 &&
            (rc = may_be_main(rq->db, p.meter_id, rq->params.v[0], &e)) == 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (rc >= 0)
                rc = store(rq->db, &p, rq->auth.name);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                goto out;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "meter", rq->params.v[0]);
        srv_jadd_str(o, "area", p.area);
        srv_jadd_str(o, "role", p.area ? roles[p.role] : NULL);
        srv_jadd_str(o, "effective", p.date);
        srv_jadd_i64(o, "effective_from", p.from);
        srv_reply_json(rs, 200, o);
out:
        json_object_put(b);
}

void srv_h_meter_area_show(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *o, *history;
        srv_stmt *st = NULL;
        int64_t id = 0, t = 0;
        char date[11];
        int rc = 0;

        if (srv_area_date_param(rq, rs, "date", &t, date) < 0 ||
            (rc = path_meter(rq, rs, &id)) == 0)
                return;
        o = json_object_new_object();
        history = json_object_new_array();
        srv_jadd_str(o, "meter", rq->params.v[0]);
        srv_jadd_str(o, "date", date);
        json_object_object_add(o, "area", NULL);
        json_object_object_add(o, "role", NULL);
        json_object_object_add(o, "history", history);
        if (rc > 0)
                rc = srv_db_query(
                    rq->db, &st,
                    "SELECT am.effective_date, ar.code, am.role, am.assigned_at,"
                    " am.assigned_by, CASE WHEN am.effective_from <= $2 THEN 1 ELSE 0 END"
                    " FROM area_meters am"
                    " LEFT JOIN areas ar ON ar.id = am.area_id"
                    " WHERE am.meter_id = $1 ORDER BY am.effective_from",
                    "ii", id, t);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *h = json_object_new_object();
                const char *area = srv_stmt_text(st, 1);
                const char *role = area ? srv_stmt_text(st, 2) : NULL;

                srv_jadd_str(h, "effective", srv_stmt_text(st, 0));
                srv_jadd_str(h, "area", area);
                srv_jadd_str(h, "role", role);
                srv_jadd_i64(h, "assigned_at", srv_stmt_i64(st, 3));
                srv_jadd_str(h, "by", srv_stmt_text(st, 4));
                json_object_array_add(history, h);
                if (srv_stmt_i64(st, 5)) { /* in force on the date, so far */
                        srv_jadd_str(o, "area", area);
                        srv_jadd_str(o, "role", role);
                }
        }
        srv_stmt_done(st);
        if (rc < 0) {
                json_object_put(o);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        srv_reply_json(rs, 200, o);
}
