/*
 * meterboxctl: the operator's command line.  `meterboxctl CMD [OPTIONS]`
 * dispatches to a subcommand from the table below; add a subcommand by
 * writing its handler in its own file, declaring it in meterboxctl.h and
 * adding one row here.
 */
#include <stdio.h>
#include <string.h>

#include "mb_build_config.h"
#include "meterboxctl.h"

static const struct mbctl_command commands[] = {
        {"quote", mbctl_quote, "price energy under a tariff file and print the bill as JSON"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
        fprintf(f, "usage: meterboxctl COMMAND [OPTIONS]\n"
                   "       meterboxctl COMMAND --help\n"
                   "       meterboxctl --help | --version\n\n"
                   "commands:\n");
        for (size_t i = 0; i < NCOMMANDS; i++)
                fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

static const struct mbctl_command *find(const char *name)
{
        for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

int main(int argc, char **argv)
{
        const struct mbctl_command *cmd;

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("meterboxctl %s\n", MB_VERSION);
                return 0;
        }
        cmd = find(argv[1]);
        if (cmd == NULL) {
                fprintf(stderr, "meterboxctl: unknown command '%s'\n\n", argv[1]);
                usage(stderr);
                return 2;
        }
        return cmd->run(argc - 1, argv + 1);
}
