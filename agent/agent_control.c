/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Relay and display operations and their honest results (issue 16).
 *
 *   - An operation goes to the device that carries it out for the meter: its
 *     own relay, another entry named in `relay`, or its `relay_fallback`
 *     device when the meter cannot switch (meter_caps: a DL/T 645-1997 meter).
 *   - A command ends `done` only when the device did it and the relay reads
 *     what was asked; otherwise `failed`, with the reason, in agent.db, in
 *     the command_result event the server reads, and as a relay_fault event
 *     the wall shows.  A meter nothing can switch fails the command at once.
 *   - A policy operation that fails is a relay_fault event and is tried again
 *     after 1 s, 2 s, 4 s ... (at most 60 s), relay_retries times; one the
 *     meter cannot do at all (MB_ENOTSUP) is not tried again.
 *   - A meter that refuses to switch (it answers, but says no: a DL/T 698.45
 *     meter that wants encrypted control answers "unauthorised") ends the
 *     operation failed with its reason; where it has a relay_fallback
 *     device, that device switches it from then on (issue 20).
 * Callers hold the agent's policy lock.
 */
#define MB_LOG_MODULE "control"
#include <stdio.h>
#include <string.h>

#include "agent_policy_priv.h"
#include "mb_log.h"
#include "mb_time.h"
#include "mb_wire.h"

#define RETRY_FIRST_MS 1000
#define RETRY_MAX_MS 60000

static const char *op_name(int op)
{
        static const char *const names[] = {"query", "trip",        "close",   "arm",
                                            "alarm", "alarm_clear", "protect", "unprotect"};

        return op >= 0 && op <= MB_CTL_UNPROTECT ? names[op] : "?";
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

/* Command id ended with result ("done" or "failed") and why. */
static void command_result(struct agent *a, struct agent_meter *m, int64_t id, int op,
                           const char *result, const char *why, int state)
{
        int64_t now = mb_realtime_s();
        char data[160], reason[320];

        snprintf(data, sizeof(data), "{\"command\":%lld,\"state\":\"%s\",\"relay\":\"%s\"}",
                 (long long)id, result, mb_wire_relay_name(state));
        if (agent_store_begin(a->store) != MB_OK)
                return;
        agent_store_add_event(a->store, m->store_id, now, "command_result", why, INT64_MIN, data);
        agent_store_command_state(a->store, id, result, now);
        if (strcmp(result, "failed") == 0 && wanted_state(op) >= 0) {
                snprintf(reason, sizeof(reason), "command %lld (%s) failed: %s", (long long)id,
                         op_name(op), why);
                agent_store_add_event(a->store, m->store_id, now, "relay_fault", reason,
                                      m->have_balance ? m->balance_fen : INT64_MIN, data);
        }
        agent_store_end(a->store);
        if (strcmp(result, "failed") == 0)
                mb_warn("meter %s: command %lld (%s) failed: %s", m->cfg->name, (long long)id,
                        op_name(op), why);
}

/* Why no device can carry out op for m. */
static void nothing_can(const struct agent_meter *m, int op, char *buf, size_t len)
{
        snprintf(buf, len,
                 "meter %s cannot %s (plugin %s%s) and has no relay device: set relay or "
                 "relay_fallback",
                 m->cfg->name, op_name(op), m->plugin->desc->name,
                 (m->plugin->desc->caps & MB_CAP_RELAY) ? ", not this meter" : "");
}

void agent_policy_queue(struct agent *a, struct agent_meter *m, int op, const char *why,
                        int64_t tag)
{
        struct agent_meter *dev = agent_meter_target(m, op);
        char reason[300];

        if (dev) {
                agent_bus_control(a->buses[dev->cfg->bus_index], m, op, why, tag);
                return;
        }
        if (op == MB_CTL_ALARM || op == MB_CTL_ALARM_CLEAR)
                return; /* no display: the alarm is an event only */
        nothing_can(m, op, reason, sizeof(reason));
        if (tag > 0) {
                command_result(a, m, tag, op, "failed", reason, MB_RELAY_UNKNOWN);
                return;
        }
        record(a, m, "relay_fault", reason, NULL);
        mb_err_log("%s", reason);
}

/* The wait before try attempts + 1: 1 s, 2 s, 4 s ... at most 60 s. */
static int64_t backoff_ms(int attempts)
{
        int64_t wait = RETRY_FIRST_MS;

        for (int i = 1; i < attempts && wait < RETRY_MAX_MS; i++)
                wait *= 2;
        return wait < RETRY_MAX_MS ? wait : RETRY_MAX_MS;
}

static void policy_control_done(struct agent *a, struct agent_meter *m, int op, int rc, int state,
                                const mb_err *err)
{
        char reason[300], data[160];
        int again;

        if (control_ok(op, rc, state)) {
                /* after_seq shows which reading the operation followed. */
                snprintf(data, sizeof(data), "{\"op\":%d,\"relay\":\"%s\",\"after_seq\":%lld}", op,
                         mb_wire_relay_name(state), (long long)m->last_seq);
                m->relay_attempts = 0;
                m->relay_retry_op = -1;
                if (wanted_state(op) >= 0)
                        record(a, m, "relay_confirmed", mb_wire_relay_name(state), data);
                return;
        }
        if (wanted_state(op) < 0) {
                mb_warn("meter %s: display operation %d failed: %s", m->cfg->name, op, err->msg);
                return;
        }
        m->relay_attempts++;
        /* What the meter cannot do at all is not tried again. */
        again = rc != MB_ENOTSUP && m->relay_attempts <= a->cfg->policy.relay_retries;
        snprintf(data, sizeof(data),
                 "{\"op\":%d,\"relay\":\"%s\",\"after_seq\":%lld,\"attempt\":%d,"
                 "\"retry_in_ms\":%lld}",
                 op, mb_wire_relay_name(state), (long long)m->last_seq, m->relay_attempts,
                 again ? (long long)backoff_ms(m->relay_attempts) : -1LL);
        if (rc != MB_OK)
                snprintf(reason, sizeof(reason), "%s, attempt %d: %s", op_name(op),
                         m->relay_attempts, err->msg);
        else
                snprintf(reason, sizeof(reason), "%s, attempt %d: relay did not move (reads %s)",
                         op_name(op), m->relay_attempts, mb_wire_relay_name(state));
        record(a, m, "relay_fault", reason, data);
        mb_err_log("meter %s: relay fault: %s", m->cfg->name, reason);
        m->relay_retry_op = again ? op : -1;
        m->relay_retry_at_ms = mb_monotonic_ms() + backoff_ms(m->relay_attempts);
        if (!again && rc != MB_ENOTSUP)
                record(a, m, "relay_fault", "gave up: the relay needs a visit", data);
}

static void command_done(struct agent *a, struct agent_meter *m, int64_t id, int op, int rc,
                         int state, const mb_err *err)
{
        char why[300];

        if (control_ok(op, rc, state)) {
                command_result(a, m, id, op, "done", "done", state);
                return;
        }
        if (rc != MB_OK)
                snprintf(why, sizeof(why), "%s", err->msg[0] ? err->msg : mb_strerror(rc));
        else
                snprintf(why, sizeof(why), "the relay did not move (reads %s)",
                         mb_wire_relay_name(state));
        command_result(a, m, id, op, "failed", why, state);
}

/* A meter that refused op (it answered: MB_EAUTH, MB_EDEVICE) and has a
 * relay_fallback device: that device switches it from now on, starting
 * with op.  The refusal itself was reported by the caller. */
static void fall_back(struct agent *a, struct agent_meter *m, int op, int rc, const mb_err *err)
{
        char reason[400];

        if (wanted_state(op) < 0 || (rc != MB_EAUTH && rc != MB_EDEVICE) || !m->fallback_dev ||
            m->relay_is_fallback || m->relay_dev == m->fallback_dev)
                return;
        snprintf(reason, sizeof(reason),
                 "meter %s refused to %s (%s): switched by relay_fallback %s", m->cfg->name,
                 op_name(op), err->msg, m->fallback_dev->cfg->name);
        record(a, m, "relay_fallback", reason, NULL);
        mb_warn("%s", reason);
        m->relay_dev = m->fallback_dev;
        m->relay_is_fallback = 1;
        m->relay_retry_op = -1;
        agent_policy_queue(a, m, op, "relay_fallback", 0);
}

void agent_policy_control_done(struct agent *a, struct agent_meter *m, int op, int64_t tag, int rc,
                               int state, const char *why, const mb_err *err)
{
        pthread_mutex_lock(&a->policy_lock);
        if (tag > 0)
                command_done(a, m, tag, op, rc, state, err);
        else
                policy_control_done(a, m, op, rc, state, err);
        fall_back(a, m, op, rc, err);
        pthread_mutex_unlock(&a->policy_lock);
}

void agent_control_tick(struct agent *a)
{
        int64_t now = mb_monotonic_ms();

        if (!a->devs)
                return;
        pthread_mutex_lock(&a->policy_lock);
        for (int i = 0; i < a->devs->n_meters; i++) {
                struct agent_meter *m = &a->devs->meters[i];
                int op = m->relay_retry_op;

                if (op < 0 || now < m->relay_retry_at_ms)
                        continue;
                m->relay_retry_op = -1;
                agent_policy_queue(a, m, op, "retry", 0);
        }
        pthread_mutex_unlock(&a->policy_lock);
}
