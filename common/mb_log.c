/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

static int log_level = MB_LOG_INFO;
static int use_syslog;
static char ident[64];
/* One lock so lines from bus threads never interleave on stderr. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"emerg",   "alert",  "crit", "error",
                                    "warning", "notice", "info", "debug"};

void mb_log_open(const char *syslog_ident)
{
        if (use_syslog)
                closelog();
        use_syslog = syslog_ident != NULL;
        if (use_syslog) {
                snprintf(ident, sizeof(ident), "%s", syslog_ident);
                openlog(ident, LOG_PID, LOG_DAEMON);
        }
}

void mb_log_set_level(int level)
{
        log_level = level;
}

int mb_log_get_level(void)
{
        return log_level;
}

int mb_log_level_parse(const char *name)
{
        for (int i = MB_LOG_ERR; i <= MB_LOG_DEBUG; i++)
                if (strcasecmp(name, level_names[i]) == 0)
                        return i;
        return -1;
}

void mb_vlog(int level, const char *module, const char *fmt, va_list ap)
{
        char msg[1024];

        if (level > log_level)
                return;
        if (level < 0 || level > MB_LOG_DEBUG)
                level = MB_LOG_ERR;
        vsnprintf(msg, sizeof(msg), fmt, ap);
        if (use_syslog) {
                syslog(level, "%s: %s", module, msg);
                return;
        }
        pthread_mutex_lock(&log_lock);
        fprintf(stderr, "%s %s: %s\n", level_names[level], module, msg);
        pthread_mutex_unlock(&log_lock);
}

void mb_log(int level, const char *module, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        mb_vlog(level, module, fmt, ap);
        va_end(ap);
}
