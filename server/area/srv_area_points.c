/* SPDX-License-Identifier: Apache-2.0 */
/* Boundary points from the store: see srv_area_points.h. */
#include "srv_area_points.h"

#include <stdlib.h>
#include <string.h>

/* A frozen register for midnight T is looked for in the readings of the
 * week after it (PostgreSQL then searches only those months' partitions):
 * a meter read at 08:00, or by a gateway back after days offline, still
 * brings its midnight freeze. */
#define FROZEN_LOOKAHEAD (7 * 86400)

/* The scope's meters, as a condition on column COL ($3: the area). */
#define IN_AREA(col) col " IN (SELECT meter_id FROM area_meters WHERE area_id = $3)"
#define IN_AREAS(col)                                                                              \
        col " IN (SELECT meter_id FROM area_meters WHERE area_id IS NOT NULL) AND $3 = $3"
#define IN_ALL(col) "$3 = $3"

#define METERS_SQL(scope)                                                                          \
        "SELECT m.id, coalesce(m.rollover_wh, 0), m.bound_at, m.address, g.region FROM meters m"   \
        " JOIN gateways g ON g.id = m.gateway_id WHERE $1 = $1 AND $2 = $2 AND " scope(            \
            "m.id") " ORDER BY m.id"

/* Per meter: has it any reading at or after T; its frozen register for T.
 * SQLite is told to use readings_frozen: left to itself it takes the
 * primary key (meter_id) and walks the meter's whole history. */
#define LATER_SQL(scope, hint)                                                                     \
        "SELECT m.id, CASE WHEN m.last_ts >= $1 THEN 1 ELSE 0 END,"                                \
        " (SELECT r.frozen_import_wh FROM readings r " hint " WHERE r.meter_id = m.id"             \
        "  AND r.frozen_time = $1 AND r.ts >= $1 AND r.ts < $2"                                    \
        "  AND r.frozen_import_wh IS NOT NULL ORDER BY r.seq LIMIT 1)"                             \
        " FROM meters m WHERE " scope("m.id") " ORDER BY m.id"
#define SQLITE_HINT "INDEXED BY readings_frozen"

/* The readings within the window: the time index drives the scan (the
 * unary + keeps SQLite from walking each meter's whole history instead). */
#define WINDOW_SQL(scope)                                                                          \
        "SELECT r.meter_id, r.seq, r.ts, r.import_wh FROM readings r"                              \
        " WHERE r.ts >= $1 AND r.ts <= $2 AND r.import_wh IS NOT NULL AND " scope(                 \
            "+r.meter_id") " ORDER BY r.meter_id, r.seq"

#define MULT_SQL(scope)                                                                            \
        "SELECT meter_id, at_ts, at_wh, multiplier FROM meter_multipliers WHERE $1 = $1 AND"       \
        " $2 = $2 AND " scope("meter_id") " ORDER BY meter_id, id"

static const char *const mult_sql[] = {NULL, MULT_SQL(IN_AREA), MULT_SQL(IN_AREAS),
                                       MULT_SQL(IN_ALL)};
static const char *const meters_sql[] = {NULL, METERS_SQL(IN_AREA), METERS_SQL(IN_AREAS),
                                         METERS_SQL(IN_ALL)};
static const char *const later_sql[2][4] = {
    {NULL, LATER_SQL(IN_AREA, ""), LATER_SQL(IN_AREAS, ""), LATER_SQL(IN_ALL, "")},
    {NULL, LATER_SQL(IN_AREA, SQLITE_HINT), LATER_SQL(IN_AREAS, SQLITE_HINT),
     LATER_SQL(IN_ALL, SQLITE_HINT)}};
static const char *const window_sql[] = {NULL, WINDOW_SQL(IN_AREA), WINDOW_SQL(IN_AREAS),
                                         WINDOW_SQL(IN_ALL)};

static void copy_text(char *dst, size_t len, const char *s)
{
        size_t n = s ? strlen(s) : 0;

        n = n < len ? n : len - 1;
        memcpy(dst, s ? s : "", n);
        dst[n] = '\0';
}

/* The multiplier changes of the scope's meters, onto each meter (rows come
 * by meter, then in the order they were made). */
static int load_mults(srv_db *db, int scope, int64_t area_id, struct srv_ameters *m)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st, mult_sql[scope], "iii", (int64_t)0, (int64_t)0, area_id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                long i = srv_ameters_find(m, srv_stmt_i64(st, 0));
                struct srv_amult *x;

                if (i < 0)
                        continue;
                if (m->nmults == cap) {
                        x = realloc(m->mults, (cap = cap ? cap * 2 : 16) * sizeof(*x));
                        if (x == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        m->mults = x;
                }
                if (m->v[i].nmult == 0)
                        m->v[i].mult = m->nmults;
                m->v[i].nmult++;
                x = &m->mults[m->nmults++];
                x->has_point = !srv_stmt_is_null(st, 1) && !srv_stmt_is_null(st, 2);
                x->t = srv_stmt_i64(st, 1);
                x->wh = srv_stmt_i64(st, 2);
                x->k = srv_stmt_i64(st, 3);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_ameters_load(srv_db *db, int scope, int64_t area_id, struct srv_ameters *out)
{
        srv_stmt *st = NULL;
        size_t cap = 0;
        int rc = srv_db_query(db, &st, meters_sql[scope], "iii", (int64_t)0, (int64_t)0, area_id);

        memset(out, 0, sizeof(*out));
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                struct srv_ameter *m;

                if (out->n == cap) {
                        struct srv_ameter *v =
                            realloc(out->v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

                        if (v == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        out->v = v;
                }
                m = &out->v[out->n++];
                memset(m, 0, sizeof(*m));
                m->id = srv_stmt_i64(st, 0);
                m->rollover_wh = srv_stmt_i64(st, 1);
                m->bound_at = srv_stmt_i64(st, 2);
                copy_text(m->address, sizeof(m->address), srv_stmt_text(st, 3));
                copy_text(m->region, sizeof(m->region), srv_stmt_text(st, 4));
        }
        srv_stmt_done(st);
        if (rc >= 0)
                rc = load_mults(db, scope, area_id, out);
        if (rc < 0)
                srv_ameters_free(out);
        return rc < 0 ? rc : MB_OK;
}

void srv_ameters_free(struct srv_ameters *m)
{
        free(m->v);
        free(m->mults);
        memset(m, 0, sizeof(*m));
}

long srv_ameters_find(const struct srv_ameters *m, int64_t id)
{
        size_t lo = 0, hi = m->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (m->v[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < m->n && m->v[lo].id == id ? (long)lo : -1;
}

/* Per meter of m: later and frozen, into flags (bit 0 later, bit 1 frozen)
 * and fwh. */
static int load_later(srv_db *db, int scope, int64_t area_id, const struct srv_ameters *m,
                      int64_t T, unsigned char *flags, int64_t *fwh)
{
        srv_stmt *st = NULL;
        int sqlite = strcmp(srv_db_backend(db), "sqlite") == 0;
        int rc = srv_db_query(db, &st, later_sql[sqlite][scope], "iii", T, T + FROZEN_LOOKAHEAD,
                              area_id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                long i = srv_ameters_find(m, srv_stmt_i64(st, 0));

                if (i < 0)
                        continue; /* placed after the scope was loaded */
                flags[i] = (unsigned char)(srv_stmt_i64(st, 1) ? 1 : 0);
                if (!srv_stmt_is_null(st, 2)) {
                        flags[i] |= 2;
                        fwh[i] = srv_stmt_i64(st, 2);
                }
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

struct window {
        struct srv_aread *r;
        size_t n, cap;
};

static int window_add(struct window *w, srv_stmt *st)
{
        if (w->n == w->cap) {
                struct srv_aread *r =
                    realloc(w->r, (w->cap = w->cap ? w->cap * 2 : 16) * sizeof(*r));

                if (r == NULL)
                        return MB_ENOMEM;
                w->r = r;
        }
        w->r[w->n++] =
            (struct srv_aread){srv_stmt_i64(st, 1), srv_stmt_i64(st, 2), srv_stmt_i64(st, 3)};
        return MB_OK;
}

/* Derive the point of meter index i from its readings in w (then emptied). */
static void derive(long i, int64_t T, struct window *w, const unsigned char *flags,
                   const int64_t *fwh, struct srv_apoint *p)
{
        if (i >= 0)
                srv_apoint_derive(T, SRV_AREA_WINDOW_S, w->r, w->n, flags[i] & 2, fwh[i],
                                  flags[i] & 1, &p[i]);
        w->n = 0;
}

int srv_apoints_at(srv_db *db, int scope, int64_t area_id, const struct srv_ameters *m, int64_t T,
                   struct srv_apoint *p)
{
        unsigned char *flags = calloc(m->n ? m->n : 1, 1);
        int64_t *fwh = calloc(m->n ? m->n : 1, sizeof(*fwh)), cur = -1;
        struct window w = {0};
        srv_stmt *st = NULL;
        int rc = flags && fwh ? MB_OK : MB_ENOMEM;

        if (rc == MB_OK)
                rc = load_later(db, scope, area_id, m, T, flags, fwh);
        /* every meter first as if it had no reading near T */
        for (size_t i = 0; rc == MB_OK && i < m->n; i++)
                srv_apoint_derive(T, SRV_AREA_WINDOW_S, NULL, 0, flags[i] & 2, fwh[i], flags[i] & 1,
                                  &p[i]);
        if (rc == MB_OK)
                rc = srv_db_query_replan(db, &st, window_sql[scope], "iii", T - SRV_AREA_WINDOW_S,
                                         T + SRV_AREA_WINDOW_S, area_id);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                int64_t id = srv_stmt_i64(st, 0);

                if (id != cur) {
                        derive(srv_ameters_find(m, cur), T, &w, flags, fwh, p);
                        cur = id;
                }
                rc = window_add(&w, st);
        }
        srv_stmt_done(st);
        if (rc >= 0)
                derive(srv_ameters_find(m, cur), T, &w, flags, fwh, p);
        free(w.r);
        free(flags);
        free(fwh);
        return rc < 0 ? rc : MB_OK;
}

struct srv_apcache {
        srv_db *db;
        int scope;
        int64_t area_id;
        const struct srv_ameters *m;
        size_t n, cap;
        int64_t *T;
        struct srv_apoint **p;
};

struct srv_apcache *srv_apcache_new(srv_db *db, int scope, int64_t area_id,
                                    const struct srv_ameters *m)
{
        struct srv_apcache *c = calloc(1, sizeof(*c));

        if (c) {
                c->db = db;
                c->scope = scope;
                c->area_id = area_id;
                c->m = m;
        }
        return c;
}

static int grow(struct srv_apcache *c)
{
        size_t cap = c->cap ? c->cap * 2 : 8;
        int64_t *T = realloc(c->T, cap * sizeof(*T));
        struct srv_apoint **p;

        if (T == NULL)
                return MB_ENOMEM;
        c->T = T;
        p = realloc(c->p, cap * sizeof(*p));
        if (p == NULL)
                return MB_ENOMEM;
        c->p = p;
        c->cap = cap;
        return MB_OK;
}

const struct srv_apoint *srv_apcache_get(struct srv_apcache *c, int64_t T, int *rc)
{
        struct srv_apoint *p;

        for (size_t i = 0; i < c->n; i++)
                if (c->T[i] == T)
                        return c->p[i];
        if (c->n == c->cap && (*rc = grow(c)) < 0)
                return NULL;
        p = calloc(c->m->n ? c->m->n : 1, sizeof(*p));
        if (p == NULL) {
                *rc = MB_ENOMEM;
                return NULL;
        }
        *rc = srv_apoints_at(c->db, c->scope, c->area_id, c->m, T, p);
        if (*rc < 0) {
                free(p);
                return NULL;
        }
        c->T[c->n] = T;
        c->p[c->n++] = p;
        return p;
}

void srv_apcache_free(struct srv_apcache *c)
{
        for (size_t i = 0; c && i < c->n; i++)
                free(c->p[i]);
        if (c) {
                free(c->T);
                free(c->p);
        }
        free(c);
}
