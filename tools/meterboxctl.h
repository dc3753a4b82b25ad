/*
 * meterboxctl subcommands.  Each lives in its own file and is listed once in
 * the table in meterboxctl.c.
 *
 * A handler gets argv with argv[0] set to the subcommand name and returns the
 * process exit status: 0 success, 1 failure (message on stderr), 2 bad usage.
 * `meterboxctl CMD --help` must print the subcommand's help on stdout and
 * return 0.
 */
#ifndef MBCTL_H
#define MBCTL_H

typedef int (*mbctl_handler)(int argc, char **argv);

struct mbctl_command {
        const char *name;
        mbctl_handler run;
        const char *help; /* one line for `meterboxctl --help` */
};

/* tools/quote.c: price some energy under a tariff file, no server needed. */
int mbctl_quote(int argc, char **argv);

#endif
