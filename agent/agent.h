/*
 * The running agent: config, plugins, devices, store and bus threads, started
 * and stopped in that order (and torn down in reverse).
 */
#ifndef AGENT_H
#define AGENT_H

#include "agent_bus.h"
#include "agent_config.h"
#include "agent_devices.h"
#include "agent_plugin.h"
#include "agent_store.h"

struct agent {
        struct agent_config *cfg;
        agent_plugins *plugins;
        struct agent_devices *devs;
        agent_store *store;
        agent_bus **buses;
        int n_buses;
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
 * failure keep the old one running.  0 or -1 (logged). */
int agent_reload(struct agent *a, const char *config_path, const char *plugin_dir);
/* Once a second: commit an old batch, report plugin calls that overran. */
void agent_tick(struct agent *a);

/* The bus-thread sink that records readings and failures in the store. */
struct agent_bus_sink agent_record_sink(struct agent *a);
/* Make sure every meter has its row in agent.db.  0 or -1 (logged). */
int agent_record_meters(struct agent *a);

/* Modes of the command line. */
int agent_check(const char *config_path, const char *plugin_dir);
int agent_once(const char *config_path, const char *plugin_dir);

#endif
