/* SPDX-License-Identifier: Apache-2.0 */
/*
 * example: the meterbox plugin to copy when you write your own.
 *
 * It drives a "meter" that is a text file holding one number, the energy
 * register, so it runs anywhere:
 *
 *     echo 12345 > /tmp/meter-1
 *
 *     # agent.conf, in the meter's section:
 *     plugin = "example";
 *     options = { file = "/tmp/meter-1"; scale = 10; };
 *
 * What it shows, in the order the agent uses it:
 *   1. the descriptor, the one exported symbol (bottom of this file);
 *   2. init/fini, once per loaded plugin;
 *   3. meter_new: reading options with the SDK's <meterbox/options.h>
 *      helpers (over the host's cfg_* getters): a required key, an optional
 *      key with a default and a range check;
 *   4. meter_read: filling an mb_reading and setting a field bit for every
 *      field filled, turning each failure into an error code and a message;
 *   5. meter_free: releasing what meter_new allocated;
 *   6. logging through the host (never stdout/stderr, never exit()).
 *
 * Build in the meterbox tree (CMakeLists.txt) or on its own against the
 * installed SDK (Makefile: pkg-config meterbox-plugin).  Only the headers in
 * <meterbox/> are used: a plugin never links against the agent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <meterbox/options.h>
#include <meterbox/plugin.h>

#ifndef EXAMPLE_VERSION
#define EXAMPLE_VERSION "1.0.0"
#endif

/*
 * The host's function table, kept from init.  It is also passed to every
 * meter_new; keeping it per meter (as below) works just as well.  A global is
 * fine here because init runs once, before any other call.
 */
static const mb_host *g_host;

/*
 * One configured meter.  Everything here is owned by the plugin: allocated in
 * meter_new, released in meter_free.  The host never frees it.  All calls for
 * one meter come from one thread, one at a time, so no locking is needed.
 */
struct example_meter {
        const mb_host *host; /* the host's table, valid while the plugin is loaded */
        mb_ctx *ctx;         /* names this meter in log lines; host-owned */
        char *file;          /* our own copy of the `file` option */
        int64_t scale;       /* watt-hours per unit in the file */
        char address[MB_ADDR_LEN];
};

/*
 * init: optional, once after dlopen, on the main thread.  Check here that the
 * host offers what you need: a newer host has a larger mb_host; an older one
 * a smaller.  Return MB_OK, or an error code with err filled: the plugin is
 * then not used, and fini is not called.
 */
static int example_init(const mb_host *host, mb_err *err)
{
        if (host->abi_version != MB_PLUGIN_ABI_VERSION)
                return mb_err_set(err, MB_EABI, "host ABI %u, plugin built for %u",
                                  host->abi_version, MB_PLUGIN_ABI_VERSION);
        g_host = host;
        /* ctx NULL: a plugin-wide message. */
        host->log(NULL, MB_LOG_DEBUG, "example plugin %s loaded", EXAMPLE_VERSION);
        return MB_OK;
}

/* fini: optional, once before dlclose, after every meter was freed. */
static void example_fini(void)
{
        g_host = NULL;
}

/*
 * Options, read with the SDK's helpers in <meterbox/options.h>: header only,
 * built on the host's cfg_* getters, so still nothing to link.  Each mb_opt_*
 * getter returns MB_OK (value set and accepted), MB_ENOENT (the key is
 * absent: *out = your default) or MB_ECONFIG (wrong type, out of range,
 * empty...: *out = your default, the host has already reported it with file
 * and line, and p.rc is MB_ECONFIG).  For a value you refuse yourself, call
 * mb_opt_error(): it reports at the key's line and sets p.rc.  Look up every
 * key you support even after an error: keys you never look up are reported
 * as unknown, and the user should see all mistakes in one run.
 */
static int parse_options(const mb_host *host, mb_ctx *ctx, struct example_meter *m)
{
        mb_opt_parser p = mb_opt_parser_init(host, ctx);
        const char *file;

        /* A required string.  The string stays owned by the host; copy it if
         * you keep it (here: strdup below). */
        if (mb_opt_string(&p, "file", &file, NULL) == MB_ENOENT)
                mb_opt_error(&p, "file", "file is required: the path of the register file");

        /* An optional integer with a default and a range: a register with a
         * resolution of 0.01 kWh counts in units of 10 Wh.  A bad value says
         * "scale must be between 1 and 1000000, not 0". */
        mb_opt_int64(&p, "scale", &m->scale, 1, 1, 1000000);

        if (p.rc == MB_OK && !(m->file = strdup(file)))
                return MB_ENOMEM;
        return p.rc;
}

/* meter_free: required.  Called exactly once for every successful meter_new;
 * never fails.  Also used below to clean up a meter_new that failed half way. */
static void example_meter_free(void *meter)
{
        struct example_meter *m = meter;

        if (!m)
                return;
        free(m->file);
        free(m);
}

/*
 * meter_new: required.  Parse options and allocate; no I/O (it runs for
 * `meterbox-agent -t` too): open devices and files lazily in meter_read.
 * On success *meter receives our instance; on failure nothing is left
 * allocated and err says why.
 */
static int example_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                             const mb_meter_params *params, void **meter, mb_err *err)
{
        struct example_meter *m = calloc(1, sizeof(*m));
        int rc;

        if (!m)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        m->host = host;
        m->ctx = ctx;
        rc = parse_options(host, ctx, m);
        if (rc == MB_OK && params->address && strlen(params->address) >= sizeof(m->address))
                rc = mb_err_set(err, MB_ECONFIG, "address is longer than %zu characters",
                                sizeof(m->address) - 1);
        if (rc < 0) {
                if (err && err->code == MB_OK) /* not filled above */
                        mb_err_set(err, rc, "invalid options for meter %s", params->name);
                example_meter_free(m);
                return rc;
        }
        if (params->address)
                snprintf(m->address, sizeof(m->address), "%s", params->address);
        *meter = m;
        return MB_OK;
}

/* Parse "12345\n": digits, then only white space.  Returns 0 or -1. */
static int parse_register(const char *text, int64_t *out)
{
        char *end;

        if (*text < '0' || *text > '9')
                return -1;
        errno = 0;
        *out = strtoll(text, &end, 10);
        if (errno == ERANGE)
                return -1;
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
                end++;
        return *end == '\0' ? 0 : -1;
}

/*
 * meter_read: required with MB_CAP_READ.  The host has zeroed *out and set
 * out->size.  Fill what the meter gave and set its MB_F_* bit; a field
 * without its bit is "unknown", not zero.  On failure return the code that
 * says what happened (MB_EIO: could not talk to it; MB_ETIMEDOUT: it did not
 * answer in params->timeout_ms; MB_EPROTO: it answered garbage) with a message
 * naming what failed; the host then ignores *out and retries next poll.
 * Never block longer than params->timeout_ms: reading a local file is quick.
 */
static int example_meter_read(void *meter, mb_reading *out, mb_err *err)
{
        struct example_meter *m = meter;
        char text[64];
        size_t n;
        int64_t units;
        FILE *f = fopen(m->file, "re");

        if (!f)
                return mb_err_set(err, MB_EIO, "open %s: %s", m->file, strerror(errno));
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        if (parse_register(text, &units) < 0)
                return mb_err_set(err, MB_EPROTO, "%s: expected a whole number, got \"%.20s\"",
                                  m->file, text);
        if (units > INT64_MAX / m->scale)
                return mb_err_set(err, MB_ERANGE, "%s: %" PRId64 " x %" PRId64 " Wh overflows",
                                  m->file, units, m->scale);

        out->import_wh = units * m->scale;
        out->fields |= MB_F_IMPORT;
        if (m->address[0]) {
                memcpy(out->address, m->address, sizeof(out->address));
                out->fields |= MB_F_ADDRESS;
        }
        /* Debug lines cost nothing unless the agent runs with -v. */
        m->host->log(m->ctx, MB_LOG_DEBUG, "%s: %" PRId64 " Wh", m->file, out->import_wh);
        return MB_OK;
}

/*
 * The descriptor: the plugin's only exported symbol.  Build with
 * -fvisibility=hidden so that nothing else is exported; MB_PLUGIN_EXPORT makes
 * this one visible.  abi_version and size come first: the agent checks them
 * before anything else.  Unused optional entries stay NULL (link_open: this
 * plugin keeps no per-bus state; meter_control: it has no relay, so it does
 * not announce MB_CAP_RELAY).
 */
MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "example",
    .version = EXAMPLE_VERSION,
    .description = "example: reads an energy register from a text file",
    .caps = MB_CAP_READ,
    .init = example_init,
    .fini = example_fini,
    .meter_new = example_meter_new,
    .meter_read = example_meter_read,
    .meter_free = example_meter_free,
};
