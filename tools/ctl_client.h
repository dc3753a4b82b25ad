/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every server subcommand of meterboxctl shares: arguments, the HTTP
 * client (libcurl) and output (tables by default, JSON with --json).
 *
 * Server URL and token: --server URL / --token TOKEN, else the environment
 * variables METERBOX_URL / METERBOX_TOKEN.  These and --json are global:
 * accepted before the command (main() collects them into ctl_globals) and
 * anywhere after it.  Every option takes a value ("--reference PAY-1" or
 * "--reference=PAY-1") except --json and --help.
 */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define CTL_MAX_POS 8
#define CTL_MAX_OPTS 16

/* The global options given before the command (set by main()). */
struct ctl_globals {
        const char *server, *token;
        int json;
};
extern struct ctl_globals ctl_globals;

/*
 * If argv[*i] is a global option (--json, --server URL, --token TOKEN, or
 * the --name=value forms), record it in *g, advance *i past its value and
 * return 1; 0 when it is not one; -1 after a message when its value is
 * missing.  cmd names the command in the message.
 */
int ctl_global_option(int argc, char **argv, int *i, struct ctl_globals *g, const char *cmd);

struct ctl_args {
        const char *cmd; /* "account", ... (argv[0]) */
        const char *sub; /* pos[0], or "" without positional arguments */
        const char *pos[CTL_MAX_POS];
        int npos;
        const char *key[CTL_MAX_OPTS], *val[CTL_MAX_OPTS];
        char keybuf[CTL_MAX_OPTS][40]; /* key[i] points here */
        int nopts;
        int json, help;
        const char *server, *token;
};

/* Split argv; 0, or 2 after printing a usage error. */
int ctl_args_parse(int argc, char **argv, struct ctl_args *a);
/* The value of --name, or NULL. */
const char *ctl_opt(const struct ctl_args *a, const char *name);
/* Refuse options not in the NULL-terminated list (2 after a message that
 * suggests the closest allowed one). */
int ctl_opts_only(const struct ctl_args *a, const char *const *allowed);
/* 0 when a->sub is one of subs (NULL-terminated); else print what is wrong
 * (with "did you mean" when one is close) and help on stderr, and return 2. */
int ctl_check_sub(const struct ctl_args *a, const char *const *subs, const char *help);

/* What ctl_begin returns when the subcommand should go on. */
#define CTL_GO_ON (-1)

/*
 * The start of every subcommand: ctl_args_parse into *a, then with --help
 * print help on stdout.  opts (NULL-terminated) are the options the
 * subcommand takes, any other is refused with a message; with opts NULL the
 * caller checks options itself (ctl_opts_only, e.g. to print its usage too).
 * Returns CTL_GO_ON, or the exit status to return at once: 0 after --help,
 * 2 after a usage error (message on stderr).  *a points into argv.
 */
int ctl_begin(int argc, char **argv, struct ctl_args *a, const char *help, const char *const *opts);

/*
 * Send method path (+ body, may be NULL; content type JSON unless text) to
 * the server.  On a 2xx answer returns 0 with the parsed JSON in *out (the
 * caller's; NULL for a non-JSON answer, whose text is in *text when text is
 * not NULL).  Otherwise prints the server's error (code, message, field) or
 * the transport error on stderr and returns 1.
 */
int ctl_call(const struct ctl_args *a, const char *method, const char *path, const char *body,
             int body_is_text, json_object **out, char **text);

/* ctl_call with body as compact JSON (may be NULL; always freed): 0 with the
 * answer in *out (the caller's, NULL when not JSON), or 1 after the error was
 * printed. */
int ctl_call_json(const struct ctl_args *a, const char *method, const char *path, json_object *body,
                  json_object **out);

/* Print o as pretty JSON on stdout. */
void ctl_print_json(json_object *o);

/* Columns of a table: header, member name, and how to show it:
 * 's' as is, 'y' fen as yuan "12.34", 'k' Wh as kWh "1.234", 't' UTC seconds
 * as local "YYYY-MM-DD HH:MM", 'j' any JSON compactly, 'q' a bill line's
 * quantity by its kind: "1.234 kWh", "4.800 kW", "22/31 d" (days of the
 * month's, a prorated fixed charge). */
struct ctl_col {
        const char *header, *key;
        char fmt;
};
void ctl_print_table(json_object *rows, const struct ctl_col *cols, int ncols);
/* One object as "key: value" lines in the order of cols. */
void ctl_print_fields(json_object *o, const struct ctl_col *cols, int ncols);

/* Parse "12.34" yuan (or "-12.34") into fen.  0 or 2 after a message. */
int ctl_parse_yuan(const char *opt, const char *s, int64_t *fen);

/* URL-escape s into a static-free malloc'd string (caller frees). */
char *ctl_escape(const char *s);

/* Print o (freed) as JSON with --json, else as a table of o[list_key] or as
 * fields; returns 0. */
int ctl_show(const struct ctl_args *a, json_object *o, const char *list_key,
             const struct ctl_col *cols, int ncols);
/* ctl_call_json (body is freed) then ctl_show. */
int ctl_call_show(const struct ctl_args *a, const char *method, const char *path, json_object *body,
                  const char *list_key, const struct ctl_col *cols, int ncols);
/* ctl_call_json (body is freed), then one record: as JSON with --json, else
 * its fields in cols and, when it holds list_key (not null), a blank line and
 * that list as a table in list_cols (a bill and its lines).  0 or 1. */
int ctl_call_show_record(const struct ctl_args *a, const char *method, const char *path,
                         json_object *body, const struct ctl_col *cols, int ncols,
                         const char *list_key, const struct ctl_col *list_cols, int nlist);
/* A body with the string options named in keys (NULL-terminated). */
json_object *ctl_body_from(const struct ctl_args *a, const char *const *keys);
/* snprintf(buf, fmt, escaped arg); 0 or 1. */
int ctl_path(char *buf, size_t len, const char *fmt, const char *arg);
/* base, then "?key=value&..." for each option in keys (NULL-terminated) that
 * was given, values URL-escaped: "/api/v1/meters?gateway=gw%201".  0, or 1
 * when escaping failed (out of memory). */
int ctl_query_path(char *buf, size_t len, const char *base, const struct ctl_args *a,
                   const char *const *keys);
/* Print text on stdout (rc 0) or stderr; return rc. */
int ctl_usage(const char *text, int rc);

#define CTL_NCOLS(c) ((int)(sizeof(c) / sizeof(c[0])))

#endif
