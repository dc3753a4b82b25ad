/* SPDX-License-Identifier: Apache-2.0 */
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

/* Server subcommands (tools/ctl_*.c), over HTTP with libcurl. */
int mbctl_gateway(int argc, char **argv); /* ctl_account.c */
int mbctl_account(int argc, char **argv); /* ctl_account.c */
int mbctl_meter(int argc, char **argv);   /* ctl_account.c */
int mbctl_tariff(int argc, char **argv);  /* ctl_tariff.c */
int mbctl_topup(int argc, char **argv);   /* ctl_money.c */
int mbctl_refund(int argc, char **argv);  /* ctl_money.c */
int mbctl_adjust(int argc, char **argv);  /* ctl_money.c */
int mbctl_ledger(int argc, char **argv);  /* ctl_money.c */
int mbctl_bill(int argc, char **argv);    /* ctl_bill.c */
int mbctl_settle(int argc, char **argv);  /* ctl_bill.c */
int mbctl_command(int argc, char **argv); /* ctl_bill.c */
int mbctl_export(int argc, char **argv);  /* ctl_export.c */
int mbctl_display(int argc, char **argv); /* ctl_display.c */
/* account move-in|move-out|transfer, meter exchange|fix; the rest of account
 * and meter goes on to mbctl_account / mbctl_meter (ctl_events.c) */
int mbctl_account_events(int argc, char **argv);
int mbctl_meter_events(int argc, char **argv);
int mbctl_area(int argc, char **argv); /* ctl_area.c */

#endif
