/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Boundary points from the store: every meter of a scope at one local
 * midnight (srv_area_calc.h says how a point is chosen).  One query reads
 * the readings within the window around midnight for the whole scope
 * (through the readings' time index: the cost is the readings of that
 * window, not each meter's history), one the frozen registers for it.
 */
#ifndef SRV_AREA_POINTS_H
#define SRV_AREA_POINTS_H

#include "srv.h"
#include "srv_area_calc.h"

/* How far from midnight a reading still counts as the day's (seconds). */
#define SRV_AREA_WINDOW_S 3600

enum srv_ascope {
        SRV_ASCOPE_AREA = 1, /* every meter that ever stood in one area */
        SRV_ASCOPE_AREAS,    /* every meter that ever stood in any area */
        SRV_ASCOPE_ALL,      /* every meter (collection success by region) */
};

/* A change of a meter's multiplier (meter_multipliers): from the register
 * wh at time t on (has_point 0: from its first reading), CT x PT is k. */
struct srv_amult {
        int has_point;
        int64_t t, wh, k;
};

struct srv_ameter {
        int64_t id, rollover_wh, bound_at;
        char address[32];
        char region[33];    /* its gateway's */
        size_t mult, nmult; /* its multiplier changes: mults[mult .. mult + nmult), in order */
};

/* The meters of a scope, by id. */
struct srv_ameters {
        struct srv_ameter *v;
        size_t n;
        struct srv_amult *mults;
        size_t nmults;
};

/* Load the scope's meters (area_id for SRV_ASCOPE_AREA).  MB_OK or an
 * error; free with srv_ameters_free. */
int srv_ameters_load(srv_db *db, int scope, int64_t area_id, struct srv_ameters *out);
void srv_ameters_free(struct srv_ameters *m);
/* The index of meter id in m, or -1. */
long srv_ameters_find(const struct srv_ameters *m, int64_t id);

/*
 * The boundary point at midnight T of every meter of m (the same scope and
 * area_id it was loaded with) into p[0..m->n-1].  MB_OK or an error.
 */
int srv_apoints_at(srv_db *db, int scope, int64_t area_id, const struct srv_ameters *m, int64_t T,
                   struct srv_apoint *p);

/*
 * Points at many midnights, each read once: a request's cache.  get
 * returns the points at T for m (loading them on first use), or NULL on an
 * error (its code in *rc).  The cache owns what it returns.
 */
struct srv_apcache;
struct srv_apcache *srv_apcache_new(srv_db *db, int scope, int64_t area_id,
                                    const struct srv_ameters *m);
const struct srv_apoint *srv_apcache_get(struct srv_apcache *c, int64_t T, int *rc);
void srv_apcache_free(struct srv_apcache *c);

#endif
