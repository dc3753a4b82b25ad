/* SPDX-License-Identifier: Apache-2.0 */
/* The counters behind /metrics and their text rendering. */
#include "srv_metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "srv_buf.h"

typedef _Atomic uint64_t counter;

/* Latency buckets, upper bounds in microseconds (Prometheus "le" seconds). */
static const int64_t bucket_us[] = {1000,   5000,   10000,   25000,   50000,   100000,
                                    250000, 500000, 1000000, 2500000, 5000000, 10000000};
#define NBUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))
#define NSLOTS (SRV_METRICS_MAX_ROUTES + 2) /* + other + static */
#define SLOT_OTHER SRV_METRICS_MAX_ROUTES
#define SLOT_STATIC (SRV_METRICS_MAX_ROUTES + 1)

/* Error codes a readings batch can be refused with; the last is "other". */
static const char *const reject_codes[] = {
    "bad_json",      "missing_field", "bad_field", "negative",      "out_of_range",
    "unknown_field", "unauthorized",  "forbidden", "unknown_meter", "unknown_gateway",
    "conflict",      "too_large",     "busy",      "internal",      "other"};
#define NREJECT (sizeof(reject_codes) / sizeof(reject_codes[0]))

static struct {
        counter status[NSLOTS][5]; /* 1xx .. 5xx */
        counter bucket[NSLOTS][NBUCKETS];
        counter count[NSLOTS];
        counter sum_us[NSLOTS];
        counter batches, readings, events;
        counter rejected[NREJECT];
        counter settle_runs, bills_settled, bills_held, bills_failed;
        counter hook_ok, hook_failed;
} m;

static void inc(counter *c, uint64_t n)
{
        atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t get(counter *c)
{
        return atomic_load_explicit(c, memory_order_relaxed);
}

int64_t srv_metrics_now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int slot_of(int route)
{
        if (route == SRV_METRICS_STATIC)
                return SLOT_STATIC;
        if (route < 0 || route >= SRV_METRICS_MAX_ROUTES)
                return SLOT_OTHER;
        return route;
}

void srv_metrics_request(int route, int status, int64_t usec)
{
        int s = slot_of(route), cls = status / 100 - 1;

        if (cls < 0 || cls > 4)
                cls = 4;
        if (usec < 0)
                usec = 0;
        inc(&m.status[s][cls], 1);
        for (size_t i = 0; i < NBUCKETS; i++)
                if (usec <= bucket_us[i]) {
                        inc(&m.bucket[s][i], 1); /* cumulated when rendered */
                        break;
                }
        inc(&m.count[s], 1);
        inc(&m.sum_us[s], (uint64_t)usec);
}

void srv_metrics_batch_accepted(size_t readings, size_t events)
{
        inc(&m.batches, 1);
        inc(&m.readings, readings);
        inc(&m.events, events);
}

void srv_metrics_batch_rejected(const char *code)
{
        size_t i = 0;

        while (i + 1 < NREJECT && (code == NULL || strcmp(code, reject_codes[i]) != 0))
                i++;
        inc(&m.rejected[i], 1);
}

void srv_metrics_settlement(int settled, int held, int failed)
{
        inc(&m.settle_runs, 1);
        inc(&m.bills_settled, (uint64_t)(settled > 0 ? settled : 0));
        inc(&m.bills_held, (uint64_t)(held > 0 ? held : 0));
        inc(&m.bills_failed, (uint64_t)(failed > 0 ? failed : 0));
}

void srv_metrics_webhook(int ok)
{
        inc(ok ? &m.hook_ok : &m.hook_failed, 1);
}

void srv_metrics_reset(void)
{
        memset(&m, 0, sizeof(m));
}

/* Seconds from microseconds without floating point: 2500000 -> "2.5". */
static void fmt_seconds(char *out, size_t len, uint64_t us)
{
        char frac[8];
        int n;

        snprintf(frac, sizeof(frac), "%06llu", (unsigned long long)(us % 1000000));
        for (n = 6; n > 0 && frac[n - 1] == '0'; n--)
                frac[n - 1] = '\0';
        snprintf(out, len, "%llu%s%s", (unsigned long long)(us / 1000000), n ? "." : "", frac);
}

/* A label value with \, " and newline escaped as the format requires. */
static void label(struct srv_buf *b, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\')
                        srv_buf_puts(b, "\\\\");
                else if (*s == '"')
                        srv_buf_puts(b, "\\\"");
                else if (*s == '\n')
                        srv_buf_puts(b, "\\n");
                else
                        srv_buf_add(b, s, 1);
        }
}

static void head(struct srv_buf *b, const char *name, const char *type, const char *help)
{
        srv_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void route_labels(struct srv_buf *b, const struct srv_route *routes, size_t n, int s)
{
        srv_buf_puts(b, "method=\"");
        if (s < (int)n && s < SRV_METRICS_MAX_ROUTES) {
                label(b, routes[s].method);
                srv_buf_puts(b, "\",route=\"");
                label(b, routes[s].pattern);
        } else {
                srv_buf_puts(b, s == SLOT_STATIC ? "GET\",route=\"static" : "any\",route=\"other");
        }
        srv_buf_puts(b, "\"");
}

static int slot_used(size_t n, int s)
{
        return (s < (int)n || s >= SRV_METRICS_MAX_ROUTES) && get(&m.count[s]) > 0;
}

static void render_requests(struct srv_buf *b, const struct srv_route *routes, size_t n)
{
        char le[32];

        head(b, "meterbox_http_requests_total", "counter",
             "HTTP requests by route and status class.");
        for (int s = 0; s < NSLOTS; s++) {
                for (int c = 0; slot_used(n, s) && c < 5; c++) {
                        if (get(&m.status[s][c]) == 0)
                                continue;
                        srv_buf_puts(b, "meterbox_http_requests_total{");
                        route_labels(b, routes, n, s);
                        srv_buf_printf(b, ",code=\"%dxx\"} %llu\n", c + 1,
                                       (unsigned long long)get(&m.status[s][c]));
                }
        }
        head(b, "meterbox_http_request_duration_seconds", "histogram",
             "Time from routing to the response being queued, by route.");
        for (int s = 0; s < NSLOTS; s++) {
                uint64_t cum = 0, count;

                if (!slot_used(n, s))
                        continue;
                count = get(&m.count[s]);
                for (size_t i = 0; i < NBUCKETS; i++) {
                        cum += get(&m.bucket[s][i]);
                        fmt_seconds(le, sizeof(le), (uint64_t)bucket_us[i]);
                        srv_buf_puts(b, "meterbox_http_request_duration_seconds_bucket{");
                        route_labels(b, routes, n, s);
                        srv_buf_printf(b, ",le=\"%s\"} %llu\n", le, (unsigned long long)cum);
                }
                srv_buf_puts(b, "meterbox_http_request_duration_seconds_bucket{");
                route_labels(b, routes, n, s);
                srv_buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long)count);
                fmt_seconds(le, sizeof(le), get(&m.sum_us[s]));
                srv_buf_puts(b, "meterbox_http_request_duration_seconds_sum{");
                route_labels(b, routes, n, s);
                srv_buf_printf(b, "} %s\n", le);
                srv_buf_puts(b, "meterbox_http_request_duration_seconds_count{");
                route_labels(b, routes, n, s);
                srv_buf_printf(b, "} %llu\n", (unsigned long long)count);
        }
}

static void counter_line(struct srv_buf *b, const char *name, const char *help, counter *c)
{
        head(b, name, "counter", help);
        srv_buf_printf(b, "%s %llu\n", name, (unsigned long long)get(c));
}

static void gauge_line(struct srv_buf *b, const char *name, const char *help, int64_t v)
{
        if (v < 0)
                return;
        head(b, name, "gauge", help);
        srv_buf_printf(b, "%s %lld\n", name, (long long)v);
}

static void render_ingest(struct srv_buf *b)
{
        counter_line(b, "meterbox_readings_batches_total", "Readings batches accepted.",
                     &m.batches);
        counter_line(b, "meterbox_readings_received_total",
                     "Readings in accepted batches (replays included).", &m.readings);
        counter_line(b, "meterbox_events_received_total", "Agent events in accepted batches.",
                     &m.events);
        head(b, "meterbox_readings_batches_rejected_total", "counter",
             "Readings batches refused, by error code.");
        for (size_t i = 0; i < NREJECT; i++)
                srv_buf_printf(b, "meterbox_readings_batches_rejected_total{reason=\"%s\"} %llu\n",
                               reject_codes[i], (unsigned long long)get(&m.rejected[i]));
        counter_line(b, "meterbox_settlement_runs_total", "Month closes run (by hand or schedule).",
                     &m.settle_runs);
        head(b, "meterbox_settlement_bills_total", "counter", "Bills by month-close outcome.");
        srv_buf_printf(b, "meterbox_settlement_bills_total{outcome=\"settled\"} %llu\n",
                       (unsigned long long)get(&m.bills_settled));
        srv_buf_printf(b, "meterbox_settlement_bills_total{outcome=\"held\"} %llu\n",
                       (unsigned long long)get(&m.bills_held));
        srv_buf_printf(b, "meterbox_settlement_bills_total{outcome=\"failed\"} %llu\n",
                       (unsigned long long)get(&m.bills_failed));
        head(b, "meterbox_webhook_deliveries_total", "counter",
             "Webhook delivery attempts by result.");
        srv_buf_printf(b, "meterbox_webhook_deliveries_total{result=\"ok\"} %llu\n",
                       (unsigned long long)get(&m.hook_ok));
        srv_buf_printf(b, "meterbox_webhook_deliveries_total{result=\"failed\"} %llu\n",
                       (unsigned long long)get(&m.hook_failed));
}

static void render_gauges(struct srv_buf *b, const struct srv_metrics_gauges *g)
{
        static const char *const states[] = {"pending", "delivered", "done", "failed"};
        char help[128];

        gauge_line(b, "meterbox_gateways", "Registered gateways.", g->gateways);
        snprintf(help, sizeof(help), "Gateways heard from in the last %lld seconds.",
                 (long long)g->gateway_window_s);
        gauge_line(b, "meterbox_gateways_seen", help, g->gateways_seen);
        gauge_line(b, "meterbox_meters", "Meters bound on this server.", g->meters);
        gauge_line(b, "meterbox_accounts", "Accounts.", g->accounts);
        if (g->commands[0] >= 0) {
                head(b, "meterbox_commands", "gauge", "Relay commands by state.");
                for (int i = 0; i < 4; i++)
                        srv_buf_printf(b, "meterbox_commands{state=\"%s\"} %lld\n", states[i],
                                       (long long)g->commands[i]);
        }
        gauge_line(b, "meterbox_bills_held", "Bills held for missing data.", g->bills_held);
        if (g->webhook_pending >= 0) {
                head(b, "meterbox_webhook_queue", "gauge", "Webhook deliveries queued, by state.");
                srv_buf_printf(b, "meterbox_webhook_queue{state=\"pending\"} %lld\n",
                               (long long)g->webhook_pending);
                srv_buf_printf(b, "meterbox_webhook_queue{state=\"dead\"} %lld\n",
                               (long long)g->webhook_dead);
        }
        gauge_line(b, "meterbox_database_bytes", "Size of the database on disk.", g->db_bytes);
}

char *srv_metrics_render(const struct srv_route *routes, size_t n,
                         const struct srv_metrics_gauges *g)
{
        struct srv_buf b = {0};

        render_requests(&b, routes, n);
        render_ingest(&b);
        if (g)
                render_gauges(&b, g);
        return srv_buf_take(&b);
}
