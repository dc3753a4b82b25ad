/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterboxctl: the operator's command line.  `meterboxctl CMD [OPTIONS]`
 * dispatches to a subcommand from the table below; add a subcommand by
 * writing its handler in its own file, declaring it in meterboxctl.h and
 * adding one row here.
 */
#include <stdio.h>
#include <string.h>

#include "ctl_client.h"
#include "ctl_suggest.h"
#include "mb_build_config.h"
#include "meterboxctl.h"

static const struct mbctl_command commands[] = {
    {"quote", mbctl_quote, "price energy under a tariff file and print the bill as JSON"},
    {"gateway", mbctl_gateway, "register, list and show gateways"},
    {"account", mbctl_account_events,
     "create, update, show and list accounts; move-in, move-out, change of holder"},
    {"meter", mbctl_meter_events,
     "bind a meter; show its snapshot; exchange it; resolve a register that went back"},
    {"tariff", mbctl_tariff, "load, list, show tariffs; assign one to an account"},
    {"topup", mbctl_topup, "credit an account (once per payment reference)"},
    {"refund", mbctl_refund, "pay money back to a customer, with a reason"},
    {"adjust", mbctl_adjust, "correct a balance up or down, with a reason"},
    {"ledger", mbctl_ledger, "every ledger entry of an account with its balance after"},
    {"bill", mbctl_bill, "list and show bills"},
    {"settle", mbctl_settle, "close a month: bill every account"},
    {"command", mbctl_command, "trip, close, protect, unprotect a meter; list commands"},
    {"export", mbctl_export, "a month's bills or ledger entries as CSV for finance"},
    {"display", mbctl_display, "enrol, list, change and revoke the wall's kiosk screens"},
    {"area", mbctl_area, "transformer areas: main meters, members, line loss, collection"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
        fprintf(f, "usage: meterboxctl [GLOBAL OPTIONS] COMMAND [ARGUMENTS] [OPTIONS]\n"
                   "       meterboxctl COMMAND --help\n"
                   "       meterboxctl --help | --version\n\n"
                   "global options (before or after the command):\n"
                   "  --server URL   the server, e.g. https://meterbox.example:8443\n"
                   "                 (default: $METERBOX_URL)\n"
                   "  --token TOKEN  an API token: operator to read, admin to change\n"
                   "                 (default: $METERBOX_TOKEN)\n"
                   "  --json         print the server's answer as JSON, not as a table\n\n"
                   "commands:\n");
        for (size_t i = 0; i < NCOMMANDS; i++)
                fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "\nExit status: 0 done, 1 failed (the reason on stderr), 2 bad usage.\n");
}

static const struct mbctl_command *find(const char *name)
{
        for (size_t i = 0; i < NCOMMANDS; i++)
                if (strcmp(commands[i].name, name) == 0)
                        return &commands[i];
        return NULL;
}

static int unknown(const char *name)
{
        const char *near = ctl_suggest(name, commands, NCOMMANDS, sizeof(commands[0]));

        if (name[0] == '-')
                fprintf(stderr, "meterboxctl: unknown option '%s' before the command\n\n", name);
        else if (near)
                fprintf(stderr, "meterboxctl: unknown command '%s'; did you mean '%s'?\n\n", name,
                        near);
        else
                fprintf(stderr, "meterboxctl: unknown command '%s'\n\n", name);
        usage(stderr);
        return 2;
}

int main(int argc, char **argv)
{
        const struct mbctl_command *cmd;
        int i = 1, help = 0;

        /* global options may come before the command */
        for (; i < argc; i++) {
                int rc = ctl_global_option(argc, argv, &i, &ctl_globals, "");

                if (rc < 0)
                        return 2;
                if (rc > 0)
                        continue;
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
                    strcmp(argv[i], "help") == 0)
                        help = 1;
                else if (strcmp(argv[i], "--version") == 0) {
                        printf("meterboxctl %s\n", MB_VERSION);
                        return 0;
                } else
                        break;
        }
        if (i >= argc) {
                usage(help ? stdout : stderr);
                return help ? 0 : 2;
        }
        cmd = find(argv[i]);
        if (cmd == NULL)
                return unknown(argv[i]);
        if (help) { /* "meterboxctl --help account" is "meterboxctl account --help" */
                static char help_opt[] = "--help";
                char *hargv[] = {argv[i], help_opt, NULL};

                return cmd->run(2, hargv);
        }
        return cmd->run(argc - i, argv + i);
}
