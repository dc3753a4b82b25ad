/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An area's line loss over a period (a day, a month): its main meter's
 * energy (supply) against the sum of its members' (sales), each meter over
 * the part of the period it stood in the area, from boundary points at the
 * local midnights where its part starts and ends (docs/operations.md).
 * Any point that was not collected makes the period not computable, and the
 * points that were not are named: a figure is never guessed.
 */
#ifndef SRV_AREA_LOSS_H
#define SRV_AREA_LOSS_H

#include "srv_area_points.h"

/* A meter's part of a period in an area: [from, to), local midnights. */
struct srv_aseg {
        int64_t area_id;
        long meter; /* index into the scope's srv_ameters */
        int main;
        int64_t from, to;
};

struct srv_asegs {
        struct srv_aseg *v;
        size_t n;
};

/* The placements of the scope's meters m, cut to [t0, t1), ordered by
 * area, main meter first, meter, time.  MB_OK or an error; free with
 * srv_asegs_free. */
int srv_asegs_load(srv_db *db, int scope, int64_t area_id, const struct srv_ameters *m, int64_t t0,
                   int64_t t1, struct srv_asegs *out);
void srv_asegs_free(struct srv_asegs *s);

/* A point that was not collected: meter index, midnight, srv_apoint_state. */
struct srv_amiss {
        long meter;
        int64_t at;
        int state;
};

/*
 * The energy of meter index i over [s0, s1) (points at both midnights) into
 * *wh: an enum srv_aenergy_result, or -1 when a point was not collected
 * (*miss names it), or -2 with a store error in *rc.
 */
int srv_aseg_energy(struct srv_apcache *pc, const struct srv_ameters *m, long i, int64_t s0,
                    int64_t s1, int64_t *wh, struct srv_amiss *miss, int *rc);

#define SRV_ALOSS_MISS_MAX 16

struct srv_aloss {
        int64_t area_id, from, to;
        int state;          /* enum srv_aloss_state */
        const char *reason; /* why not computable (docs/api.md), else NULL */
        int64_t supply_wh, sales_wh, loss_wh, rate_bp, outside_bp;
        int meters, collected; /* meters of the period; those with every point collected */
        int rollover;          /* a register wrapped and was counted across */
        int nmiss;             /* points not collected; the first ones in miss[] */
        struct srv_amiss miss[SRV_ALOSS_MISS_MAX];
};

/*
 * The loss of area_id over [from, to) from the segments of that area in
 * segs (cut to the period here), with band [min_bp, max_bp].  MB_OK (the
 * verdict in out->state) or a store error.
 */
int srv_aloss_compute(struct srv_apcache *pc, const struct srv_ameters *m,
                      const struct srv_asegs *segs, int64_t area_id, int64_t from, int64_t to,
                      int64_t min_bp, int64_t max_bp, struct srv_aloss *out);

/* Its state as text: "ok", "out_of_band", "not_computable". */
const char *srv_aloss_state_name(int state);
/* A point's state as text: "pending", "missing", "reading", "frozen". */
const char *srv_apoint_state_name(int state);

#endif
