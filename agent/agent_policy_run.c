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
static void charge(struct agent_meter *m, int64_t seq, const mb_walk_point *cur)
{
        mb_walk_point at = *cur;
        char err[200];

        if (!m->have_balance || seq <= m->charged_seq)
                return;
        m->charged_seq = seq;
        if (m->ref_pending) {
                /* The server has not seen the meter: charging starts here. */
                m->charge.ref = cur->r;
                m->ref_pending = 0;
                return;
        }
        if (at.r.t < m->charge.ref.t)
                at.r.t = m->charge.ref.t;
        if (agent_charge_add(&m->charge, m->tariff, &at, err, sizeof(err)) != MB_OK)
                mb_err_log("meter %s: cannot charge under tariff %s: %s", m->cfg->name,
                           m->snap.tariff_id, err);
        m->balance_fen = agent_charge_balance(&m->charge);
}

static void replay(void *arg, int64_t seq, int64_t ts, int kind, const mb_reading *r)
{
        mb_walk_point p;

        (void)kind; /* boundary readings are readings: the walk decides months */
        if (!(r->fields & MB_F_IMPORT))
                return;
        agent_charge_point(r, ts, &p);
        charge(arg, seq, &p);
}

void agent_policy_restart_charge(struct agent *a, struct agent_meter *m)
{
        m->have_balance = 0;
        if (!m->snap_json || !m->tariff || agent_charge_start(&m->charge, &m->snap) != MB_OK)
                return;
        m->have_balance = 1;
        m->balance_fen = agent_charge_balance(&m->charge);
        m->ref_pending = m->snap.ref_pending;
        m->charged_seq = !m->snap.ref_pending ? m->snap.ref_seq
                         : m->snap.ref_after_seq >= 0
                             ? m->snap.ref_after_seq
                             : agent_store_snapshot_after(a->store, m->store_id);
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
        mb_walk_point p;

        *n_controls = 0;
        if (!(r->fields & MB_F_IMPORT))
                return;
        to_tariff_reading(r, ts, &m->last_tr);
        m->have_last_tr = 1;
        agent_charge_point(r, ts, &p);
        charge(m, seq, &p);
        if (m->have_balance)
                agent_store_set_balance(a->store, m->store_id, seq, m->balance_fen);
        agent_policy_decide_now(a, m, ts, m->snap_undecided, seq, controls, n_controls);
}

void agent_policy_after_commit(struct agent *a, struct agent_meter *m, const int *controls,
                               int n_controls)
{
        m->snap_undecided = 0; /* what the snapshot decided is stored */
        for (int i = 0; i < n_controls; i++) {
                /* A new decision replaces a retry still waiting. */
                m->relay_attempts = 0;
                m->relay_retry_op = -1;
                agent_policy_queue(a, m, controls[i], "policy", 0);
        }
}

void agent_policy_after_failure(struct agent *a, struct agent_meter *m,
                                const struct agent_policy_state *before)
{
        /* Kept, a trip decided in the lost transaction would count as done
         * while the relay never moved, and would never be decided again. */
        m->pst = *before;
        agent_policy_restart_charge(a, m);
}
