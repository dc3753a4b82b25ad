/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging for meterbox daemons and tools: levels, printf checking and a module
 * prefix.  Lines go to stderr (default) or syslog.
 *
 * In a .c file:   #define MB_LOG_MODULE "store"   before including this header,
 * then            mb_err_log("cannot open %s: %s", path, msg);
 */
#ifndef MB_LOG_H
#define MB_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <meterbox/plugin.h> /* enum mb_log_level */

#ifndef MB_LOG_MODULE
#define MB_LOG_MODULE "meterbox"
#endif

/* Send log lines to syslog (ident is copied) instead of stderr; NULL: stderr. */
void mb_log_open(const char *syslog_ident);
/* Lines above level are dropped.  Default MB_LOG_INFO. */
void mb_log_set_level(int level);
int mb_log_get_level(void);
/* Parse "error", "warning", "notice", "info" or "debug"; -1 if unknown. */
int mb_log_level_parse(const char *name);

/* Write one line "LEVEL module: message".  Thread-safe. */
void mb_log(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mb_vlog(int level, const char *module, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define mb_err_log(...) mb_log(MB_LOG_ERR, MB_LOG_MODULE, __VA_ARGS__)
#define mb_warn(...) mb_log(MB_LOG_WARNING, MB_LOG_MODULE, __VA_ARGS__)
#define mb_notice(...) mb_log(MB_LOG_NOTICE, MB_LOG_MODULE, __VA_ARGS__)
#define mb_info(...) mb_log(MB_LOG_INFO, MB_LOG_MODULE, __VA_ARGS__)
#define mb_debug(...) mb_log(MB_LOG_DEBUG, MB_LOG_MODULE, __VA_ARGS__)

#endif
