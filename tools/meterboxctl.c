/* SPDX-License-Identifier: Apache-2.0 */
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
    {"gateway", mbctl_gateway, "register, list and show gateways"},
    {"account", mbctl_account, "create, update, show and list accounts"},
    {"meter", mbctl_meter, "bind a meter to a gateway and an account; show its snapshot"},
    {"tariff", mbctl_tariff, "load, list, show tariffs; assign one to an account"},
    {"topup", mbctl_topup, "credit an account (once per payment reference)"},
    {"refund", mbctl_refund, "pay money back to a customer, with a reason"},
    {"adjust", mbctl_adjust, "correct a balance up or down, with a reason"},
    {"ledger", mbctl_ledger, "every ledger entry of an account with its balance after"},
    {"bill", mbctl_bill, "list and show bills"},
    {"settle", mbctl_settle, "close a month: bill every account"},
    {"command", mbctl_command, "trip, close, protect, unprotect a meter; list commands"},
    {"export", mbctl_export, "a month's bills or ledger entries as CSV for finance"},
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
