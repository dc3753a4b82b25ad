/* SPDX-License-Identifier: Apache-2.0 */
/* /metrics text: the exposition format of every counter family, cumulative
 * histogram buckets, label escaping, seconds written without floating
 * point, gauges left out when unknown, and counters exact under threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "srv_metrics.h"

static const struct srv_route routes[] = {
    {"GET", "/api/v1/accounts/*", NULL, 0},
    {"POST", "/api/v1/readings", NULL, 0},
    {"GET", "/weird\"path\\x", NULL, 0},
};

static int setup(void **state)
{
        srv_metrics_reset();
        return 0;
}

static void has(const char *text, const char *line)
{
        if (strstr(text, line) == NULL)
                fail_msg("missing: %s\n--- in ---\n%s", line, text);
}

static void requests_and_histogram(void **state)
{
        char *t;

        srv_metrics_request(0, 200, 800);      /* 0.0008 s: first bucket */
        srv_metrics_request(0, 404, 30000);    /* 0.03 s */
        srv_metrics_request(0, 200, 20000000); /* 20 s: only +Inf */
        srv_metrics_request(SRV_METRICS_OTHER, 404, 10);
        t = srv_metrics_render(routes, 3, NULL);
        assert_non_null(t);
        has(t, "# TYPE meterbox_http_requests_total counter\n");
        has(t, "meterbox_http_requests_total{method=\"GET\",route=\"/api/v1/accounts/"
               "*\",code=\"2xx\"} 2\n");
        has(t, "meterbox_http_requests_total{method=\"GET\",route=\"/api/v1/accounts/"
               "*\",code=\"4xx\"} 1\n");
        has(t, "meterbox_http_requests_total{method=\"any\",route=\"other\",code=\"4xx\"} 1\n");
        has(t, "# TYPE meterbox_http_request_duration_seconds histogram\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"0.001\"} 1\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"0.025\"} 1\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"0.05\"} 2\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"2.5\"} 2\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"10\"} 2\n");
        has(t, "_bucket{method=\"GET\",route=\"/api/v1/accounts/*\",le=\"+Inf\"} 3\n");
        has(t, "_sum{method=\"GET\",route=\"/api/v1/accounts/*\"} 20.0308\n");
        has(t, "_count{method=\"GET\",route=\"/api/v1/accounts/*\"} 3\n");
        /* routes never called are left out */
        assert_null(strstr(t, "route=\"/api/v1/readings\""));
        assert_int_equal(t[strlen(t) - 1], '\n');
        free(t);
}

static void label_escaping(void **state)
{
        char *t;

        srv_metrics_request(2, 500, 1);
        t = srv_metrics_render(routes, 3, NULL);
        has(t, "route=\"/weird\\\"path\\\\x\",code=\"5xx\"} 1\n");
        free(t);
}

static void ingest_counters(void **state)
{
        char *t;

        srv_metrics_batch_accepted(3, 1);
        srv_metrics_batch_accepted(2, 0);
        srv_metrics_batch_rejected("conflict");
        srv_metrics_batch_rejected("something new");
        srv_metrics_batch_rejected(NULL);
        srv_metrics_settlement(5, 1, 0);
        srv_metrics_webhook(1);
        srv_metrics_webhook(0);
        t = srv_metrics_render(routes, 3, NULL);
        has(t, "meterbox_readings_received_total 5\n");
        has(t, "meterbox_events_received_total 1\n");
        has(t, "meterbox_readings_batches_total 2\n");
        has(t, "meterbox_readings_batches_rejected_total{reason=\"conflict\"} 1\n");
        has(t, "meterbox_readings_batches_rejected_total{reason=\"other\"} 2\n");
        has(t, "meterbox_readings_batches_rejected_total{reason=\"too_large\"} 0\n");
        has(t, "meterbox_settlement_runs_total 1\n");
        has(t, "meterbox_settlement_bills_total{outcome=\"settled\"} 5\n");
        has(t, "meterbox_webhook_deliveries_total{result=\"failed\"} 1\n");
        free(t);
}

static void gauges(void **state)
{
        struct srv_metrics_gauges g = {.gateways = 4,
                                       .gateways_seen = 3,
                                       .gateway_window_s = 900,
                                       .meters = 10,
                                       .accounts = -1,
                                       .commands = {1, 2, 3, 4},
                                       .bills_held = 0,
                                       .webhook_pending = -1,
                                       .db_bytes = 4096};
        char *t = srv_metrics_render(routes, 3, &g);

        has(t, "# HELP meterbox_gateways_seen Gateways heard from in the last 900 seconds.\n");
        has(t, "meterbox_gateways_seen 3\n");
        has(t, "meterbox_commands{state=\"failed\"} 4\n");
        has(t, "meterbox_database_bytes 4096\n");
        assert_null(strstr(t, "meterbox_accounts "));
        assert_null(strstr(t, "meterbox_webhook_queue"));
        free(t);
}

static void *hammer(void *arg)
{
        for (int i = 0; i < 10000; i++) {
                srv_metrics_request(1, 200, i % 2 ? 500 : 1500);
                srv_metrics_batch_accepted(1, 0);
        }
        return NULL;
}

static void thread_safe(void **state)
{
        pthread_t th[4];
        char *t;

        for (int i = 0; i < 4; i++)
                pthread_create(&th[i], NULL, hammer, NULL);
        for (int i = 0; i < 4; i++)
                pthread_join(th[i], NULL);
        t = srv_metrics_render(routes, 3, NULL);
        has(t, "meterbox_readings_batches_total 40000\n");
        has(t, "_count{method=\"POST\",route=\"/api/v1/readings\"} 40000\n");
        has(t, "_bucket{method=\"POST\",route=\"/api/v1/readings\",le=\"0.001\"} 20000\n");
        free(t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(requests_and_histogram, setup),
            cmocka_unit_test_setup(label_escaping, setup),
            cmocka_unit_test_setup(ingest_counters, setup),
            cmocka_unit_test_setup(gauges, setup),
            cmocka_unit_test_setup(thread_safe, setup),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
