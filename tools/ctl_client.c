/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "ctl_errors.h"
#include "ctl_suggest.h"
#include "ctl_width.h"
#include "mb_money.h"
#include "meterboxctl.h"

struct ctl_globals ctl_globals;

#ifndef JSON_C_TO_STRING_NOSLASHESCAPE
#define JSON_C_TO_STRING_NOSLASHESCAPE 0
#endif

/* "--name=value" or "--name value": the value, advancing *i past it; NULL
 * (after a message) when there is none. */
static const char *opt_value(int argc, char **argv, int *i, const char *cmd)
{
        const char *eq = strchr(argv[*i], '=');

        if (eq)
                return eq + 1;
        if (*i + 1 >= argc) {
                fprintf(stderr, "meterboxctl %s: %s needs a value\n", cmd, argv[*i]);
                return NULL;
        }
        return argv[++*i];
}

/* 1 when s is --name or --name=... */
static int is_opt(const char *s, const char *name)
{
        size_t n = strlen(name);

        return strncmp(s, name, n) == 0 && (s[n] == '\0' || s[n] == '=');
}

int ctl_global_option(int argc, char **argv, int *i, struct ctl_globals *g, const char *cmd)
{
        const char *s = argv[*i], *v;

        if (strcmp(s, "--json") == 0) {
                g->json = 1;
                return 1;
        }
        if (!is_opt(s, "--server") && !is_opt(s, "--token"))
                return 0;
        if ((v = opt_value(argc, argv, i, cmd)) == NULL)
                return -1;
        if (s[2] == 's')
                g->server = v;
        else
                g->token = v;
        return 1;
}

int ctl_args_parse(int argc, char **argv, struct ctl_args *a)
{
        struct ctl_globals g = ctl_globals;

        memset(a, 0, sizeof(*a));
        a->cmd = argv[0];
        for (int i = 1; i < argc; i++) {
                const char *s = argv[i];
                int rc = ctl_global_option(argc, argv, &i, &g, a->cmd);

                if (rc < 0)
                        return 2;
                if (rc > 0)
                        continue;
                if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
                        a->help = 1;
                } else if (strncmp(s, "--", 2) == 0 && s[2]) {
                        const char *v = opt_value(argc, argv, &i, a->cmd), *eq = strchr(s, '=');

                        if (v == NULL)
                                return 2;
                        if (a->nopts == CTL_MAX_OPTS) {
                                fprintf(stderr, "meterboxctl %s: too many options\n", a->cmd);
                                return 2;
                        }
                        /* the name without "--" (and without "=value") */
                        snprintf(a->keybuf[a->nopts], sizeof(a->keybuf[0]), "%.*s",
                                 (int)(eq ? (size_t)(eq - s - 2) : strlen(s + 2)), s + 2);
                        a->key[a->nopts] = a->keybuf[a->nopts];
                        a->val[a->nopts++] = v;
                } else if (a->npos == CTL_MAX_POS) {
                        fprintf(stderr, "meterboxctl %s: too many arguments\n", a->cmd);
                        return 2;
                } else {
                        a->pos[a->npos++] = s;
                }
        }
        a->sub = a->npos ? a->pos[0] : "";
        a->json = g.json;
        a->server = g.server ? g.server : getenv("METERBOX_URL");
        a->token = g.token ? g.token : getenv("METERBOX_TOKEN");
        return 0;
}

const char *ctl_opt(const struct ctl_args *a, const char *name)
{
        for (int i = 0; i < a->nopts; i++)
                if (strcmp(a->key[i], name) == 0)
                        return a->val[i];
        return NULL;
}

int ctl_opts_only(const struct ctl_args *a, const char *const *allowed)
{
        for (int i = 0; i < a->nopts; i++) {
                const char *near;
                int ok = 0;

                for (int k = 0; allowed && allowed[k] && !ok; k++)
                        ok = strcmp(allowed[k], a->key[i]) == 0;
                if (ok)
                        continue;
                near = allowed ? ctl_suggest(a->key[i], allowed, 0, sizeof(allowed[0])) : NULL;
                fprintf(stderr, "meterboxctl %s: unknown option --%s", a->cmd, a->key[i]);
                if (near)
                        fprintf(stderr, "; did you mean --%s?", near);
                fprintf(stderr, " (meterboxctl %s --help lists them)\n", a->cmd);
                return 2;
        }
        return 0;
}

int ctl_check_sub(const struct ctl_args *a, const char *const *subs, const char *help)
{
        const char *near;

        if (a->sub[0] == '\0')
                return ctl_usage(help, 2);
        for (int k = 0; subs[k]; k++)
                if (strcmp(subs[k], a->sub) == 0)
                        return 0;
        near = ctl_suggest(a->sub, subs, 0, sizeof(subs[0]));
        fprintf(stderr, "meterboxctl %s: unknown subcommand '%s'", a->cmd, a->sub);
        if (near)
                fprintf(stderr, "; did you mean 'meterboxctl %s %s'?", a->cmd, near);
        fprintf(stderr, "\n\n");
        return ctl_usage(help, 2);
}

int ctl_begin(int argc, char **argv, struct ctl_args *a, const char *help, const char *const *opts)
{
        if (ctl_args_parse(argc, argv, a))
                return 2;
        if (a->help)
                return ctl_usage(help, 0);
        if (opts && ctl_opts_only(a, opts))
                return 2;
        return CTL_GO_ON;
}

struct buf {
        char *p;
        size_t n;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct buf *b = ud;
        size_t n = size * nmemb;
        char *q = realloc(b->p, b->n + n + 1);

        if (q == NULL)
                return 0;
        memcpy(q + b->n, ptr, n);
        b->p = q;
        b->n += n;
        b->p[b->n] = '\0';
        return n;
}

int ctl_call(const struct ctl_args *a, const char *method, const char *path, const char *body,
             int body_is_text, json_object **out, char **text)
{
        struct curl_slist *h = NULL;
        struct buf b = {NULL, 0};
        char url[2048], auth[256];
        long status = 0;
        CURLcode rc;
        CURL *c;

        *out = NULL;
        if (a->server == NULL || a->token == NULL) {
                fprintf(stderr,
                        "meterboxctl %s: which server, and as whom? Give %s%s%s (or set "
                        "%s%s%s); an admin creates tokens with meterbox-server --create-token\n",
                        a->cmd, a->server ? "" : "--server URL",
                        !a->server && !a->token ? " and " : "", a->token ? "" : "--token TOKEN",
                        a->server ? "" : "METERBOX_URL", !a->server && !a->token ? " and " : "",
                        a->token ? "" : "METERBOX_TOKEN");
                return 1;
        }
        c = curl_easy_init();
        if (c == NULL)
                return 1;
        snprintf(url, sizeof(url), "%s%s", a->server, path);
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->token);
        h = curl_slist_append(h, auth);
        h = curl_slist_append(h, body_is_text ? "Content-Type: text/plain; charset=utf-8"
                                              : "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        if (body)
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK) {
                ctl_explain_transport(stderr, a->cmd, (int)rc, curl_easy_strerror(rc), a->server);
                free(b.p);
                return 1;
        }
        if (status < 200 || status > 299) {
                ctl_explain_answer(stderr, a->cmd, status, b.p, a->server);
                free(b.p);
                return 1;
        }
        if (b.p)
                *out = json_tokener_parse(b.p);
        if (text)
                *text = b.p;
        else
                free(b.p);
        return 0;
}

int ctl_call_json(const struct ctl_args *a, const char *method, const char *path, json_object *body,
                  json_object **out)
{
        int rc =
            ctl_call(a, method, path,
                     body ? json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN) : NULL, 0,
                     out, NULL);

        json_object_put(body);
        return rc;
}

void ctl_print_json(json_object *o)
{
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A bill line's quantity qty by the line's kind (docs/api.md). */
static void line_qty(json_object *line, int64_t qty, char *buf, size_t len)
{
        json_object *k = NULL, *of = NULL;
        int64_t kind = json_object_object_get_ex(line, "kind", &k) ? json_object_get_int64(k) : 0;
        char d[32];

        if (kind == 1) {
                json_object_object_get_ex(line, "of", &of);
                snprintf(buf, len, "%lld/%lld %s", (long long)qty,
                         (long long)(of ? json_object_get_int64(of) : 1), of ? "d" : "month");
                return;
        }
        mb_decimal_format(qty, 3, d, sizeof(d));
        snprintf(buf, len, "%s %s", d, kind == 2 ? "kW" : "kWh");
}

static void cell(json_object *o, const struct ctl_col *c, char *buf, size_t len)
{
        json_object *v = NULL;

        if (!json_object_object_get_ex(o, c->key, &v) || v == NULL) {
                snprintf(buf, len, "-");
                return;
        }
        if (c->fmt == 'q' && json_object_is_type(v, json_type_int)) {
                line_qty(o, json_object_get_int64(v), buf, len);
        } else if ((c->fmt == 'y' || c->fmt == 'k') && json_object_is_type(v, json_type_int)) {
                mb_decimal_format(json_object_get_int64(v), c->fmt == 'y' ? 2 : 3, buf, len);
        } else if (c->fmt == 't' && json_object_is_type(v, json_type_int)) {
                time_t t = (time_t)json_object_get_int64(v);
                struct tm tm;

                localtime_r(&t, &tm);
                strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
        } else if (json_object_is_type(v, json_type_string)) {
                snprintf(buf, len, "%s", json_object_get_string(v));
        } else {
                snprintf(buf, len, "%s", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        }
}

void ctl_print_table(json_object *rows, const struct ctl_col *cols, int ncols)
{
        size_t n = rows ? json_object_array_length(rows) : 0, w[32];
        char buf[512];

        if (ncols > 32)
                ncols = 32;
        for (int k = 0; k < ncols; k++) {
                w[k] = ctl_text_width(cols[k].header);
                for (size_t i = 0; i < n; i++) {
                        cell(json_object_array_get_idx(rows, i), &cols[k], buf, sizeof(buf));
                        if (ctl_text_width(buf) > w[k])
                                w[k] = ctl_text_width(buf);
                }
        }
        for (int k = 0; k < ncols; k++) {
                ctl_print_padded(stdout, cols[k].header, k + 1 < ncols ? w[k] : 0, 0);
                fputs(k + 1 < ncols ? "  " : "\n", stdout);
        }
        for (size_t i = 0; i < n; i++)
                for (int k = 0; k < ncols; k++) {
                        int right = cols[k].fmt == 'y' || cols[k].fmt == 'k' || cols[k].fmt == 'q';

                        cell(json_object_array_get_idx(rows, i), &cols[k], buf, sizeof(buf));
                        /* the last column is not padded (no trailing blanks) unless it
                         * is a right-aligned number */
                        ctl_print_padded(stdout, buf, k + 1 < ncols || right ? w[k] : 0, right);
                        fputs(k + 1 < ncols ? "  " : "\n", stdout);
                }
        if (n == 0)
                printf("(none)\n");
}

void ctl_print_fields(json_object *o, const struct ctl_col *cols, int ncols)
{
        char buf[512];

        size_t w = 0;

        for (int k = 0; k < ncols; k++)
                if (ctl_text_width(cols[k].header) > w)
                        w = ctl_text_width(cols[k].header);
        for (int k = 0; k < ncols; k++) {
                cell(o, &cols[k], buf, sizeof(buf));
                ctl_print_padded(stdout, cols[k].header, w, 0);
                printf("  %s\n", buf);
        }
}

int ctl_parse_yuan(const char *opt, const char *s, int64_t *fen)
{
        if (s == NULL || mb_decimal_parse(s, 2, fen) < 0) {
                fprintf(stderr,
                        "meterboxctl: %s must be an amount in yuan such as 12.34, not '%s'\n", opt,
                        s ? s : "");
                return 2;
        }
        return 0;
}

char *ctl_escape(const char *s)
{
        CURL *c = curl_easy_init();
        char *e = c ? curl_easy_escape(c, s, 0) : NULL, *r = e ? strdup(e) : NULL;

        curl_free(e);
        if (c)
                curl_easy_cleanup(c);
        return r;
}

/* Print o as JSON or with the printer, free it, return 0. */
int ctl_show(const struct ctl_args *a, json_object *o, const char *list_key,
             const struct ctl_col *cols, int ncols)
{
        json_object *rows = NULL;

        if (a->json)
                ctl_print_json(o);
        else if (list_key && json_object_object_get_ex(o, list_key, &rows))
                ctl_print_table(rows, cols, ncols);
        else
                ctl_print_fields(o, cols, ncols);
        json_object_put(o);
        return 0;
}

int ctl_call_show(const struct ctl_args *a, const char *method, const char *path, json_object *body,
                  const char *list_key, const struct ctl_col *cols, int ncols)
{
        json_object *o;
        int rc = ctl_call_json(a, method, path, body, &o);

        return rc ? rc : ctl_show(a, o, list_key, cols, ncols);
}

int ctl_call_show_record(const struct ctl_args *a, const char *method, const char *path,
                         json_object *body, const struct ctl_col *cols, int ncols,
                         const char *list_key, const struct ctl_col *list_cols, int nlist)
{
        json_object *o, *rows = NULL;
        int rc = ctl_call_json(a, method, path, body, &o);

        if (rc || a->json)
                return rc ? rc : ctl_show(a, o, NULL, NULL, 0);
        ctl_print_fields(o, cols, ncols);
        if (json_object_object_get_ex(o, list_key, &rows) && rows) {
                printf("\n");
                ctl_print_table(rows, list_cols, nlist);
        }
        json_object_put(o);
        return 0;
}

/* Copy string options into a body. */
json_object *ctl_body_from(const struct ctl_args *a, const char *const *keys)
{
        json_object *b = json_object_new_object();

        for (int i = 0; keys[i]; i++)
                if (ctl_opt(a, keys[i]))
                        json_object_object_add(b, keys[i],
                                               json_object_new_string(ctl_opt(a, keys[i])));
        return b;
}

int ctl_path(char *buf, size_t len, const char *fmt, const char *arg)
{
        char *e = ctl_escape(arg);

        if (e == NULL)
                return 1;
        snprintf(buf, len, fmt, e);
        free(e);
        return 0;
}

int ctl_query_path(char *buf, size_t len, const char *base, const struct ctl_args *a,
                   const char *const *keys)
{
        size_t used;
        char sep = '?';

        snprintf(buf, len, "%s", base);
        for (int i = 0; keys[i]; i++) {
                const char *v = ctl_opt(a, keys[i]);
                char *e;

                if (v == NULL)
                        continue;
                if ((e = ctl_escape(v)) == NULL)
                        return 1;
                used = strlen(buf);
                snprintf(buf + used, len - used, "%c%s=%s", sep, keys[i], e);
                free(e);
                sep = '&';
        }
        return 0;
}

int ctl_usage(const char *text, int rc)
{
        fputs(text, rc ? stderr : stdout);
        return rc;
}
