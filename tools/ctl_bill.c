/* SPDX-License-Identifier: Apache-2.0 */
/* meterboxctl bill | settle | command: bills, the month close, relay commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "meterboxctl.h"

static const struct ctl_col bill_list_cols[] = {
    {"ACCOUNT", "account", 's'},   {"MONTH", "month", 's'},   {"STATE", "state", 's'},
    {"MODE", "mode", 's'},         {"KWH", "energy_wh", 'k'}, {"TOTAL", "total_fen", 'y'},
    {"POSTED", "posted_fen", 'y'}, {"FLAGS", "flags", 'j'},
};
static const struct ctl_col bill_cols[] = {
    {"account", "account", 's'},
    {"month", "month", 's'},
    {"state", "state", 's'},
    {"mode", "mode", 's'},
    {"meter", "meter", 's'},
    {"tariff", "tariff", 's'},
    {"from", "from_ts", 't'},
    {"to", "to_ts", 't'},
    {"register from kWh", "from_import_wh", 'k'},
    {"register to kWh", "to_import_wh", 'k'},
    {"energy kWh", "energy_wh", 'k'},
    {"total", "total_fen", 'y'},
    {"charged before", "charged_fen", 'y'},
    {"posted", "posted_fen", 'y'},
    {"vs last month kWh", "change_wh", 'k'},
    {"vs last month", "change_fen", 'y'},
    {"vs last year kWh", "change_year_wh", 'k'},
    {"vs last year", "change_year_fen", 'y'},
    {"flags", "flags", 'j'},
};
static const struct ctl_col line_cols[] = {
    {"KIND", "kind", 's'}, {"TIER", "tier", 's'},       {"RATE", "rate", 's'},
    {"QTY", "qty", 'q'},   {"PRICE/1E4", "price", 's'}, {"AMOUNT", "fen", 'y'},
};

static const char bill_help[] = "usage: meterboxctl bill list NUMBER\n"
                                "       meterboxctl bill show NUMBER YYYY-MM\n"
                                "       meterboxctl bill month YYYY-MM [--state held|settled]\n";

int mbctl_bill(int argc, char **argv)
{
        static const char *const opts[] = {"state", NULL};
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, bill_help, opts)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"list", "show", "month", NULL};

                if (ctl_check_sub(&a, subs, bill_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0 && a.npos == 2) {
                if (ctl_path(path, sizeof(path), "/api/v1/accounts/%s/bills", a.pos[1]))
                        return 1;
                return ctl_call_show(&a, "GET", path, NULL, "bills", bill_list_cols,
                                     CTL_NCOLS(bill_list_cols));
        }
        if (strcmp(a.sub, "month") == 0 && a.npos == 2) {
                snprintf(path, sizeof(path), "/api/v1/bills?month=%.7s%s%.16s", a.pos[1],
                         ctl_opt(&a, "state") ? "&state=" : "",
                         ctl_opt(&a, "state") ? ctl_opt(&a, "state") : "");
                return ctl_call_show(&a, "GET", path, NULL, "bills", bill_list_cols,
                                     CTL_NCOLS(bill_list_cols));
        }
        if (strcmp(a.sub, "show") == 0 && a.npos == 3) {
                char *acc = ctl_escape(a.pos[1]);

                snprintf(path, sizeof(path), "/api/v1/accounts/%s/bills/%.7s", acc ? acc : "",
                         a.pos[2]);
                free(acc);
                return ctl_call_show_record(&a, "GET", path, NULL, bill_cols, CTL_NCOLS(bill_cols),
                                            "lines", line_cols, CTL_NCOLS(line_cols));
        }
        return ctl_usage(bill_help, 2);
}

/* The close job's progress on stderr: rewritten in place on a terminal,
 * else a line whenever another tenth is done. */
static void progress(json_object *job, int *last_tenth)
{
        json_object *v;
        int64_t total = 0, done = 0;
        int tenth, tty = isatty(2);

        if (json_object_object_get_ex(job, "total", &v))
                total = json_object_get_int64(v);
        if (json_object_object_get_ex(job, "done", &v))
                done = json_object_get_int64(v);
        tenth = total ? (int)(done * 10 / total) : 0;
        if (!tty && tenth == *last_tenth)
                return;
        *last_tenth = tenth;
        fprintf(stderr,
                "%s%s: %lld of %lld accounts (%d%%), %lld settled, %lld held, %lld failed%s",
                tty ? "\r" : "", json_object_get_string(json_object_object_get(job, "month")),
                (long long)done, (long long)total, total ? (int)(done * 100 / total) : 0,
                (long long)json_object_get_int64(json_object_object_get(job, "settled")),
                (long long)json_object_get_int64(json_object_object_get(job, "held")),
                (long long)json_object_get_int64(json_object_object_get(job, "failed")),
                tty ? "   " : "\n");
}

int mbctl_settle(int argc, char **argv)
{
        static const struct ctl_col sum_cols[] = {{"job", "job", 's'},
                                                  {"month", "month", 's'},
                                                  {"state", "state", 's'},
                                                  {"accounts", "total", 's'},
                                                  {"settled", "settled", 's'},
                                                  {"held", "held", 's'},
                                                  {"already settled", "already_settled", 's'},
                                                  {"failed", "failed", 's'},
                                                  {"error", "error", 's'}};
        static const char help[] =
            "usage: meterboxctl settle YYYY-MM\n"
            "Close a month: bill every account (again is harmless).  The server runs the\n"
            "close as a job; this shows its progress and waits for it to end, however\n"
            "long that takes (through a server restart too: the job resumes).  Ctrl-C\n"
            "stops waiting, not the close.  Exit status 1 when accounts failed.\n";
        struct ctl_args a;
        json_object *b, *job = NULL, *v;
        char path[64];
        int rc, tenth = -1, failed_calls = 0;

        if ((rc = ctl_begin(argc, argv, &a, help, NULL)) != CTL_GO_ON)
                return rc;
        if (a.npos != 1 || ctl_opts_only(&a, NULL))
                return ctl_usage(help, 2);
        b = json_object_new_object();
        json_object_object_add(b, "month", json_object_new_string(a.pos[0]));
        if (ctl_call_json(&a, "POST", "/api/v1/settlements", b, &job) != 0)
                return 1;
        snprintf(path, sizeof(path), "/api/v1/settlements/%lld",
                 (long long)json_object_get_int64(json_object_object_get(job, "job")));
        while (json_object_object_get_ex(job, "state", &v) &&
               strcmp(json_object_get_string(v), "running") == 0) {
                json_object *next = NULL;

                progress(job, &tenth);
                sleep(failed_calls ? 2 : 1);
                if (ctl_call_json(&a, "GET", path, NULL, &next) != 0 || next == NULL) {
                        if (failed_calls++ == 0)
                                fprintf(stderr,
                                        "meterboxctl: still waiting for the close job"
                                        " (%s)\n",
                                        path);
                        continue;
                }
                failed_calls = 0;
                json_object_put(job);
                job = next;
        }
        progress(job, &tenth);
        if (isatty(2))
                fputc('\n', stderr);
        rc = json_object_object_get_ex(job, "state", &v) &&
                     strcmp(json_object_get_string(v), "done") == 0
                 ? 0
                 : 1;
        ctl_show(&a, job, NULL, sum_cols, CTL_NCOLS(sum_cols));
        return rc;
}

static const char command_help[] =
    "usage: meterboxctl command trip|close|protect|unprotect METER --reason TEXT\n"
    "       meterboxctl command list [METER] [--state pending|delivered|done|failed]\n";

int mbctl_command(int argc, char **argv)
{
        static const struct ctl_col cols[] = {
            {"ID", "id", 's'},
            {"METER", "meter", 's'},
            {"OP", "op", 's'},
            {"STATE", "state", 's'},
            {"RELAY", "relay", 's'},
            {"BY", "by", 's'},
            {"ISSUED", "issued_at", 't'},
            {"EXPIRED", "expired", 's'},
            {"REASON", "reason", 's'},
        };
        static const char *const opts[] = {"reason", "state", NULL};
        static const char *const filters[] = {"state", NULL};
        struct ctl_args a;
        char path[512];
        int rc;

        if ((rc = ctl_begin(argc, argv, &a, command_help, opts)) != CTL_GO_ON)
                return rc;
        {
                static const char *const subs[] = {"list",    "trip",      "close",
                                                   "protect", "unprotect", NULL};

                if (ctl_check_sub(&a, subs, command_help))
                        return 2;
        }
        if (strcmp(a.sub, "list") == 0 && a.npos <= 2) {
                if (a.npos == 2) {
                        if (ctl_path(path, sizeof(path), "/api/v1/meters/%s/commands", a.pos[1]))
                                return 1;
                } else if (ctl_query_path(path, sizeof(path), "/api/v1/commands", &a, filters)) {
                        return 1;
                }
                return ctl_call_show(&a, "GET", path, NULL, "commands", cols, CTL_NCOLS(cols));
        }
        if (a.npos == 2 && ctl_opt(&a, "reason") &&
            (strcmp(a.sub, "trip") == 0 || strcmp(a.sub, "close") == 0 ||
             strcmp(a.sub, "protect") == 0 || strcmp(a.sub, "unprotect") == 0)) {
                json_object *b;

                if (ctl_path(path, sizeof(path), "/api/v1/meters/%s/commands", a.pos[1]))
                        return 1;
                b = json_object_new_object();
                json_object_object_add(b, "op", json_object_new_string(a.sub));
                json_object_object_add(b, "reason", json_object_new_string(ctl_opt(&a, "reason")));
                return ctl_call_show(&a, "POST", path, b, NULL, cols, CTL_NCOLS(cols));
        }
        return ctl_usage(command_help, 2);
}
