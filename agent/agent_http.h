/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's HTTP(S) client to the server (libcurl): one handle, reused, so
 * the connection and TLS session stay open between syncs.  The server's
 * certificate is verified (optionally against a CA file); a client
 * certificate and key may be given; the gateway token goes in an
 * Authorization header.
 */
#ifndef AGENT_HTTP_H
#define AGENT_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct agent_http_opts {
        const char *url; /* base, e.g. "https://meterbox.example:8443" */
        const char *token;
        const char *ca_file;   /* NULL: the system's CAs */
        const char *cert_file; /* client certificate, or NULL */
        const char *key_file;
        int timeout_s;
};

struct agent_http_resp {
        long status; /* HTTP status, 0 when no answer */
        char *body;  /* NUL-terminated, malloc'd; the caller frees */
        size_t len;
        int64_t retry_after_s; /* from Retry-After, -1 when absent */
        char tariff_hash[72];  /* X-Tariff-Hash, "" when absent */
};

typedef struct agent_http agent_http;

/* A client for opts (strings are copied).  NULL when out of memory. */
agent_http *agent_http_new(const struct agent_http_opts *opts);
void agent_http_free(agent_http *h);
/* method "GET" or "POST" to base url + path, with a JSON body for POST.
 * Returns MB_OK when an answer arrived (any status; out is filled and its
 * body must be freed), or MB_EIO / MB_ETIMEDOUT with err naming the cause
 * (connection refused, certificate not trusted, ...). */
int agent_http_request(agent_http *h, const char *method, const char *path, const char *body,
                       struct agent_http_resp *out, char *err, size_t len);

#endif
