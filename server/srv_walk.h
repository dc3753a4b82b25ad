/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The account's walk on the server: its supplies (which meter measured it
 * from which reading to which: move-in, move-out, change of holder, meter
 * exchange) in order, each meter's readings in sequence order, stepped by
 * the shared rules (common/mb_walk.h) from a starting point, every piece
 * charged into the accumulator of its month with the tier position carried
 * across the supplies.  The month close walks a month; continuous
 * deduction recomputes its month with it when data arrives late.
 *
 * The walk itself (srv_walk_run) is pure: the supplies and readings are
 * loaded before (srv_walk_load for one account, or the close's chunk
 * prefetch), so the close can fetch many accounts' inputs at once.
 */
#ifndef SRV_WALK_H
#define SRV_WALK_H

#include "mb_walk.h"
#include "srv.h"

/* A stored reading as the walk takes it (an operator's fix applied). */
struct srv_wreading {
        int64_t seq;
        mb_walk_point p;
        int skip; /* left out by an operator (register_fixes 'exclude') */
        /* the maximum demand registers (mW), for the month close's demand
         * charge: this month's so far (and when it occurred, 0: not said),
         * and last month's frozen (and when it froze) */
        int has_demand, has_frozen_demand;
        int64_t demand_mw, demand_time, frozen_demand_mw, frozen_demand_time;
};

/* One supply: meter_id measured the account from its opening (after
 * from_seq) to its closing (up to to_seq). */
struct srv_wsupply {
        int64_t id, meter_id, rollover_wh;
        char address[32]; /* the meter's */
        int64_t opened_at;
        int64_t from_seq;
        int has_open;       /* the opening register; else the first reading */
        int64_t open_seq;   /* the reading it was taken from (0: none, from_seq) */
        int64_t multiplier; /* CT x PT its energy is charged with (mb_multiplier.h) */
        mb_tariff_reading open;
        mb_tier_pos pos0; /* tier position at the opening */
        int closed;
        int64_t to_seq;
        int has_close; /* the closing register (after the reading at to_seq) */
        mb_tariff_reading close;
        struct srv_wreading *r; /* readings with from_seq < seq (<= to_seq), seq order */
        size_t n, cap;
};

/* A point of the walk: where a month starts or ends. */
struct srv_wpoint {
        int have;          /* 0: the opening of the account's first supply */
        int64_t supply_id; /* the supply and meter it is on */
        int64_t meter_id;
        int64_t seq; /* readings of that supply after seq come next */
        mb_tariff_reading ref;
        mb_tier_pos pos;
};

/* What one step did (after it, or after its part before a stop). */
struct srv_walk_note {
        int month;       /* of its (first) piece */
        unsigned events; /* MB_WALK_* */
        const struct srv_wsupply *s;
        int64_t seq;                        /* the reading stepped to */
        int64_t wh;                         /* energy charged */
        const mb_tariff_reading *from, *to; /* the reference before and after */
};

struct srv_walk_hooks {
        /* The accumulator of month (YYYYMM) for the next piece, which starts
         * at *at; NULL stops the walk there, before it.  Also asked, without
         * charging, for a step that charges nothing (to learn its month). */
        mb_tariff_acc *(*acc_for)(void *ctx, int month, const struct srv_wpoint *at);
        /* Every step, charged or not (may be NULL). */
        void (*note)(void *ctx, const struct srv_walk_note *n);
        void *ctx;
};

enum srv_walk_end {
        SRV_WALK_STOPPED = 1, /* acc_for said stop: *at is the piece's start */
        SRV_WALK_END = 2,     /* out of readings: *at is the last point */
};

/*
 * Walk s[0..n-1] from *at (have 0: the first supply's opening; no opening
 * yet: SRV_WALK_END with have 0) to the end of the readings or a stop.
 * *at is then where it stopped.  Returns SRV_WALK_STOPPED, SRV_WALK_END, or
 * the tariff engine's error (err says which reading).
 */
int srv_walk_run(const mb_tariff *t, const struct srv_wsupply *s, size_t n, struct srv_wpoint *at,
                 const struct srv_walk_hooks *h, char *err, size_t errlen);

/* Put *at on the opening of the account's first supply (s[0]): its
 * opening register, else its first reading; the tier position its own.
 * 1, or 0 when it has neither yet. */
int srv_walk_begin(const struct srv_wsupply *s, size_t n, struct srv_wpoint *at);

/* Is every supply closed, with *at past the last of them? */
int srv_walk_finished(const struct srv_wsupply *s, size_t n, const struct srv_wpoint *at);

/* The frozen month-end register for month start T, carried by any of the
 * supply's readings, believed by the step across T (docs/tariffs.md,
 * boundary precedence): copied onto the first reading at or after T. */
void srv_walk_frozen(struct srv_wsupply *s, int64_t T);

/* Append one reading to a supply (grows r).  MB_OK or MB_ENOMEM. */
int srv_wsupply_add(struct srv_wsupply *s, const struct srv_wreading *r);
void srv_wsupply_free(struct srv_wsupply *s, size_t n);

/* Columns a reading is read with, and the row into a reading (fixes not
 * applied).  SRV_WALK_READING_COLUMNS: seq, ts, import_wh, the four rate
 * registers, frozen_import_wh, frozen_time, demand_mw, demand_time,
 * frozen_demand_mw, frozen_demand_time. */
#define SRV_WALK_READING_COLUMNS                                                                   \
        "seq, ts, import_wh, rate1_wh, rate2_wh, rate3_wh, rate4_wh, frozen_import_wh, "           \
        "frozen_time, demand_mw, demand_time, frozen_demand_mw, frozen_demand_time"
void srv_walk_reading_row(srv_stmt *st, int col, struct srv_wreading *r);

/* Columns of a supply row and the row into *s (readings empty). */
#define SRV_WALK_SUPPLY_COLUMNS                                                                    \
        "s.id, s.meter_id, m.rollover_wh, s.from_seq, s.from_ts, s.from_import_wh, s.from_rates,"  \
        " s.tier_start, s.tier_used_wh, s.to_seq, s.to_ts, s.to_import_wh, s.to_rates,"            \
        " m.address, s.opened_at, s.open_seq, s.multiplier"
void srv_walk_supply_row(srv_stmt *st, int col, struct srv_wsupply *s);

/* A point from 8 columns from col on: supply_id, meter_id, seq, ts,
 * import_wh, rates, tier_start, tier_used_wh (have 0 when the first or
 * fourth is NULL). */
void srv_walk_point_row(srv_stmt *st, int col, struct srv_wpoint *p);

/* An operator's fix on reading r of the supply's meter: kind and shift. */
void srv_walk_fix(struct srv_wreading *r, const char *kind, int64_t shift_wh);

/*
 * Load account_id's supplies (all, in order) and, for the supplies from
 * the one start is on (or the first), their readings after start (and
 * before `until`, 0: all) with the operators' fixes: *s[0..*n-1], freed
 * with srv_wsupply_free and free.  MB_OK or an error.
 */
int srv_walk_load(srv_db *db, int64_t account_id, const struct srv_wpoint *start, int64_t until,
                  struct srv_wsupply **s, size_t *n);

/* "[a,b,c,d]" rate registers text into r (has_rates), and back. */
void srv_rates_parse(const char *text, mb_tariff_reading *r);
void srv_rates_text(const mb_tariff_reading *r, char *buf, size_t len);

#endif
