/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Line loss and collection success over HTTP (docs/api.md, Transformer
 * areas; figures defined in srv_area_calc.h and srv_area_loss.h).
 */
#ifndef SRV_AREA_API_H
#define SRV_AREA_API_H

#include "srv.h"
#include "srv_area_loss.h"

/* GET /api/v1/areas/CODE/loss[?from=D&to=D | ?month=YYYY-MM]: daily line
 * loss (and the month's), default the 30 days up to yesterday. */
void srv_h_area_loss(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/stats/areas/CODE/members[?day=D&history=N]: each member's
 * energy on the day against its own history, the biggest change first. */
void srv_h_area_members(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/stats/areas[?day=D&limit=N]: every area's line loss on the
 * day, anomalies first. */
void srv_h_stats_areas(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/stats/collection[?day=D]: collection success by region and
 * by area, worst first. */
void srv_h_stats_collection(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/exports/line-loss.csv, /exports/collection.csv
 * ?from=D&to=D: the same per day as CSV. */
void srv_h_export_line_loss(struct srv_req *rq, struct srv_resp *rs);
void srv_h_export_collection(struct srv_req *rq, struct srv_resp *rs);

/* An area's stored settings. */
struct srv_area_row {
        int64_t id, min_bp, max_bp;
        char code[65], name[129], region[33];
};

/* Every area (code order), or the one of code (non-NULL): *out[0..*n-1],
 * the caller frees.  MB_OK or an error. */
int srv_area_rows(srv_db *db, const char *code, struct srv_area_row **out, size_t *n);

/*
 * The day parameter `name` (YYYY-MM-DD, default yesterday) as a day key
 * (YYYYMMDD): 0, or -1 after a 400.
 */
int srv_area_day_param(struct srv_req *rq, struct srv_resp *rs, const char *name, int *day);

/* ?from=D&to=D (default the 30 days up to yesterday; at most 92 days) as
 * day keys: 0, or -1 after a 400. */
int srv_area_range_param(struct srv_req *rq, struct srv_resp *rs, int *first, int *last);

/* One period's figures as JSON (the caller's). */
json_object *srv_aloss_json(const struct srv_aloss *o, const struct srv_ameters *m);

/* How many days before a day make a meter's own history. */
#define SRV_AREA_HISTORY_DAYS 7

/* A meter of an area on a day against its own history (srv_area_members.c). */
enum srv_amember_state {
        SRV_AMEMBER_OK = 0,     /* measured, with a history */
        SRV_AMEMBER_NO_HISTORY, /* measured; no computable day before */
        SRV_AMEMBER_MISSING,    /* a point of the day not collected (miss) */
        SRV_AMEMBER_BACKWARDS,  /* its register went backwards that day */
};
struct srv_amember {
        long meter; /* index into the srv_ameters */
        int main, state, days;
        int64_t wh, baseline, change; /* the day's energy, the mean of its days, the difference */
        struct srv_amiss miss;
};

/*
 * The meters standing in area_id on day (segs cover the day), each measured
 * on it and on the `history` days before, main meters first, then members
 * by the size of their change (the biggest first), those without a history,
 * those not measurable: *out[0..*n-1] (the caller frees).  MB_OK or an
 * error.
 */
int srv_amembers(struct srv_apcache *pc, const struct srv_ameters *m, const struct srv_asegs *segs,
                 int64_t area_id, int day, int history, struct srv_amember **out, size_t *n);
json_object *srv_amember_json(const struct srv_amember *x, const struct srv_ameters *m);
/* Fill "account" and "holder" of rows[i] (non-NULL, meter index i) for the
 * meters of area_id.  MB_OK or an error. */
int srv_amember_accounts(srv_db *db, int64_t area_id, const struct srv_ameters *m,
                         json_object **rows);
/* srv_amembers as JSON: main meters into mains, the first `limit` others
 * into members, with their accounts.  MB_OK or an error. */
int srv_amembers_json(srv_db *db, struct srv_apcache *pc, const struct srv_ameters *m,
                      const struct srv_asegs *segs, int64_t area_id, int day, int history,
                      size_t limit, json_object *mains, json_object *members);

/* Collection per region and per area on one day (srv_area_collect.c). */
struct srv_acollect {
        char code[65]; /* region code, or area code */
        const struct srv_area_row *area;
        int64_t expected, collected;
        int nmiss;
        long miss[8]; /* meter indexes */
};

/*
 * Collection success at the end of day (the midnight that ends it): every
 * meter of the fleet by its gateway's region (*regions) and the meters
 * standing in each area that day (*areas, one per area of rows), worst
 * first.  The caller frees both arrays and *m.  MB_OK or an error.
 */
int srv_acollect_day(srv_db *db, int day, const struct srv_area_row *rows, size_t nrows,
                     struct srv_ameters *m, struct srv_acollect **regions, size_t *nregions,
                     struct srv_acollect **areas, int64_t *fleet_expected,
                     int64_t *fleet_collected);

/* collected / expected in hundredths of a percent, or -1 when expected 0. */
int64_t srv_acollect_rate(int64_t expected, int64_t collected);

#endif
