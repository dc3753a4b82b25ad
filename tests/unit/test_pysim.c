/* SPDX-License-Identifier: Apache-2.0 */
/* The simulator child process of test_pysim.h. */
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_pysim.h"

/* The first line the child prints, into line (NUL-terminated, no newline). */
static void first_line(int fd, char *line, size_t cap)
{
        size_t got = 0;

        line[0] = '\0';
        while (!strchr(line, '\n') && got < cap - 1) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                ssize_t n;
                if (poll(&p, 1, 20000) <= 0)
                        break;
                n = read(fd, line + got, cap - 1 - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
                line[got] = '\0';
        }
}

void pysim_start(struct pysim *s, const char *script, const char *meters, const char *extra)
{
        char file[300], line[256];
        int out[2];
        FILE *f;
        const char *tmp = getenv("TMPDIR");

        memset(s, 0, sizeof(*s));
        snprintf(s->dir, sizeof(s->dir), "%s/pysim.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(s->dir));
        snprintf(file, sizeof(file), "%s/meters.json", s->dir);
        snprintf(s->log, sizeof(s->log), "%s/sim.log", s->dir);
        assert_non_null(f = fopen(file, "w"));
        fprintf(f, "[%s]\n", meters);
        fclose(f);
        assert_int_equal(pipe(out), 0);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                char cmd[2048];
                dup2(out[1], 1);
                close(out[0]);
                close(out[1]);
                snprintf(cmd, sizeof(cmd), "exec /usr/bin/python3 %s --meters %s --log %s %s",
                         script, file, s->log, extra ? extra : "");
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        first_line(out[0], line, sizeof(line));
        close(out[0]);
        if (!strchr(line, '\n') || (strncmp(line, "PTY ", 4) != 0 && strncmp(line, "TCP ", 4) != 0))
                fail_msg("simulator did not start: '%s'", line);
        *strchr(line, '\n') = '\0';
        snprintf(s->where, sizeof(s->where), "%s", line + 4);
}

void pysim_stop(struct pysim *s)
{
        char cmd[300];

        if (s->pid > 0) {
                kill(s->pid, SIGTERM);
                waitpid(s->pid, NULL, 0);
                s->pid = 0;
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (s->dir[0] && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", s->dir);
}

int pysim_count(const struct pysim *s, const char *a, const char *b)
{
        char line[4096];
        int n = 0;
        FILE *f = fopen(s->log, "r");

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                n += strstr(line, a) && (!b || strstr(line, b));
        fclose(f);
        return n;
}

int pysim_wait(const struct pysim *s, const char *a, const char *b, int want)
{
        int n;

        for (int i = 0; (n = pysim_count(s, a, b)) < want && i < 200; i++)
                usleep(50000);
        return n;
}
