/* SPDX-License-Identifier: Apache-2.0 */
/* `meterbox-agent --once`: poll every meter once and print one JSON object per
 * reading on stdout.  The vendor's first tool: it touches no store, so it can
 * run beside a running agent, and with -v it shows the frames on the wire. */
#define MB_LOG_MODULE "once"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "mb_log.h"
#include "mb_time.h"
#include "mb_wire.h"

struct once_state {
        pthread_mutex_t lock;
        int failed;
};

static void print_reading(void *arg, struct agent_meter *m, const mb_reading *r, int64_t ts,
                          int kind)
{
        struct once_state *st = arg;
        json_object *o = json_object_new_object(), *fields = mb_wire_reading(r);

        json_object_object_add(o, "meter", json_object_new_string(m->cfg->name));
        json_object_object_add(o, "plugin", json_object_new_string(m->plugin->desc->name));
        json_object_object_add(o, "bus", json_object_new_string(m->cfg->bus));
        if (m->cfg->account)
                json_object_object_add(o, "account", json_object_new_string(m->cfg->account));
        json_object_object_add(o, "ts", json_object_new_int64(ts));
        json_object_object_foreach(fields, k, v) json_object_object_add(o, k, json_object_get(v));
        if (r->missing)
                json_object_object_add(o, "missing", json_object_new_string(r->missing_why));
        if (r->fields & MB_F_ACCOUNT) /* "account" is the configured one */
                json_object_object_add(o, "meter_account", json_object_new_string(r->account));
        pthread_mutex_lock(&st->lock);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        fflush(stdout);
        pthread_mutex_unlock(&st->lock);
        json_object_put(fields);
        json_object_put(o);
}

static void print_failure(void *arg, struct agent_meter *m, const mb_err *err, int64_t ts)
{
        struct once_state *st = arg;

        pthread_mutex_lock(&st->lock);
        st->failed++;
        pthread_mutex_unlock(&st->lock);
        mb_err_log("meter %s (plugin %s, bus %s): %s: %s", m->cfg->name, m->plugin->desc->name,
                   m->cfg->bus, mb_strerror(err->code), err->msg);
}

/* The longest a bus may take: every meter's timeout twice, plus slack. */
static int64_t deadline_ms(const struct agent *a)
{
        int64_t total = 2000;

        for (int i = 0; i < a->devs->n_meters; i++)
                total += 2 * (int64_t)a->devs->meters[i].cfg->timeout_ms;
        return mb_monotonic_ms() + total;
}

/* Wait for every bus; a bus stuck in a plugin past the deadline is reported
 * and abandoned.  Returns the number of stuck buses. */
static int wait_buses(struct agent *a, agent_bus **buses, int64_t deadline)
{
        int pending = a->cfg->n_buses;

        while (pending > 0 && mb_monotonic_ms() < deadline) {
                pending = 0;
                for (int i = 0; i < a->cfg->n_buses; i++)
                        pending += buses[i] && !agent_bus_done(buses[i]);
                if (pending)
                        mb_sleep_ms(20);
        }
        for (int i = 0; i < a->cfg->n_buses; i++)
                if (buses[i] && !agent_bus_done(buses[i]))
                        mb_err_log("bus %s: a plugin call did not return in time",
                                   a->cfg->buses[i].name);
        return pending;
}

int agent_once(const char *config_path, const char *plugin_dir)
{
        struct once_state st = {.lock = PTHREAD_MUTEX_INITIALIZER};
        struct agent_bus_sink sink = {print_reading, print_failure, NULL, &st};
        struct agent a;
        agent_bus **buses;
        int stuck;

        if (agent_prepare(&a, config_path, plugin_dir) < 0)
                return 2;
        buses = calloc((size_t)a.cfg->n_buses + 1, sizeof(*buses));
        for (int i = 0; buses && i < a.cfg->n_buses; i++)
                buses[i] = agent_bus_start(a.devs, i, a.cfg->buses[i].name, &sink, 1);
        stuck = buses ? wait_buses(&a, buses, deadline_ms(&a)) : 1;
        if (stuck) {
                /* A thread is inside a plugin that ignores its timeout: it cannot
                 * be joined, so leave without tearing down what it uses. */
                fflush(stdout);
                _exit(1);
        }
        for (int i = 0; i < a.cfg->n_buses; i++)
                agent_bus_stop(buses[i]);
        free(buses);
        agent_stop(&a);
        return st.failed ? 1 : 0;
}

int agent_check(const char *config_path, const char *plugin_dir)
{
        struct agent a;

        if (agent_prepare(&a, config_path, plugin_dir) < 0) {
                fprintf(stderr, "%s: configuration has errors\n", config_path);
                return 1;
        }
        printf("%s: ok (%d buses, %d meters)\n", config_path, a.cfg->n_buses, a.cfg->n_meters);
        agent_stop(&a);
        return 0;
}
