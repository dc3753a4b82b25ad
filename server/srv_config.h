/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's configuration (/etc/meterbox/server.conf, libconfig), parsed
 * and validated with every problem reported as "file:line: message".
 * Unknown keys are errors.  See etc/server.conf for every key.
 */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <libconfig.h>
#include <stdint.h>

#include "mb_conf.h"
#include "srv_mon_config.h"

struct srv_config {
        config_t lc; /* owns every string below */
        const char *listen_address;
        int port;
        int threads;
        /* reverse proxies whose X-Forwarded-Proto is believed (numeric
         * addresses, as the connection comes from) */
        const char *trusted_proxies[8];
        int n_trusted_proxies;
        const char *tls_cert, *tls_key; /* both NULL: plain HTTP */
        const char *tls_client_ca;      /* gateways may present certificates from this CA */
        const char *db_backend;         /* "sqlite" or "postgresql" */
        const char *db_path;            /* sqlite */
        const char *db_conninfo;        /* postgresql: libpq conninfo; NULL for sqlite */
        int busy_timeout_ms;
        int db_deadline_ms;       /* PostgreSQL: a round trip's deadline (0: none) */
        int db_connect_timeout_s; /* PostgreSQL: per host */
        int db_failover_wait_ms;  /* PostgreSQL: wait for a primary for work in flight */
        const char *timezone;     /* NULL: the process's TZ */
        int64_t max_body_bytes;
        int max_readings, max_events;
        int requests_per_minute;    /* per token; 0: no limit */
        int connection_timeout_s;   /* an idle connection is closed after this */
        int request_deadline_s;     /* ... and one that takes longer for a request; 0: never */
        int max_connections;        /* open at once, all clients together */
        int max_connections_per_ip; /* open at once from one address; 0: no limit */
        int settle_enabled;
        int settle_day;         /* day of month the previous month is settled */
        int settle_minute;      /* local minute of that day (HH:MM) */
        int64_t jump_milli;     /* flag a month whose use changed beyond this ratio, x1000 */
        int command_ttl_s;      /* pending commands expire after this */
        int due_days;           /* a monthly bill is due this many days after it is issued */
        int grace_days;         /* then an alarm this many days after it is due */
        int overdue_trip_days;  /* then a trip this many days after the alarm; -1: never */
        uint8_t cmd_secret[64]; /* commands.signing_key_file; empty: unsigned commands */
        size_t cmd_secret_len;
        int64_t alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen; /* account defaults */
        const char *log_level;
        int log_syslog;
        struct srv_mon_config mon;        /* dashboard (srv_mon_config.h) */
        struct srv_webhooks_config hooks; /* webhooks */
};

/* Parse and validate path.  A new config (srv_config_free) when d got no
 * message, else NULL with every problem in d (the caller's). */
struct srv_config *srv_config_load(const char *path, mb_diag *d);
void srv_config_free(struct srv_config *c);

#endif
