/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "tariffs"
#include "srv_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_tariffs.h"
#include "srv_token.h"

#define MAX_PARTS 64

/* Copy s into out[len] (truncated); no printf: the close does this for
 * every account. */
static void copy(char *out, size_t len, const char *s)
{
        size_t n = s ? strlen(s) : 0;

        if (n >= len)
                n = len - 1;
        memcpy(out, s ? s : "", n);
        out[n] = '\0';
}

int srv_plan_part_row(srv_stmt *st, struct srv_plan_part *p)
{
        const char *d = srv_stmt_text(st, 1);
        int32_t v = 0;

        /* "YYYY-MM-DD", as the assignment stored it */
        if (d == NULL || strlen(d) != 10 || d[4] != '-' || d[7] != '-')
                return MB_EINVAL;
        for (int i = 0; i < 10; i++)
                if (i != 4 && i != 7) {
                        if (d[i] < '0' || d[i] > '9')
                                return MB_EINVAL;
                        v = v * 10 + (d[i] - '0');
                }
        p->from = v;
        copy(p->tariff, sizeof(p->tariff), srv_stmt_text(st, 2));
        copy(p->hash, sizeof(p->hash), srv_stmt_text(st, 3));
        p->row = srv_stmt_i64(st, 4);
        return MB_OK;
}

static void remember(struct srv_plan *out, const struct srv_plan_part *parts, size_t n)
{
        size_t skip = n > SRV_PLAN_SHOWN ? n - SRV_PLAN_SHOWN : 0;

        out->n = n;
        for (size_t k = skip; k < n; k++) {
                out->from[k - skip] = parts[k].from;
                copy(out->tariff[k - skip], sizeof(out->tariff[0]), parts[k].tariff);
        }
}

/* The id of a plan: a digest of its parts, so equal plans share one. */
static void plan_id(const struct srv_plan_part *parts, size_t n, char *id)
{
        char key[MAX_PARTS * 96], hex[SRV_TOKEN_HASH_HEX + 1];
        size_t len = 0;

        for (size_t k = 0; k < n; k++)
                len += (size_t)snprintf(key + len, sizeof(key) - len, "%d:%s\n", parts[k].from,
                                        parts[k].hash);
        srv_sha256_hex(key, len, hex);
        snprintf(id, 72, "plan-%.24s", hex);
}

/* Splice parts now and store the plan's text.  MB_OK or an error. */
static int build(struct srv *s, srv_db *db, const struct srv_plan_part *parts, size_t n,
                 struct srv_plan *out)
{
        mb_tariff_plan_part pp[MAX_PARTS];
        mb_tariff *t = NULL;
        char err[256], name[160], *text;
        int rc = MB_OK;

        for (size_t k = 0; k < n && rc == MB_OK; k++) {
                rc = srv_tariff_by_hash(s, db, parts[k].hash, parts[k].row, &pp[k].t);
                pp[k].from = parts[k].from;
        }
        snprintf(name, sizeof(name), "%s, then %s from %d", parts[0].tariff, parts[n - 1].tariff,
                 parts[n - 1].from);
        if (rc == MB_OK && (rc = mb_tariff_splice(pp, n, out->id, name, &t, err, sizeof(err))) < 0)
                mb_err_log("plan %s: %s", out->id, err);
        if (rc < 0)
                return rc;
        text = mb_tariff_to_text(t);
        mb_tariff_free(t);
        if (text == NULL)
                return MB_ENOMEM;
        srv_sha256_hex(text, strlen(text), out->hash);
        rc = srv_db_exec_args(db,
                              "INSERT INTO tariff_plans (id, hash, text, made_at)"
                              " VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
                              "ttti", out->id, out->hash, text, mb_realtime_s());
        if (rc >= 0)
                rc = srv_tariff_cache_plan(s, out->id, out->hash, text, &out->t);
        free(text);
        return rc < 0 ? rc : MB_OK;
}

int srv_plan_text(srv_db *db, const char *id, char **text, char *hash)
{
        srv_stmt *st = NULL;
        int rc =
            srv_db_query(db, &st, "SELECT hash, text FROM tariff_plans WHERE id = $1", "t", id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                snprintf(hash, SRV_TOKEN_HASH_HEX + 1, "%s", srv_stmt_text(st, 0));
                *text = strdup(srv_stmt_text(st, 1));
                rc = *text ? 1 : MB_ENOMEM;
        }
        srv_stmt_done(st);
        return rc;
}

/* One assignment from on or before its tariff's first version: the tariff
 * itself, no plan.  1 when so (out filled), 0, or an error. */
static int plain(struct srv *s, srv_db *db, const struct srv_plan_part *p, struct srv_plan *out)
{
        mb_tariff_version_info v;
        const mb_tariff *t;
        int rc = srv_tariff_by_hash(s, db, p->hash, p->row, &t);

        if (rc < 0 || mb_tariff_version(t, 0, &v) < 0 || p->from > v.from)
                return rc < 0 ? rc : 0;
        out->t = t;
        snprintf(out->id, sizeof(out->id), "%s", p->tariff);
        snprintf(out->hash, sizeof(out->hash), "%s", p->hash);
        return 1;
}

/* The parts as a short key for the plan memo ("" when too long). */
static void memo_key(const struct srv_plan_part *parts, size_t n, char *key, size_t len)
{
        size_t at = 0;

        for (size_t k = 0; k < n; k++) {
                size_t a = strlen(parts[k].tariff), b = strlen(parts[k].hash);

                if (at + 10 + a + b + 1 >= len) {
                        at = 0;
                        break;
                }
                for (int i = 7, v = parts[k].from; i >= 0; i--, v /= 10)
                        key[at + (size_t)i] = (char)('0' + v % 10);
                key[at + 8] = ':';
                memcpy(key + at + 9, parts[k].tariff, a);
                key[at + 9 + a] = ':';
                memcpy(key + at + 10 + a, parts[k].hash, b);
                at += 10 + a + b;
                key[at++] = ';';
        }
        key[at] = '\0';
}

static int make(struct srv *s, srv_db *db, const struct srv_plan_part *parts, size_t n,
                struct srv_plan *out);

int srv_plan_make(struct srv *s, srv_db *db, const struct srv_plan_part *parts, size_t n,
                  struct srv_plan *out)
{
        char key[240];
        int rc;

        memset(out, 0, sizeof(*out));
        if (n == 0 || n > MAX_PARTS)
                return MB_EINVAL;
        remember(out, parts, n);
        memo_key(parts, n, key, sizeof(key));
        if (key[0] && srv_tariff_plan_memo(s, key, out->id, out->hash, &out->t))
                return MB_OK;
        rc = make(s, db, parts, n, out);
        if (rc == MB_OK && key[0])
                srv_tariff_plan_remember(s, key, out->id, out->hash, out->t);
        return rc;
}

static int make(struct srv *s, srv_db *db, const struct srv_plan_part *parts, size_t n,
                struct srv_plan *out)
{
        char *text = NULL;
        int rc;

        if (n == 1 && (rc = plain(s, db, parts, out)) != 0)
                return rc < 0 ? rc : MB_OK;
        plan_id(parts, n, out->id);
        if ((out->t = srv_tariff_cached_plan(s, out->id, out->hash)) != NULL)
                return MB_OK;
        rc = srv_plan_text(db, out->id, &text, out->hash);
        if (rc > 0)
                rc = srv_tariff_cache_plan(s, out->id, out->hash, text, &out->t);
        else if (rc == 0)
                rc = build(s, db, parts, n, out);
        free(text);
        return rc < 0 ? rc : MB_OK;
}

int srv_plan_for_account(struct srv *s, srv_db *db, int64_t account_id, struct srv_plan *out)
{
        struct srv_plan_part parts[MAX_PARTS];
        srv_stmt *st = NULL;
        size_t n = 0;
        int rc = srv_db_query(db, &st, SRV_PLAN_PARTS_SQL, "ii", account_id, account_id);

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                if (n < MAX_PARTS && srv_plan_part_row(st, &parts[n]) == MB_OK)
                        n++;
        srv_stmt_done(st);
        if (rc < 0 || n == 0)
                return rc < 0 ? rc : 0;
        rc = srv_plan_make(s, db, parts, n, out);
        return rc < 0 ? rc : 1;
}

static json_object *date_json(int32_t d)
{
        char buf[16];

        snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d / 10000, d / 100 % 100, d % 100);
        return json_object_new_string(buf);
}

/* YYYYMMDD of the local day of t. */
static int32_t local_date(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        if (localtime_r(&tt, &tm) == NULL)
                return 0;
        return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

json_object *srv_plan_json(const struct srv_plan *p, int64_t from, int64_t to)
{
        size_t shown = p->n < SRV_PLAN_SHOWN ? p->n : SRV_PLAN_SHOWN;
        int32_t d0 = local_date(from), d1 = local_date(to - 1);
        json_object *a = json_object_new_array();

        for (size_t k = 0; k < shown; k++) {
                int32_t end = k + 1 < shown ? p->from[k + 1] : 99991231;
                json_object *o;

                if (end <= d0 || p->from[k] > d1)
                        continue; /* not in force in [from, to) */
                o = json_object_new_object();
                srv_jadd_str(o, "tariff", p->tariff[k]);
                json_object_object_add(o, "from", date_json(p->from[k]));
                json_object_array_add(a, o);
        }
        return a;
}
