/* SPDX-License-Identifier: Apache-2.0 */
/* Running a modem tool with a timeout (agent_uplink.h).  posix_spawn, not
 * fork: the agent is multi-threaded and may be large; the child gets the
 * default signal dispositions and mask whatever the calling thread blocks. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <meterbox/errors.h>

#include "agent_uplink.h"
#include "mb_time.h"

extern char **environ;

int agent_tool_find(const char *name, char *buf, size_t len)
{
        const char *path = getenv("PATH"), *p, *end;

        for (p = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"; *p; p = *end ? end + 1 : end) {
                end = strchr(p, ':');
                if (end == NULL)
                        end = p + strlen(p);
                if (end > p &&
                    (size_t)snprintf(buf, len, "%.*s/%s", (int)(end - p), p, name) < len &&
                    access(buf, X_OK) == 0)
                        return MB_OK;
        }
        return MB_ENOENT;
}

struct sink {
        char *buf;
        size_t cap, used;
        int fd;
};

/* Read what fd has; 1 at end of file. */
static int drain(struct sink *s)
{
        char tmp[1024];
        ssize_t n = read(s->fd, tmp, sizeof(tmp));

        if (n < 0 && (errno == EINTR || errno == EAGAIN))
                return 0;
        if (n <= 0)
                return 1;
        for (ssize_t i = 0; i < n && s->used + 1 < s->cap; i++)
                s->buf[s->used++] = tmp[i];
        s->buf[s->used] = '\0';
        return 0;
}

static int spawn(char *const argv[], int out, int err, pid_t *pid, char *msg, size_t len)
{
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t at;
        sigset_t none, all;
        int rc;

        /* posix_spawn reports a failed exec only where the C library can
         * (glibc under qemu-user lets the child exit 127): ask first */
        if (access(argv[0], X_OK) != 0) {
                snprintf(msg, len, "cannot run %s: %s", argv[0], strerror(errno));
                return MB_EIO;
        }
        sigemptyset(&none);
        sigfillset(&all);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&at);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out, 1);
        posix_spawn_file_actions_adddup2(&fa, err, 2);
        posix_spawnattr_setsigmask(&at, &none);
        posix_spawnattr_setsigdefault(&at, &all);
        /* a group of its own: a script's children die with it at the timeout */
        posix_spawnattr_setpgroup(&at, 0);
        posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                          POSIX_SPAWN_SETPGROUP);
        rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
        posix_spawnattr_destroy(&at);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0)
                snprintf(msg, len, "cannot run %s: %s", argv[0], strerror(rc));
        return rc == 0 ? MB_OK : MB_EIO;
}

/* Wait for pid until deadline, then kill it: its exit status or
 * MB_ETIMEDOUT. */
static int reap(pid_t pid, int64_t deadline)
{
        int st;

        for (;;) {
                pid_t r = waitpid(pid, &st, WNOHANG);

                if (r == pid)
                        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
                if (r < 0 && errno != EINTR)
                        return MB_EIO;
                if (mb_monotonic_ms() >= deadline) {
                        kill(-pid, SIGKILL);
                        waitpid(pid, &st, 0);
                        return MB_ETIMEDOUT;
                }
                usleep(10000);
        }
}

int agent_tool_run(char *const argv[], int timeout_ms, char *out, size_t cap, char *err,
                   size_t errlen)
{
        int po[2], pe[2], rc, open_fds = 2;
        int64_t deadline = mb_monotonic_ms() + timeout_ms;
        char errbuf[512];
        struct sink s[2] = {{out, cap, 0, -1}, {errbuf, sizeof(errbuf), 0, -1}};
        pid_t pid;

        out[0] = errbuf[0] = err[0] = '\0';
        if (pipe2(po, O_CLOEXEC) != 0)
                return snprintf(err, errlen, "pipe: %s", strerror(errno)), MB_EIO;
        if (pipe2(pe, O_CLOEXEC) != 0) {
                close(po[0]), close(po[1]);
                return snprintf(err, errlen, "pipe: %s", strerror(errno)), MB_EIO;
        }
        rc = spawn(argv, po[1], pe[1], &pid, err, errlen);
        close(po[1]);
        close(pe[1]);
        s[0].fd = po[0];
        s[1].fd = pe[0];
        while (rc == MB_OK && open_fds > 0) {
                struct pollfd pf[2] = {{s[0].fd, POLLIN, 0}, {s[1].fd, POLLIN, 0}};
                int64_t left = deadline - mb_monotonic_ms();

                if (left <= 0 || poll(pf, 2, (int)left) == 0)
                        break; /* reap kills it */
                for (int i = 0; i < 2; i++)
                        if (s[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                            drain(&s[i])) {
                                close(s[i].fd);
                                s[i].fd = -1;
                                open_fds--;
                        }
        }
        for (int i = 0; i < 2; i++)
                if (s[i].fd >= 0)
                        close(s[i].fd);
        if (rc != MB_OK)
                return rc;
        rc = reap(pid, deadline);
        if (rc == MB_ETIMEDOUT)
                snprintf(err, errlen, "no answer within %d ms: killed", timeout_ms);
        else
                snprintf(err, errlen, "%.*s", (int)strcspn(errbuf, "\n"), errbuf);
        return rc;
}
