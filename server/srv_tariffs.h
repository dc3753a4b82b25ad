/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Tariffs on the server: stored as canonical text (mb_tariff_to_text) with
 * its SHA-256, parsed once per distinct text into a cache, and assigned to
 * accounts with an effective date.  The latest text loaded for a tariff id is
 * the one in force; the versions inside the text carry the dates.
 *
 * Callers hold srv->lock (the cache lives under it).  Returned tariffs are
 * owned by the cache and live as long as the server.
 */
#ifndef SRV_TARIFFS_H
#define SRV_TARIFFS_H

#include "srv.h"
#include "mb_tariff.h"
#include "srv_token.h"

struct srv_tariff_cache *srv_tariff_cache_new(void);
void srv_tariff_cache_free(struct srv_tariff_cache *c);

/* The tariff in force for account at UTC time `at`: its parsed form, id and
 * hash (id[72], hash[65]).  Returns 1, 0 when no tariff is assigned by then,
 * or an error. */
int srv_tariff_for_account(struct srv *s, srv_db *db, int64_t account_id, int64_t at,
                           const mb_tariff **t, char *id, char *hash);

/* The parsed tariff of the stored text with this hash (tariffs row id
 * row_id), from the cache, or read and parsed now.  MB_OK or an error. */
int srv_tariff_by_hash(struct srv *s, srv_db *db, const char *hash, int64_t row_id,
                       const mb_tariff **t);

/* The cached tariff of the text with this hash, parsed now when new.  MB_OK
 * or the parser's error. */
int srv_tariff_cache_text(struct srv *s, const char *hash, const char *text, const mb_tariff **t);

/* A spliced plan (srv_plan.c) in the cache by its id: the tariff and its
 * hash (hash[65]), or NULL.  _cache_plan parses its text into the cache
 * under that id. */
const mb_tariff *srv_tariff_cached_plan(struct srv *s, const char *plan_id, char *hash);
int srv_tariff_cache_plan(struct srv *s, const char *plan_id, const char *hash, const char *text,
                          const mb_tariff **t);

/* A plan made lately from parts `key` (srv_plan.c): 1 with its id, hash
 * and tariff, else 0.  _remember notes one (a key too long is not). */
int srv_tariff_plan_memo(struct srv *s, const char *key, char *id, char *hash, const mb_tariff **t);
void srv_tariff_plan_remember(struct srv *s, const char *key, const char *id, const char *hash,
                              const mb_tariff *t);

/* Handlers (routes in srv_routes.c). */
void srv_h_tariff_load(struct srv_req *rq, struct srv_resp *rs);
void srv_h_tariff_list(struct srv_req *rq, struct srv_resp *rs);
void srv_h_tariff_show(struct srv_req *rq, struct srv_resp *rs);
void srv_h_tariff_text(struct srv_req *rq, struct srv_resp *rs);
void srv_h_tariff_assign(struct srv_req *rq, struct srv_resp *rs);

#endif
