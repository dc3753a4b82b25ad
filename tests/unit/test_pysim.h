/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A meter simulator (a Python script of tests/integration) as a child
 * process for plugin unit tests: started with a JSON list of meters, it
 * prints where it listens on its first line ("PTY /dev/pts/N" or
 * "TCP <port>") and appends one JSON object per event to its log.
 */
#ifndef TEST_PYSIM_H
#define TEST_PYSIM_H

#include <sys/types.h>

struct pysim {
        pid_t pid;
        char dir[256];   /* scratch directory under $TMPDIR, removed by pysim_stop */
        char where[256]; /* "/dev/pts/N", or the TCP port */
        char log[300];
};

/* Start `script` with --meters (meters: the JSON objects, without the
 * brackets), --log and `extra` arguments.  Fails the test when the
 * simulator does not say where it listens within 20 s. */
void pysim_start(struct pysim *s, const char *script, const char *meters, const char *extra);
/* Stop it (SIGTERM, wait) and remove its directory. */
void pysim_stop(struct pysim *s);
/* Lines of the log containing a and (when not NULL) b. */
int pysim_count(const struct pysim *s, const char *a, const char *b);
/* pysim_count once at least `want` such lines are there, or after 10 s. */
int pysim_wait(const struct pysim *s, const char *a, const char *b, int want);

#endif
