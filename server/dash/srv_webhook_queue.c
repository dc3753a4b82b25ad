/* SPDX-License-Identifier: Apache-2.0 */
/* Putting notifications into webhook_queue (srv_webhook.h). */
#define MB_LOG_MODULE "webhook"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb_money.h"
#include "mb_time.h"
#include "srv_webhook.h"

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

static const struct srv_webhooks_config *hooks;

void srv_webhook_configure(const struct srv_webhooks_config *h)
{
        hooks = h && h->n ? h : NULL;
}

static int wanted(unsigned bit)
{
        for (int i = 0; hooks && bit && i < hooks->n; i++)
                if (hooks->t[i].events & bit)
                        return 1;
        return 0;
}

/* One row per target that wants bit; body is consumed. */
static int enqueue(srv_db *db, unsigned bit, const char *event, const char *key, json_object *body)
{
        const char *text;
        int64_t now = mb_realtime_s();
        int rc = MB_OK;

        srv_jadd_str(body, "delivery", key);
        text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE);
        for (int i = 0; rc >= 0 && i < hooks->n; i++) {
                if (!(hooks->t[i].events & bit))
                        continue;
                rc = srv_db_exec_args(db,
                                      "INSERT INTO webhook_queue (target, event_key, event, body,"
                                      " state, attempts, next_at, created_at)"
                                      " VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)"
                                      " ON CONFLICT (target, event_key) DO NOTHING",
                                      "tttti", hooks->t[i].name, key, event, text, now);
        }
        json_object_put(body);
        return rc < 0 ? rc : MB_OK;
}

static void add_yuan(json_object *o, const char *key, int64_t fen)
{
        char s[32];

        if (mb_decimal_format(fen, 2, s, sizeof(s)) == MB_OK)
                srv_jadd_str(o, key, s);
}

/* A line an SMS gateway can send as it is. */
static void add_message(json_object *o, const char *type, const char *account, const char *meter,
                        const char *balance)
{
        char msg[256];

        account = account ? account : "-";
        balance = balance ? balance : "?";
        if (strcmp(type, "alarm1") == 0 || strcmp(type, "alarm2") == 0)
                snprintf(msg, sizeof(msg),
                         "Account %s: electricity balance %s yuan is low (alarm %c). Please top "
                         "up.",
                         account, balance, type[5]);
        else if (strcmp(type, "trip") == 0)
                snprintf(msg, sizeof(msg),
                         "Account %s: supply cut off, balance %s yuan. Top up to reconnect.",
                         account, balance);
        else if (strcmp(type, "close") == 0)
                snprintf(msg, sizeof(msg), "Account %s: supply reconnected, balance %s yuan.",
                         account, balance);
        else
                snprintf(msg, sizeof(msg), "Meter %s (account %s): %s.", meter ? meter : "-",
                         account, type);
        srv_jadd_str(o, "message", msg);
}

int srv_webhook_on_event(srv_db *db, int64_t gateway_id, const struct srv_event *ev)
{
        unsigned bit = srv_notify_bit(ev->type);
        char key[96];
        json_object *o;
        srv_stmt *st = NULL;
        int rc;

        if (!wanted(bit))
                return MB_OK;
        rc = srv_db_query(db, &st,
                          "SELECT g.name, g.region, m.address, a.number, a.holder, a.balance_fen"
                          " FROM gateways g LEFT JOIN meters m ON m.address = $2"
                          " LEFT JOIN accounts a ON a.id = m.account_id WHERE g.id = $1",
                          "it", gateway_id, ev->meter);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                char bal[32] = "";
                int has_bal = !srv_stmt_is_null(st, 5);

                if (has_bal)
                        mb_decimal_format(srv_stmt_i64(st, 5), 2, bal, sizeof(bal));
                snprintf(key, sizeof(key), "event:%s:%lld", srv_stmt_text(st, 0),
                         (long long)ev->id);
                o = json_object_new_object();
                srv_jadd_str(o, "event", ev->type);
                srv_jadd_i64(o, "ts", ev->ts);
                srv_jadd_str(o, "gateway", srv_stmt_text(st, 0));
                srv_jadd_str(o, "region", srv_stmt_text(st, 1));
                srv_jadd_str(o, "meter", ev->meter);
                srv_jadd_str(o, "account", srv_stmt_text(st, 3));
                srv_jadd_str(o, "holder", srv_stmt_text(st, 4));
                srv_jadd_i64_or_null(o, "balance_fen", !has_bal, srv_stmt_i64(st, 5));
                if (has_bal)
                        srv_jadd_str(o, "balance", bal);
                srv_jadd_str(o, "reason", ev->reason);
                add_message(o, ev->type, srv_stmt_text(st, 3), ev->meter, has_bal ? bal : NULL);
                json_object_object_add(o, "agent_event", srv_jparse_stored(ev->body));
                srv_stmt_done(st);
                return enqueue(db, bit, ev->type, key, o);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_webhook_on_bill(srv_db *db, int64_t account_id, const char *month, int settled,
                        const char *flags_json, int64_t energy_wh, int64_t total_fen)
{
        char key[256];
        json_object *o;
        srv_stmt *st = NULL;
        int rc;

        if (!wanted(SRV_NOTIFY_ANOMALY))
                return MB_OK;
        rc = srv_db_query(db, &st, "SELECT number, holder, region FROM accounts WHERE id = $1", "i",
                          account_id);
        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                snprintf(key, sizeof(key), "anomaly:%s:%s:%s:%s", srv_stmt_text(st, 0), month,
                         settled ? "settled" : "held", flags_json);
                o = json_object_new_object();
                srv_jadd_str(o, "event", "anomaly");
                srv_jadd_str(o, "account", srv_stmt_text(st, 0));
                srv_jadd_str(o, "holder", srv_stmt_text(st, 1));
                srv_jadd_str(o, "region", srv_stmt_text(st, 2));
                srv_jadd_str(o, "month", month);
                srv_jadd_str(o, "state", settled ? "settled" : "held");
                json_object_object_add(o, "flags", srv_jparse_stored(flags_json));
                srv_jadd_i64_or_null(o, "energy_wh", !settled, energy_wh);
                srv_jadd_i64_or_null(o, "total_fen", !settled, total_fen);
                if (settled)
                        add_yuan(o, "total", total_fen);
                srv_stmt_done(st);
                return enqueue(db, SRV_NOTIFY_ANOMALY, "anomaly", key, o);
        }
        srv_stmt_done(st);
        return rc < 0 ? rc : MB_OK;
}

int srv_webhook_scan_gateways(srv_db *db, int64_t now)
{
        srv_stmt *st = NULL;
        json_object **bodies = NULL;
        char(*keys)[128] = NULL;
        size_t n = 0, cap = 0;
        int rc;

        if (!wanted(SRV_NOTIFY_GATEWAY_OFFLINE))
                return MB_OK;
        /* collect first: a statement stays open while another runs otherwise */
        rc = srv_db_query(db, &st,
                          "SELECT name, region, last_seen FROM gateways"
                          " WHERE last_seen IS NOT NULL AND last_seen < $1 ORDER BY id",
                          "i", now - hooks->gateway_offline_s);
        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *o = json_object_new_object();
                char msg[160];

                if (n == cap) {
                        size_t c2 = cap ? cap * 2 : 8;
                        void *b2 = realloc(bodies, c2 * sizeof(*bodies));
                        void *k2 = b2 ? realloc(keys, c2 * sizeof(*keys)) : NULL;

                        if (b2)
                                bodies = b2;
                        if (k2 == NULL) {
                                json_object_put(o);
                                rc = MB_ENOMEM;
                                break;
                        }
                        keys = k2;
                        cap = c2;
                }
                snprintf(keys[n], sizeof(keys[n]), "gateway_offline:%s:%lld", srv_stmt_text(st, 0),
                         (long long)srv_stmt_i64(st, 2));
                srv_jadd_str(o, "event", "gateway_offline");
                srv_jadd_str(o, "gateway", srv_stmt_text(st, 0));
                srv_jadd_str(o, "region", srv_stmt_text(st, 1));
                srv_jadd_i64(o, "last_seen", srv_stmt_i64(st, 2));
                srv_jadd_i64(o, "offline_s", now - srv_stmt_i64(st, 2));
                snprintf(msg, sizeof(msg), "Gateway %s (region %s) silent for %lld minutes.",
                         srv_stmt_text(st, 0), srv_stmt_text(st, 1),
                         (long long)((now - srv_stmt_i64(st, 2)) / 60));
                srv_jadd_str(o, "message", msg);
                bodies[n++] = o;
        }
        srv_stmt_done(st);
        for (size_t i = 0; i < n; i++) {
                if (rc >= 0)
                        rc = enqueue(db, SRV_NOTIFY_GATEWAY_OFFLINE, "gateway_offline", keys[i],
                                     bodies[i]);
                else
                        json_object_put(bodies[i]);
        }
        free(bodies);
        free(keys);
        return rc < 0 ? rc : MB_OK;
}
