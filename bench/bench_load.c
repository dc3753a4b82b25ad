/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_load: the ingest load client.  Several threads, each acting as a set
 * of gateways uploading in order (as agents do): batches of `per * rpm`
 * readings POSTed to /api/v1/readings with libcurl, one connection per
 * thread.  Prints readings, seconds and readings per second.
 *
 *   bench_load URL TOKENS-FILE CLIENTS BATCHES-PER-GATEWAY METERS-PER-GATEWAY
 *              READINGS-PER-METER T0
 *
 * TOKENS-FILE: one "gateway-index name token" per line.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "bench_gen.h"

struct gw {
        int64_t index;
        char name[64], auth[160];
};

struct client {
        const char *url;
        struct gw *gws;
        size_t n;
        int64_t batches, per, rpm, t0;
        int64_t sent, failed;
        pthread_t th;
};

static size_t sink(char *p, size_t size, size_t n, void *u)
{
        return size * n;
}

static char *make_batch(const struct gw *g, int64_t k, int64_t per, int64_t rpm, int64_t t0)
{
        size_t cap = (size_t)(per * rpm) * sizeof(((struct bench_reading *)0)->body) + 256, off;
        char *buf = malloc(cap);
        struct bench_reading r;

        if (buf == NULL)
                return NULL;
        off = (size_t)snprintf(buf, cap, "{\"gateway\":\"%s\",\"readings\":[", g->name);
        for (int64_t j = 0; j < per * rpm; j++) {
                bench_reading(g->index, per, rpm, k, j, t0, &r);
                off += (size_t)snprintf(buf + off, cap - off, "%s%s", j ? "," : "", r.body);
        }
        snprintf(buf + off, cap - off, "]}");
        return buf;
}

static void *run(void *arg)
{
        struct client *c = arg;
        CURL *h = curl_easy_init();
        char url[256];

        snprintf(url, sizeof(url), "%s/api/v1/readings", c->url);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
        for (int64_t k = 0; k < c->batches; k++) {
                for (size_t i = 0; i < c->n; i++) {
                        struct curl_slist *hd = NULL;
                        char *body = make_batch(&c->gws[i], k, c->per, c->rpm, c->t0);
                        long code = 0;

                        hd = curl_slist_append(hd, c->gws[i].auth);
                        hd = curl_slist_append(hd, "Content-Type: application/json");
                        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
                        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
                        if (curl_easy_perform(h) == CURLE_OK)
                                curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
                        if (code == 200)
                                c->sent += c->per * c->rpm;
                        else if (c->failed++ < 3)
                                fprintf(stderr, "bench_load: %s batch %lld: HTTP %ld\n",
                                        c->gws[i].name, (long long)k, code);
                        curl_slist_free_all(hd);
                        free(body);
                }
        }
        curl_easy_cleanup(h);
        return NULL;
}

int main(int argc, char **argv)
{
        struct gw *gws = NULL;
        size_t n = 0, cap = 0;
        struct client *cs;
        struct timespec a, b;
        int64_t sent = 0, failed = 0;
        long long idx;
        char name[64], tok[128];
        FILE *f;
        int nc;

        if (argc != 8) {
                fprintf(stderr, "usage: bench_load URL TOKENS CLIENTS BATCHES PER RPM T0\n");
                return 2;
        }
        f = fopen(argv[2], "r");
        if (f == NULL) {
                perror(argv[2]);
                return 2;
        }
        while (fscanf(f, "%lld %63s %127s", &idx, name, tok) == 3) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        gws = realloc(gws, cap * sizeof(*gws));
                }
                gws[n].index = idx;
                snprintf(gws[n].name, sizeof(gws[n].name), "%s", name);
                snprintf(gws[n].auth, sizeof(gws[n].auth), "Authorization: Bearer %s", tok);
                n++;
        }
        fclose(f);
        nc = atoi(argv[3]);
        if (nc < 1 || (size_t)nc > n) {
                fprintf(stderr, "bench_load: need 1..%zu clients\n", n);
                return 2;
        }
        curl_global_init(CURL_GLOBAL_ALL);
        cs = calloc((size_t)nc, sizeof(*cs));
        for (int i = 0; i < nc; i++) {
                cs[i].url = argv[1];
                cs[i].gws = gws + n * (size_t)i / (size_t)nc;
                cs[i].n = n * (size_t)(i + 1) / (size_t)nc - n * (size_t)i / (size_t)nc;
                cs[i].batches = atoll(argv[4]);
                cs[i].per = atoll(argv[5]);
                cs[i].rpm = atoll(argv[6]);
                cs[i].t0 = atoll(argv[7]);
        }
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (int i = 0; i < nc; i++)
                pthread_create(&cs[i].th, NULL, run, &cs[i]);
        for (int i = 0; i < nc; i++) {
                pthread_join(cs[i].th, NULL);
                sent += cs[i].sent;
                failed += cs[i].failed;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        printf("readings %lld seconds %.3f rate %.0f failed_batches %lld\n", (long long)sent, s,
               (double)sent / s, (long long)failed);
        free(cs);
        free(gws);
        curl_global_cleanup();
        return failed ? 1 : 0;
}
