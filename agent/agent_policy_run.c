/* SPDX-License-Identifier: Apache-2.0 */
/* The policy at work: local balances from readings and snapshots, decisions
 * recorded as events in the reading's transaction, relay operations queued
 * on their bus, read back and retried. */
#define MB_LOG_MODULE "policy"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_policy_priv.h"
#include "mb_log.h"
#include "mb_time.h"
#include "mb_wire.h"

#define MAX_CONTROLS AGENT_POLICY_MAX_DECISIONS

static void to_tariff_reading(const mb_reading *r, int64_t ts, mb_tariff_reading *tr)
{
        memset(tr, 0, sizeof(*tr));
        tr->t = ts;
        tr->import_wh = r->import_wh;
        tr->has_rates = (r->fields & MB_F_RATES) != 0;
        for (int i = 0; i < MB_RATES; i++)
                tr->rate_wh[i] = r->rate_wh[i];
}

/* Charge reading seq into m's local balance.  Which readings are charged
 * goes by sequence, never by clock (docs/agent.md): every reading after the
 * reference, in order.  A reading stamped before the last charged one (the
 * gateway clock went back) is charged at the last one's time, so its energy
 * is neither lost nor held back until the clock catches up. */
static void charge(struct agent_meter *m, int64_t seq, const mb_tariff_reading *cur, int boundary)
{
        mb_tariff_reading at = *cur;
        char err[200];

        if (!m->have_balance || seq <= m->charged_seq)
                return;
        m->charged_seq = seq;
        if (m->ref_pending) {
                /* The server has not seen the meter: charging starts here. */
                m->charge.ref = *cur;
                m->ref_pending = 0;
                return;
        }
        if (at.t < m->charge.ref.t)
                at.t = m->charge.ref.t;
        if (agent_charge_add(&m->charge, m->tariff, &at, boundary, err, sizeof(err)) != MB_OK)
                mb_err_log("meter %s: cannot charge under tariff %s: %s", m->cfg->name,
                           m->snap.tariff_id, err);
        m->balance_fen = agent_charge_balance(&m->charge);
}

static void replay(void *arg, int64_t seq, int64_t ts, int kind, const mb_reading *r)
{
        mb_tariff_reading tr;

        if (!(r->fields & MB_F_IMPORT))
                return;
        to_tariff_reading(r, ts, &tr);
        charge(arg, seq, &tr, kind == AGENT_READING_BOUNDARY);
}

void agent_policy_restart_charge(struct agent *a, struct agent_meter *m)
{
        m->have_balance = 0;
        if (!m->snap_json || !m->tariff || agent_charge_start(&m->charge, &m->snap) != MB_OK)
                return;
        m->have_balance = 1;
        m->balance_fen = agent_charge_balance(&m->charge);
        m->ref_pending = m->snap.ref_pending;
        m->charged_seq = m->snap.ref_pending ? agent_store_snapshot_after(a->store, m->store_id)
                                             : m->snap.ref_seq;
        /* What the agent stored after the reference, in order. */
        agent_store_readings_after(a->store, m->store_id, m->charged_seq, replay, m);
}

static struct agent_policy_input input_of(const struct agent_meter *m, int64_t now, int snap)
{
        struct agent_policy_input in = {
            .now = now,
            .have_balance = m->have_balance,
            .balance_fen = m->balance_fen,
            .alarm1_fen = m->snap.alarm1_fen,
            .alarm2_fen = m->snap.alarm2_fen,
            .credit_limit_fen = m->snap.credit_limit_fen,
            .reconnect_fen = m->snap.reconnect_fen,
            .mode = m->snap.mode,
            .protected_flag = m->snap.protected_flag,
            .hold = m->snap.hold,
            .new_snapshot = snap,
            .have_import = m->have_last_tr,
            .import_wh = m->last_tr.import_wh,
        };
        return in;
}

void agent_policy_decide_now(struct agent *a, struct agent_meter *m, int64_t now, int snap,
                             int64_t seq, int *controls, int *n_controls)
{
        struct agent_decision d[AGENT_POLICY_MAX_DECISIONS];
        struct agent_policy_input in = input_of(m, now, snap);
        struct agent_policy_state before = m->pst;
        char data[160];
        int n = agent_policy_decide(&a->cfg->policy, &m->pst, &in, d);

        for (int i = 0; i < n; i++) {
                snprintf(data, sizeof(data), "{\"seq\":%lld,\"level\":\"%s\",\"snapshot\":%s}",
                         (long long)seq, agent_level_name(m->pst.level), snap ? "true" : "false");
                agent_store_add_event(a->store, m->store_id, now, d[i].event, d[i].reason,
                                      m->balance_fen, data);
                mb_notice("meter %s: %s: %s", m->cfg->name, d[i].event, d[i].reason);
                if (d[i].control >= 0 && *n_controls < MAX_CONTROLS)
                        controls[(*n_controls)++] = d[i].control;
        }
        if (memcmp(&before, &m->pst, sizeof(before)) != 0)
                agent_store_put_policy(a->store, m->store_id, &m->pst);
}

void agent_policy_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                             int64_t ts, int kind, int64_t seq, int *controls, int *n_controls)
{
        *n_controls = 0;
        if (!(r->fields & MB_F_IMPORT))
                return;
        to_tariff_reading(r, ts, &m->last_tr);
        m->have_last_tr = 1;
        charge(m, seq, &m->last_tr, kind == AGENT_READING_BOUNDARY);
        if (m->have_balance)
                agent_store_set_balance(a->store, m->store_id, seq, m->balance_fen);
        agent_policy_decide_now(a, m, ts, 0, seq, controls, n_controls);
}

void agent_policy_queue(struct agent *a, struct agent_meter *m, int op, const char *why,
                        int64_t tag)
{
        struct agent_meter *dev = agent_meter_target(m, op);

        if (!dev) {
                if (op != MB_CTL_ALARM && op != MB_CTL_ALARM_CLEAR)
                        mb_warn("meter %s: no relay to carry out %s (relay = \"%s\")", m->cfg->name,
                                why, m->cfg->relay);
                return;
        }
        agent_bus_control(a->buses[dev->cfg->bus_index], m, op, why, tag);
}

void agent_policy_after_commit(struct agent *a, struct agent_meter *m, const int *controls,
                               int n_controls)
{
        for (int i = 0; i < n_controls; i++) {
                m->relay_attempts = 0;
                agent_policy_queue(a, m, controls[i], "policy", 0);
        }
}

/* The relay state an operation should leave, or -1 when any will do. */
static int wanted_state(int op)
{
        switch (op) {
        case MB_CTL_TRIP:
                return MB_RELAY_OPEN;
        case MB_CTL_CLOSE:
                return MB_RELAY_CLOSED;
        case MB_CTL_ARM:
                return MB_RELAY_ARMED;
        default:
                return -1;
        }
}

static int control_ok(int op, int rc, int state)
{
        int want = wanted_state(op);

        if (rc != MB_OK)
                return 0;
        /* A meter that arms may report open until the customer presses. */
        if (op == MB_CTL_ARM && state == MB_RELAY_OPEN)
                return 1;
        return want < 0 || state == want || state == MB_RELAY_UNKNOWN;
}

static void record(struct agent *a, struct agent_meter *m, const char *type, const char *reason,
                   const char *data)
{
        if (agent_store_begin(a->store) != MB_OK)
                return;
        agent_store_add_event(a->store, m->store_id, mb_realtime_s(), type, reason,
                              m->have_balance ? m->balance_fen : INT64_MIN, data);
        agent_store_end(a->store);
}

static void policy_control_done(struct agent *a, struct agent_meter *m, int op, int rc, int state,
                                const mb_err *err)
{
        char reason[300], data[96];

        /* after_seq shows which reading the operation followed. */
        snprintf(data, sizeof(data), "{\"op\":%d,\"relay\":\"%s\",\"after_seq\":%lld}", op,
                 mb_wire_relay_name(state), (long long)m->last_seq);
        if (control_ok(op, rc, state)) {
                m->relay_attempts = 0;
                if (wanted_state(op) >= 0)
                        record(a, m, "relay_confirmed", mb_wire_relay_name(state), data);
                return;
        }
        if (wanted_state(op) < 0) {
                mb_warn("meter %s: display operation %d failed: %s", m->cfg->name, op, err->msg);
                return;
        }
        m->relay_attempts++;
        if (rc != MB_OK)
                snprintf(reason, sizeof(reason), "attempt %d: %s", m->relay_attempts, err->msg);
        else
                snprintf(reason, sizeof(reason), "attempt %d: relay did not move (reads %s)",
                         m->relay_attempts, mb_wire_relay_name(state));
        record(a, m, "relay_fault", reason, data);
        mb_err_log("meter %s: relay fault: %s", m->cfg->name, reason);
        if (m->relay_attempts <= a->cfg->policy.relay_retries)
                agent_policy_queue(a, m, op, "retry", 0);
        else
                record(a, m, "relay_fault", "gave up: the relay needs a visit", data);
}

static void command_done(struct agent *a, struct agent_meter *m, int64_t id, int rc, int state,
                         const mb_err *err)
{
        char data[160];
        const char *result = rc == MB_OK || rc == MB_ENOTSUP ? "done" : "failed";

        snprintf(data, sizeof(data), "{\"command\":%lld,\"state\":\"%s\",\"relay\":\"%s\"}",
                 (long long)id, result, mb_wire_relay_name(state));
        if (agent_store_begin(a->store) != MB_OK)
                return;
        agent_store_add_event(a->store, m->store_id, mb_realtime_s(), "command_result",
                              rc == MB_OK ? "done" : err->msg, INT64_MIN, data);
        agent_store_command_state(a->store, id, result, mb_realtime_s());
        agent_store_end(a->store);
}

void agent_policy_control_done(struct agent *a, struct agent_meter *m, int op, int64_t tag, int rc,
                               int state, const char *why, const mb_err *err)
{
        pthread_mutex_lock(&a->policy_lock);
        if (tag > 0)
                command_done(a, m, tag, rc, state, err);
        else
                policy_control_done(a, m, op, rc, state, err);
        pthread_mutex_unlock(&a->policy_lock);
}
