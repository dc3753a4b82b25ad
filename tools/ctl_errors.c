/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_errors.h"

#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

static const struct {
        const char *field, *words;
} fields[] = {
    {"amount_fen", "the amount"},
    {"reference", "--reference"},
    {"reason", "--reason"},
    {"holder", "--holder"},
    {"address", "--address"},
    {"region", "--region"},
    {"mode", "--mode"},
    {"state", "--state"},
    {"alarm1_fen", "--alarm1"},
    {"alarm2_fen", "--alarm2"},
    {"credit_limit_fen", "--credit-limit"},
    {"reconnect_fen", "--reconnect"},
    {"number", "the account number"},
    {"month", "the month"},
    {"op", "the command"},
    {"tariff", "the tariff"},
    {"effective", "--effective"},
    {"gateway", "--gateway"},
    {"account", "--account"},
    {"name", "the name"},
    {"layout", "--layout"},
    {"lang", "--lang"},
};

const char *ctl_field_words(const char *field)
{
        for (size_t i = 0; field && i < sizeof(fields) / sizeof(fields[0]); i++)
                if (strcmp(fields[i].field, field) == 0)
                        return fields[i].words;
        return NULL;
}

/* The server's message with every 'api_field' in quotes put in CLI words. */
static void print_message(FILE *f, const char *msg)
{
        while (*msg) {
                const char *q = strchr(msg, '\''), *end, *words = NULL;
                char name[48];

                if (q == NULL || (end = strchr(q + 1, '\'')) == NULL) {
                        fputs(msg, f);
                        return;
                }
                if ((size_t)(end - q - 1) < sizeof(name)) {
                        memcpy(name, q + 1, (size_t)(end - q - 1));
                        name[end - q - 1] = '\0';
                        words = ctl_field_words(name);
                }
                fwrite(msg, 1, (size_t)(q - msg), f);
                if (words)
                        fputs(words, f);
                else
                        fwrite(q, 1, (size_t)(end - q + 1), f);
                msg = end + 1;
        }
}

static const char *member(json_object *o, const char *k)
{
        json_object *v;

        return o && json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : NULL;
}

/* Advice for an error code, or NULL when the server's message says it all. */
static const char *advice(const char *code, long status)
{
        static const struct {
                const char *code, *text;
        } t[] = {
            {"unauthorized", "the server did not accept the token: check --token or "
                             "METERBOX_TOKEN (a revoked or mistyped token needs a new one: "
                             "meterbox-server --create-token NAME --role admin|operator on the "
                             "server host)"},
            {"forbidden", "this token may not do that: changes need an admin token, an "
                          "operator token may only read (--token or METERBOX_TOKEN)"},
            {"too_many_requests", "the server is limiting this token's requests: wait a "
                                  "minute and try again"},
            {"busy", "the server's database is busy: try again in a moment"},
            {"storage_full", "the server's disk is full: nothing was stored; free space on "
                             "the server and try again"},
            {"internal", "the server failed (its log says why); nothing was changed: try "
                         "again, and tell whoever runs the server if it persists"},
            {"too_large", "the request is larger than the server accepts "
                          "(limits.max_body_bytes in server.conf)"},
            {"method_not_allowed", "the server does not offer this: is it an older "
                                   "meterbox-server than this meterboxctl?"},
        };

        for (size_t i = 0; code && i < sizeof(t) / sizeof(t[0]); i++)
                if (strcmp(t[i].code, code) == 0)
                        return t[i].text;
        if (status == 401)
                return t[0].text;
        if (status == 403)
                return t[1].text;
        return NULL;
}

void ctl_explain_answer(FILE *f, const char *cmd, long status, const char *body, const char *server)
{
        json_object *o = body ? json_tokener_parse(body) : NULL, *e = NULL;
        const char *code = NULL, *msg = NULL, *text;

        if (o && json_object_object_get_ex(o, "error", &e)) {
                code = member(e, "code");
                msg = member(e, "message");
        }
        fprintf(f, "meterboxctl %s: ", cmd);
        text = advice(code, status);
        if (code && strcmp(code, "not_found") == 0 && msg &&
            strncmp(msg, "no such endpoint", 16) == 0)
                fprintf(f,
                        "the server at %s does not know this request: is --server (or "
                        "METERBOX_URL) a meterbox-server of the same version?",
                        server);
        else if (text)
                fputs(text, f);
        else if (msg)
                print_message(f, msg);
        else
                fprintf(f,
                        "the server at %s answered with an error page, not meterbox's "
                        "(status %ld): is --server (or METERBOX_URL) right?",
                        server, status);
        if (code && (strcmp(code, "exists") == 0 || strcmp(code, "conflict") == 0 ||
                     strncmp(code, "bad_", 4) == 0 || strcmp(code, "missing_field") == 0 ||
                     strcmp(code, "negative") == 0 || strcmp(code, "out_of_range") == 0 ||
                     strncmp(code, "unknown_", 8) == 0))
                fputs("; nothing was changed", f);
        fputs("\n", f);
        json_object_put(o);
}

void ctl_explain_transport(FILE *f, const char *cmd, int curl_code, const char *detail,
                           const char *server)
{
        const char *what;

        switch (curl_code) {
        case CURLE_COULDNT_CONNECT:
                what = "cannot reach the server: is meterbox-server running there, and "
                       "are --server (or METERBOX_URL) and its port right?";
                break;
        case CURLE_COULDNT_RESOLVE_HOST:
                what = "cannot find that host: check the name in --server (or METERBOX_URL)";
                break;
        case CURLE_OPERATION_TIMEDOUT:
                what = "the server did not answer in time: it may be overloaded or a "
                       "firewall drops the connection; try again";
                break;
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
                what = "--server (or METERBOX_URL) must be a URL such as "
                       "https://meterbox.example:8443";
                break;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR:
                what = "the server's TLS certificate is not trusted here: install its CA "
                       "(or point CURL_CA_BUNDLE at it), and use the name the certificate "
                       "was issued for";
                break;
        case CURLE_GOT_NOTHING:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
                what = "the connection broke before the server answered: check that "
                       "--server uses http:// or https:// as the server does, and try again";
                break;
        default:
                what = "the request did not get through";
                break;
        }
        fprintf(f, "meterboxctl %s: %s (%s: %s)\n", cmd, what, server, detail);
}
