/* SPDX-License-Identifier: Apache-2.0 */
/* Snapshots and commands reach the running policy: from the store, after the
 * uploader or `meterbox-agent --apply` wrote them there. */
#define MB_LOG_MODULE "policy"
#include <stdlib.h>
#include <string.h>

#include "agent_policy_priv.h"
#include "mb_log.h"
#include "mb_time.h"

#define MAX_COMMANDS 64

/* Parse the tariff of m's snapshot when it is new to m. */
static void load_tariff(struct agent *a, struct agent_meter *m)
{
        char *text = NULL, err[256];
        mb_tariff *t = NULL;

        if (m->tariff && strcmp(m->tariff_hash, m->snap.tariff_hash) == 0)
                return;
        if (agent_store_get_tariff(a->store, m->snap.tariff_hash, &text) != MB_OK) {
                mb_warn("meter %s: tariff %s (%s) not known yet: no local balance", m->cfg->name,
                        m->snap.tariff_id, m->snap.tariff_hash);
                return;
        }
        if (mb_tariff_parse_string(text, m->snap.tariff_id, &t, err, sizeof(err)) != MB_OK)
                mb_err_log("meter %s: tariff from the server does not parse: %s", m->cfg->name,
                           err);
        free(text);
        if (!t)
                return;
        mb_tariff_free(m->tariff);
        m->tariff = t;
        snprintf(m->tariff_hash, sizeof(m->tariff_hash), "%s", m->snap.tariff_hash);
}

/* Take the stored snapshot of m if it changed.  Returns 1 when it did. */
static int take_snapshot(struct agent *a, struct agent_meter *m)
{
        struct agent_snapshot s;
        char *json = NULL, err[200];
        json_object *o;
        int rc;

        if (agent_store_get_snapshot(a->store, m->store_id, &json) != MB_OK)
                return 0;
        if (m->snap_json && strcmp(json, m->snap_json) == 0) {
                free(json);
                return 0;
        }
        o = json_tokener_parse(json);
        rc = o ? agent_snapshot_parse(o, &s, err, sizeof(err)) : MB_EPROTO;
        json_object_put(o);
        if (rc != MB_OK) {
                if (rc != MB_ENOENT)
                        mb_err_log("meter %s: snapshot refused: %s", m->cfg->name,
                                   o ? err : "not JSON");
                free(json);
                return 0;
        }
        agent_snapshot_clear(&m->snap);
        m->snap = s;
        free(m->snap_json);
        m->snap_json = json;
        return 1;
}

static void decide_snapshot(struct agent *a, struct agent_meter *m)
{
        int controls[AGENT_POLICY_MAX_DECISIONS], n = 0;
        struct agent_policy_state before;

        load_tariff(a, m);
        agent_policy_restart_charge(a, m);
        before = m->pst;
        if (agent_store_begin(a->store) != MB_OK)
                return;
        agent_policy_decide_now(a, m, mb_realtime_s(), 1, 0, controls, &n);
        /* A decision is recorded before its relay moves: one that could not
         * be (a full disk) is neither acted on nor remembered, and is taken
         * again with the first reading stored, as on this snapshot: a close
         * after a top-up is decided only on a new one (docs/faults.md). */
        if (agent_store_end(a->store) != MB_OK) {
                m->pst = before;
                m->snap_undecided = 1;
                return;
        }
        agent_policy_after_commit(a, m, controls, n);
}

static struct agent_meter *meter_by_id(struct agent *a, int64_t id)
{
        for (int i = 0; i < a->devs->n_meters; i++)
                if (a->devs->meters[i].store_id == id)
                        return &a->devs->meters[i];
        return NULL;
}

static int op_of(const char *name)
{
        static const struct {
                const char *name;
                int op;
        } ops[] = {{"trip", MB_CTL_TRIP},
                   {"close", MB_CTL_CLOSE},
                   {"arm", MB_CTL_ARM},
                   {"protect", MB_CTL_PROTECT},
                   {"unprotect", MB_CTL_UNPROTECT}};

        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
                if (strcmp(ops[i].name, name) == 0)
                        return ops[i].op;
        return -1;
}

/* Refuse a command the agent cannot run; 0 when it may run. */
static int refuse(struct agent *a, struct agent_meter *m, const struct agent_command *c,
                  int64_t now)
{
        const char *why = !m                                     ? "no such meter on this gateway"
                          : c->expires_at && c->expires_at < now ? "expired"
                          : op_of(c->op) < 0                     ? "unknown operation"
                                                                 : NULL;
        char data[128];

        if (!why)
                return 0;
        snprintf(data, sizeof(data), "{\"command\":%lld,\"state\":\"failed\"}", (long long)c->id);
        if (agent_store_begin(a->store) == MB_OK) {
                agent_store_add_event(a->store, m ? m->store_id : 0, now, "command_result", why,
                                      INT64_MIN, data);
                agent_store_command_state(a->store, c->id,
                                          strcmp(why, "expired") ? "failed" : "expired", now);
                agent_store_end(a->store);
        }
        mb_warn("command %lld (%s) refused: %s", (long long)c->id, c->op, why);
        return 1;
}

/* A trip or close by an operator moves the policy too, so it neither fights
 * the operator nor forgets the cut. */
static void follow_command(struct agent *a, struct agent_meter *m, int op)
{
        if (op == MB_CTL_TRIP) {
                m->pst.level = AGENT_CUT;
                m->pst.cut_import_wh = -1;
                m->pst.tamper_reported = 0;
        } else if (op == MB_CTL_CLOSE && m->pst.level == AGENT_CUT) {
                memset(&m->pst, 0, sizeof(m->pst));
        } else {
                return;
        }
        if (agent_store_begin(a->store) == MB_OK) {
                agent_store_put_policy(a->store, m->store_id, &m->pst);
                agent_store_end(a->store);
        }
}

static void run_commands(struct agent *a)
{
        struct agent_command c[MAX_COMMANDS];
        int64_t now = mb_realtime_s();
        int n = agent_store_new_commands(a->store, c, MAX_COMMANDS);

        for (int i = 0; i < n; i++) {
                struct agent_meter *m = meter_by_id(a, c[i].meter_id);
                char why[320];
                if (refuse(a, m, &c[i], now))
                        continue;
                if (agent_store_begin(a->store) == MB_OK) {
                        agent_store_command_state(a->store, c[i].id, "running", now);
                        agent_store_end(a->store);
                }
                snprintf(why, sizeof(why), "command %lld by %s: %s", (long long)c[i].id, c[i].by,
                         c[i].reason);
                follow_command(a, m, op_of(c[i].op));
                mb_notice("meter %s: %s", m->cfg->name, why);
                agent_policy_queue(a, m, op_of(c[i].op), why, c[i].id);
        }
}

void agent_policy_reload(struct agent *a)
{
        pthread_mutex_lock(&a->policy_lock);
        for (int i = 0; i < a->devs->n_meters; i++) {
                struct agent_meter *m = &a->devs->meters[i];
                if (take_snapshot(a, m) || (m->snap_json && !m->tariff))
                        decide_snapshot(a, m);
        }
        run_commands(a);
        pthread_mutex_unlock(&a->policy_lock);
}

void agent_policy_resume(struct agent *a)
{
        pthread_mutex_lock(&a->policy_lock);
        for (int i = 0; i < a->devs->n_meters; i++) {
                struct agent_meter *m = &a->devs->meters[i];
                char *last = NULL;
                int op = -1;

                if (m->pst.level == AGENT_CUT)
                        op = MB_CTL_TRIP;
                else if (agent_store_last_decision(a->store, m->store_id, &last) == MB_OK)
                        op = strcmp(last, "close") == 0 ? MB_CTL_CLOSE
                             : strcmp(last, "arm") == 0 ? MB_CTL_ARM
                                                        : -1;
                free(last);
                if (op < 0)
                        continue;
                mb_info("meter %s: carrying out the last relay decision again after a restart",
                        m->cfg->name);
                m->relay_attempts = 0;
                agent_policy_queue(a, m, op, "restart", 0);
        }
        pthread_mutex_unlock(&a->policy_lock);
}
