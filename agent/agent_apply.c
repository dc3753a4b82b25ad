/* SPDX-License-Identifier: Apache-2.0 */
/* A server answer (docs/wire.md) into agent.db: snapshots, tariff texts and
 * commands, in one transaction.  The uploader calls it with each answer;
 * `meterbox-agent --apply FILE` with a file, for a gateway without a network
 * or a test. */
#define MB_LOG_MODULE "apply"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "mb_cmdsig.h"
#include "mb_snapsig.h"
#include "mb_log.h"
#include "mb_time.h"

static const char *str_of(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : NULL;
}

static int64_t int_of(json_object *o, const char *key)
{
        json_object *v;

        return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

/* Why the agent refuses command c for meter addr, or NULL when it accepts it
 * (docs/security.md).  A command already stored is a redelivery: "". */
static const char *refusal(agent_store *st, const struct agent_config *cfg, const char *addr,
                           const struct agent_command *c, const char *sig, int64_t now)
{
        const char *key = cfg->server.command_key;
        int64_t newest = agent_store_newest_command(st);

        if (agent_store_has_command(st, c->id))
                return "";
        if (key && !sig)
                return "unsigned";
        if (key && !mb_cmdsig_verify(key, cfg->gateway_id, c->id, addr, c->op, c->issued_at,
                                     c->expires_at, sig))
                return "bad signature (forged, altered, or for another gateway)";
        if (c->id <= newest)
                return "replayed or out of order: an older counter than one already accepted";
        if (c->expires_at && c->expires_at < now)
                return "expired";
        return NULL;
}

static void record_refusal(agent_store *st, int64_t meter_id, const struct agent_command *c,
                           const char *why, int64_t now)
{
        char data[160];

        snprintf(data, sizeof(data), "{\"command\":%lld,\"op\":\"%s\",\"state\":\"rejected\"}",
                 (long long)c->id, c->op);
        agent_store_add_event(st, meter_id, now, "command_rejected", why, INT64_MIN, data);
        mb_warn("command %lld (%s) rejected: %s", (long long)c->id, c->op, why);
}

static int put_commands(agent_store *st, const struct agent_config *cfg, const char *addr,
                        int64_t meter_id, json_object *cmds, int64_t now)
{
        size_t n = json_object_is_type(cmds, json_type_array) ? json_object_array_length(cmds) : 0;

        for (size_t i = 0; i < n; i++) {
                json_object *o = json_object_array_get_idx(cmds, i);
                struct agent_command c = {.meter_id = meter_id};
                const char *why;
                const char *op = str_of(o, "op");
                c.id = int_of(o, "id");
                snprintf(c.op, sizeof(c.op), "%s", op ? op : "?");
                if (!op || c.id <= 0) {
                        record_refusal(st, meter_id, &c, "malformed: no op or no positive id", now);
                        continue;
                }
                snprintf(c.reason, sizeof(c.reason), "%s",
                         str_of(o, "reason") ? str_of(o, "reason") : "");
                snprintf(c.by, sizeof(c.by), "%s", str_of(o, "by") ? str_of(o, "by") : "");
                c.issued_at = int_of(o, "issued_at");
                c.expires_at = int_of(o, "expires_at");
                why = refusal(st, cfg, addr, &c, str_of(o, "sig"), now);
                if (why && *why)
                        record_refusal(st, meter_id, &c, why, now);
                else if (!why && agent_store_put_command(st, &c, now) != MB_OK)
                        return -1;
        }
        return 0;
}

/* Commands for a meter this gateway does not have: refused, and recorded. */
static void record_foreign(agent_store *st, const char *addr, json_object *cmds, int64_t now)
{
        json_object *d = json_object_new_object();

        json_object_object_add(d, "meter", json_object_new_string(addr ? addr : ""));
        json_object_object_add(d, "commands", json_object_get(cmds));
        agent_store_add_event(st, 0, now, "command_rejected",
                              "command for a meter this gateway does not have", INT64_MIN,
                              json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
        json_object_put(d);
}

/* Why the agent refuses the balance snapshot e of meter meter_id, or NULL
 * when it takes it: with a command key, snapshots must be signed for this
 * gateway (mb_snapsig.h) and no older than the one in force. */
static const char *snapshot_refusal(agent_store *st, const struct agent_config *cfg,
                                    int64_t meter_id, json_object *e)
{
        const char *key = cfg->server.command_key;
        char *held = NULL;
        json_object *prev;
        int64_t prev_at = INT64_MIN;

        if (!key)
                return NULL;
        if (!str_of(e, "sig"))
                return "unsigned";
        if (!mb_snapsig_verify(key, cfg->gateway_id, e))
                return "bad signature (forged, altered, or for another gateway)";
        if (agent_store_get_snapshot(st, meter_id, &held) == MB_OK &&
            (prev = json_tokener_parse(held)) != NULL) {
                prev_at = int_of(prev, "signed_at");
                json_object_put(prev);
        }
        free(held);
        return int_of(e, "signed_at") < prev_at ? "replayed: older than the snapshot in force"
                                                : NULL;
}

static void record_snapshot_refusal(agent_store *st, int64_t meter_id, const char *addr,
                                    const char *why, int64_t now)
{
        agent_store_add_event(st, meter_id, now, "snapshot_rejected", why, INT64_MIN, NULL);
        mb_warn("meter %s: balance snapshot rejected: %s", addr, why);
}

/* One entry of "meters".  Returns 1 applied, 0 skipped, -1 store error. */
static int apply_meter(agent_store *st, const struct agent_config *cfg, json_object *e, size_t i,
                       int64_t now)
{
        const char *addr = str_of(e, "meter"), *why;
        json_object *tariff, *cmds;
        int64_t id;

        if (!addr || agent_store_meter_by_address(st, addr, &id) != MB_OK) {
                mb_warn("meters[%zu]: meter %s is not configured on this gateway", i,
                        addr ? addr : "(missing)");
                if (json_object_object_get_ex(e, "commands", &cmds) &&
                    json_object_array_length(cmds) > 0)
                        record_foreign(st, addr, cmds, now);
                return 0;
        }
        if (json_object_object_get_ex(e, "tariff", &tariff) && str_of(tariff, "text") &&
            str_of(tariff, "hash") && str_of(tariff, "id") &&
            agent_store_put_tariff(st, str_of(tariff, "hash"), str_of(tariff, "id"),
                                   str_of(tariff, "text")) != MB_OK)
                return -1;
        if (str_of(e, "account") && (why = snapshot_refusal(st, cfg, id, e)) != NULL)
                record_snapshot_refusal(st, id, addr, why, now);
        else if (str_of(e, "account") &&
                 agent_store_put_snapshot(st, id,
                                          json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN),
                                          now) != MB_OK)
                return -1;
        if (json_object_object_get_ex(e, "commands", &cmds) &&
            put_commands(st, cfg, addr, id, cmds, now) < 0)
                return -1;
        return 1;
}

int agent_apply_response(agent_store *st, const struct agent_config *cfg, json_object *resp,
                         int64_t now, char *err, size_t len)
{
        json_object *meters;
        int applied = 0, rc = 0;

        if (!json_object_object_get_ex(resp, "meters", &meters) ||
            !json_object_is_type(meters, json_type_array)) {
                snprintf(err, len, "meters: missing or not an array");
                return -1;
        }
        if (agent_store_begin(st) != MB_OK) {
                snprintf(err, len, "store unavailable");
                return -1;
        }
        for (size_t i = 0; i < json_object_array_length(meters) && rc >= 0; i++) {
                rc = apply_meter(st, cfg, json_object_array_get_idx(meters, i), i, now);
                applied += rc > 0;
        }
        if (rc < 0) {
                agent_store_abort(st);
                snprintf(err, len, "store error while applying");
                return -1;
        }
        return agent_store_end(st) == MB_OK ? applied : -1;
}

int agent_apply_file(const char *config_path, const char *file)
{
        mb_diag *d = mb_diag_new();
        struct agent_config *cfg = d ? agent_config_load(config_path, d) : NULL;
        struct agent_store_opts so = {0};
        agent_store *st = NULL;
        json_object *resp = NULL;
        char err[512];
        int n = -1;

        mb_diag_print(d, stderr);
        mb_diag_free(d);
        if (!cfg)
                return 2;
        so.path = cfg->store_path;
        so.commit_every = 1;
        resp = strcmp(file, "-") == 0 ? json_object_from_fd(0) : json_object_from_file(file);
        if (!resp)
                fprintf(stderr, "%s: not JSON: %s\n", file, json_util_get_last_err());
        else if (agent_store_open(&so, &st, err, sizeof(err)) != MB_OK)
                fprintf(stderr, "%s\n", err);
        else if ((n = agent_apply_response(st, cfg, resp, mb_realtime_s(), err, sizeof(err))) < 0)
                fprintf(stderr, "%s: %s\n", file, err);
        else
                printf("%s: applied to %d meters\n", file, n);
        agent_store_close(st);
        json_object_put(resp);
        agent_config_free(cfg);
        return n < 0 ? 1 : 0;
}
