/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterbox plugin SDK: typed, range-checked reading of a plugin's `options`
 * group on top of the host's cfg_* getters (plugin.h).  Header only: every
 * function is static inline and reaches the agent only through the mb_host
 * table, so a plugin that uses it still links against nothing.
 *
 * Use, in meter_new or link_open:
 *
 *     mb_opt_parser p = mb_opt_parser_init(host, ctx);
 *     const char *path;
 *     int64_t scale;
 *
 *     if (mb_opt_string(&p, "file", &path, NULL) == MB_ENOENT)
 *             mb_opt_error(&p, "file", "file is required");
 *     mb_opt_int64(&p, "scale", &scale, 1, 1, 1000000);
 *     if (p.rc != MB_OK)
 *             return p.rc;         (MB_ECONFIG: every bad key was reported)
 *
 * Contract of every getter, mb_opt_<type>(p, key, out, def, ...)
 *   - It always looks the key up, so the host never reports a key the plugin
 *     supports as unknown.  It never stops on an error: call the getter for
 *     every key you support, then look at p.rc, and one `meterbox-agent -t`
 *     run reports every mistake.
 *   - It returns the host's codes:
 *       MB_OK       the key is set to an acceptable value; *out holds it.
 *       MB_ENOENT   the key is absent; *out = def.
 *       MB_ECONFIG  the key is set, but its value is refused (wrong type, out
 *                   of range, empty string, unknown name); *out = def.  A
 *                   message naming the key, with its file and line, has
 *                   been recorded through the host, and p->rc is MB_ECONFIG.
 *     So "the user wrote this key" is `rc != MB_ENOENT`, and "there is a
 *     usable value" is `rc == MB_OK`.
 *   - *out is written on every path: it needs no initialisation.
 *   - p->rc only ever goes from MB_OK to MB_ECONFIG; nothing resets it.
 *
 * The messages a refused value records (after the host's file, line and key):
 *     KEY must be between LO and HI, not V          mb_opt_int64/int/double
 *     KEY must be A or B, not V                     mb_opt_int_either
 *     KEY must not be empty                         mb_opt_string
 *     KEY: unknown value "V" (expected EXPECTED)    mb_opt_enum
 * and for a value of the wrong type, the host's own message.
 *
 * Ownership: the parser only borrows host and ctx and owns nothing; there is
 * nothing to free.  Strings it hands out (mb_opt_string) are the host's,
 * valid as long as ctx: copy what you keep longer.
 *
 * Threading: no global state; a parser is used by one thread, within the
 * *_new or link_open call that received host and ctx.
 */
#ifndef MB_OPTIONS_H
#define MB_OPTIONS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>
#include <meterbox/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The state of one pass over an options group.  Keep it on the stack. */
typedef struct mb_opt_parser {
        const mb_host *host; /* borrowed: the table given to *_new / link_open */
        mb_ctx *ctx;         /* borrowed: the object whose options are read */
        int rc;              /* MB_OK, or MB_ECONFIG once any key was refused */
} mb_opt_parser;

/* A parser for ctx's options, with rc = MB_OK.  Never fails. */
static inline mb_opt_parser mb_opt_parser_init(const mb_host *host, mb_ctx *ctx)
{
        mb_opt_parser p;

        p.host = host;
        p.ctx = ctx;
        p.rc = MB_OK;
        return p;
}

/*
 * Refuse key with a printf-style message: the host records it with the key's
 * file and line (host->cfg_error).  Sets p->rc to MB_ECONFIG and returns
 * MB_ECONFIG, for checks across keys:
 *     if (peak < base)
 *             mb_opt_error(&p, "peak_w", "peak_w must not be below base_w");
 * The message is cut at 399 bytes.
 */
static inline int mb_opt_error(mb_opt_parser *p, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int mb_opt_error(mb_opt_parser *p, const char *key, const char *fmt, ...)
{
        char msg[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        p->host->cfg_error(p->ctx, key, "%s", msg);
        p->rc = MB_ECONFIG;
        return MB_ECONFIG;
}

/* Internal: a cfg_* result as a getter result.  MB_OK and MB_ENOENT pass;
 * anything else is a refused value the host has already reported. */
static inline int mb_opt_host_rc_(mb_opt_parser *p, int rc)
{
        if (rc == MB_OK || rc == MB_ENOENT)
                return rc;
        p->rc = MB_ECONFIG;
        return MB_ECONFIG;
}

/* An integer in lo..hi (inclusive).  Returns MB_OK, MB_ENOENT or MB_ECONFIG
 * as described at the top; *out = def unless MB_OK. */
static inline int mb_opt_int64(mb_opt_parser *p, const char *key, int64_t *out, int64_t def,
                               int64_t lo, int64_t hi)
{
        int64_t v = 0;
        int rc = mb_opt_host_rc_(p, p->host->cfg_int(p->ctx, key, &v));

        *out = def;
        if (rc != MB_OK)
                return rc;
        if (v < lo || v > hi)
                return mb_opt_error(p, key, "%s must be between %lld and %lld, not %lld", key,
                                    (long long)lo, (long long)hi, (long long)v);
        *out = v;
        return MB_OK;
}

/* mb_opt_int64 for an int: the same checks and messages. */
static inline int mb_opt_int(mb_opt_parser *p, const char *key, int *out, int def, int lo, int hi)
{
        int64_t v;
        int rc = mb_opt_int64(p, key, &v, def, lo, hi);

        *out = (int)v;
        return rc;
}

/* An integer that must be a or b (phases 1 or 3, 50 or 60 Hz).  Returns and
 * sets *out as described at the top. */
static inline int mb_opt_int_either(mb_opt_parser *p, const char *key, int *out, int def, int a,
                                    int b)
{
        int64_t v = 0;
        int rc = mb_opt_host_rc_(p, p->host->cfg_int(p->ctx, key, &v));

        *out = def;
        if (rc != MB_OK)
                return rc;
        if (v != a && v != b)
                return mb_opt_error(p, key, "%s must be %d or %d, not %lld", key, a, b,
                                    (long long)v);
        *out = (int)v;
        return MB_OK;
}

/* A number in lo..hi (inclusive; an integer in the config is accepted).
 * Returns and sets *out as described at the top. */
static inline int mb_opt_double(mb_opt_parser *p, const char *key, double *out, double def,
                                double lo, double hi)
{
        double v = 0;
        int rc = mb_opt_host_rc_(p, p->host->cfg_double(p->ctx, key, &v));

        *out = def;
        if (rc != MB_OK)
                return rc;
        if (!(v >= lo && v <= hi))
                return mb_opt_error(p, key, "%s must be between %g and %g, not %g", key, lo, hi, v);
        *out = v;
        return MB_OK;
}

/* true or false into *out as 1 or 0.  Returns and sets *out as described at
 * the top. */
static inline int mb_opt_bool(mb_opt_parser *p, const char *key, int *out, int def)
{
        int v = 0;
        int rc = mb_opt_host_rc_(p, p->host->cfg_bool(p->ctx, key, &v));

        *out = rc == MB_OK ? v : def;
        return rc;
}

/* A non-empty string: "" is refused.  *out receives the host's string
 * (host-owned, valid as long as ctx) or def (may be NULL).  Returns as
 * described at the top. */
static inline int mb_opt_string(mb_opt_parser *p, const char *key, const char **out,
                                const char *def)
{
        const char *v = NULL;
        int rc = mb_opt_host_rc_(p, p->host->cfg_string(p->ctx, key, &v));

        *out = def;
        if (rc != MB_OK)
                return rc;
        if (!v || !*v)
                return mb_opt_error(p, key, "%s must not be empty", key);
        *out = v;
        return MB_OK;
}

/*
 * A string that must be one of names (NULL-terminated): *out receives the
 * index of the match, or def.  expected is the message's list of accepted
 * values, e.g. "\"level\" or \"pulse\""; NULL builds
 * `one of "a", "b", "c"` from names.  Returns as described at the top.
 */
static inline int mb_opt_enum(mb_opt_parser *p, const char *key, int *out, int def,
                              const char *const *names, const char *expected)
{
        const char *v = NULL;
        char list[256];
        int rc = mb_opt_host_rc_(p, p->host->cfg_string(p->ctx, key, &v));

        *out = def;
        if (rc != MB_OK)
                return rc;
        for (int i = 0; v && names[i]; i++) {
                if (strcmp(v, names[i]) == 0) {
                        *out = i;
                        return MB_OK;
                }
        }
        if (!expected) {
                size_t used = (size_t)snprintf(list, sizeof(list), "one of ");

                for (int i = 0; names[i] && used < sizeof(list); i++) {
                        int n = snprintf(list + used, sizeof(list) - used, "%s\"%s\"",
                                         i ? ", " : "", names[i]);
                        if (n < 0)
                                break;
                        used += (size_t)n;
                }
                expected = list;
        }
        return mb_opt_error(p, key, "%s: unknown value \"%s\" (expected %s)", key, v ? v : "",
                            expected);
}

#ifdef __cplusplus
}
#endif
#endif
