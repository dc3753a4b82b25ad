/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plugin loader and registry.  Loads shared objects, checks their descriptor
 * (ABI version, size, capabilities, required functions, unique name) before
 * using anything in it, and refuses a mismatch with a message naming the file.
 * A descriptor from an older 1.x SDK (smaller, from MB_PLUGIN_SIZE_1_0 up) is
 * accepted: the host keeps a full-size copy with the missing members zeroed.
 */
#ifndef AGENT_PLUGIN_H
#define AGENT_PLUGIN_H

#include <meterbox/plugin.h>

#include "mb_conf.h"

/* One loaded plugin.  Allocated on its own and never moved while the registry
 * lives, so links and meters may keep pointers to it. */
typedef struct agent_plugin {
        char *path;
        const mb_plugin *desc; /* &copy: read through this, never the plugin's */
        mb_plugin copy;        /* the plugin's descriptor, what it lacks zeroed */
        uint32_t size;         /* the descriptor size the plugin declared */
        void *dl;
        int inited; /* init succeeded: fini is owed */
} agent_plugin;

typedef struct agent_plugins agent_plugins;

/* A registry searching dirs (colon-separated; NULL: MB_PLUGIN_DIR from the
 * environment, else the compiled-in directory).  NULL when out of memory. */
agent_plugins *agent_plugins_new(const char *dirs);
/* Call every loaded plugin's fini, dlclose them, free the registry. */
void agent_plugins_free(agent_plugins *reg);

/* Load one file.  Returns the plugin (owned by reg), or NULL with the reason
 * (naming the file) added to d. */
const agent_plugin *agent_plugins_load_file(agent_plugins *reg, const char *path, mb_diag *d);
/* The plugin called name: already loaded, or loaded from NAME.so in the
 * search path.  NULL with the reason in d, located at the config setting
 * where (NULL: no location). */
const agent_plugin *agent_plugins_get(agent_plugins *reg, const char *name,
                                      const config_setting_t *where, mb_diag *d);

#endif
