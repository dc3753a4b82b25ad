/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by agent_policy_run.c and agent_policy_sync.c; caller holds the
 * agent's policy lock. */
#ifndef AGENT_POLICY_PRIV_H
#define AGENT_POLICY_PRIV_H

#include "agent.h"

/* Start m's local balance from its snapshot and charge every stored reading
 * after the snapshot's reference. */
void agent_policy_restart_charge(struct agent *a, struct agent_meter *m);
/* Decide for m at now (snap: a new snapshot arrived; seq: the reading that
 * caused it, 0 for none) and record the decisions; a store transaction is
 * open.  The relay operations to queue are appended to controls. */
void agent_policy_decide_now(struct agent *a, struct agent_meter *m, int64_t now, int snap,
                             int64_t seq, int *controls, int *n_controls);
/* Queue op for m on the bus of the device that carries it out. */
void agent_policy_queue(struct agent *a, struct agent_meter *m, int op, const char *why,
                        int64_t tag);

#endif
