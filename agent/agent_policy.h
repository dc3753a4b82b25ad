/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cut-off policy: from a meter's local balance and its account's thresholds,
 * decide alarms, trips and closes (DESIGN.md, Balances and cut-off).
 *
 * Pure logic: no I/O, no clock, no store.  The caller passes the time and the
 * balance, persists the state, records the decisions as events in the same
 * transaction as the reading that caused them, and queues the relay
 * operations.
 *
 * Hysteresis: a balance only falls between snapshots, and the state only
 * improves when a new snapshot from the server says so; a cut meter closes
 * only when a snapshot brings the balance above the reconnect threshold,
 * which is kept above the credit limit, so a balance hovering at the limit
 * never makes the relay chatter.
 */
#ifndef AGENT_POLICY_H
#define AGENT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define AGENT_POLICY_MAX_WINDOWS 8
#define AGENT_POLICY_MAX_HOLIDAYS 64

/* Rules from agent.conf `policy { }` (agent_config.c). */
struct agent_policy_cfg {
        struct {
                int from_min, to_min; /* local minutes of the day; may cross midnight */
        } no_cut[AGENT_POLICY_MAX_WINDOWS];
        int n_no_cut;
        unsigned no_cut_weekdays; /* bit d set: no cut on ISO weekday d (1 Mon .. 7 Sun) */
        int32_t holidays[AGENT_POLICY_MAX_HOLIDAYS]; /* YYYYMMDD; the day before is no-cut too */
        int n_holidays;
        int alarm2_delay_s; /* grace after alarm 2 before a trip */
        int relay_retries;  /* relay operations retried this often before giving up */
        int64_t tamper_wh;  /* energy while cut beyond which it is tamper */
        int arm_on_close;   /* close by arming (customer presses the button) */
};

enum agent_level {
        AGENT_NORMAL = 0,
        AGENT_ALARM1 = 1,
        AGENT_ALARM2 = 2,
        AGENT_CUT = 3,
        AGENT_PROTECTED = 4,
};

/* Per meter, persisted in agent.db so a restart keeps it. */
struct agent_policy_state {
        int level;             /* enum agent_level */
        int64_t alarm2_at;     /* when alarm 2 began; 0: not in alarm 2 */
        int trip_deferred;     /* a deferred trip has been recorded */
        int64_t cut_import_wh; /* register after the trip; -1 until the next reading */
        int tamper_reported;   /* tamper recorded for this cut */
};

enum agent_mode { AGENT_MODE_PREPAID = 0, AGENT_MODE_MONTHLY = 1 };

struct agent_policy_input {
        int64_t now;         /* UTC seconds */
        int have_balance;    /* a snapshot exists */
        int64_t balance_fen; /* local balance */
        int64_t alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen;
        int mode; /* enum agent_mode */
        int protected_flag;
        int hold;         /* an operator's trip holds the supply off */
        int new_snapshot; /* a snapshot arrived since the last decision */
        int have_import;
        int64_t import_wh;
};

/* Relay and display operations use enum mb_control from plugin.h. */
struct agent_decision {
        const char *event; /* event type, static string */
        char reason[192];
        int control; /* MB_CTL_* to queue, or -1 */
};

#define AGENT_POLICY_MAX_DECISIONS 4

/* Decide what follows from in, updating st.  Writes up to
 * AGENT_POLICY_MAX_DECISIONS decisions to out and returns their count. */
int agent_policy_decide(const struct agent_policy_cfg *cfg, struct agent_policy_state *st,
                        const struct agent_policy_input *in, struct agent_decision *out);

/* Why a trip may not happen at now (local time through the process zone), or
 * NULL when it may.  The text is written to buf. */
const char *agent_policy_no_cut(const struct agent_policy_cfg *cfg, int64_t now, char *buf,
                                size_t len);

/* The name of a level: "normal", "alarm1", "alarm2", "cut", "protected". */
const char *agent_level_name(int level);

#endif
