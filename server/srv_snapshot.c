/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_snapshot.h"
#include "mb_cmdsig.h"
#include "mb_snapsig.h"

#include <stdio.h>
#include <string.h>

#include "mb_tariff_wire.h"
#include "mb_time.h"
#include "srv_charge.h"
#include "srv_commands.h"
#include "srv_month.h"
#include "srv_plan.h"

struct meter_row;
static void sign_commands(struct srv *s, const struct meter_row *m, json_object *cmds);
static void sign_snapshot(struct srv *s, const struct meter_row *m, json_object *o);

struct meter_row {
        char address[64], number[72], mode[16], gateway[80];
        int64_t account_id, balance, alarm1, alarm2, credit, reconnect, rollover;
        int has_account, protect;
        /* the account's open supply: where it began, its CT x PT */
        int has_after;
        int64_t after_seq, multiplier;
};

static int load_meter(srv_db *db, int64_t meter_id, struct meter_row *m)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT m.address, a.id, a.number, a.mode, a.protected,"
                              " a.balance_fen, a.alarm1_fen, a.alarm2_fen, a.credit_limit_fen,"
                              " a.reconnect_fen, g.name, m.rollover_wh, s.from_seq, s.multiplier"
                              " FROM meters m LEFT JOIN accounts a ON a.id = m.account_id"
                              " LEFT JOIN gateways g ON g.id = m.gateway_id"
                              " LEFT JOIN supplies s ON s.id = (SELECT id FROM supplies"
                              "  WHERE account_id = a.id AND to_seq IS NULL ORDER BY id DESC"
                              "  LIMIT 1) WHERE m.id = $1",
                              "i", meter_id);

        memset(m, 0, sizeof(*m));
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                snprintf(m->address, sizeof(m->address), "%s", srv_stmt_text(st, 0));
                if (!srv_stmt_is_null(st, 10))
                        snprintf(m->gateway, sizeof(m->gateway), "%s", srv_stmt_text(st, 10));
                m->has_account = !srv_stmt_is_null(st, 1);
                m->rollover = srv_stmt_is_null(st, 11) ? 0 : srv_stmt_i64(st, 11);
                if (m->has_account) {
                        m->account_id = srv_stmt_i64(st, 1);
                        snprintf(m->number, sizeof(m->number), "%s", srv_stmt_text(st, 2));
                        snprintf(m->mode, sizeof(m->mode), "%s", srv_stmt_text(st, 3));
                        m->protect = (int)srv_stmt_i64(st, 4);
                        m->balance = srv_stmt_i64(st, 5);
                        m->alarm1 = srv_stmt_i64(st, 6);
                        m->alarm2 = srv_stmt_i64(st, 7);
                        m->credit = srv_stmt_i64(st, 8);
                        m->reconnect = srv_stmt_i64(st, 9);
                        m->has_after = !srv_stmt_is_null(st, 12);
                        m->after_seq = m->has_after ? srv_stmt_i64(st, 12) : 0;
                        m->multiplier = srv_stmt_is_null(st, 13) ? 1 : srv_stmt_i64(st, 13);
                }
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : (rc == SRV_DB_ROW ? MB_OK : MB_ENOENT);
}

static json_object *rates_json(const mb_tariff_reading *r)
{
        json_object *a = json_object_new_array();

        for (int i = 0; i < MB_RATES; i++)
                json_object_array_add(a, json_object_new_int64(r->rate_wh[i]));
        return a;
}

/* ref, tier and acc from the charge state (null / empty month when none). */
static int add_charge(struct srv *s, srv_db *db, const struct meter_row *m, json_object *o)
{
        struct srv_charge_state cs;
        struct srv_plan plan;
        char month[8];
        int rc = srv_charge_load(db, m->account_id, &cs);

        if (rc == MB_OK && cs.exists) {
                json_object *ref = json_object_new_object(), *tier = json_object_new_object();

                srv_jadd_i64(ref, "seq", cs.ref_seq);
                srv_jadd_i64(ref, "t", cs.ref.t);
                srv_jadd_i64(ref, "import_wh", cs.ref.import_wh);
                if (cs.ref.has_rates)
                        json_object_object_add(ref, "rate_wh", rates_json(&cs.ref));
                json_object_object_add(o, "ref", ref);
                srv_jadd_i64(tier, "period_start", cs.pos.period_start);
                srv_jadd_i64(tier, "used_wh", cs.pos.used_wh);
                json_object_object_add(o, "tier", tier);
                json_object_object_add(o, "acc", mb_tariff_wire_acc(cs.acc, cs.month));
        } else if (rc == MB_OK) {
                json_object_object_add(o, "ref", NULL);
                json_object_object_add(o, "tier", NULL);
                /* the account begins at the meter's first reading after this
                 * one: the agent takes the same reference (docs/wire.md) */
                if (m->has_after)
                        srv_jadd_i64(o, "ref_after_seq", m->after_seq);
                srv_month_of(mb_realtime_s(), month);
                json_object_object_add(o, "acc", mb_tariff_wire_acc(cs.acc, month));
        }
        srv_charge_fini(&cs);
        if (rc < 0)
                return rc;
        /* behind CT and PT: the agent scales its pieces by the open supply's
         * multiplier (docs/wire.md), as the server's walk does */
        srv_jadd_i64(o, "multiplier", m->multiplier > 0 ? m->multiplier : 1);
        /* the account's plan: every tariff it has, from its dates on */
        rc = srv_plan_for_account(s, db, m->account_id, &plan);
        if (rc > 0) {
                json_object *tj = json_object_new_object();

                srv_jadd_str(tj, "id", plan.id);
                srv_jadd_str(tj, "hash", plan.hash);
                json_object_object_add(o, "tariff", tj);
        } else if (rc == 0) {
                json_object_object_add(o, "tariff", NULL);
        }
        return rc < 0 ? rc : MB_OK;
}

int srv_snapshot_meter(struct srv *s, srv_db *db, int64_t meter_id, json_object *cmds,
                       json_object **out)
{
        struct meter_row m;
        json_object *o, *th;
        int rc = load_meter(db, meter_id, &m);

        if (cmds == NULL) /* a look, not a sync: none */
                cmds = json_object_new_array();
        if (rc < 0) {
                json_object_put(cmds);
                return rc;
        }
        o = json_object_new_object();
        srv_jadd_str(o, "meter", m.address);
        if (!m.has_account) {
                json_object_object_add(o, "account", NULL);
        } else {
                srv_jadd_str(o, "account", m.number);
                srv_jadd_str(o, "mode", m.mode);
                srv_jadd_bool(o, "protected", m.protect);
                srv_jadd_i64(o, "balance_fen", m.balance);
                if (m.rollover > 0) /* the register wraps there (docs/tariffs.md) */
                        srv_jadd_i64(o, "rollover_wh", m.rollover);
                rc = add_charge(s, db, &m, o);
                th = json_object_new_object();
                srv_jadd_i64(th, "alarm1_fen", m.alarm1);
                srv_jadd_i64(th, "alarm2_fen", m.alarm2);
                srv_jadd_i64(th, "credit_limit_fen", m.credit);
                srv_jadd_i64(th, "reconnect_fen", m.reconnect);
                json_object_object_add(o, "thresholds", th);
        }
        if (rc < 0) {
                json_object_put(o);
                json_object_put(cmds);
                return rc;
        }
        sign_snapshot(s, &m, o);
        sign_commands(s, &m, cmds);
        json_object_object_add(o, "commands", cmds);
        *out = o;
        return MB_OK;
}

/* Sign the balance snapshot o (before its commands are added) with the
 * gateway's key (mb_snapsig.h), when the server has a signing secret and the
 * meter an account.  An agent refuses a snapshot older than the one it
 * holds, so signed_at is the time it was made. */
static void sign_snapshot(struct srv *s, const struct meter_row *m, json_object *o)
{
        char key[MB_CMDSIG_HEX], sig[MB_CMDSIG_HEX];

        if (!s->cfg->cmd_secret_len || !m->gateway[0] || !m->has_account)
                return;
        mb_cmdsig_gateway_key(s->cfg->cmd_secret, s->cfg->cmd_secret_len, m->gateway, key);
        srv_jadd_i64(o, "signed_at", mb_realtime_s());
        if (mb_snapsig_sign(key, m->gateway, o, sig) == 0)
                srv_jadd_str(o, "sig", sig);
}

/* Sign each command with the gateway's key (docs/security.md), when the
 * server has a signing secret. */
static void sign_commands(struct srv *s, const struct meter_row *m, json_object *cmds)
{
        char key[MB_CMDSIG_HEX], sig[MB_CMDSIG_HEX];
        json_object *v;

        if (!s->cfg->cmd_secret_len || !m->gateway[0])
                return;
        mb_cmdsig_gateway_key(s->cfg->cmd_secret, s->cfg->cmd_secret_len, m->gateway, key);
        for (size_t i = 0; i < json_object_array_length(cmds); i++) {
                json_object *c = json_object_array_get_idx(cmds, i);
                int64_t id = 0, issued = 0, expires = 0;
                const char *op = "";

                if (json_object_object_get_ex(c, "id", &v))
                        id = json_object_get_int64(v);
                if (json_object_object_get_ex(c, "op", &v))
                        op = json_object_get_string(v);
                if (json_object_object_get_ex(c, "issued_at", &v))
                        issued = json_object_get_int64(v);
                if (json_object_object_get_ex(c, "expires_at", &v))
                        expires = json_object_get_int64(v);
                mb_cmdsig_sign(key, m->gateway, id, m->address, op, issued, expires, sig);
                srv_jadd_str(c, "sig", sig);
        }
}

int srv_snapshot_gateway(struct srv *s, srv_db *db, int64_t gateway_id, int deliver,
                         json_object **out)
{
        json_object *a = json_object_new_array(), *cmds = NULL;
        int64_t ids[512];
        size_t n = 0;
        int64_t after = 0;
        int rc = deliver ? srv_commands_for_gateway(db, gateway_id, &cmds) : MB_OK;

        /* in pages, so no statement stays open while the snapshots query */
        while (rc >= 0) {
                srv_stmt *st = NULL;

                n = 0;
                rc = srv_db_query(db, &st,
                                  "SELECT id FROM meters WHERE gateway_id = $1 AND id > $2"
                                  " ORDER BY id LIMIT 512",
                                  "ii", gateway_id, after);
                while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                        ids[n++] = srv_stmt_i64(st, 0);
                srv_stmt_done(st);
                for (size_t i = 0; rc >= 0 && i < n; i++) {
                        json_object *m, *c = NULL;
                        char key[24];

                        snprintf(key, sizeof(key), "%lld", (long long)ids[i]);
                        if (cmds && json_object_object_get_ex(cmds, key, &c))
                                json_object_get(c);
                        else if (deliver)
                                c = json_object_new_array();
                        rc = srv_snapshot_meter(s, db, ids[i], c, &m);
                        if (rc >= 0)
                                json_object_array_add(a, m);
                        after = ids[i];
                }
                if (n < 512)
                        break;
        }
        json_object_put(cmds);
        if (rc < 0) {
                json_object_put(a);
                return rc;
        }
        *out = a;
        return MB_OK;
}
