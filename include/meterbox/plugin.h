/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterbox plugin SDK: the contract between meterbox-agent and a meter
 * protocol plugin.  This header (with errors.h and reading.h) is all a vendor
 * needs.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * MB_PLUGIN_SYMBOL, a const struct mb_plugin.  The agent dlopen()s the file,
 * checks abi_version and size before touching anything else, and refuses a
 * mismatch with a message that names the file.
 *
 * Object model
 *   link   one per (bus, plugin): the plugin's state for a shared serial line
 *          or TCP connection (e.g. one libmodbus context).  Optional.
 *   meter  one per configured meter: an opaque instance created by meter_new.
 *
 * Ownership
 *   The plugin never frees memory the host allocated and the host never frees
 *   memory the plugin allocated.  Everything a plugin creates (link, meter) is
 *   released by the plugin's own link_close / meter_free, which the host calls
 *   exactly once for every successful *_new / link_open.
 *
 * Threading
 *   init and fini run on the agent's main thread, with no other call in
 *   flight.  All calls for one link and for the meters on it come from one bus
 *   thread, one at a time, so a plugin needs no locking for per-link or
 *   per-meter state.  Different links may be called at the same time from
 *   different threads: any state shared across links must be thread-safe.
 *
 * Blocking
 *   meter_read and meter_control must return within the timeout_ms they were
 *   given (mb_meter_params.timeout_ms).  The host watches for calls that
 *   overrun and reports them, but cannot take the bus back from a plugin that
 *   never returns.
 *
 * Configuration
 *   *_new and link_open only read configuration and allocate: no I/O.  They
 *   run for `meterbox-agent -t` too.  Connect lazily in the first read and
 *   reconnect after errors.  Every key the plugin does not look up through the
 *   host's cfg_* getters is reported by the host as an unknown key, with its
 *   file and line, so a typo never passes silently.  <meterbox/options.h>
 *   wraps the getters with defaults, range checks and messages.
 *   The cfg_* getters and cfg_error work only inside the link_open or
 *   meter_new call that received the ctx: the configuration they read is
 *   gone once the host has created every object.  Called at any other time
 *   (meter_read, meter_control, a later thread) they return MB_EINVAL and
 *   touch nothing.  Copy in *_new what you need later.
 *
 * Local time
 *   The host sets the process time zone (TZ) from its configuration before
 *   it loads any plugin, so localtime_r() gives the gateway's local time.
 *
 * Logging
 *   Through host->log only; a plugin never writes to stdout or stderr and
 *   never calls exit().
 */
#ifndef MB_PLUGIN_H
#define MB_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <meterbox/errors.h>
#include <meterbox/reading.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Versions and growth (docs/plugin-guide.md, "Compatibility").
 *
 * MB_PLUGIN_ABI_VERSION is the major version: bumped only by an incompatible
 * change (a field moved, removed or given a new meaning, a call rule
 * changed).  The host refuses a plugin of another ABI version.
 *
 * Within one ABI version the SDK grows compatibly, and MB_PLUGIN_SDK_MINOR
 * counts the steps.  Every struct that crosses the boundary carries its own
 * size, set by whoever allocated it, and grows only by fields appended at its
 * end (after the ABI 1.0 reserved arrays, which stay zero and unused):
 *
 *   mb_plugin        the plugin's; .size = sizeof(mb_plugin) of the header it
 *                    was built with.  The host accepts any size from
 *                    MB_PLUGIN_SIZE_1_0 up, reads only what the plugin has
 *                    and treats what it lacks as NULL / 0.  So a plugin built
 *                    against an older 1.x header keeps loading, and a newer
 *                    plugin on an older host loses only the newer optional
 *                    hooks.  A feature that must not be ignored silently comes
 *                    with a capability bit, which an older host refuses.
 *   mb_host, mb_reading, mb_link_params, mb_meter_params
 *                    the host's; their size is the host's.  Before using a
 *                    member added after SDK 1.0, a plugin checks that the
 *                    host's struct has it: MB_HOST_HAS(), MB_READING_HAS(),
 *                    MB_PARAMS_HAS().
 *
 * A member's comment names the SDK minor that added it ("since 1.1").
 */
#define MB_PLUGIN_ABI_VERSION 1u
#define MB_PLUGIN_SDK_MINOR 1u

/* The one symbol a plugin exports. */
#define MB_PLUGIN_SYMBOL "meterbox_plugin"

/* Use as: MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {...}; */
#define MB_PLUGIN_EXPORT __attribute__((visibility("default")))

/* Capabilities.  A plugin announces what it can do; the agent refuses a
 * capability bit it does not know, since it cannot honour an unknown promise. */
enum mb_capability {
        MB_CAP_READ = 1u << 0,    /* meter_read gives measurements */
        MB_CAP_RELAY = 1u << 1,   /* meter_control can trip/close a relay */
        MB_CAP_FROZEN = 1u << 2,  /* readings may carry the frozen month-end register */
        MB_CAP_DISPLAY = 1u << 3, /* meter_control can show/sound alarms */
};
#define MB_CAP_KNOWN (MB_CAP_READ | MB_CAP_RELAY | MB_CAP_FROZEN | MB_CAP_DISPLAY)

/* Log levels, syslog-compatible numbers. */
enum mb_log_level {
        MB_LOG_ERR = 3,
        MB_LOG_WARNING = 4,
        MB_LOG_NOTICE = 5,
        MB_LOG_INFO = 6,
        MB_LOG_DEBUG = 7,
};

/* Control operations on a meter's relay and indicators. */
enum mb_control {
        MB_CTL_QUERY = 0,       /* read back the relay state only */
        MB_CTL_TRIP = 1,        /* open the relay: supply off */
        MB_CTL_CLOSE = 2,       /* close the relay: supply on */
        MB_CTL_ARM = 3,         /* allow the customer to close it (button on the meter) */
        MB_CTL_ALARM = 4,       /* show / sound a low-balance alarm */
        MB_CTL_ALARM_CLEAR = 5, /* stop the alarm */
        MB_CTL_PROTECT = 6,     /* meter-side protection: ignore trips */
        MB_CTL_UNPROTECT = 7,
};

/* One host-side handle per link and per meter: it names the object in log
 * lines and gives access to that object's `options` config group.  Owned by
 * the host; valid from the *_new / link_open call that received it until the
 * matching link_close / meter_free returns. */
typedef struct mb_ctx mb_ctx;

/* An error: a code from errors.h and a human message.  Owned by the host,
 * zeroed before each call; the plugin fills it with mb_err_set() on failure. */
typedef struct mb_err {
        int code;
        char msg[240];
} mb_err;

/* The functions the host offers to a plugin.  A const table handed to init and
 * to every *_new call; plugins never link against agent symbols. */
typedef struct mb_host {
        uint32_t abi_version; /* MB_PLUGIN_ABI_VERSION of the host */
        uint32_t size;        /* sizeof(struct mb_host) of the host */

        /* Log one line, prefixed by the host with the plugin and object name.
         * ctx may be NULL (plugin-wide message). */
        void (*log)(const mb_ctx *ctx, int level, const char *fmt, ...)
            __attribute__((format(printf, 3, 4)));
        /* Log bytes on the wire as hex at MB_LOG_DEBUG (shown with -v).
         * dir is a short tag such as "tx" or "rx". */
        void (*log_frame)(const mb_ctx *ctx, const char *dir, const uint8_t *buf, size_t len);

        /* Typed getters for the ctx's `options` group.  Each returns MB_OK
         * and sets *out when the key exists with the right type, MB_ENOENT
         * (out untouched) when it is absent, MB_ECONFIG when it has the wrong
         * type or range; the host then records a message with file and line,
         * and the plugin should fail its *_new with MB_ECONFIG.  Strings stay
         * owned by the host and valid as long as ctx. */
        int (*cfg_int)(mb_ctx *ctx, const char *key, int64_t *out);
        int (*cfg_bool)(mb_ctx *ctx, const char *key, int *out);
        int (*cfg_string)(mb_ctx *ctx, const char *key, const char **out);
        int (*cfg_double)(mb_ctx *ctx, const char *key, double *out);
        /* Report a semantic config error on key (value out of range, unknown
         * enum name...) with the key's file and line; returns MB_ECONFIG. */
        int (*cfg_error)(mb_ctx *ctx, const char *key, const char *fmt, ...)
            __attribute__((format(printf, 3, 4)));

        /* Clocks: monotonic milliseconds for timeouts, UTC seconds for
         * timestamps.  Tests may substitute both. */
        int64_t (*monotonic_ms)(void);
        int64_t (*realtime_s)(void);

        void *reserved[8]; /* ABI 1.0 padding: always NULL, never used */
        /* Members added since 1.0 go here; check MB_HOST_HAS() first. */
} mb_host;

/* True when the host's table has member `field` (added after SDK 1.0). */
#define MB_HOST_HAS(h, field) ((h)->size >= offsetof(mb_host, field) + sizeof((h)->field))

/* Bus settings parsed by the host, passed to link_open and meter_new.  Owned by
 * the host, valid as long as the ctx it came with. */
typedef struct mb_link_params {
        const char *name;   /* bus name from the config */
        const char *type;   /* "serial", "tcp" or "none" */
        const char *device; /* serial: e.g. "/dev/ttyS1", else NULL */
        int baud;           /* serial: bits per second */
        char parity;        /* serial: 'N', 'E' or 'O' */
        int data_bits;      /* serial: 7 or 8 */
        int stop_bits;      /* serial: 1 or 2 */
        const char *host;   /* tcp: host name or address, else NULL */
        int port;           /* tcp: port */
        int timeout_ms;     /* per-transaction timeout on this bus */
        int pause_ms;       /* quiet time between transactions */
        /* Since 1.1: sizeof(mb_link_params) of the host; 0 from a 1.0 host,
         * whose struct ends with reserved[]. */
        uint32_t size;
        int reserved[5]; /* ABI 1.0 padding: always 0 */
        /* Members added since 1.1 go here; check MB_PARAMS_HAS() first. */
} mb_link_params;

/* Meter settings parsed by the host, passed to meter_new.  Owned by the host,
 * valid as long as the ctx it came with. */
typedef struct mb_meter_params {
        const char *name;    /* meter name from the config, unique */
        const char *address; /* meter address as configured (protocol-specific text) */
        int timeout_ms;      /* bound for one meter_read / meter_control */
        /* Since 1.1: sizeof(mb_meter_params) of the host; 0 from a 1.0 host. */
        uint32_t size;
        int reserved[6]; /* ABI 1.0 padding: always 0 */
        /* Members added since 1.1 go here; check MB_PARAMS_HAS() first. */
} mb_meter_params;

/* True when the host's mb_link_params / mb_meter_params *p has member
 * `field` (added after SDK 1.1).  A 1.0 host sets no size: only the 1.0
 * members are there. */
#define MB_PARAMS_HAS(p, field)                                                                    \
        ((p)->size >= offsetof(__typeof__(*(p)), field) + sizeof((p)->field))

/* The descriptor.  Fields are read only after abi_version and size were
 * checked.  Optional function pointers may be NULL. */
typedef struct mb_plugin {
        uint32_t abi_version; /* must be MB_PLUGIN_ABI_VERSION */
        uint32_t size;        /* sizeof(struct mb_plugin) of the header built with */
        const char *name;     /* short unique name, [a-z0-9_-], e.g. "modbus" */
        const char *version;  /* the plugin's own version string */
        const char *description;
        uint32_t caps; /* enum mb_capability bits */
        uint32_t reserved0;

        /* Optional: once after loading.  Return MB_OK or an error code with
         * err filled; on error the plugin is not used and fini is not called. */
        int (*init)(const mb_host *host, mb_err *err);
        /* Optional: once before unloading, after every object was freed. */
        void (*fini)(void);

        /* Optional: create the per-bus state for this plugin.  *link receives
         * a plugin-owned pointer handed back to meter_new and link_close.
         * Without link_open, meters receive link == NULL. */
        int (*link_open)(const mb_host *host, mb_ctx *ctx, const mb_link_params *bus, void **link,
                         mb_err *err);
        void (*link_close)(void *link);

        /* Required: parse the meter's options and create an instance in
         * *meter (plugin-owned).  No I/O.  Returns MB_OK or an error code. */
        int (*meter_new)(const mb_host *host, mb_ctx *ctx, void *link,
                         const mb_meter_params *params, void **meter, mb_err *err);
        /* Required with MB_CAP_READ: read the meter into *out.  The host has
         * zeroed *out and set out->size; set the MB_F_* bit of every field
         * filled.  Returns MB_OK, or an error code (MB_ETIMEDOUT, MB_EIO,
         * MB_EPROTO, ...) with err filled; *out is then ignored. */
        int (*meter_read)(void *meter, mb_reading *out, mb_err *err);
        /* Required with MB_CAP_RELAY or MB_CAP_DISPLAY: perform op and report
         * the relay state afterwards in *state (enum mb_relay_state).  An op the
         * meter cannot do returns MB_ENOTSUP with the reason: the host reports
         * it as failed, never as done (and meter_caps says so beforehand). */
        int (*meter_control)(void *meter, int op, int *state, mb_err *err);
        /* Required: release the instance.  Never fails. */
        void (*meter_free)(void *meter);

        void *reserved[8]; /* ABI 1.0 padding: leave zero; never read */

        /* ---- since 1.1 (a 1.0 descriptor ends above: MB_PLUGIN_SIZE_1_0) ---- */

        /*
         * Optional: the meter's identity.  Turn an address as a user may type
         * it (in, never NULL) into the form the meter itself reports, written
         * NUL-terminated to out (cap bytes, at least MB_ADDR_LEN).  DL/T 645:
         * "6605518" and "000006605518" are both "000006605518".  Returns:
         *   MB_OK      out holds the identity.
         *   MB_ENOENT  in names no single meter: "auto", "", or a wildcard or
         *              broadcast pattern (AAAAAAAAAAAA, 999999999999).  The
         *              host then takes the identity from the address a reading
         *              reports (MB_F_ADDRESS), after passing it through this
         *              hook too: a pattern is never an identity.
         *   MB_EINVAL  in is not an address of this protocol; err says why.
         * The host calls it for the configured address (when one is set) and
         * for every reading's address.  The identity names the meter in
         * agent.db, in uploads, in events and in the commands it accepts, and
         * `meterbox-agent -t` refuses two meters of one plugin on one bus with
         * one identity, however they were spelt.  Without this hook the
         * identity is the configured address as typed (or, without one, the
         * first address a reading reports).
         * Pure: no I/O, no host calls; any thread, even before init.
         */
        int (*normalise_address)(const char *in, char *out, size_t cap, mb_err *err);

        /*
         * Optional: what this meter can do, a subset of caps.  Some meters of
         * a plugin lack what others have: a DL/T 645-1997 meter has no
         * remote control, so its dlt645 instance answers MB_CAP_READ only.
         * Called once after a successful meter_new, on the main thread.
         * Without it every meter has the plugin's caps.  The host never asks
         * a meter for an operation it lacks: a command for it fails with the
         * reason, and the policy cuts it through the meter's relay_fallback
         * device where one is configured (docs/agent.md).
         */
        uint32_t (*meter_caps)(void *meter);
} mb_plugin;

/* The size of an SDK 1.0 descriptor: the smallest the host accepts. */
#define MB_PLUGIN_SIZE_1_0 offsetof(mb_plugin, normalise_address)

/* Fill err (code and printf-style message) and return code, for
 * `return mb_err_set(err, MB_EIO, "read %s: %s", dev, strerror(errno));`. */
static inline int mb_err_set(mb_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int mb_err_set(mb_err *err, int code, const char *fmt, ...)
{
        if (err) {
                va_list ap;
                err->code = code;
                va_start(ap, fmt);
                vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
                va_end(ap);
        }
        return code;
}

#ifdef __cplusplus
}
#endif
#endif
