/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_modbus_ctl: drive the modbus plugin from the command line, for the
 * integration tests of what meterbox-agent --once cannot do on its own:
 * relay control and reconnection.  Not a unit test itself; it runs the
 * plugin's descriptor with a host made of test_sim_host.c's config getters,
 * the real monotonic clock and logging to stderr.
 *
 *   test_modbus_ctl (--tcp HOST:PORT | --rtu DEVICE [--baud N])
 *                   [--bus-opt KEY=VALUE]... [--opt KEY=VALUE]... [--address A]
 *                   [--timeout MS] [-v] COMMAND...   (bus timeout 1000 ms, meter 3000 ms)
 *
 * Commands, run in order: read, query, trip, close, sleep:MS, wait:FILE (until
 * FILE exists).  Each prints one line on stdout:
 *   read ok import_wh=N ... relay=closed | read error CODE: MESSAGE
 *   trip open | trip error CODE: MESSAGE
 * Exit status: 0 if every command succeeded, 1 otherwise, 2 on bad usage.
 * Option values that look like integers are integers, true/false booleans,
 * anything else a string.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;

#define MAX_KV 32

static int verbose;

static void ctl_log(const mb_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ctl_log(const mb_ctx *ctx, int level, const char *fmt, ...)
{
        va_list ap;

        if (level >= MB_LOG_DEBUG && !verbose)
                return;
        fprintf(stderr, "log %d: ", level);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static void ctl_log_frame(const mb_ctx *ctx, const char *dir, const uint8_t *buf, size_t len)
{
        if (!verbose)
                return;
        fprintf(stderr, "frame %s:", dir);
        for (size_t i = 0; i < len; i++)
                fprintf(stderr, " %02X", buf[i]);
        fputc('\n', stderr);
}

static int64_t real_mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_time(void)
{
        return (int64_t)time(NULL);
}

static void add_kv(struct fake_kv *kv, int *n, char *arg)
{
        char *eq = strchr(arg, '='), *end;
        long long v;

        if (!eq || *n >= MAX_KV - 1) {
                fprintf(stderr, "test_modbus_ctl: bad option '%s' (KEY=VALUE)\n", arg);
                exit(2);
        }
        *eq = '\0';
        kv[*n].key = arg;
        errno = 0;
        v = strtoll(eq + 1, &end, 0);
        if (eq[1] && !*end && !errno) {
                kv[*n].type = FK_INT;
                kv[*n].i = v;
        } else if (strcmp(eq + 1, "true") == 0 || strcmp(eq + 1, "false") == 0) {
                kv[*n].type = FK_BOOL;
                kv[*n].i = eq[1] == 't';
        } else {
                kv[*n].type = FK_STR;
                kv[*n].s = eq + 1;
        }
        (*n)++;
}

static const char *relay_name(int s)
{
        return s == MB_RELAY_CLOSED ? "closed" : s == MB_RELAY_OPEN ? "open" : "unknown";
}

static void print_reading(const mb_reading *r)
{
        printf("read ok");
        if (r->fields & MB_F_IMPORT)
                printf(" import_wh=%" PRId64, r->import_wh);
        if (r->fields & MB_F_EXPORT)
                printf(" export_wh=%" PRId64, r->export_wh);
        if (r->fields & MB_F_POWER)
                printf(" power_mw=%" PRId64, r->power_mw);
        if (r->fields & MB_F_VOLTAGE)
                printf(" voltage_mv=%" PRId32, r->voltage_mv[0]);
        if (r->fields & MB_F_RELAY)
                printf(" relay=%s", relay_name(r->relay));
        printf("\n");
}

static int run(const mb_plugin *p, void *meter, const char *cmd)
{
        mb_err err = {0};
        mb_reading r;
        int rc, state = MB_RELAY_UNKNOWN, op;

        if (strncmp(cmd, "sleep:", 6) == 0) {
                long ms = atol(cmd + 6);
                struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
                nanosleep(&ts, NULL);
                return 0;
        }
        if (strncmp(cmd, "wait:", 5) == 0) {
                while (access(cmd + 5, F_OK) != 0)
                        usleep(20000);
                return 0;
        }
        if (strcmp(cmd, "read") == 0) {
                memset(&r, 0, sizeof(r));
                r.size = sizeof(r);
                rc = p->meter_read(meter, &r, &err);
                if (rc == MB_OK)
                        print_reading(&r);
        } else {
                if (strcmp(cmd, "query") == 0)
                        op = MB_CTL_QUERY;
                else if (strcmp(cmd, "trip") == 0)
                        op = MB_CTL_TRIP;
                else if (strcmp(cmd, "close") == 0)
                        op = MB_CTL_CLOSE;
                else if (strcmp(cmd, "arm") == 0)
                        op = MB_CTL_ARM;
                else {
                        fprintf(stderr, "test_modbus_ctl: unknown command '%s'\n", cmd);
                        exit(2);
                }
                rc = p->meter_control(meter, op, &state, &err);
                if (rc == MB_OK)
                        printf("%s %s\n", cmd, relay_name(state));
        }
        if (rc != MB_OK)
                printf("%s error %s: %s\n", cmd, mb_strerror(rc), err.msg);
        fflush(stdout);
        return rc == MB_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
        static struct fake_kv bus_kv[MAX_KV], kv[MAX_KV];
        static mb_ctx link_ctx, meter_ctx;
        int n_bus = 0, n_kv = 0, failed = 0, i;
        mb_link_params bus = {.name = "ctl",
                              .type = "none",
                              .baud = 19200,
                              .parity = 'N',
                              .data_bits = 8,
                              .stop_bits = 1,
                              .timeout_ms = 1000};
        mb_meter_params mp = {.name = "ctl", .address = NULL, .timeout_ms = 3000};
        mb_host host = fake_host;
        const mb_plugin *p = &meterbox_plugin;
        void *link = NULL, *meter = NULL;
        mb_err err = {0};
        char hostbuf[256];

        host.log = ctl_log;
        host.log_frame = ctl_log_frame;
        host.monotonic_ms = real_mono;
        host.realtime_s = real_time;
        for (i = 1; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
                if (strcmp(a, "-v") == 0) {
                        verbose = 1;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "test_modbus_ctl: %s needs a value\n", a);
                        return 2;
                }
                i++;
                if (strcmp(a, "--tcp") == 0) {
                        char *colon;
                        snprintf(hostbuf, sizeof(hostbuf), "%s", v);
                        if (!(colon = strrchr(hostbuf, ':')))
                                return 2;
                        *colon = '\0';
                        bus.type = "tcp";
                        bus.host = hostbuf;
                        bus.port = atoi(colon + 1);
                } else if (strcmp(a, "--rtu") == 0) {
                        bus.type = "serial";
                        bus.device = v;
                } else if (strcmp(a, "--baud") == 0) {
                        bus.baud = atoi(v);
                } else if (strcmp(a, "--bus-opt") == 0) {
                        add_kv(bus_kv, &n_bus, argv[i]);
                } else if (strcmp(a, "--opt") == 0) {
                        add_kv(kv, &n_kv, argv[i]);
                } else if (strcmp(a, "--address") == 0) {
                        mp.address = v;
                } else if (strcmp(a, "--timeout") == 0) {
                        mp.timeout_ms = atoi(v);
                } else {
                        fprintf(stderr, "test_modbus_ctl: unknown option %s\n", a);
                        return 2;
                }
        }
        link_ctx.kv = bus_kv;
        meter_ctx.kv = kv;
        if (p->link_open(&host, &link_ctx, &bus, &link, &err) != MB_OK) {
                printf("link_open error %s: %s %s\n", mb_strerror(err.code), err.msg,
                       fake_cfg_last_error());
                return 1;
        }
        if (p->meter_new(&host, &meter_ctx, link, &mp, &meter, &err) != MB_OK) {
                printf("meter_new error %s: %s %s\n", mb_strerror(err.code), err.msg,
                       fake_cfg_last_error());
                p->link_close(link);
                return 1;
        }
        for (; i < argc; i++)
                failed |= run(p, meter, argv[i]);
        p->meter_free(meter);
        p->link_close(link);
        return failed ? 1 : 0;
}
