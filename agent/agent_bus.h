/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One scheduler thread per bus.  Meters on a bus are polled one at a time,
 * each on its own interval; a meter that fails is retried with backoff (1 s,
 * 2 s, 4 s ... up to its poll interval) and never delays another bus.  A
 * control request (trip, close, ...) jumps the queue of its bus.  When the
 * local month changes, every meter is read at once as a boundary reading
 * (enum agent_reading_kind), retried until it succeeds.
 */
#ifndef AGENT_BUS_H
#define AGENT_BUS_H

#include <stdint.h>

#include <meterbox/plugin.h>

#include "agent_devices.h"

/* What a bus thread does with results.  Called on the bus thread. */
struct agent_bus_sink {
        void (*reading)(void *arg, struct agent_meter *m, const mb_reading *r, int64_t ts,
                        int kind);
        void (*failure)(void *arg, struct agent_meter *m, const mb_err *err, int64_t ts);
        void (*control_done)(void *arg, struct agent_meter *m, int op, int64_t tag, int rc,
                             int state, const char *why, const mb_err *err);
        void *arg;
};

typedef struct agent_bus agent_bus;

/* Start a thread for the meters of bus_index in devs.  once: poll each meter
 * once, then finish.  Returns the bus, or NULL when out of resources. */
agent_bus *agent_bus_start(struct agent_devices *devs, int bus_index, const char *name,
                           const struct agent_bus_sink *sink, int once);
/* Ask the thread to stop after its current call and join it; free the bus. */
void agent_bus_stop(agent_bus *bus);
/* True when a once-bus has polled all its meters. */
int agent_bus_done(agent_bus *bus);
/* Queue op for meter m ahead of pending polls; bus must be the bus of the
 * device that carries out op (agent_meter_target).  why is copied; tag comes
 * back in control_done (0 for the policy, the command id for commands).
 * Returns MB_OK or MB_ENOMEM. */
int agent_bus_control(agent_bus *bus, struct agent_meter *m, int op, const char *why, int64_t tag);
/* A plugin call that has run longer than its timeout plus a grace period. */
struct agent_stall {
        struct agent_meter *meter; /* stuck in a call for it */
        int64_t running_ms;        /* how long the call has run */
        int report;                /* log it now: at first, then once a minute */
        int reports;               /* lines logged for this call so far, this one included */
};
/* Whether bus is stuck in one call; s filled when it is.  Main thread only
 * (it keeps the report times). */
int agent_bus_stuck(agent_bus *bus, int64_t now_ms, struct agent_stall *s);

/* Read meter m once through its plugin and check what came back.  Returns
 * MB_OK with *r filled, or an error code with err filled. */
int agent_meter_read(struct agent_meter *m, mb_reading *r, mb_err *err);
/* The device that carries out op for meter m: its relay device for relay
 * operations, itself (or its relay device) for display ones when able; NULL
 * when nothing can. */
struct agent_meter *agent_meter_target(struct agent_meter *m, int op);
/* Run op for meter m on its target device.  Returns MB_OK with *state, or an
 * error (MB_ENOTSUP when no device can). */
int agent_meter_control(struct agent_meter *m, int op, int *state, mb_err *err);

#endif
