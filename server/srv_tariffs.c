/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "tariffs"
#include "srv_tariffs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_log.h"
#include "mb_tariff.h"
#include "mb_time.h"
#include "srv_accounts.h"
#include "srv_charge.h"
#include "srv_plan.h"

struct cached {
        char hash[SRV_TOKEN_HASH_HEX + 1];
        char plan[72]; /* a spliced plan's id (srv_plan.c), else "" */
        mb_tariff *t;
        struct cached *next;
};

/* Plans made lately, by their parts (srv_plan.c): the close asks for the
 * same few plans once per account. */
struct plan_memo {
        char key[240], id[72], hash[SRV_TOKEN_HASH_HEX + 1];
        const mb_tariff *t;
};

struct srv_tariff_cache {
        struct cached *head;
        struct plan_memo memo[8];
        unsigned next;
};

struct srv_tariff_cache *srv_tariff_cache_new(void)
{
        return calloc(1, sizeof(struct srv_tariff_cache));
}

void srv_tariff_cache_free(struct srv_tariff_cache *c)
{
        if (c == NULL)
                return;
        while (c->head) {
                struct cached *n = c->head->next;

                mb_tariff_free(c->head->t);
                free(c->head);
                c->head = n;
        }
        free(c);
}

/* The parsed tariff for a stored text, from the cache or parsed now. */
static int cache_get(struct srv_tariff_cache *c, const char *hash, const char *text,
                     const mb_tariff **out)
{
        struct cached *e;
        char err[256];
        int rc;

        for (e = c->head; e; e = e->next)
                if (strcmp(e->hash, hash) == 0) {
                        *out = e->t;
                        return MB_OK;
                }
        e = calloc(1, sizeof(*e));
        if (e == NULL)
                return MB_ENOMEM;
        rc = mb_tariff_parse_string(text, "stored tariff", &e->t, err, sizeof(err));
        if (rc < 0) {
                mb_err_log("stored tariff %s does not parse: %s", hash, err);
                free(e);
                return rc;
        }
        snprintf(e->hash, sizeof(e->hash), "%s", hash);
        e->next = c->head;
        c->head = e;
        *out = e->t;
        return MB_OK;
}

int srv_tariff_cache_text(struct srv *s, const char *hash, const char *text, const mb_tariff **t)
{
        return cache_get(s->tariffs, hash, text, t);
}

const mb_tariff *srv_tariff_cached_plan(struct srv *s, const char *plan_id, char *hash)
{
        for (struct cached *e = s->tariffs->head; e; e = e->next)
                if (e->plan[0] && strcmp(e->plan, plan_id) == 0) {
                        snprintf(hash, SRV_TOKEN_HASH_HEX + 1, "%s", e->hash);
                        return e->t;
                }
        return NULL;
}

int srv_tariff_cache_plan(struct srv *s, const char *plan_id, const char *hash, const char *text,
                          const mb_tariff **t)
{
        int rc = cache_get(s->tariffs, hash, text, t);

        for (struct cached *e = s->tariffs->head; rc == MB_OK && e; e = e->next)
                if (e->t == *t)
                        snprintf(e->plan, sizeof(e->plan), "%s", plan_id);
        return rc;
}

int srv_tariff_plan_memo(struct srv *s, const char *key, char *id, char *hash, const mb_tariff **t)
{
        for (size_t i = 0; i < sizeof(s->tariffs->memo) / sizeof(s->tariffs->memo[0]); i++) {
                const struct plan_memo *m = &s->tariffs->memo[i];

                if (m->t && strcmp(m->key, key) == 0) {
                        snprintf(id, 72, "%s", m->id);
                        snprintf(hash, SRV_TOKEN_HASH_HEX + 1, "%s", m->hash);
                        *t = m->t;
                        return 1;
                }
        }
        return 0;
}

void srv_tariff_plan_remember(struct srv *s, const char *key, const char *id, const char *hash,
                              const mb_tariff *t)
{
        struct srv_tariff_cache *c = s->tariffs;
        struct plan_memo *m = &c->memo[c->next++ % (sizeof(c->memo) / sizeof(c->memo[0]))];

        if (strlen(key) >= sizeof(m->key))
                return;
        snprintf(m->key, sizeof(m->key), "%s", key);
        snprintf(m->id, sizeof(m->id), "%s", id);
        snprintf(m->hash, sizeof(m->hash), "%s", hash);
        m->t = t;
}

/* The text is fetched only when the cache lacks its hash: one small row per
 * lookup on the hot paths (ingest, month close). */
int srv_tariff_for_account(struct srv *s, srv_db *db, int64_t account_id, int64_t at,
                           const mb_tariff **t, char *id, char *hash)
{
        struct cached *e = NULL;
        srv_stmt *st;
        int rc = srv_db_query(db, &st,
                              "SELECT t.tariff_id, t.hash, t.id FROM account_tariffs a"
                              " JOIN tariffs t ON t.tariff_id = a.tariff_id"
                              " WHERE a.account_id = $1 AND a.effective_from <= $2"
                              " ORDER BY a.effective_from DESC, t.id DESC LIMIT 1",
                              "ii", account_id, at);
        int64_t row = 0;

        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW) {
                snprintf(id, 72, "%s", srv_stmt_text(st, 0));
                snprintf(hash, SRV_TOKEN_HASH_HEX + 1, "%s", srv_stmt_text(st, 1));
                row = srv_stmt_i64(st, 2);
                for (e = s->tariffs->head; e && strcmp(e->hash, hash) != 0; e = e->next)
                        ;
        }
        srv_stmt_done(st);
        if (rc != SRV_DB_ROW)
                return rc;
        if (e) {
                *t = e->t;
                return 1;
        }
        rc = srv_tariff_by_hash(s, db, hash, row, t);
        return rc < 0 ? rc : 1;
}

int srv_tariff_by_hash(struct srv *s, srv_db *db, const char *hash, int64_t row_id,
                       const mb_tariff **t)
{
        struct cached *e;
        srv_stmt *st;
        int rc;

        for (e = s->tariffs->head; e; e = e->next)
                if (strcmp(e->hash, hash) == 0) {
                        *t = e->t;
                        return MB_OK;
                }
        rc = srv_db_query(db, &st, "SELECT text FROM tariffs WHERE id = $1", "i", row_id);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                rc = cache_get(s->tariffs, hash, srv_stmt_text(st, 0), t);
        else if (rc >= 0)
                rc = MB_ESTORE;
        srv_stmt_done(st);
        return rc;
}

static json_object *date_json(int32_t ymd)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
        return json_object_new_string(buf);
}

/* Versions and tiers of a parsed tariff, for show and load. */
static json_object *versions_json(const mb_tariff *t)
{
        json_object *a = json_object_new_array();
        mb_tariff_version_info v;

        for (size_t i = 0; mb_tariff_version(t, i, &v) == MB_OK; i++) {
                json_object *o = json_object_new_object(), *tiers = json_object_new_array();
                mb_tariff_tier_info ti;

                json_object_object_add(o, "from", date_json(v.from));
                srv_jadd_str(o, "label", v.label);
                srv_jadd_str(o, "tier_period", v.tier_period == MB_TIER_YEAR ? "year" : "month");
                srv_jadd_bool(o, "time_of_use", v.has_tou);
                srv_jadd_i64(o, "fixed_monthly", v.fixed_monthly);
                srv_jadd_i64(o, "demand_price", v.demand_price);
                for (int k = 0; mb_tariff_tier(t, i, k, &ti) == MB_OK; k++) {
                        json_object *to = json_object_new_object(), *p = json_object_new_object();

                        srv_jadd_i64_or_null(to, "upto_wh", ti.upto_wh < 0, ti.upto_wh);
                        for (int r = 0; r < MB_TARIFF_NRATES; r++)
                                if (ti.price[r] >= 0)
                                        srv_jadd_i64(p, mb_tariff_rate_name(r), ti.price[r]);
                        json_object_object_add(to, "price", p);
                        json_object_array_add(tiers, to);
                }
                json_object_object_add(o, "tiers", tiers);
                json_object_array_add(a, o);
        }
        return a;
}

void srv_h_tariff_load(struct srv_req *rq, struct srv_resp *rs)
{
        char err[512], hash[SRV_TOKEN_HASH_HEX + 1];
        mb_tariff *t = NULL;
        char *text = NULL, *body = NULL;
        json_object *o;
        int rc, created;

        if (rq->body_len == 0 || memchr(rq->body, '\0', rq->body_len)) {
                srv_reply_errorf(rs, 400, "bad_body", "body",
                                 "the body must be the tariff file text");
                return;
        }
        body = strndup(rq->body, rq->body_len);
        rc = body ? mb_tariff_parse_string(body, "body", &t, err, sizeof(err)) : MB_ENOMEM;
        free(body);
        if (rc < 0) {
                srv_reply_errorf(rs, 422, "invalid_tariff", "body", "%s", err);
                return;
        }
        text = mb_tariff_to_text(t);
        if (text == NULL) {
                mb_tariff_free(t);
                srv_reply_errorf(rs, 500, "internal", "", "out of memory");
                return;
        }
        srv_sha256_hex(text, strlen(text), hash);
        rc = srv_db_exec_args(rq->db,
                              "INSERT INTO tariffs (tariff_id, hash, name, currency, text,"
                              " loaded_at, loaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                              " ON CONFLICT (tariff_id, hash) DO NOTHING",
                              "tttttit", mb_tariff_id(t), hash, mb_tariff_name(t),
                              mb_tariff_currency(t), text, mb_realtime_s(), rq->auth.name);
        free(text);
        if (rc < 0) {
                mb_tariff_free(t);
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        created = rc > 0;
        o = json_object_new_object();
        srv_jadd_str(o, "id", mb_tariff_id(t));
        srv_jadd_str(o, "name", mb_tariff_name(t));
        srv_jadd_str(o, "currency", mb_tariff_currency(t));
        srv_jadd_str(o, "hash", hash);
        srv_jadd_bool(o, "created", created);
        json_object_object_add(o, "versions", versions_json(t));
        mb_tariff_free(t);
        srv_reply_json(rs, created ? 201 : 200, o);
}

void srv_h_tariff_list(struct srv_req *rq, struct srv_resp *rs)
{
        json_object *a = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st,
                              "SELECT tariff_id, name, currency, hash, loaded_at FROM tariffs t"
                              " WHERE id = (SELECT max(id) FROM tariffs u"
                              " WHERE u.tariff_id = t.tariff_id) ORDER BY tariff_id",
                              "");

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *t = json_object_new_object();

                srv_jadd_str(t, "id", srv_stmt_text(st, 0));
                srv_jadd_str(t, "name", srv_stmt_text(st, 1));
                srv_jadd_str(t, "currency", srv_stmt_text(st, 2));
                srv_jadd_str(t, "hash", srv_stmt_text(st, 3));
                srv_jadd_i64(t, "loaded_at", srv_stmt_i64(st, 4));
                json_object_array_add(a, t);
        }
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "tariffs", a);
}

/* Latest stored row of tariff id: hash and text (malloc'd) */
static int latest(srv_db *db, const char *id, char *hash, char **text, int64_t *loaded_at)
{
        srv_stmt *st;
        int rc = srv_db_query(db, &st,
                              "SELECT hash, text, loaded_at FROM tariffs WHERE tariff_id = $1"
                              " ORDER BY id DESC LIMIT 1",
                              "t", id);

        if (rc < 0)
                return rc;
        rc = srv_stmt_step(st);
        if (rc == SRV_DB_ROW) {
                snprintf(hash, SRV_TOKEN_HASH_HEX + 1, "%s", srv_stmt_text(st, 0));
                *text = strdup(srv_stmt_text(st, 1));
                *loaded_at = srv_stmt_i64(st, 2);
                rc = *text ? 1 : MB_ENOMEM;
        }
        srv_stmt_done(st);
        return rc;
}

void srv_h_tariff_show(struct srv_req *rq, struct srv_resp *rs)
{
        const char *id = rq->params.v[0];
        char hash[SRV_TOKEN_HASH_HEX + 1], *text = NULL;
        const mb_tariff *t;
        int64_t loaded_at = 0;
        json_object *o;
        int rc = latest(rq->db, id, hash, &text, &loaded_at);

        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no tariff '%s'", id);
                return;
        }
        if (rc > 0)
                rc = cache_get(rq->srv->tariffs, hash, text, &t);
        free(text);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "id", mb_tariff_id(t));
        srv_jadd_str(o, "name", mb_tariff_name(t));
        srv_jadd_str(o, "currency", mb_tariff_currency(t));
        srv_jadd_str(o, "hash", hash);
        srv_jadd_i64(o, "loaded_at", loaded_at);
        json_object_object_add(o, "versions", versions_json(t));
        srv_reply_json(rs, 200, o);
}

/*
 * An account's plan not in tariff_plans: the transaction that built it was
 * rolled back (a batch refused after charging), while the plan stayed in
 * the cache that every snapshot since names it from (srv_plan.c).  Its text
 * is the cached tariff's, the same that was to be stored.  1 with *text
 * (the caller's), 0 when the cache does not have it either, or an error.
 */
static int cached_plan_text(struct srv *s, const char *id, char **text, char *hash)
{
        const mb_tariff *t = srv_tariff_cached_plan(s, id, hash);

        if (t == NULL)
                return 0;
        *text = mb_tariff_to_text(t);
        return *text ? 1 : MB_ENOMEM;
}

void srv_h_tariff_text(struct srv_req *rq, struct srv_resp *rs)
{
        char hash[SRV_TOKEN_HASH_HEX + 1], *text = NULL;
        int64_t loaded_at;
        int rc = latest(rq->db, rq->params.v[0], hash, &text, &loaded_at);

        if (rc == 0 && strncmp(rq->params.v[0], "plan-", 5) == 0) /* an account's plan */
                rc = srv_plan_text(rq->db, rq->params.v[0], &text, hash);
        if (rc == 0 && strncmp(rq->params.v[0], "plan-", 5) == 0)
                rc = cached_plan_text(rq->srv, rq->params.v[0], &text, hash);
        if (rc < 0) {
                srv_reply_db_error(rs, rq, rc);
                return;
        }
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no tariff '%s'", rq->params.v[0]);
                return;
        }
        rs->status = 200;
        rs->text = text;
        rs->content_type = "text/plain; charset=utf-8";
        snprintf(rs->header_name, sizeof(rs->header_name), "X-Tariff-Hash");
        snprintf(rs->header_value, sizeof(rs->header_value), "%s", hash);
}

/* Has the latest text of tariff id a version in force at `at`?  1, 0, or
 * an error. */
static int in_force_on(struct srv_req *rq, const char *id, int64_t at)
{
        char hash[SRV_TOKEN_HASH_HEX + 1], *text = NULL;
        const mb_tariff *t;
        int64_t loaded_at;
        int rc = latest(rq->db, id, hash, &text, &loaded_at);

        if (rc > 0 && (rc = cache_get(rq->srv->tariffs, hash, text, &t)) == MB_OK)
                rc = mb_tariff_version_at(t, at) >= 0;
        free(text);
        return rc;
}

void srv_h_tariff_assign(struct srv_req *rq, struct srv_resp *rs)
{
        static const char *const keys[] = {"tariff", "effective", NULL};
        const char *tariff, *date;
        int64_t account_id, from, end, n = 0;
        struct srv_err e;
        json_object *body, *o;
        int rc;

        if (srv_req_body(rq, rs, keys, &body) < 0)
                return;
        if (srv_json_string(body, "tariff", "", 1, 64, &tariff, &e) < 0 ||
            srv_json_string(body, "effective", "", 1, 10, &date, &e) < 0) {
                srv_reply_error(rs, &e);
                goto out;
        }
        if (mb_tariff_local_day(date, &from, &end) < 0) {
                srv_reply_errorf(rs, 400, "bad_field", "effective",
                                 "'effective' must be a local date YYYY-MM-DD");
                goto out;
        }
        rc = srv_account_id(rq->db, rq->params.v[0], &account_id);
        if (rc == 0) {
                srv_reply_errorf(rs, 404, "not_found", "", "no account '%s'", rq->params.v[0]);
                goto out;
        }
        if (rc > 0)
                rc = srv_db_query_i64(
                    rq->db, &n, "SELECT count(*) FROM tariffs WHERE tariff_id = $1", "t", tariff);
        if (rc >= 0 && n == 0) {
                srv_reply_errorf(rs, 422, "unknown_tariff", "tariff", "no tariff '%s' is loaded",
                                 tariff);
                goto out;
        }
        if (rc >= 0 && (rc = in_force_on(rq, tariff, from)) == 0) {
                srv_reply_errorf(rs, 422, "no_version", "effective",
                                 "tariff '%s' has no version in force on %s", tariff, date);
                goto out;
        }
        if (rc >= 0)
                rc = srv_db_begin(rq->db);
        if (rc >= 0)
                rc = srv_db_exec_args(rq->db,
                                      "INSERT INTO account_tariffs (account_id, effective_from,"
                                      " effective_date, tariff_id, assigned_at, assigned_by)"
                                      " VALUES ($1, $2, $3, $4, $5, $6)"
                                      " ON CONFLICT (account_id, effective_from) DO UPDATE"
                                      " SET tariff_id = excluded.tariff_id,"
                                      " assigned_at = excluded.assigned_at,"
                                      " assigned_by = excluded.assigned_by",
                                      "iittit", account_id, from, date, tariff, mb_realtime_s(),
                                      rq->auth.name);
        /* a date in the past reprices what the month has charged so far */
        if (rc >= 0)
                rc = srv_charge_recompute(rq->srv, rq->db, account_id);
        if (srv_req_commit(rq, rs, rc) < 0)
                goto out;
        o = json_object_new_object();
        srv_jadd_str(o, "account", rq->params.v[0]);
        srv_jadd_str(o, "tariff", tariff);
        srv_jadd_str(o, "effective", date);
        srv_jadd_i64(o, "effective_from", from);
        srv_reply_json(rs, 200, o);
out:
        json_object_put(body);
}
