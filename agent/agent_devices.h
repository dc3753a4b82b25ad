/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configured buses and meters brought to life: plugin links and meter
 * instances, created from a validated config.  Creation does no I/O, so
 * `meterbox-agent -t` uses it to let every plugin check its options.
 */
#ifndef AGENT_DEVICES_H
#define AGENT_DEVICES_H

#include <pthread.h>
#include <stdint.h>

#include <meterbox/plugin.h>

#include "agent_config.h"
#include "agent_host.h"
#include "agent_plugin.h"
#include "agent_policy.h"
#include "agent_charge.h"
#include "agent_snapshot.h"

struct agent_link {
        const agent_plugin *plugin;
        void *handle; /* plugin-owned; NULL without link_open */
        mb_ctx ctx;
        mb_link_params params;
        int bus_index;
};

struct agent_meter {
        const struct agent_meter_cfg *cfg;
        const agent_plugin *plugin;
        struct agent_link *link;
        void *inst; /* plugin-owned */
        mb_ctx ctx;
        mb_meter_params params;
        uint32_t caps;                    /* what this meter can do (plugin and meter_caps) */
        struct agent_meter *relay_dev;    /* switches this meter's supply; NULL: none */
        int relay_is_fallback;            /* relay_dev is the relay_fallback device */
        struct agent_meter *fallback_dev; /* the relay_fallback device; NULL: none */
        int64_t store_id;                 /* meters.id in agent.db, 0 until known */
        /* Identity (agent_identity.h): set at creation or, when it comes from
         * the readings, by the bus thread (and from agent.db at start). */
        char ident[MB_ADDR_LEN];
        int ident_known;                    /* ident holds the identity */
        int ident_from_reading;             /* "auto", none or a pattern configured */
        int ident_warned;                   /* a reading reported another address: logged */
        char meter_account[MB_ACCOUNT_LEN]; /* the customer number last reported (bus thread) */
        uint32_t missing;                   /* fields left out of the last reading (bus thread) */
        /* Scheduling, owned by the meter's bus thread. */
        int64_t next_due_ms;
        int failures;     /* consecutive failed polls */
        int polled;       /* polled at least once */
        int boundary_due; /* the next reading is the month's boundary reading */
        int64_t last_import_wh;
        int have_last;
        /* Money and policy, guarded by the agent's policy lock. */
        char *snap_json;            /* the snapshot in force, as stored */
        struct agent_snapshot snap; /* parsed; valid when snap_json */
        mb_tariff *tariff;          /* parsed tariff of snap, NULL until known */
        char tariff_hash[72];
        struct agent_policy_state pst;
        /* a new snapshot whose decisions could not be stored yet (a full
         * disk): the next reading decides as on a new snapshot */
        int snap_undecided;
        mb_tariff_reading last_tr; /* the last stored reading */
        int have_last_tr;
        struct agent_charge charge; /* charged from the snapshot, reading by reading */
        int64_t charged_seq;        /* readings up to this seq are charged (or before ref) */
        int ref_pending;            /* the next reading is the reference, not charged */
        int64_t balance_fen;        /* local balance */
        int have_balance;
        int relay_attempts;        /* tries of the relay operation under way */
        int relay_retry_op;        /* the policy operation to try again, -1: none */
        int64_t relay_retry_at_ms; /* monotonic time of that try */
        int64_t last_seq;          /* of the last stored reading */
};

struct agent_devices {
        struct agent_link *links;
        int n_links;
        struct agent_meter *meters;
        int n_meters;
};

/* Create links and meters for cfg, loading plugins through reg.  Returns the
 * set (free with agent_devices_free), or NULL with every problem in d. */
struct agent_devices *agent_devices_create(const struct agent_config *cfg, agent_plugins *reg,
                                           mb_diag *d);
/* Free every meter and link through its plugin. */
void agent_devices_free(struct agent_devices *devs);

/* Check what a plugin returned in r; NULL when it is sane, else a static
 * description of the first problem (unknown field bits, a negative register,
 * an unterminated address, ...). */
const char *agent_reading_check(const mb_reading *r);

#endif
