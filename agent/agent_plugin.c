/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "plugin"
#include "agent_plugin.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_elf.h"
#include "agent_host.h"
#include "mb_build_config.h"
#include "mb_log.h"

/* An array of pointers, not of plugins: growing it moves no plugin that a
 * link or a meter points to. */
struct agent_plugins {
        char *dirs;
        agent_plugin **items;
        int n, cap;
};

agent_plugins *agent_plugins_new(const char *dirs)
{
        agent_plugins *reg = calloc(1, sizeof(*reg));

        if (!dirs)
                dirs = getenv("MB_PLUGIN_DIR");
        if (!dirs || !*dirs)
                dirs = MB_PLUGIN_DIR;
        if (reg && !(reg->dirs = strdup(dirs))) {
                free(reg);
                return NULL;
        }
        return reg;
}

void agent_plugins_free(agent_plugins *reg)
{
        if (!reg)
                return;
        for (int i = reg->n - 1; i >= 0; i--) {
                agent_plugin *p = reg->items[i];
                if (p->inited && p->desc->fini)
                        p->desc->fini();
                        /* Sanitizer builds keep the code mapped so leak reports can
                         * still name plugin frames. */
#ifndef MB_KEEP_PLUGINS_MAPPED
                dlclose(p->dl);
#endif
                free(p->path);
                free(p);
        }
        free(reg->items);
        free(reg->dirs);
        free(reg);
}

static int valid_name(const char *name)
{
        if (!name || !*name || strlen(name) > 32)
                return 0;
        for (const char *c = name; *c; c++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_' &&
                    *c != '-')
                        return 0;
        return 1;
}

static int check_functions(const mb_plugin *p, const char *path, mb_diag *d)
{
        if (!p->meter_new || !p->meter_free) {
                mb_diag_add(d, path, 0, "plugin '%s' lacks meter_new or meter_free", p->name);
                return -1;
        }
        if ((p->caps & MB_CAP_READ) && !p->meter_read) {
                mb_diag_add(d, path, 0, "plugin '%s' claims READ but has no meter_read", p->name);
                return -1;
        }
        if ((p->caps & (MB_CAP_RELAY | MB_CAP_DISPLAY)) && !p->meter_control) {
                mb_diag_add(d, path, 0, "plugin '%s' claims RELAY/DISPLAY but has no meter_control",
                            p->name);
                return -1;
        }
        return 0;
}

/* Every check that must pass before the agent trusts a descriptor. */
static int check_descriptor(const mb_plugin *p, size_t symsize, const char *path, mb_diag *d)
{
        if (symsize < 2 * sizeof(uint32_t)) {
                mb_diag_add(d, path, 0,
                            "descriptor '%s' is %zu bytes: truncated, not a meterbox plugin",
                            MB_PLUGIN_SYMBOL, symsize);
                return -1;
        }
        if (p->abi_version != MB_PLUGIN_ABI_VERSION) {
                mb_diag_add(d, path, 0,
                            "plugin ABI version %u, this agent supports version %u: rebuild "
                            "the plugin against this SDK",
                            p->abi_version, MB_PLUGIN_ABI_VERSION);
                return -1;
        }
        if (p->size < MB_PLUGIN_SIZE_1_0 || symsize < p->size) {
                mb_diag_add(d, path, 0,
                            "descriptor declares %u bytes (object %zu), expected at least %zu "
                            "and no more than the object: truncated or built against a broken "
                            "SDK",
                            p->size, symsize, (size_t)MB_PLUGIN_SIZE_1_0);
                return -1;
        }
        if (!valid_name(p->name)) {
                mb_diag_add(d, path, 0, "plugin name must be 1-32 of [a-z0-9_-]");
                return -1;
        }
        if (p->caps & ~MB_CAP_KNOWN) {
                mb_diag_add(d, path, 0,
                            "plugin '%s' has unknown capability bits 0x%x: it needs a newer "
                            "agent",
                            p->name, p->caps & ~MB_CAP_KNOWN);
                return -1;
        }
        return check_functions(p, path, d);
}

static const agent_plugin *find(const agent_plugins *reg, const char *name)
{
        for (int i = 0; i < reg->n; i++)
                if (strcmp(reg->items[i]->desc->name, name) == 0)
                        return reg->items[i];
        return NULL;
}

/* Append a zeroed plugin to reg; NULL when out of memory. */
static agent_plugin *push(agent_plugins *reg)
{
        agent_plugin *p;

        if (reg->n == reg->cap) {
                int cap = reg->cap ? 2 * reg->cap : 8;
                agent_plugin **n = realloc(reg->items, (size_t)cap * sizeof(*n));
                if (!n)
                        return NULL;
                reg->items = n;
                reg->cap = cap;
        }
        if (!(p = calloc(1, sizeof(*p))))
                return NULL;
        reg->items[reg->n++] = p;
        return p;
}

/* Drop the plugin push() just added. */
static void pop(agent_plugins *reg)
{
        agent_plugin *p = reg->items[--reg->n];

        free(p->path);
        free(p);
}

/* The host's copy of desc: what an older SDK's descriptor lacks reads as
 * NULL or 0, and what a newer one adds is not looked at. */
static void copy_descriptor(agent_plugin *p, const mb_plugin *desc)
{
        size_t n = desc->size < sizeof(p->copy) ? desc->size : sizeof(p->copy);

        memset(&p->copy, 0, sizeof(p->copy));
        memcpy(&p->copy, desc, n);
        p->size = desc->size;
        p->desc = &p->copy;
}

static int init_plugin(agent_plugin *p, mb_diag *d)
{
        mb_err err = {0};

        if (!p->desc->init) {
                p->inited = 1;
                return 0;
        }
        if (p->desc->init(agent_host(), &err) != MB_OK) {
                mb_diag_add(d, p->path, 0, "plugin '%s' failed to initialise: %s", p->desc->name,
                            err.msg[0] ? err.msg : mb_strerror(err.code));
                return -1;
        }
        p->inited = 1;
        return 0;
}

static const agent_plugin *load(agent_plugins *reg, const char *path, const char *want, mb_diag *d)
{
        void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        const mb_plugin *desc;
        const agent_plugin *dup;
        agent_plugin *p;

        if (!dl) {
                mb_diag_add(d, path, 0, "cannot load plugin: %s", dlerror());
                return NULL;
        }
        desc = dlsym(dl, MB_PLUGIN_SYMBOL);
        if (!desc) {
                mb_diag_add(d, path, 0, "no '%s' descriptor: not a meterbox plugin",
                            MB_PLUGIN_SYMBOL);
                goto fail;
        }
        if (check_descriptor(desc, agent_elf_symbol_size(desc), path, d) < 0)
                goto fail;
        if (want && strcmp(desc->name, want) != 0) {
                mb_diag_add(d, path, 0, "file declares plugin '%s', expected '%s'", desc->name,
                            want);
                goto fail;
        }
        if ((dup = find(reg, desc->name))) {
                mb_diag_add(d, path, 0, "duplicate plugin name '%s' (already loaded from %s)",
                            desc->name, dup->path);
                goto fail;
        }
        if (!(p = push(reg)))
                goto fail;
        if (!(p->path = strdup(path))) {
                pop(reg);
                goto fail;
        }
        copy_descriptor(p, desc);
        p->dl = dl;
        if (init_plugin(p, d) < 0) {
                pop(reg);
                goto fail;
        }
        mb_info("loaded %s %s from %s", desc->name, desc->version ? desc->version : "?", path);
        return p;
fail:
        dlclose(dl);
        return NULL;
}

const agent_plugin *agent_plugins_load_file(agent_plugins *reg, const char *path, mb_diag *d)
{
        return load(reg, path, NULL, d);
}

const agent_plugin *agent_plugins_get(agent_plugins *reg, const char *name,
                                      const config_setting_t *where, mb_diag *d)
{
        const agent_plugin *p = find(reg, name);
        char *dirs, *save = NULL, path[4096];

        if (p)
                return p;
        if (!valid_name(name)) {
                mb_diag_add(d, NULL, 0, "invalid plugin name '%s'", name);
                return NULL;
        }
        if (!(dirs = strdup(reg->dirs)))
                return NULL;
        for (char *dir = strtok_r(dirs, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                snprintf(path, sizeof(path), "%s/%s.so", dir, name);
                if (access(path, F_OK) == 0) {
                        free(dirs);
                        return load(reg, path, name, d);
                }
        }
        if (where)
                mb_diag_at(d, where, "plugin '%s' not found: no %s.so in %s", name, name,
                           reg->dirs);
        else
                mb_diag_add(d, NULL, 0, "plugin '%s' not found: no %s.so in %s", name, name,
                            reg->dirs);
        free(dirs);
        return NULL;
}
