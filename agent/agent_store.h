/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's local store, agent.db (SQLite, WAL): readings with a per-meter
 * sequence number, events, what the server sends, and the schema version
 * with its migrations.
 *
 * Durability (docs/durability.md).  Writes happen inside
 * agent_store_begin()/agent_store_end().  A group that writes anything the
 * agent acts on or uploads (an event, a boundary reading, a command or its
 * state, a policy state, a tariff, a snapshot that adds money or changes the
 * rules) commits, synced, at its end, together with every reading still
 * waiting.  Routine readings, acknowledgements and snapshots that only move
 * the reference forward wait in memory and go to agent.db in one synced
 * transaction every commit_every readings or commit_interval_ms, at the
 * next group that cannot wait, or at close.  The uploader reads only
 * agent.db, so what it sends is on flash; readers of the agent's own state
 * (the policy's replay, the newest reading) also see what waits.
 *
 * Sequence numbers come from agent.db and memory; a reading lost before it
 * reached flash (a power cut, a failed commit) gives its number out again,
 * which is safe because nothing outside the agent saw it.
 *
 * Thread-safe: one connection behind one mutex; begin() takes it, end()
 * releases it.
 */
#ifndef AGENT_STORE_H
#define AGENT_STORE_H

#include <stdint.h>

#include <json-c/json.h>
#include <meterbox/reading.h>

typedef struct agent_store agent_store;

struct agent_store_opts {
        const char *path;
        int commit_every;       /* routine readings that may wait in memory, >= 1 */
        int commit_interval_ms; /* longest they, marks and snapshots wait (0: readings
                                   wait for commit_every, the rest for the next end) */
        int prune;              /* prune and cap (the running agent; not --apply or tools) */
        int keep_acked_days;    /* acknowledged data kept this long (0: dropped at once) */
        int64_t max_bytes;      /* cap on agent.db, 0: none */
};

enum agent_reading_kind {
        AGENT_READING_ROUTINE = 0,
        AGENT_READING_BOUNDARY = 1, /* month-boundary reading, billing-critical */
};

/* Open (creating and migrating) the database.  Returns MB_OK and *out, or an
 * error code with a message naming the file in err.  Close with
 * agent_store_close. */
int agent_store_open(const struct agent_store_opts *opts, agent_store **out, char *err,
                     size_t errlen);
/* Commit anything pending and close.  NULL is fine. */
void agent_store_close(agent_store *st);
/* The schema version the file is at. */
int agent_store_schema_version(agent_store *st);

/* The id of meter name, created on first use; address and account are
 * updated when they changed.  A NULL address keeps the one stored: the
 * identity a meter's readings resolved ("auto") survives a restart.
 * Returns MB_OK or MB_ESTORE. */
int agent_store_meter(agent_store *st, const char *name, const char *address, const char *account,
                      int64_t *meter_id);
/* The address stored for meter_id into out (cap bytes): MB_OK, MB_ENOENT
 * when none is, or MB_ESTORE. */
int agent_store_meter_address(agent_store *st, int64_t meter_id, char *out, size_t cap);
/* Set the address of meter_id (inside a group of writes: the caller holds
 * agent_store_begin).  Returns MB_OK or MB_ESTORE. */
int agent_store_set_meter_address(agent_store *st, int64_t meter_id, const char *address);

/* Take the store for one group of writes. */
int agent_store_begin(agent_store *st);
/* Close the group: commit it (synced) when it wrote what cannot wait, or
 * when what waits is due; release the store.  Returns MB_OK or the commit's
 * error (the group is then rolled back and the readings that waited are
 * given up). */
int agent_store_end(agent_store *st);
/* Roll back what the group wrote to agent.db and release the store. */
void agent_store_abort(agent_store *st);
/* Commit what waited commit_interval_ms.  Call about once a second. */
int agent_store_tick(agent_store *st);

/* Add a reading of meter_id taken at ts (UTC s).  Inside begin/end only.
 * *seq receives its sequence number.  Returns MB_OK, MB_ENOSPC or MB_ESTORE. */
int agent_store_add_reading(agent_store *st, int64_t meter_id, int64_t ts, int kind,
                            const mb_reading *r, int64_t *seq);
/* Add an event.  meter_id 0: gateway-wide.  balance_fen INT64_MIN: none.
 * reason and data (JSON text) may be NULL.  Inside begin/end only. */
int agent_store_add_event(agent_store *st, int64_t meter_id, int64_t ts, const char *type,
                          const char *reason, int64_t balance_fen, const char *data);

/* The newest stored reading of meter_id into *r (energy fields as stored)
 * with its seq and time; MB_ENOENT when there is none. */
int agent_store_last_reading(agent_store *st, int64_t meter_id, mb_reading *r, int64_t *seq,
                             int64_t *ts);

/* ---- what the server sends, and the policy's state (agent_store_sync.c) ---- */

struct agent_policy_state;

/* A command from the server as stored. */
struct agent_command {
        int64_t id;
        int64_t meter_id;
        char op[16];
        char reason[160];
        char by[64];
        int64_t issued_at, expires_at;
};

/* Inside begin/end: store the snapshot JSON of a meter (replacing the last;
 * with a null ref, remembering the meter's newest seq: see
 * agent_store_snapshot_after),
 * a tariff's canonical text, or a command (a known id is ignored: each
 * command runs at most once).  MB_OK or MB_ESTORE/MB_ENOSPC. */
int agent_store_put_snapshot(agent_store *st, int64_t meter_id, const char *json, int64_t now);
int agent_store_put_tariff(agent_store *st, const char *hash, const char *id, const char *text);
int agent_store_put_command(agent_store *st, const struct agent_command *c, int64_t now);
/* Inside begin/end: set a command's state ("running", "done", "failed",
 * "expired"). */
int agent_store_command_state(agent_store *st, int64_t id, const char *state, int64_t now);
/* Inside begin/end: commands left "running" by an agent that was stopped
 * (killed, power cut) before their relay operation was confirmed go back
 * to "new", to be carried out again (relay operations are idempotent on
 * the meter; an expired one is then refused as expired). */
int agent_store_requeue_commands(agent_store *st);
/* Inside begin/end: record the local balance computed with reading seq. */
int agent_store_set_balance(agent_store *st, int64_t meter_id, int64_t seq, int64_t balance_fen);
/* Inside begin/end: save a meter's policy state. */
int agent_store_put_policy(agent_store *st, int64_t meter_id, const struct agent_policy_state *ps);

/* The last snapshot JSON of meter_id in *json (malloc'd, caller frees), or
 * MB_ENOENT. */
int agent_store_get_snapshot(agent_store *st, int64_t meter_id, char **json);
/* For a snapshot with no reference (ref null): the meter's newest seq when
 * the first such snapshot in a row was stored; readings after it are
 * charged.  0 when none. */
int64_t agent_store_snapshot_after(agent_store *st, int64_t meter_id);
/* The text of tariff hash in *text (malloc'd, caller frees), or MB_ENOENT. */
int agent_store_get_tariff(agent_store *st, const char *hash, char **text);
/* The type of meter_id's newest relay decision ("trip", "close" or "arm")
 * in *type (malloc'd, caller frees), or MB_ENOENT. */
int agent_store_last_decision(agent_store *st, int64_t meter_id, char **type);
/* The policy state of meter_id, or MB_ENOENT (then *ps is zeroed). */
int agent_store_get_policy(agent_store *st, int64_t meter_id, struct agent_policy_state *ps);
/* Commands in state "new", oldest first: up to max into out; returns how
 * many, or a negative MB_ code. */
int agent_store_new_commands(agent_store *st, struct agent_command *out, int max);
/* Whether a command with this id is stored; the highest stored id, or the
 * server's last completed one after a store loss, whichever is higher (0:
 * none). */
int agent_store_has_command(agent_store *st, int64_t id);
int64_t agent_store_newest_command(agent_store *st);
/* SQLite's data_version: changes when another connection (meterbox-agent
 * --apply) committed to the file. */
int64_t agent_store_data_version(agent_store *st);
/* The id of the meter whose address (or, when it has none, name) is addr;
 * MB_ENOENT when the agent has no such meter. */
int agent_store_meter_by_address(agent_store *st, const char *addr, int64_t *meter_id);

/* ---- a new store (agent_store_resume.c, docs/durability.md) ---- */

/* Whether agent.db is new and has not yet learnt from the server where its
 * meters' sequences, its events and its completed commands stand: until
 * then the uploader sends nothing but that question. */
int agent_store_needs_resume(agent_store *st);
/* The server's answer: resume is the answer's "resume" object (per meter
 * address its high-water seq, and the last completed command id), NULL for
 * a server that does not know the question (nothing renumbered);
 * events_upto the answer's acked.events_upto.  What the store took
 * meanwhile is renumbered past those marks, the command id becomes the
 * floor below which commands are refused, in one synced transaction.
 * Returns MB_OK or a store error. */
int agent_store_resume(agent_store *st, json_object *resume, int64_t events_upto);

/* ---- upload side (agent_store_upload.c) ---- */

/* Called with each reading as a JSON object (meter address, seq, ts, kind
 * and every stored field), borrowed for the call only, and its row id;
 * returns nonzero to stop after this one. */
typedef int (*agent_store_reading_fn)(void *arg, json_object *reading, int64_t id);
/* Hand unacknowledged readings on flash to fn one at a time, in the order
 * they were taken (each meter's in sequence order), at most max of them, so
 * a batch never has to exist as one tree of objects.  Boundary readings are
 * left out unless with_boundary.  *upto receives the last row id handed
 * over (for agent_store_ack_readings).  Runs under the store's lock.
 * Returns how many were handed over, or a negative MB_ code. */
int agent_store_unacked_readings(agent_store *st, agent_store_reading_fn fn, void *arg, int max,
                                 int with_boundary, int64_t *upto);
/* Unacknowledged events on flash: append up to max, oldest first; returns
 * how many or a negative MB_ code. */
int agent_store_unacked_events(agent_store *st, json_object *array, int max);
/* The server stored every reading handed over up to row id upto (the
 * batch's *upto, with_boundary as the batch was asked for), and the events
 * with id <= upto.  The marks move at once
 * and reach agent.db with the next commit; a power cut before it only means
 * some readings are sent again, which the server acknowledges again. */
int agent_store_ack_readings(agent_store *st, int64_t upto, int with_boundary);
int agent_store_ack_events(agent_store *st, int64_t upto);
/* Inside begin/end: set aside a reading (row id) or an event the server
 * refused as bad input, so one bad record never blocks the rest; it stays
 * in agent.db (acked = 2) for inspection. */
int agent_store_refused_reading(agent_store *st, int64_t id);
int agent_store_refused_event(agent_store *st, int64_t id);
/* The server answered an upload at now (UTC s); what `meterbox-agent
 * status` shows as the last successful sync (agent_store_status.c).  It
 * reaches agent.db with the next commit. */
int agent_store_note_sync(agent_store *st, int64_t now);
/* The uploader looked at the uplink at `at` (UTC s) and found json (an
 * object's text, copied): what `meterbox-agent status` shows as the uplink.
 * It reaches agent.db with the next commit.  MB_OK or MB_ENOMEM. */
int agent_store_note_uplink(agent_store *st, int64_t at, const char *json);
/* Call fn for every stored reading of meter_id with seq > after, in order
 * (fields as stored).  Returns how many, or a negative MB_ code. */
int agent_store_readings_after(agent_store *st, int64_t meter_id, int64_t after,
                               void (*fn)(void *arg, int64_t seq, int64_t ts, int kind,
                                          const mb_reading *r),
                               void *arg);
/* Time of meter_id's newest boundary reading, or INT64_MIN when none. */
int64_t agent_store_last_boundary(agent_store *st, int64_t meter_id);
/* Whether any unacknowledged boundary reading exists. */
int agent_store_has_unacked_boundary(agent_store *st);
/* Pruning happens with the group commits (agent_store_prune.c): at most
 * every 10 minutes, acknowledged readings and events older than
 * keep_acked_days go; over max_bytes, unacknowledged routine readings are
 * thinned, oldest first, never boundary readings nor events, each thinning
 * recorded as a "thinned" event. */
/* The file's size in bytes (pages in use x page size). */
int64_t agent_store_size(agent_store *st);

#endif
