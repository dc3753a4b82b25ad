/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <meterbox/errors.h>

struct agent_http {
        CURL *curl;
        char *url, *auth, *ca_file, *cert_file, *key_file;
        int timeout_s;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void init_curl(void)
{
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *dup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

agent_http *agent_http_new(const struct agent_http_opts *o)
{
        agent_http *h = calloc(1, sizeof(*h));

        if (!h)
                return NULL;
        pthread_once(&curl_once, init_curl);
        h->curl = curl_easy_init();
        h->url = dup_or_null(o->url);
        if (o->token && asprintf(&h->auth, "Authorization: Bearer %s", o->token) < 0)
                h->auth = NULL;
        h->ca_file = dup_or_null(o->ca_file);
        h->cert_file = dup_or_null(o->cert_file);
        h->key_file = dup_or_null(o->key_file);
        h->timeout_s = o->timeout_s > 0 ? o->timeout_s : 30;
        if (!h->curl || !h->url) {
                agent_http_free(h);
                return NULL;
        }
        return h;
}

void agent_http_free(agent_http *h)
{
        if (!h)
                return;
        if (h->curl)
                curl_easy_cleanup(h->curl);
        free(h->url);
        free(h->auth);
        free(h->ca_file);
        free(h->cert_file);
        free(h->key_file);
        free(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
        struct agent_http_resp *r = arg;
        size_t len = size * n;
        char *b = realloc(r->body, r->len + len + 1);

        if (!b)
                return 0;
        memcpy(b + r->len, data, len);
        r->len += len;
        b[r->len] = '\0';
        r->body = b;
        return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
        struct agent_http_resp *r = arg;
        size_t len = size * n;
        char line[256];

        if (len >= sizeof(line))
                return len;
        memcpy(line, data, len);
        line[len] = '\0';
        line[strcspn(line, "\r\n")] = '\0';
        if (strncasecmp(line, "Retry-After:", 12) == 0)
                r->retry_after_s = strtoll(line + 12, NULL, 10);
        else if (strncasecmp(line, "X-Tariff-Hash:", 14) == 0)
                snprintf(r->tariff_hash, sizeof(r->tariff_hash), "%s",
                         line + 14 + strspn(line + 14, " "));
        return len;
}

static void set_tls(agent_http *h)
{
        if (h->ca_file)
                curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca_file);
        if (h->cert_file)
                curl_easy_setopt(h->curl, CURLOPT_SSLCERT, h->cert_file);
        if (h->key_file)
                curl_easy_setopt(h->curl, CURLOPT_SSLKEY, h->key_file);
        curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
}

int agent_http_request(agent_http *h, const char *method, const char *path, const char *body,
                       struct agent_http_resp *out, char *err, size_t len)
{
        struct curl_slist *hdr = NULL;
        char url[1024];
        CURLcode rc;

        memset(out, 0, sizeof(*out));
        out->retry_after_s = -1;
        snprintf(url, sizeof(url), "%s%s", h->url, path);
        curl_easy_reset(h->curl);
        curl_easy_setopt(h->curl, CURLOPT_URL, url);
        curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)h->timeout_s);
        curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, out);
        /* A body over 64 KB goes out through an upload buffer, 64 KB by
         * default, on top of the body itself: 16 KB (the least) is one TLS
         * record, and 48 KB less at the gateway's peak (bench/footprint.md). */
        curl_easy_setopt(h->curl, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
        set_tls(h);
        if (h->auth)
                hdr = curl_slist_append(hdr, h->auth);
        if (strcmp(method, "POST") == 0) {
                hdr = curl_slist_append(hdr, "Content-Type: application/json");
                curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
        }
        curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
        rc = curl_easy_perform(h->curl);
        curl_slist_free_all(hdr);
        if (rc != CURLE_OK) {
                snprintf(err, len, "%s %s: %s", method, url, curl_easy_strerror(rc));
                free(out->body);
                out->body = NULL;
                return rc == CURLE_OPERATION_TIMEDOUT ? MB_ETIMEDOUT : MB_EIO;
        }
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &out->status);
        return MB_OK;
}
