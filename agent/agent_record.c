/* SPDX-License-Identifier: Apache-2.0 */
/* The bus sink of the running agent: every reading is committed to agent.db
 * before anything else uses it; faults and control results become events. */
#define MB_LOG_MODULE "record"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agent_identity.h"
#include "agent_schedule.h"
#include "mb_log.h"
#include "mb_time.h"
#include "mb_wire.h"

int agent_record_meters(struct agent *a)
{
        for (int i = 0; i < a->devs->n_meters; i++) {
                struct agent_meter *m = &a->devs->meters[i];
                mb_reading last;
                int64_t seq, ts;

                if (agent_store_meter(a->store, m->cfg->name, m->ident_known ? m->ident : NULL,
                                      m->cfg->account, &m->store_id) != MB_OK)
                        return -1;
                /* An identity resolved from the readings before a restart. */
                if (!m->ident_known && agent_store_meter_address(a->store, m->store_id, m->ident,
                                                                 sizeof(m->ident)) == MB_OK)
                        m->ident_known = 1;
                if (agent_store_last_reading(a->store, m->store_id, &last, &seq, &ts) == MB_OK &&
                    (last.fields & MB_F_IMPORT)) {
                        m->have_last = 1;
                        m->last_import_wh = last.import_wh;
                        m->last_tr.t = ts;
                        m->last_tr.import_wh = last.import_wh;
                        m->last_tr.has_rates = (last.fields & MB_F_RATES) != 0;
                        memcpy(m->last_tr.rate_wh, last.rate_wh, sizeof(last.rate_wh));
                        m->have_last_tr = 1;
                }
                agent_store_get_policy(a->store, m->store_id, &m->pst);
                /* Down across a month boundary (the last reading is from an
                 * earlier month and no boundary reading followed): this month
                 * still needs its boundary reading.  A new meter does not. */
                m->boundary_due = m->have_last_tr &&
                                  m->last_tr.t < agent_month_start(mb_realtime_s()) &&
                                  agent_store_last_boundary(a->store, m->store_id) <
                                      agent_month_start(mb_realtime_s());
        }
        return 0;
}

/* A register lower than the last one is an event, never negative use. */
static void check_register(struct agent *a, struct agent_meter *m, const mb_reading *r, int64_t ts)
{
        char data[128];

        if (!(r->fields & MB_F_IMPORT))
                return;
        if (m->have_last && r->import_wh < m->last_import_wh) {
                snprintf(data, sizeof(data), "{\"from_wh\":%lld,\"to_wh\":%lld}",
                         (long long)m->last_import_wh, (long long)r->import_wh);
                agent_store_add_event(a->store, m->store_id, ts,
                                      (r->quality & MB_Q_REGISTER_RESET) ? "register_reset"
                                                                         : "register_backwards",
                                      "import register went down", INT64_MIN, data);
                mb_warn("meter %s: import register went down from %lld to %lld Wh", m->cfg->name,
                        (long long)m->last_import_wh, (long long)r->import_wh);
        }
}

/* What a reading changes in memory before its transaction commits: given
 * back when it does not (agent.db first: a reading that is not stored is
 * not used, nor what it taught the agent). */
struct undo {
        struct agent_policy_state pst;
        char ident[MB_ADDR_LEN], account[MB_ACCOUNT_LEN];
        int ident_known;
        uint32_t missing;
};

static void undo_save(const struct agent_meter *m, struct undo *u)
{
        u->pst = m->pst;
        memcpy(u->ident, m->ident, sizeof(u->ident));
        memcpy(u->account, m->meter_account, sizeof(u->account));
        u->ident_known = m->ident_known;
        u->missing = m->missing;
}

static void undo(struct agent *a, struct agent_meter *m, const struct undo *u, int decided)
{
        memcpy(m->ident, u->ident, sizeof(m->ident));
        memcpy(m->meter_account, u->account, sizeof(m->meter_account));
        m->ident_known = u->ident_known;
        m->missing = u->missing; /* its reading_partial event went with it */
        if (decided)
                agent_policy_after_failure(a, m, &u->pst);
}

static void on_reading(void *arg, struct agent_meter *m, const mb_reading *r, int64_t ts, int kind)
{
        struct agent *a = arg;
        int controls[AGENT_POLICY_MAX_DECISIONS], n_controls = 0;
        struct undo u;
        int64_t seq = 0;
        int stored = 0, decided = 0;

        /* Lock order everywhere: policy, then store. */
        pthread_mutex_lock(&a->policy_lock);
        undo_save(m, &u);
        if (agent_store_begin(a->store) != MB_OK) {
                pthread_mutex_unlock(&a->policy_lock);
                return;
        }
        if (agent_identity_on_reading(a, m, r, ts) != MB_OK ||
            agent_store_add_reading(a->store, m->store_id, ts, kind, r, &seq) != MB_OK) {
                agent_store_abort(a->store);
        } else {
                check_register(a, m, r, ts);
                agent_fields_on_reading(a, m, r, ts);
                /* Decisions commit with the reading that caused them. */
                agent_policy_on_reading(a, m, r, ts, kind, seq, controls, &n_controls);
                decided = 1;
                stored = agent_store_end(a->store) == MB_OK;
        }
        if (stored) {
                m->last_seq = seq;
                agent_policy_after_commit(a, m, controls, n_controls);
        } else {
                undo(a, m, &u, decided);
        }
        pthread_mutex_unlock(&a->policy_lock);
        if (!stored)
                return;
        if (r->fields & MB_F_IMPORT) {
                m->last_import_wh = r->import_wh;
                m->have_last = 1;
        }
        mb_debug("meter %s: seq %lld stored: import %lld Wh, power %lld W, relay %s", m->cfg->name,
                 (long long)seq, (long long)r->import_wh, (long long)(r->power_mw / 1000),
                 mb_wire_relay_name(r->relay));
}

static void on_failure(void *arg, struct agent_meter *m, const mb_err *err, int64_t ts)
{
        struct agent *a = arg;

        mb_warn("meter %s: read failed (%d in a row): %s", m->cfg->name, m->failures, err->msg);
        /* One event when a meter turns faulty, not one per retry. */
        if (m->failures != 1 || agent_store_begin(a->store) != MB_OK)
                return;
        agent_store_add_event(a->store, m->store_id, ts, "meter_fault", err->msg, INT64_MIN, NULL);
        agent_store_end(a->store);
}

static void on_control(void *arg, struct agent_meter *m, int op, int64_t tag, int rc, int state,
                       const char *why, const mb_err *err)
{
        agent_policy_control_done(arg, m, op, tag, rc, state, why, err);
}

struct agent_bus_sink agent_record_sink(struct agent *a)
{
        struct agent_bus_sink s = {
            .reading = on_reading,
            .failure = on_failure,
            .control_done = on_control,
            .arg = a,
        };
        return s;
}
