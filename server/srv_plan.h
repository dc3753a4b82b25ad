/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An account's tariff plan: its dated assignments (account_tariffs), each
 * the latest text loaded for its tariff id, spliced into one tariff
 * (mb_tariff_splice, docs/tariffs.md "Tariff plans") that prices every
 * interval of the account: continuous deduction, the month close and, by
 * the id and hash in the balance snapshot, the agent.  A single assignment
 * dated on or before its tariff's first version is that tariff itself.
 * Spliced plans are stored in tariff_plans under the id "plan-" + 24 hex
 * digits of the SHA-256 of their parts, served like any tariff text (GET
 * /api/v1/tariffs/ID/text) and kept parsed in the tariff cache.
 *
 * Callers hold srv->lock (the cache).  Plans are owned by the cache.
 */
#ifndef SRV_PLAN_H
#define SRV_PLAN_H

#include "mb_tariff.h"
#include "srv.h"

#define SRV_PLAN_SHOWN 8 /* parts kept for display: the latest ones */

/* One assignment: tariff `tariff` (its latest stored text: hash, tariffs
 * row id) from local date `from` (YYYYMMDD). */
struct srv_plan_part {
        int32_t from;
        char tariff[72], hash[72];
        int64_t row;
};

struct srv_plan {
        const mb_tariff *t; /* owned by the cache */
        char id[72], hash[72];
        size_t n;                     /* assignments */
        int32_t from[SRV_PLAN_SHOWN]; /* the last SRV_PLAN_SHOWN of them */
        char tariff[SRV_PLAN_SHOWN][72];
};

/* The plan of parts[0..n-1] (dates increasing, n >= 1) into *out.  MB_OK,
 * MB_ENOENT / MB_EINVAL when the parts do not splice (logged), or an
 * error. */
int srv_plan_make(struct srv *s, srv_db *db, const struct srv_plan_part *parts, size_t n,
                  struct srv_plan *out);

/* The plan of account_id: 1 and *out, 0 when no tariff is assigned, or an
 * error. */
int srv_plan_for_account(struct srv *s, srv_db *db, int64_t account_id, struct srv_plan *out);

/* The assignments that overlap [from, to) (UTC) as JSON for a bill:
 * [{"tariff": ID, "from": "YYYY-MM-DD"}, ...].  Caller owns it. */
json_object *srv_plan_json(const struct srv_plan *p, int64_t from, int64_t to);

/* The stored text of plan id: 1 with *text (malloc'd, caller frees) and
 * hash[65], 0 when unknown, or an error. */
int srv_plan_text(srv_db *db, const char *id, char **text, char *hash);

/* SQL selecting (account_id, effective_date, tariff_id, hash, tariffs row
 * id) of the accounts $1..$2, each assignment with its tariff's latest
 * text, ordered by account and date: the plan's parts.  "No later text"
 * rather than "= (SELECT max(id) ...)": PostgreSQL runs that subquery once
 * per row (10 us an account of a month close), the anti-join once. */
#define SRV_PLAN_PARTS_SQL                                                                         \
        "SELECT a.account_id, a.effective_date, a.tariff_id, t.hash, t.id"                         \
        " FROM account_tariffs a JOIN tariffs t ON t.tariff_id = a.tariff_id"                      \
        " WHERE a.account_id BETWEEN $1 AND $2"                                                    \
        " AND NOT EXISTS (SELECT 1 FROM tariffs u WHERE u.tariff_id = t.tariff_id"                 \
        " AND u.id > t.id)"                                                                        \
        " ORDER BY a.account_id, a.effective_from"

/* One row of SRV_PLAN_PARTS_SQL into a part.  MB_OK or MB_EINVAL. */
int srv_plan_part_row(srv_stmt *st, struct srv_plan_part *p);

#endif
