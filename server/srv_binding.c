/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_binding.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "mb_time.h"
#include "srv_webhook.h"

/* s without leading zeros when it is all digits, else s. */
static const char *number_of(const char *s)
{
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return s;
        while (s[0] == '0' && s[1])
                s++;
        return s;
}

int srv_binding_account(srv_db *db, int64_t meter_id, char *out, size_t len)
{
        srv_stmt *st = NULL;
        int rc = srv_db_query(db, &st,
                              "SELECT a.number FROM meters m JOIN accounts a ON a.id = m.account_id"
                              " WHERE m.id = $1",
                              "i", meter_id);

        if (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW)
                snprintf(out, len, "%s", srv_stmt_text(st, 0));
        srv_stmt_done(st);
        return rc < 0 ? rc : rc == SRV_DB_ROW;
}

static int raise_mismatch(srv_db *db, int64_t gw, int64_t meter_id, const struct srv_event *ev,
                          const char *held, const char *bound)
{
        json_object *body = json_object_new_object(), *data = json_object_new_object();
        struct srv_event m = *ev;
        char reason[200];
        int rc;

        snprintf(reason, sizeof(reason),
                 "the meter holds customer number %s but is bound to account %s", held, bound);
        json_object_object_add(data, "meter_account", json_object_new_string(held));
        json_object_object_add(data, "bound_account", json_object_new_string(bound));
        json_object_object_add(data, "event", json_object_new_int64(ev->id));
        json_object_object_add(body, "type", json_object_new_string("binding_mismatch"));
        json_object_object_add(body, "data", data);
        m.id = -ev->id;
        m.type = "binding_mismatch";
        m.reason = reason;
        m.body = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
        m.is_command_result = 0;
        rc = srv_db_exec_args(db,
                              "INSERT INTO events (gateway_id, id, meter_id, ts, type, reason,"
                              " body, stored_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                              " ON CONFLICT (gateway_id, id) DO NOTHING",
                              "iiiittti", gw, m.id, meter_id, m.ts, m.type, m.reason, m.body,
                              mb_realtime_s());
        if (rc > 0)
                rc = srv_webhook_on_event(db, gw, &m);
        json_object_put(body);
        return rc;
}

int srv_binding_check(srv_db *db, int64_t gateway_id, int64_t meter_id, const struct srv_event *ev)
{
        json_object *o, *data, *acct;
        char bound[64];
        int rc = 0;

        if (strcmp(ev->type, "meter_account") != 0 || !(o = json_tokener_parse(ev->body)))
                return 0;
        if (json_object_object_get_ex(o, "data", &data) &&
            json_object_object_get_ex(data, "account", &acct) &&
            json_object_is_type(acct, json_type_string) &&
            (rc = srv_binding_account(db, meter_id, bound, sizeof(bound))) > 0 &&
            strcmp(number_of(json_object_get_string(acct)), number_of(bound)) != 0)
                rc = raise_mismatch(db, gateway_id, meter_id, ev, json_object_get_string(acct),
                                    bound);
        json_object_put(o);
        return rc;
}
