/* SPDX-License-Identifier: Apache-2.0 */
/* The account's walk over its supplies and readings: see srv_walk.h. */
#include "srv_walk.h"

#include "mb_multiplier.h"
#include "srv_reading_row.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAST INT64_MAX /* a point's seq once its supply's closing is charged */

void srv_rates_parse(const char *text, mb_tariff_reading *r)
{
        long long v[MB_RATES];

        r->has_rates =
            text && sscanf(text, "[%lld,%lld,%lld,%lld]", &v[0], &v[1], &v[2], &v[3]) == MB_RATES;
        for (int i = 0; r->has_rates && i < MB_RATES; i++)
                r->rate_wh[i] = v[i];
}

void srv_rates_text(const mb_tariff_reading *r, char *buf, size_t len)
{
        snprintf(buf, len, "[%lld,%lld,%lld,%lld]", (long long)r->rate_wh[0],
                 (long long)r->rate_wh[1], (long long)r->rate_wh[2], (long long)r->rate_wh[3]);
}

int srv_wsupply_add(struct srv_wsupply *s, const struct srv_wreading *r)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                struct srv_wreading *p = realloc(s->r, cap * sizeof(*p));

                if (p == NULL)
                        return MB_ENOMEM;
                s->r = p;
                s->cap = cap;
        }
        s->r[s->n++] = *r;
        return MB_OK;
}

void srv_wsupply_free(struct srv_wsupply *s, size_t n)
{
        for (size_t i = 0; s && i < n; i++) {
                free(s[i].r);
                s[i].r = NULL;
                s[i].n = s[i].cap = 0;
        }
}

void srv_walk_reading_row(srv_stmt *st, int c, struct srv_wreading *r)
{
        memset(r, 0, sizeof(*r));
        r->seq = srv_stmt_i64(st, c);
        r->p.r.t = srv_stmt_i64(st, c + 1);
        r->p.r.import_wh = srv_stmt_i64(st, c + 2);
        srv_reading_row_rates(st, c + 3, &r->p.r);
        r->p.has_frozen = !srv_stmt_is_null(st, c + 7) && !srv_stmt_is_null(st, c + 8);
        r->p.frozen_wh = srv_stmt_i64(st, c + 7);
        r->p.frozen_t = srv_stmt_i64(st, c + 8);
        r->has_demand = !srv_stmt_is_null(st, c + 9);
        r->demand_mw = srv_stmt_i64(st, c + 9);
        r->demand_time = srv_stmt_is_null(st, c + 10) ? 0 : srv_stmt_i64(st, c + 10);
        r->has_frozen_demand = !srv_stmt_is_null(st, c + 11) && !srv_stmt_is_null(st, c + 12);
        r->frozen_demand_mw = srv_stmt_i64(st, c + 11);
        r->frozen_demand_time = srv_stmt_i64(st, c + 12);
}

/* A point from nullable (ts, import_wh, rates) columns: 1 when there. */
static int point_cols(srv_stmt *st, int c, mb_tariff_reading *r)
{
        memset(r, 0, sizeof(*r));
        if (srv_stmt_is_null(st, c) || srv_stmt_is_null(st, c + 1))
                return 0;
        r->t = srv_stmt_i64(st, c);
        r->import_wh = srv_stmt_i64(st, c + 1);
        srv_rates_parse(srv_stmt_text(st, c + 2), r);
        return 1;
}

void srv_walk_supply_row(srv_stmt *st, int c, struct srv_wsupply *s)
{
        memset(s, 0, sizeof(*s));
        s->id = srv_stmt_i64(st, c);
        s->meter_id = srv_stmt_i64(st, c + 1);
        s->rollover_wh = srv_stmt_is_null(st, c + 2) ? 0 : srv_stmt_i64(st, c + 2);
        s->from_seq = srv_stmt_i64(st, c + 3);
        s->has_open = point_cols(st, c + 4, &s->open);
        s->pos0.period_start = srv_stmt_i64(st, c + 7);
        s->pos0.used_wh = srv_stmt_i64(st, c + 8);
        s->closed = !srv_stmt_is_null(st, c + 9);
        s->to_seq = s->closed ? srv_stmt_i64(st, c + 9) : PAST;
        s->has_close = point_cols(st, c + 10, &s->close);
        {
                const char *a = srv_stmt_text(st, c + 13);
                size_t n = a ? strlen(a) : 0;

                n = n < sizeof(s->address) ? n : sizeof(s->address) - 1;
                memcpy(s->address, a ? a : "", n);
                s->address[n] = '\0';
        }
        s->opened_at = srv_stmt_i64(st, c + 14);
        s->open_seq = srv_stmt_is_null(st, c + 15) ? 0 : srv_stmt_i64(st, c + 15);
        s->multiplier = srv_stmt_is_null(st, c + 16) ? 1 : srv_stmt_i64(st, c + 16);
}

void srv_walk_point_row(srv_stmt *st, int c, struct srv_wpoint *p)
{
        memset(p, 0, sizeof(*p));
        p->have = !srv_stmt_is_null(st, c) && !srv_stmt_is_null(st, c + 3);
        p->supply_id = srv_stmt_i64(st, c);
        p->meter_id = srv_stmt_i64(st, c + 1);
        p->seq = srv_stmt_i64(st, c + 2);
        p->ref.t = srv_stmt_i64(st, c + 3);
        p->ref.import_wh = srv_stmt_i64(st, c + 4);
        srv_rates_parse(srv_stmt_text(st, c + 5), &p->ref);
        p->pos.period_start = srv_stmt_i64(st, c + 6);
        p->pos.used_wh = srv_stmt_i64(st, c + 7);
}

void srv_walk_fix(struct srv_wreading *r, const char *kind, int64_t shift_wh)
{
        if (strcmp(kind, "exclude") == 0) {
                r->skip = 1;
                return;
        }
        r->p.fixed = 1;
        r->p.shift_wh = shift_wh;
}

void srv_walk_frozen(struct srv_wsupply *s, int64_t T)
{
        const struct srv_wreading *f = NULL;

        for (size_t i = 0; i < s->n && !f; i++) {
                const mb_walk_point *p = &s->r[i].p;

                if (p->has_frozen && !s->r[i].skip && p->frozen_t >= T && p->frozen_t - T < 86400)
                        f = &s->r[i];
        }
        for (size_t i = 0; f && i < s->n; i++)
                if (!s->r[i].skip && s->r[i].p.r.t >= T) {
                        s->r[i].p.has_frozen = 1;
                        s->r[i].p.frozen_t = f->p.frozen_t;
                        s->r[i].p.frozen_wh = f->p.frozen_wh;
                        return;
                }
}

struct walker {
        const mb_tariff *t;
        const struct srv_walk_hooks *h;
        struct srv_wpoint *at;
        char *err;
        size_t errlen;
};

static void tell(struct walker *w, const struct srv_wsupply *s, int month, unsigned ev, int64_t seq,
                 int64_t wh, const mb_tariff_reading *from, const mb_tariff_reading *to)
{
        struct srv_walk_note n = {month, ev, s, seq, wh, from, to};

        if (w->h->note)
                w->h->note(w->h->ctx, &n);
}

/* One step from w->at to reading x of supply s: MB_OK (at moved on),
 * SRV_WALK_STOPPED (at is where it stopped) or an error. */
static int step(struct walker *w, const struct srv_wsupply *s, const mb_walk_point *x, int64_t seq)
{
        struct srv_wpoint *at = w->at, from = *at;
        mb_walk_step st;
        int64_t wh = 0;
        int month;

        mb_walk_plan(&at->ref, x, s->rollover_wh, &st);
        /* behind CT and PT: the pieces are charged at the primary side's
         * energy (the reference stays in register units) */
        if (mb_multiplier_step(&st, s->multiplier ? s->multiplier : 1) != MB_OK) {
                if (w->err && w->errlen)
                        snprintf(w->err, w->errlen, "energy times the multiplier %lld overflows",
                                 (long long)s->multiplier);
                return MB_ERANGE;
        }
        month = st.n ? st.p[0].month : mb_walk_month(at->ref.t, st.ref.t);
        if (st.n == 0 && w->h->acc_for(w->h->ctx, month, at) == NULL)
                return SRV_WALK_STOPPED;
        for (int i = 0; i < st.n; i++) {
                mb_tariff_acc *acc;
                int rc;

                if (i > 0) { /* the second piece starts at the frozen register */
                        from.ref = st.p[i].a;
                        from.pos = at->pos;
                }
                acc = w->h->acc_for(w->h->ctx, st.p[i].month, &from);
                if (acc == NULL) {
                        if (i > 0)
                                tell(w, s, month, st.events, seq, wh, &at->ref, &from.ref);
                        *at = from;
                        return SRV_WALK_STOPPED;
                }
                /* no tariff at all: nothing is in force, as before a plan */
                rc = w->t ? mb_tariff_charge(w->t, &st.p[i].a, &st.p[i].b, &at->pos, acc, w->err,
                                             w->errlen)
                          : MB_ENOENT;
                if (rc == MB_ENOENT)
                        st.events |= MB_WALK_NO_TARIFF;
                else if (rc < 0)
                        return rc;
                else
                        wh += st.p[i].b.import_wh - st.p[i].a.import_wh;
        }
        tell(w, s, month, st.events, seq, wh, &at->ref, &st.ref);
        at->ref = st.ref;
        at->seq = seq;
        return MB_OK;
}

/* Put at on supply s's opening: 1, or 0 when it has none yet. */
static int open_supply(struct srv_wpoint *at, const struct srv_wsupply *s, int first)
{
        at->have = 1;
        at->supply_id = s->id;
        at->meter_id = s->meter_id;
        if (first)
                at->pos = s->pos0;
        if (s->has_open) {
                at->ref = s->open;
                at->seq = s->open_seq ? s->open_seq : s->from_seq;
                return 1;
        }
        for (size_t i = 0; i < s->n; i++)
                if (!s->r[i].skip && s->r[i].seq > s->from_seq && s->r[i].seq <= s->to_seq) {
                        at->ref = s->r[i].p.r;
                        at->seq = s->r[i].seq;
                        return 1;
                }
        return 0;
}

/* The rest of supply s from w->at: MB_OK at its end, STOPPED or error. */
static int walk_supply(struct walker *w, const struct srv_wsupply *s)
{
        int rc = MB_OK;

        for (size_t i = 0; i < s->n && rc == MB_OK; i++) {
                const struct srv_wreading *r = &s->r[i];

                if (r->skip || r->seq <= w->at->seq || r->seq > s->to_seq)
                        continue;
                rc = step(w, s, &r->p, r->seq);
                if (rc < 0 && w->err && w->errlen)
                        snprintf(w->err + strlen(w->err), w->errlen - strlen(w->err),
                                 " (meter %s seq %lld)", s->address, (long long)r->seq);
        }
        if (rc == MB_OK && s->closed && w->at->seq != PAST) {
                mb_walk_point c = {.r = s->close};

                if (s->has_close)
                        rc = step(w, s, &c, PAST);
                else
                        w->at->seq = PAST;
        }
        return rc;
}

int srv_walk_run(const mb_tariff *t, const struct srv_wsupply *s, size_t n, struct srv_wpoint *at,
                 const struct srv_walk_hooks *h, char *err, size_t errlen)
{
        struct walker w = {.t = t, .h = h, .at = at, .err = err, .errlen = errlen};
        size_t k = 0;
        int rc;

        if (err && errlen)
                err[0] = '\0';
        if (n == 0)
                return SRV_WALK_END;
        if (!at->have && !open_supply(at, &s[0], 1)) {
                at->have = 0;
                return SRV_WALK_END;
        }
        while (k < n && s[k].id != at->supply_id)
                k++;
        if (k == n) {
                snprintf(err, errlen, "supply %lld is not the account's", (long long)at->supply_id);
                return MB_EINVAL;
        }
        for (;;) {
                rc = walk_supply(&w, &s[k]);
                if (rc != MB_OK)
                        return rc;
                if (!s[k].closed || k + 1 == n)
                        return SRV_WALK_END;
                /* the next supply: the tier position carries (same account) */
                struct srv_wpoint next = *at;

                if (!open_supply(&next, &s[++k], 0))
                        return SRV_WALK_END; /* no opening yet: wait at the closing */
                *at = next;
        }
}

int srv_walk_begin(const struct srv_wsupply *s, size_t n, struct srv_wpoint *at)
{
        memset(at, 0, sizeof(*at));
        return n > 0 && open_supply(at, &s[0], 1);
}

int srv_walk_finished(const struct srv_wsupply *s, size_t n, const struct srv_wpoint *at)
{
        return n > 0 && s[n - 1].closed && at->have && at->supply_id == s[n - 1].id &&
               at->seq == PAST;
}

static int load_readings(srv_db *db, struct srv_wsupply *s, int64_t after, int64_t until)
{
        srv_stmt *st = NULL;
        struct srv_wreading r;
        int rc = srv_db_query(db, &st,
                              "SELECT " SRV_WALK_READING_COLUMNS " FROM readings"
                              " WHERE meter_id = $1 AND seq > $2 AND seq <= $3 AND ts < $4"
                              " AND import_wh IS NOT NULL ORDER BY seq",
                              "iiii", s->meter_id, after, s->to_seq, until);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                srv_walk_reading_row(st, 0, &r);
                rc = srv_wsupply_add(s, &r);
        }
        srv_stmt_done(st);
        if (rc < 0)
                return rc;
        /* the operators' fixes, onto the readings they name */
        rc = srv_db_query(db, &st,
                          "SELECT seq, kind, shift_wh FROM register_fixes WHERE meter_id = $1"
                          " AND seq > $2 AND seq <= $3 ORDER BY seq",
                          "iii", s->meter_id, after, s->to_seq);
        for (size_t i = 0; rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW;) {
                int64_t seq = srv_stmt_i64(st, 0);

                while (i < s->n && s->r[i].seq < seq)
                        i++;
                if (i < s->n && s->r[i].seq == seq)
                        srv_walk_fix(&s->r[i], srv_stmt_text(st, 1), srv_stmt_i64(st, 2));
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_walk_load(srv_db *db, int64_t account_id, const struct srv_wpoint *start, int64_t until,
                  struct srv_wsupply **out, size_t *nout)
{
        struct srv_wsupply *s = NULL;
        size_t n = 0, cap = 0, from = 0;
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT " SRV_WALK_SUPPLY_COLUMNS " FROM supplies s"
                              " JOIN meters m ON m.id = s.meter_id WHERE s.account_id = $1"
                              " ORDER BY s.id",
                              "i", account_id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                if (n == cap) {
                        struct srv_wsupply *p = realloc(s, (cap = cap ? cap * 2 : 4) * sizeof(*p));

                        if (p == NULL) {
                                rc = MB_ENOMEM;
                                break;
                        }
                        s = p;
                }
                srv_walk_supply_row(st, 0, &s[n++]);
        }
        srv_stmt_done(st);
        while (start && start->have && from < n && s[from].id != start->supply_id)
                from++;
        for (size_t k = from; rc >= 0 && k < n; k++) {
                int64_t after = s[k].from_seq;

                if (k == from && start && start->have && start->seq > after)
                        after = start->seq == PAST ? s[k].to_seq : start->seq;
                rc = load_readings(db, &s[k], after, until ? until : INT64_MAX);
        }
        if (rc < 0) {
                srv_wsupply_free(s, n);
                free(s);
                return rc;
        }
        *out = s;
        *nout = n;
        return MB_OK;
}
