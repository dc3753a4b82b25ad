/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The running agent: config, plugins, devices, store and bus threads, started
 * and stopped in that order (and torn down in reverse).
 */
#ifndef AGENT_H
#define AGENT_H

#include <pthread.h>

#include "agent_bus.h"
#include "agent_config.h"
#include "agent_devices.h"
#include "agent_plugin.h"
#include "agent_store.h"
#include <json-c/json.h>

struct agent_upload;

struct agent {
        struct agent_config *cfg;
        agent_plugins *plugins;
        struct agent_devices *devs;
        agent_store *store;
        agent_bus **buses;
        int n_buses;
        struct agent_upload *upload; /* NULL: offline gateway */
        pthread_mutex_t policy_lock; /* the money fields of every meter */
        int64_t data_version;        /* of agent.db, to notice --apply */
        int watchdog_withheld;       /* a bus stuck past stall_limit: not fed */
};

/* Load config_path, load plugins, create devices.  Returns 0, or -1 after
 * printing every problem (file and line) to stderr.  Nothing runs yet. */
int agent_prepare(struct agent *a, const char *config_path, const char *plugin_dir);
/* Open the store and start one thread per bus.  0 or -1 (logged). */
int agent_start(struct agent *a);
/* Stop the bus threads (each finishes its current call), commit and close
 * the store, free devices, plugins and config.  Safe on a partial agent. */
void agent_stop(struct agent *a);
/* Load config_path anew; on success replace the running agent with it, on
 * failure keep the old one running.  Returns 0; -1 when the new
 * configuration was refused (the old one runs on); AGENT_DEAD when the
 * agent could not start again (a store that does not open, a thread that
 * does not start): nothing runs, and the caller must exit non-zero so the
 * service manager starts it afresh.  Logged. */
#define AGENT_DEAD (-2)
int agent_reload(struct agent *a, const char *config_path, const char *plugin_dir);
/* About five times a second: commit what waited, notice --apply, check the
 * clock, report plugin calls that overran (once a minute each).  Returns 1
 * while the agent is healthy, 0 once a bus has been stuck in one call
 * longer than stall_limit: the caller then stops feeding the service
 * manager's watchdog, which restarts the agent. */
int agent_tick(struct agent *a);

/* The bus-thread sink that records readings and failures in the store. */
struct agent_bus_sink agent_record_sink(struct agent *a);
/* Make sure every meter has its row in agent.db.  0 or -1 (logged). */
int agent_record_meters(struct agent *a);

/* On a bus thread, inside the reading's store transaction: an event when
 * the set of fields the plugin left out of m's readings changes
 * (agent_fields.c). */
void agent_fields_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                             int64_t ts);

/* Policy (agent_policy_run.c).  On a bus thread, holding the policy lock,
 * inside the reading's store transaction: update the meter's local balance from reading r (seq) and
 * record the decisions; the relay operations are queued by
 * agent_policy_after_commit once the transaction is closed. */
void agent_policy_on_reading(struct agent *a, struct agent_meter *m, const mb_reading *r,
                             int64_t ts, int kind, int64_t seq, int *controls, int *n_controls);
void agent_policy_after_commit(struct agent *a, struct agent_meter *m, const int *controls,
                               int n_controls);
/* The transaction failed instead (a full disk): forget what the reading
 * decided and charged, as agent.db did, so that the policy decides again on
 * the first reading stored (docs/faults.md).  before: m->pst as it was when
 * the transaction began. */
void agent_policy_after_failure(struct agent *a, struct agent_meter *m,
                                const struct agent_policy_state *before);
/* Once a second, main thread: queue again the policy relay operations whose
 * backoff has passed (agent_control.c). */
void agent_control_tick(struct agent *a);
/* A queued relay or display operation finished (bus thread). */
void agent_policy_control_done(struct agent *a, struct agent_meter *m, int op, int64_t tag, int rc,
                               int state, const char *why, const mb_err *err);
/* Load what the store holds of snapshots, tariffs, commands and policy state
 * into the meters, deciding again for every meter whose snapshot changed
 * and queueing new commands.  Main thread. */
void agent_policy_reload(struct agent *a);
/* At start: carry out each meter's last relay decision again, since it may
 * not have reached the meter before the agent stopped (a SIGKILL, a power
 * cut or a stop between committing a decision and carrying it out; a
 * relay_confirmed may belong to an earlier operation): a trip for a meter
 * the policy holds cut, else the last close or arm.  The operations are
 * idempotent on the meter.  Main thread. */
void agent_policy_resume(struct agent *a);

/* Apply a server answer (docs/wire.md) to the store: snapshots, tariff texts,
 * commands.  Returns the number of meters it applied to, or -1 with err. */
int agent_apply_response(agent_store *st, const struct agent_config *cfg, json_object *resp,
                         int64_t now, char *err, size_t len);
/* `meterbox-agent --apply FILE`: the same, from a file ("-": stdin). */
int agent_apply_file(const char *config_path, const char *file);

/* Gateway clock sanity (agent_clock.c).  agent_clock_check runs once a
 * second on the main thread: a wall clock before a sane floor (2024) or one
 * that jumped against the monotonic clock by more than a minute is recorded
 * as a clock_jump event and flags readings (MB_Q_GATEWAY_CLOCK) for the next
 * hour. */
void agent_clock_check(struct agent *a);
int agent_clock_suspect(void);

/* Modes of the command line. */
int agent_check(const char *config_path, const char *plugin_dir);
int agent_once(const char *config_path, const char *plugin_dir);

#endif
