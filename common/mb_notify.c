/* SPDX-License-Identifier: Apache-2.0 */
/* The sd_notify protocol without libsystemd (mb_notify.h). */
#define MB_LOG_MODULE "notify"
#include "mb_notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <meterbox/errors.h>

#include "mb_log.h"
#include "mb_time.h"

static int warned;

static void report(const char *name, const char *state, const char *why)
{
        int saved = errno;

        mb_log(warned ? MB_LOG_DEBUG : MB_LOG_WARNING, MB_LOG_MODULE,
               "cannot tell the service manager (NOTIFY_SOCKET=%s) '%s': %s", name, state, why);
        warned = 1;
        errno = saved;
}

/* Fill sa from $NOTIFY_SOCKET; returns the address length, or 0 if the name
 * cannot be used. */
static socklen_t notify_address(const char *name, struct sockaddr_un *sa)
{
        size_t len = strlen(name);

        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        if (name[0] == '@') {
                /* Abstract: a leading NUL, no terminating one. */
                if (len > sizeof(sa->sun_path))
                        return 0;
                memcpy(sa->sun_path + 1, name + 1, len - 1);
                return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
        }
        if (name[0] != '/' || len >= sizeof(sa->sun_path))
                return 0;
        memcpy(sa->sun_path, name, len + 1);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

int mb_notify(const char *state)
{
        const char *name = getenv("NOTIFY_SOCKET");
        struct sockaddr_un sa;
        socklen_t sa_len;
        ssize_t n;
        int fd;

        if (name == NULL || name[0] == '\0')
                return MB_OK;
        sa_len = notify_address(name, &sa);
        if (sa_len == 0) {
                report(name, state, "not an AF_UNIX socket path or @abstract name");
                return MB_EINVAL;
        }
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                report(name, state, strerror(errno));
                return MB_EIO;
        }
        n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, sa_len);
        if (n < 0) {
                report(name, state, strerror(errno));
                close(fd);
                return MB_EIO;
        }
        close(fd);
        return MB_OK;
}

int mb_notify_ready(void)
{
        return mb_notify("READY=1");
}

int mb_notify_reloading(void)
{
        char msg[64];

        snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRId64,
                 mb_monotonic_ms() * 1000);
        return mb_notify(msg);
}

int mb_notify_stopping(void)
{
        return mb_notify("STOPPING=1");
}

int64_t mb_notify_watchdog_usec(void)
{
        const char *usec = getenv("WATCHDOG_USEC");
        const char *pid = getenv("WATCHDOG_PID");
        char *end;
        long long v;

        if (usec == NULL)
                return 0;
        if (pid != NULL) {
                errno = 0;
                v = strtoll(pid, &end, 10);
                if (errno || end == pid || *end || v != (long long)getpid())
                        return 0;
        }
        errno = 0;
        v = strtoll(usec, &end, 10);
        if (errno || end == usec || *end || v <= 0)
                return 0;
        return (int64_t)v;
}

int mb_notify_watchdog(void)
{
        static int64_t last_ms = -1;
        int64_t usec = mb_notify_watchdog_usec(), now;

        if (usec == 0)
                return MB_OK;
        now = mb_monotonic_ms();
        if (last_ms >= 0 && (now - last_ms) * 1000 < usec / 2)
                return MB_OK;
        last_ms = now;
        return mb_notify("WATCHDOG=1");
}
