/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Meter identity (DESIGN.md, "Meter identity"): a meter is known by its
 * address as the meter itself reports it, normalised by its plugin
 * (mb_plugin.normalise_address).  Typed spellings resolve to that form when
 * the config is loaded; "auto", no address and wildcard patterns resolve from
 * the first reading that reports an address; a pattern is never an identity.
 * agent.db, uploads, events and the commands the agent accepts all use it.
 */
#ifndef AGENT_IDENTITY_H
#define AGENT_IDENTITY_H

#include <meterbox/reading.h>

#include "mb_conf.h"

struct agent;
struct agent_meter;
struct agent_devices;

/* The identity of m from its configured address, into m->ident (known) or
 * left for a reading to resolve (not known).  A configured address the
 * plugin refuses is reported in d at the meter's line.  Returns 0 or -1. */
int agent_identity_configured(struct agent_meter *m, mb_diag *d);

/* Refuse, in d, two meters of one plugin on one bus with one identity,
 * however their addresses were spelt.  Returns how many were refused. */
int agent_identity_check_unique(const struct agent_devices *devs, mb_diag *d);

/* The identity r's address names, into out (MB_ADDR_LEN bytes): MB_OK, or
 * MB_ENOENT when r reports no address or a pattern rather than a meter. */
int agent_identity_of_reading(const struct agent_meter *m, const mb_reading *r,
                              char out[MB_ADDR_LEN]);

/* On the bus thread, inside the reading's store transaction: adopt the
 * identity r reports for a meter whose identity comes from its readings
 * (stored, with an event naming it), and warn once when a meter with a
 * configured identity reports another.  When r carries the customer number
 * the meter holds (MB_F_ACCOUNT) and it is the first since start or another
 * than before, record a meter_account event (data: {"account": ...}): the
 * server checks it against the account bound to the meter and raises
 * binding_mismatch (docs/agent.md).  Returns MB_OK or MB_ESTORE. */
int agent_identity_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                              int64_t ts);

#endif
