/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built dlt645.so, dlopen()ed with a small fake host table, against the
 * DL/T 645 meter simulator (tests/integration/dlt645_sim.py) on a pty:
 * reading every quantity, the line's disturbances, error replies, remote
 * control (trip, arm, close, alarm, protect) with its password check, the
 * relay read-back, address discovery, time sync, and the options' checks.
 * No assertion depends on how long anything took.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <meterbox/plugin.h>

/* ---- a fake host ---- */

enum kv_type { KV_END = 0, KV_INT, KV_BOOL, KV_STR };

struct kv {
        const char *key;
        enum kv_type type;
        int64_t i;
        const char *s;
        int used;
};

#define I(k, v)                                                                                    \
        {                                                                                          \
                .key = (k), .type = KV_INT, .i = (v)                                               \
        }
#define B(k, v)                                                                                    \
        {                                                                                          \
                .key = (k), .type = KV_BOOL, .i = (v)                                              \
        }
#define S(k, v)                                                                                    \
        {                                                                                          \
                .key = (k), .type = KV_STR, .s = (v)                                               \
        }
#define END                                                                                        \
        {                                                                                          \
                .key = NULL, .type = KV_END                                                        \
        }

struct mb_ctx {
        struct kv *kv;
};

static char logbuf[1 << 17];
static size_t loglen;
static int cfg_errors, frames_tx, frames_rx;
static int64_t fake_now; /* host->realtime_s; 0: the real clock */

static void append(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void append(const char *fmt, ...)
{
        va_list ap;
        int n;

        if (loglen >= sizeof(logbuf) - 1)
                return;
        va_start(ap, fmt);
        n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
        va_end(ap);
        if (n > 0)
                loglen += (size_t)n;
        if (loglen >= sizeof(logbuf))
                loglen = sizeof(logbuf) - 1;
}

static void h_log(const mb_ctx *ctx, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void h_log(const mb_ctx *ctx, int level, const char *fmt, ...)
{
        char line[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        append("<%d> %s\n", level, line);
}

static void h_log_frame(const mb_ctx *ctx, const char *dir, const uint8_t *buf, size_t len)
{
        append("frame %s:", dir);
        for (size_t i = 0; i < len; i++)
                append(" %02X", buf[i]);
        append("\n");
        if (strcmp(dir, "tx") == 0)
                frames_tx++;
        else if (strcmp(dir, "rx") == 0)
                frames_rx++;
}

static struct kv *find(mb_ctx *ctx, const char *key)
{
        for (struct kv *k = ctx && ctx->kv ? ctx->kv : NULL; k && k->type != KV_END; k++)
                if (strcmp(k->key, key) == 0) {
                        k->used = 1;
                        return k;
                }
        return NULL;
}

static int wrong(const char *key)
{
        cfg_errors++;
        append("cfg: %s: wrong type\n", key);
        return MB_ECONFIG;
}

static int h_int(mb_ctx *ctx, const char *key, int64_t *out)
{
        struct kv *k = find(ctx, key);

        if (!k)
                return MB_ENOENT;
        if (k->type != KV_INT)
                return wrong(key);
        *out = k->i;
        return MB_OK;
}

static int h_bool(mb_ctx *ctx, const char *key, int *out)
{
        struct kv *k = find(ctx, key);

        if (!k)
                return MB_ENOENT;
        if (k->type != KV_BOOL)
                return wrong(key);
        *out = (int)k->i;
        return MB_OK;
}

static int h_string(mb_ctx *ctx, const char *key, const char **out)
{
        struct kv *k = find(ctx, key);

        if (!k)
                return MB_ENOENT;
        if (k->type != KV_STR)
                return wrong(key);
        *out = k->s;
        return MB_OK;
}

static int h_double(mb_ctx *ctx, const char *key, double *out)
{
        return find(ctx, key) ? wrong(key) : MB_ENOENT;
}

static int h_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int h_error(mb_ctx *ctx, const char *key, const char *fmt, ...)
{
        char msg[400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cfg_errors++;
        append("cfg: %s: %s\n", key, msg);
        return MB_ECONFIG;
}

static int64_t h_mono(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t h_real(void)
{
        return fake_now ? fake_now : (int64_t)time(NULL);
}

static const mb_host host = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(mb_host),
    .log = h_log,
    .log_frame = h_log_frame,
    .cfg_int = h_int,
    .cfg_bool = h_bool,
    .cfg_string = h_string,
    .cfg_double = h_double,
    .cfg_error = h_error,
    .monotonic_ms = h_mono,
    .realtime_s = h_real,
};

static void reset_log(void)
{
        loglen = 0;
        logbuf[0] = '\0';
        cfg_errors = frames_tx = frames_rx = 0;
        fake_now = 0;
}

static int log_has(const char *s)
{
        return strstr(logbuf, s) != NULL;
}

/* ---- the plugin ---- */

static void *so;
static const mb_plugin *P;

static int load_plugin(void **state)
{
        so = dlopen(DLT_PLUGIN, RTLD_NOW | RTLD_LOCAL);
        if (!so) {
                fprintf(stderr, "dlopen %s: %s\n", DLT_PLUGIN, dlerror());
                return -1;
        }
        P = dlsym(so, MB_PLUGIN_SYMBOL);
        if (!P || P->abi_version != MB_PLUGIN_ABI_VERSION || P->size != sizeof(mb_plugin))
                return -1;
        signal(SIGPIPE, SIG_IGN);
        return 0;
}

static int unload_plugin(void **state)
{
        if (so)
                dlclose(so);
        return 0;
}

/* ---- the simulator ---- */

struct sim {
        pid_t pid;
        char dir[64];
        char path[512]; /* the pty slave */
        char log[128];
};

static const char *const M1 =
    "{\"address\": \"123456789012\", \"forward\": \"12345.67\","
    " \"rates\": [\"1000.01\", \"2000.02\", \"3000.03\", \"6345.61\"], \"reverse\": \"12.34\","
    " \"combined\": \"12358.01\", \"voltage\": [\"220.1\"], \"current\": [\"-5.123\"],"
    " \"power\": \"-1.2345\", \"pf\": \"-0.987\", \"freq\": \"50.01\", \"date\": \"2024-03-15\","
    " \"time\": \"12:34:56\", \"settle_day\": \"0100\", \"frozen_forward\": \"12000.50\","
    " \"remain\": \"123.45\", \"overdraft\": \"6.78\", \"relay\": \"closed\","
    " \"password\": \"02123456\"}";
/* 2024-03-15 12:34:56 at UTC+8. */
#define M1_TIME INT64_C(1710477296)

static const char *const M2 =
    "{\"address\": \"000000000002\", \"forward\": \"99.99\","
    " \"rates\": [\"10.00\", \"20.00\", \"30.00\", \"39.99\"], \"reverse\": \"0.00\","
    " \"voltage\": [\"220.1\", \"221.2\", \"219.9\"], \"current\": [\"1.000\", \"-2.500\", "
    "\"0.001\"],"
    " \"power\": \"0.5000\", \"pf\": \"1.000\", \"freq\": \"49.99\", \"follow_up\": true,"
    " \"password\": \"02123456\", \"direct_close\": true}";

static const char *const M97 =
    "{\"address\": \"000000000097\", \"protocol\": \"1997\", \"forward\": \"321.09\","
    " \"rates\": [\"1.00\", \"2.00\", \"3.00\", \"315.09\"], \"reverse\": \"0.10\","
    " \"voltage\": [\"230\"], \"current\": [\"12.34\"], \"power\": \"2.7162\", \"pf\": \"0.905\","
    " \"date\": \"2024-03-15\", \"time\": \"12:34:56\"}";

static void sim_start(struct sim *s, const char *meters, const char *extra)
{
        int out[2];
        char file[128], line[512] = "";
        size_t got = 0;
        FILE *f;

        memset(s, 0, sizeof(*s));
        snprintf(s->dir, sizeof(s->dir), "/tmp/dlt645-test.XXXXXX");
        assert_non_null(mkdtemp(s->dir));
        snprintf(file, sizeof(file), "%s/meters.json", s->dir);
        snprintf(s->log, sizeof(s->log), "%s/sim.log", s->dir);
        assert_non_null(f = fopen(file, "w"));
        fprintf(f, "[%s]\n", meters);
        fclose(f);
        assert_int_equal(pipe(out), 0);
        s->pid = fork();
        assert_true(s->pid >= 0);
        if (s->pid == 0) {
                char cmd[1024];
                dup2(out[1], 1);
                close(out[0]);
                close(out[1]);
                snprintf(cmd, sizeof(cmd), "exec /usr/bin/python3 %s --meters %s --log %s %s",
                         DLT_SIM, file, s->log, extra ? extra : "");
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        close(out[1]);
        /* "PTY /dev/pts/N\n" */
        while (!strchr(line, '\n') && got < sizeof(line) - 1) {
                struct pollfd p = {.fd = out[0], .events = POLLIN};
                ssize_t n;
                if (poll(&p, 1, 20000) <= 0)
                        break;
                n = read(out[0], line + got, sizeof(line) - 1 - got);
                if (n <= 0)
                        break;
                got += (size_t)n;
                line[got] = '\0';
        }
        close(out[0]);
        if (strncmp(line, "PTY ", 4) != 0 || !strchr(line, '\n'))
                fail_msg("simulator did not start: '%s'", line);
        *strchr(line, '\n') = '\0';
        snprintf(s->path, sizeof(s->path), "%s", line + 4);
}

static void sim_stop(struct sim *s)
{
        char cmd[256];

        if (s->pid > 0) {
                kill(s->pid, SIGTERM);
                waitpid(s->pid, NULL, 0);
                s->pid = 0;
        }
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
        if (s->dir[0] && system(cmd) != 0)
                fprintf(stderr, "could not remove %s\n", s->dir);
}

/* How many lines of the simulator's log contain every one of the strings. */
static int sim_count(const struct sim *s, const char *a, const char *b)
{
        char line[2048];
        int n = 0;
        FILE *f = fopen(s->log, "r");

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f))
                n += strstr(line, a) && (!b || strstr(line, b));
        fclose(f);
        return n;
}

/* sim_count, once the simulator has logged at least want such lines (a
 * broadcast has no reply to wait for), or given up after 10 s. */
static int sim_wait(const struct sim *s, const char *a, const char *b, int want)
{
        int n;

        for (int i = 0; (n = sim_count(s, a, b)) < want && i < 200; i++)
                usleep(50000);
        return n;
}

/* ---- a bus and its meters ---- */

struct bus {
        mb_link_params params;
        struct mb_ctx ctx;
        void *link;
};

static int bus_open(struct bus *b, const char *device, char parity, int timeout_ms)
{
        mb_err err = {0};

        memset(b, 0, sizeof(*b));
        b->params = (mb_link_params){.name = "rs485",
                                     .type = "serial",
                                     .device = device,
                                     .baud = 2400,
                                     .parity = parity,
                                     .data_bits = 8,
                                     .stop_bits = 1,
                                     .timeout_ms = timeout_ms};
        return P->link_open(&host, &b->ctx, &b->params, &b->link, &err);
}

static void bus_close(struct bus *b)
{
        if (b->link)
                P->link_close(b->link);
        b->link = NULL;
}

struct meter {
        struct mb_ctx ctx;
        void *inst;
        mb_err err;
};

static int meter_new(struct meter *m, struct bus *b, const char *address, struct kv *kv)
{
        mb_meter_params params = {.name = "m", .address = address, .timeout_ms = 8000};

        memset(m, 0, sizeof(*m));
        m->ctx.kv = kv;
        return P->meter_new(&host, &m->ctx, b->link, &params, &m->inst, &m->err);
}

static int meter_read(struct meter *m, mb_reading *r)
{
        memset(r, 0, sizeof(*r));
        r->size = sizeof(*r);
        memset(&m->err, 0, sizeof(m->err));
        return P->meter_read(m->inst, r, &m->err);
}

static int meter_control(struct meter *m, int op, int *relay)
{
        memset(&m->err, 0, sizeof(m->err));
        return P->meter_control(m->inst, op, relay, &m->err);
}

static void meter_free(struct meter *m)
{
        if (m->inst)
                P->meter_free(m->inst);
        m->inst = NULL;
}

static int unused_keys(const struct kv *kv)
{
        int n = 0;

        for (; kv && kv->type != KV_END; kv++)
                n += !kv->used;
        return n;
}

#define ASSERT_OK(m, call)                                                                         \
        do {                                                                                       \
                int rc_ = (call);                                                                  \
                if (rc_ != MB_OK)                                                                  \
                        fail_msg("%s: %d %s\nlog:\n%s", #call, rc_, (m)->err.msg, logbuf);         \
        } while (0)

/* ---- tests ---- */

static void reads_every_quantity(void **state)
{
        struct kv kv[] = {I("utc_offset_min", 480), B("prepaid", 1), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        assert_int_equal(unused_keys(kv), 0);
        fake_now = M1_TIME + 10;
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.fields, MB_F_IMPORT | MB_F_EXPORT | MB_F_RATES | MB_F_VOLTAGE |
                                       MB_F_CURRENT | MB_F_POWER | MB_F_PF | MB_F_FREQ |
                                       MB_F_METER_TIME | MB_F_FROZEN | MB_F_PREPAID | MB_F_RELAY |
                                       MB_F_ADDRESS);
        assert_int_equal(r.quality, 0);
        assert_int_equal(r.phases, 1);
        assert_int_equal(r.import_wh, 12345670);
        assert_int_equal(r.rate_wh[0], 1000010);
        assert_int_equal(r.rate_wh[1], 2000020);
        assert_int_equal(r.rate_wh[2], 3000030);
        assert_int_equal(r.rate_wh[3], 6345610);
        assert_int_equal(r.export_wh, 12340);
        assert_int_equal(r.voltage_mv[0], 220100);
        assert_int_equal(r.current_ma[0], -5123);
        assert_int_equal(r.power_mw, -1234500);
        assert_int_equal(r.pf_milli, -987);
        assert_int_equal(r.freq_mhz, 50010);
        assert_int_equal(r.meter_time, M1_TIME);
        assert_int_equal(r.frozen_import_wh, 12000500);
        assert_int_equal(r.frozen_time, INT64_C(1709222400)); /* 2024-03-01 00:00 +08:00 */
        assert_int_equal(r.remain_fen, 12345);
        assert_int_equal(r.overdraft_fen, 678);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        assert_string_equal(r.address, "123456789012");
        assert_true(frames_tx > 0 && frames_rx == frames_tx);
        assert_true(log_has("frame tx: FE FE FE FE 68 12 90 78 56 34 12 68 11 04"));
        /* The block 0001FF00 carried the total and the rates. */
        assert_int_equal(sim_count(&s, "\"data\": \"00ff0100\"", NULL), 1);
        assert_int_equal(sim_count(&s, "\"data\": \"00000100\"", NULL), 0);

        /* A clock far from the host's is flagged. */
        fake_now = M1_TIME + 3600;
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.quality, MB_Q_CLOCK_BAD);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void three_phases_blocks_follow_up(void **state)
{
        struct kv kv[] = {I("phases", 3), B("clock", 0), B("frozen", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M2, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "2", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.phases, 3);
        assert_int_equal(r.voltage_mv[0], 220100);
        assert_int_equal(r.voltage_mv[1], 221200);
        assert_int_equal(r.voltage_mv[2], 219900);
        assert_int_equal(r.current_ma[0], 1000);
        assert_int_equal(r.current_ma[1], -2500);
        assert_int_equal(r.current_ma[2], 1);
        assert_int_equal(r.import_wh, 99990);
        assert_int_equal(r.rate_wh[3], 39990);
        assert_int_equal(r.pf_milli, 1000);
        assert_int_equal(r.freq_mhz, 49990);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        assert_false(r.fields & (MB_F_METER_TIME | MB_F_FROZEN | MB_F_PREPAID));
        /* 20 bytes of energy and 9 of current came over follow-up frames (12H). */
        assert_true(sim_count(&s, "\"ctrl\": \"12\"", NULL) >= 3);
        assert_int_equal(sim_count(&s, "\"data\": \"00ff0102\"", NULL), 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void falls_back_without_blocks(void **state)
{
        char spec[2048];
        struct kv kv[] = {I("phases", 3), B("prepaid", 1), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        /* Three-phase values for M1 and no block identifiers. */
        snprintf(spec, sizeof(spec),
                 "%.*s, \"no_blocks\": true, \"voltage\": [\"1.0\", \"2.0\", \"3.0\"],"
                 " \"current\": [\"1\", \"2\", \"3\"]}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_true(log_has("refused block"));
        assert_int_equal(r.import_wh, 12345670);
        assert_int_equal(r.rate_wh[2], 3000030);
        assert_int_equal(r.voltage_mv[2], 3000);
        assert_int_equal(r.current_ma[1], 2000);
        assert_int_equal(r.remain_fen, 12345);
        assert_int_equal(r.overdraft_fen, 678);
        /* Asked once; single identifiers only from then on. */
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(sim_count(&s, "\"data\": \"00ff0100\"", NULL), 1);
        assert_int_equal(sim_count(&s, "\"data\": \"00040100\"", NULL), 2);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void optional_items_the_meter_lacks(void **state)
{
        char spec[2048];
        struct kv kv[] = {END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        snprintf(spec, sizeof(spec), "%.*s, \"missing\": [\"02800002\", \"04000503\"]}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_false(r.fields & (MB_F_FREQ | MB_F_RELAY));
        assert_true(r.fields & MB_F_PF);
        assert_true(log_has("has no frequency"));
        assert_true(log_has("no data requested"));
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(sim_count(&s, "\"data\": \"02008002\"", NULL), 1);
        assert_int_equal(sim_count(&s, "\"data\": \"03050004\"", NULL), 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* Per-field readings (issue 16): one optional item the meter never answers
 * is left out with its reason; the energy register and everything else
 * stay.  The next reading asks for it again. */
static void silent_optional_item_keeps_the_reading(void **state)
{
        char spec[2048];
        struct kv kv[] = {I("utc_offset_min", 480), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"02800002\": \"silent\"}}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 300), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_true(r.fields & MB_F_IMPORT);
        assert_int_equal(r.import_wh, 12345670);
        assert_true(r.fields & (MB_F_POWER | MB_F_PF | MB_F_VOLTAGE | MB_F_METER_TIME));
        assert_int_equal(r.pf_milli, -987);
        assert_false(r.fields & MB_F_FREQ);
        assert_int_equal(r.missing, MB_F_FREQ);
        if (!strstr(r.missing_why, "frequency") || !strstr(r.missing_why, "no reply"))
                fail_msg("missing_why: '%s'", r.missing_why);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(sim_count(&s, "\"data\": \"02008002\"", NULL), 2);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* The maximum demand (最大需量, option demand): this month's so far with
 * when it occurred (01010000, XX.XXXX kW then YYMMDDhhmm local), and last
 * month's frozen at the settlement day (01010001), asked for again only
 * when the settlement moment changes.  A meter whose demand shows no time
 * yet (all zero) gives the value without one; a meter without the items
 * is not asked again. */
static void reads_maximum_demand(void **state)
{
        char spec[2048];
        struct kv kv[] = {I("utc_offset_min", 480), B("demand", 1), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        snprintf(spec, sizeof(spec),
                 "%.*s, \"demand\": [\"4.5123\", \"2024-03-10 14:30\"],"
                 " \"frozen_demand\": [\"4.6000\", \"2024-02-20 09:15\"]},"
                 " {\"address\": \"000000000003\", \"forward\": \"1.00\","
                 " \"demand\": [\"0.0000\", null]}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        assert_int_equal(unused_keys(kv), 0);
        fake_now = M1_TIME + 10;
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_true((r.fields & (MB_F_DEMAND | MB_F_FROZEN_DEMAND)) ==
                    (MB_F_DEMAND | MB_F_FROZEN_DEMAND));
        assert_int_equal(r.demand_mw, 4512300);               /* 0.0001 kW = 100 mW */
        assert_int_equal(r.demand_time, INT64_C(1710052200)); /* 2024-03-10 14:30 +08:00 */
        assert_int_equal(r.frozen_demand_mw, 4600000);
        assert_int_equal(r.frozen_demand_time, INT64_C(1709222400)); /* 2024-03-01 00:00 +08:00 */
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.frozen_demand_mw, 4600000);
        assert_int_equal(sim_count(&s, "\"data\": \"00000101\"", NULL), 2);
        assert_int_equal(sim_count(&s, "\"data\": \"01000101\"", NULL), 1);
        meter_free(&m);
        /* all zero: no maximum yet this month; no frozen item: not asked again */
        assert_int_equal(meter_new(&m, &b, "000000000003", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_true(r.fields & MB_F_DEMAND);
        assert_int_equal(r.demand_mw, 0);
        assert_int_equal(r.demand_time, 0);
        assert_false(r.fields & MB_F_FROZEN_DEMAND);
        assert_true(log_has("has no settlement-day maximum demand"));
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* A prepaid meter without an overdraft register keeps its remaining amount
 * (MB_F_REMAIN) instead of losing both. */
static void prepaid_without_overdraft(void **state)
{
        static const char *const spec =
            "{\"address\": \"000000000005\", \"forward\": \"10.00\", \"remain\": \"88.50\"}";
        struct kv kv[] = {B("prepaid", 1), B("electrical", 0), B("clock", 0),        B("frozen", 0),
                          B("reverse", 0), B("rates", 0),      B("relay_status", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "5", kv), MB_OK);
        for (int i = 0; i < 2; i++) {
                ASSERT_OK(&m, meter_read(&m, &r));
                assert_int_equal(r.import_wh, 10000);
                assert_false(r.fields & MB_F_PREPAID);
                assert_true(r.fields & MB_F_REMAIN);
                assert_int_equal(r.remain_fen, 8850);
                assert_int_equal(r.missing, 0);
        }
        /* The overdraft register is not asked for again. */
        assert_int_equal(sim_count(&s, "\"data\": \"01029000\"", NULL), 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void reads_1997(void **state)
{
        struct kv kv[] = {S("protocol", "1997"), I("utc_offset_min", 480), I("preamble", 2), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M97, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "000000000097", kv), MB_OK);
        fake_now = M1_TIME;
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.import_wh, 321090);
        assert_int_equal(r.rate_wh[3], 315090);
        assert_int_equal(r.export_wh, 100);
        assert_int_equal(r.voltage_mv[0], 230000);
        assert_int_equal(r.current_ma[0], 12340);
        assert_int_equal(r.power_mw, 2716200);
        assert_int_equal(r.pf_milli, 905);
        assert_int_equal(r.meter_time, M1_TIME);
        assert_false(r.fields & (MB_F_FREQ | MB_F_FROZEN | MB_F_RELAY | MB_F_PREPAID));
        assert_true(log_has("frame tx: FE FE 68 97 00 00 00 00 00 68 01 02 43 C3"));
        {
                int relay;
                assert_int_equal(meter_control(&m, MB_CTL_TRIP, &relay), MB_ENOTSUP);
        }
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* Noise, false 68H starts, 0-4 FE bytes, replies in three writes, echo. */
static void survives_a_noisy_line(void **state)
{
        struct kv kv[] = {B("prepaid", 1), I("preamble", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M1, "--noise --split --preamble cycle --echo");
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        for (int i = 0; i < 3; i++) {
                ASSERT_OK(&m, meter_read(&m, &r));
                assert_int_equal(r.import_wh, 12345670);
                assert_int_equal(r.rate_wh[3], 6345610);
                assert_int_equal(r.current_ma[0], -5123);
                assert_int_equal(r.remain_fen, 12345);
                assert_int_equal(r.relay, MB_RELAY_CLOSED);
        }
        assert_true(log_has("ignored a frame from a master"));
        assert_true(log_has("skipped 7 bytes before the frame"));
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void bad_replies_fail_clearly(void **state)
{
        char spec[2048];
        struct kv kv[] = {END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;
        static const struct {
                const char *fault;
                int rc;
                const char *msg;
        } cases[] = {
            {"checksum", MB_EPROTO, "checksum mismatch"},
            {"address", MB_EADDR, "reply from address 123456789013, expected 123456789012"},
            {"silent", MB_ETIMEDOUT, "no reply from 123456789012"},
            {"garbage", MB_ETIMEDOUT, "incomplete reply"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                /* On the energy register (here the block with rates): the
                 * reading fails, naming the identifier and what went wrong. */
                snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"0001FF00\": \"%s\"}}",
                         (int)strlen(M1) - 1, M1, cases[i].fault);
                reset_log();
                sim_start(&s, spec, NULL);
                assert_int_equal(bus_open(&b, s.path, 'N', 300), MB_OK);
                assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
                assert_int_equal(meter_read(&m, &r), cases[i].rc);
                if (!strstr(m.err.msg, cases[i].msg) || !strstr(m.err.msg, "DI 0001FF00"))
                        fail_msg("%s: '%s' lacks '%s'", cases[i].fault, m.err.msg, cases[i].msg);
                meter_free(&m);
                bus_close(&b);
                sim_stop(&s);
                /* On an optional item: that quantity is left out with the
                 * same reason, and the line is fine again for the next one. */
                snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"02010100\": \"%s\"}}",
                         (int)strlen(M1) - 1, M1, cases[i].fault);
                reset_log();
                sim_start(&s, spec, NULL);
                assert_int_equal(bus_open(&b, s.path, 'N', 300), MB_OK);
                assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
                ASSERT_OK(&m, meter_read(&m, &r));
                assert_int_equal(r.import_wh, 12345670);
                assert_int_equal(r.missing, MB_F_VOLTAGE);
                assert_true(r.fields & MB_F_CURRENT);
                if (!strstr(r.missing_why, cases[i].msg) || !strstr(r.missing_why, "DI 02010100"))
                        fail_msg("%s: '%s' lacks '%s'", cases[i].fault, r.missing_why,
                                 cases[i].msg);
                meter_free(&m);
                bus_close(&b);
                sim_stop(&s);
        }
        /* A late reply to something else is skipped; the answer follows. */
        snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"02010100\": \"stale\"}}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.voltage_mv[0], 220100);
        assert_true(log_has("ignored a reply to another request"));
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);

        /* The import register is never optional. */
        reset_log();
        sim_start(&s, "{\"address\": \"123456789012\"}", NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 300), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_EDEVICE);
        assert_non_null(strstr(m.err.msg, "error word 02H: no data requested"));
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void controls_the_relay(void **state)
{
        struct kv kv[] = {S("password", "02123456"), S("operator", "12345678"),
                          I("utc_offset_min", 480), END};
        struct kv kv2[] = {S("password", "02123456"), B("direct_close", 1),
                           I("utc_offset_min", 480), END};
        struct sim s;
        struct bus b;
        struct meter m, m2;
        int relay;

        reset_log();
        sim_start(&s,
                  "{\"address\": \"123456789012\", \"password\": \"02123456\"},"
                  "{\"address\": \"000000000002\", \"password\": \"02123456\","
                  " \"direct_close\": true}",
                  NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        assert_int_equal(meter_new(&m2, &b, "000000000002", kv2), MB_OK);

        ASSERT_OK(&m, meter_control(&m, MB_CTL_QUERY, &relay));
        assert_int_equal(relay, MB_RELAY_CLOSED);
        ASSERT_OK(&m, meter_control(&m, MB_CTL_TRIP, &relay));
        assert_int_equal(relay, MB_RELAY_OPEN);
        assert_int_equal(sim_count(&s, "\"cmd\": \"1A\"", "\"ok\": true"), 1);
        assert_int_equal(sim_count(&s, "\"operator\": \"12345678\"", "\"password\": \"02123456\""),
                         1);
        /* Close allowed: open, waiting for the customer. */
        ASSERT_OK(&m, meter_control(&m, MB_CTL_ARM, &relay));
        assert_int_equal(relay, MB_RELAY_ARMED);
        /* Without direct_close, CLOSE sends 1BH too and says so. */
        ASSERT_OK(&m, meter_control(&m, MB_CTL_CLOSE, &relay));
        assert_int_equal(relay, MB_RELAY_ARMED);
        assert_int_equal(sim_count(&s, "\"cmd\": \"1B\"", "\"ok\": true"), 2);
        /* Alarm and protection. */
        ASSERT_OK(&m, meter_control(&m, MB_CTL_ALARM, &relay));
        ASSERT_OK(&m, meter_control(&m, MB_CTL_ALARM_CLEAR, &relay));
        assert_int_equal(sim_count(&s, "\"cmd\": \"2A\"", "\"alarm\": true"), 1);
        assert_int_equal(sim_count(&s, "\"cmd\": \"2B\"", "\"alarm\": false"), 1);
        ASSERT_OK(&m, meter_control(&m, MB_CTL_PROTECT, &relay));
        assert_int_equal(meter_control(&m, MB_CTL_TRIP, &relay), MB_EDEVICE);
        assert_non_null(strstr(m.err.msg, "trip (1CH/1AH)"));
        assert_non_null(strstr(m.err.msg, "DCH with error word 01H: other error"));
        ASSERT_OK(&m, meter_control(&m, MB_CTL_UNPROTECT, &relay));
        ASSERT_OK(&m, meter_control(&m, MB_CTL_TRIP, &relay));
        assert_int_equal(relay, MB_RELAY_OPEN);

        /* Direct close where the meter accepts it. */
        ASSERT_OK(&m2, meter_control(&m2, MB_CTL_TRIP, &relay));
        assert_int_equal(relay, MB_RELAY_OPEN);
        ASSERT_OK(&m2, meter_control(&m2, MB_CTL_CLOSE, &relay));
        assert_int_equal(relay, MB_RELAY_CLOSED);
        assert_int_equal(sim_count(&s, "\"cmd\": \"1C\"", "\"ok\": true"), 1);
        /* The deadline is in the future, within control_validity_s. */
        assert_int_equal(sim_count(&s, "\"event\": \"control\"", "\"valid_s\": -"), 0);
        assert_int_equal(meter_control(&m, 99, &relay), MB_ENOTSUP);
        meter_free(&m);
        meter_free(&m2);
        bus_close(&b);
        sim_stop(&s);
}

static void control_refusals(void **state)
{
        struct kv wrong_pw[] = {S("password", "02654321"), I("utc_offset_min", 480), END};
        struct kv no_pw[] = {END};
        struct kv stale[] = {S("password", "02123456"), I("utc_offset_min", 480), END};
        struct sim s;
        struct bus b;
        struct meter m;
        int relay = -1;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", wrong_pw), MB_OK);
        assert_int_equal(meter_control(&m, MB_CTL_TRIP, &relay), MB_EAUTH);
        assert_int_equal(relay, MB_RELAY_UNKNOWN);
        assert_non_null(strstr(m.err.msg, "error word 04H: password error or unauthorised"));
        assert_int_equal(sim_count(&s, "\"cmd\": \"1A\"", "\"ok\": false"), 1);
        meter_free(&m);

        assert_int_equal(meter_new(&m, &b, "123456789012", no_pw), MB_OK);
        assert_int_equal(meter_control(&m, MB_CTL_TRIP, &relay), MB_EAUTH);
        assert_non_null(strstr(m.err.msg, "no password configured"));
        meter_free(&m);

        /* A host clock a day behind: the deadline has passed for the meter. */
        assert_int_equal(meter_new(&m, &b, "123456789012", stale), MB_OK);
        fake_now = (int64_t)time(NULL) - 86400;
        assert_int_equal(meter_control(&m, MB_CTL_TRIP, &relay), MB_EDEVICE);
        assert_int_equal(sim_count(&s, "\"cmd\": \"1A\"", "\"ok\": false"), 2);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void discovers_address_and_syncs_time(void **state)
{
        struct kv kv[] = {B("time_sync", 1), B("frozen", 0), END};
        struct kv kv2[] = {END};
        struct sim s;
        struct bus b;
        struct meter m, m2;
        mb_reading r;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "auto", kv), MB_OK);
        /* Discovery needs the meter to be alone on the bus. */
        assert_int_equal(meter_new(&m2, &b, "000000000001", kv2), MB_ECONFIG);
        assert_non_null(strstr(m2.err.msg, "only DL/T 645 meter"));
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_string_equal(r.address, "123456789012");
        assert_int_equal(r.import_wh, 12345670);
        assert_int_equal(sim_count(&s, "\"ctrl\": \"13\"", "AAAAAAAAAAAA"), 1);
        assert_int_equal(sim_wait(&s, "\"event\": \"timesync\"", NULL, 1), 1);
        assert_int_equal(sim_count(&s, "\"ctrl\": \"08\"", "999999999999"), 1);
        /* Once a day at most; the address is kept. */
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(sim_count(&s, "\"event\": \"timesync\"", NULL), 1);
        assert_int_equal(sim_count(&s, "\"ctrl\": \"13\"", NULL), 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* Identity (issue 16): any spelling of one address is the meter's 12 digits;
 * "auto", wildcards and the broadcast address are no identity. */
static void normalises_addresses(void **state)
{
        static const struct {
                const char *in;
                int rc;
                const char *out;
        } cases[] = {
            {"6605518", MB_OK, "000006605518"},
            {"000006605518", MB_OK, "000006605518"},
            {"1", MB_OK, "000000000001"},
            {"auto", MB_ENOENT, NULL},
            {"", MB_ENOENT, NULL},
            {"AAAAAAAAAAAA", MB_ENOENT, NULL},
            {"12aaaaaaaaaa", MB_ENOENT, NULL},
            {"999999999999", MB_ENOENT, NULL},
            {"000000000099", MB_OK, "000000000099"},
            {"12x", MB_EINVAL, NULL},
            {"1234567890123", MB_EINVAL, NULL},
        };
        char out[MB_ADDR_LEN];
        mb_err err;

        assert_non_null(P->normalise_address);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                int rc;

                memset(&err, 0, sizeof(err));
                strcpy(out, "?");
                rc = P->normalise_address(cases[i].in, out, sizeof(out), &err);
                if (rc != cases[i].rc || (cases[i].out && strcmp(out, cases[i].out) != 0))
                        fail_msg("\"%s\": %d \"%s\", want %d \"%s\"", cases[i].in, rc, out,
                                 cases[i].rc, cases[i].out ? cases[i].out : "");
                if (rc == MB_EINVAL && !err.msg[0])
                        fail_msg("\"%s\": no reason given", cases[i].in);
        }
}

/* A meter configured by a wildcard pattern is asked at the pattern once,
 * then at the address it answered from; readings report that address, never
 * the pattern. */
static void wildcard_learns_the_address(void **state)
{
        struct kv kv[] = {B("frozen", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "AAAAAAAAAAAA", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_true(r.fields & MB_F_ADDRESS);
        assert_string_equal(r.address, "123456789012");
        assert_int_equal(r.import_wh, 12345670);
        assert_int_equal(sim_count(&s, "\"addr\": \"AAAAAAAAAAAA\", \"ctrl\": \"11\"", NULL), 1);
        assert_true(sim_count(&s, "\"addr\": \"123456789012\", \"ctrl\": \"11\"", NULL) > 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* A pty has no parity: asking for 8E1 is a warning, not a failure. */
static void parity_on_a_pty(void **state)
{
        struct kv kv[] = {B("electrical", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;
        struct termios t;
        int fd;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'E', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        for (int i = 0; i < 2; i++) {
                ASSERT_OK(&m, meter_read(&m, &r));
                assert_int_equal(r.import_wh, 12345670);
                /* Reopen: a later open is where the kernel says EINVAL. */
                meter_free(&m);
                bus_close(&b);
                assert_int_equal(bus_open(&b, s.path, 'E', 1000), MB_OK);
                assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        }
        fd = open(s.path, O_RDWR | O_NOCTTY | O_NONBLOCK);
        assert_true(fd >= 0);
        assert_int_equal(tcgetattr(fd, &t), 0);
        close(fd);
        if (!(t.c_cflag & PARENB) && !log_has("parity E not supported"))
                fail_msg("no parity and no warning:\n%s", logbuf);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void reopens_after_errors(void **state)
{
        struct kv kv[] = {END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        assert_int_equal(bus_open(&b, "/nonexistent/ttyDLT", 'E', 300), MB_OK);
        assert_int_equal(meter_new(&m, &b, "1", kv), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_EIO);
        assert_non_null(strstr(m.err.msg, "open /nonexistent/ttyDLT: No such file"));
        /* Backing off: no new open, the last error repeated. */
        assert_int_equal(meter_read(&m, &r), MB_EIO);
        assert_non_null(strstr(m.err.msg, "reopening in"));
        meter_free(&m);
        bus_close(&b);

        /* The peer goes away under an open port: an I/O error, then back. */
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 300), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        kill(s.pid, SIGKILL);
        waitpid(s.pid, NULL, 0);
        s.pid = 0;
        assert_int_equal(meter_read(&m, &r), MB_EIO);
        assert_int_equal(meter_read(&m, &r), MB_EIO);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void combined_energy(void **state)
{
        char spec[2048];
        struct kv kv[] = {S("import", "combined"), B("rates", 0),  B("electrical", 0),
                          B("clock", 0),           B("frozen", 0), END};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        reset_log();
        sim_start(&s, M1, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.import_wh, 12358010);
        assert_false(r.fields & MB_F_RATES);
        assert_int_equal(sim_count(&s, "\"data\": \"00000000\"", NULL), 1);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);

        snprintf(spec, sizeof(spec), "%.*s, \"combined\": \"-1.00\"}", (int)strlen(M1) - 1, M1);
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 1000), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", kv), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_ERANGE);
        assert_non_null(strstr(m.err.msg, "negative"));
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

/* A meter whose timeout cannot hold every identifier never overruns by more
 * than one bus timeout: what did not fit is left out of the reading, with
 * the reason, and the energy register stays.  A silent energy register
 * fails the reading with a timeout. */
static void meter_timeout_bounds_the_read(void **state)
{
        char spec[2048];
        struct kv kv[] = {END};
        mb_meter_params params = {.name = "slow", .address = "123456789012", .timeout_ms = 500};
        struct sim s;
        struct bus b;
        struct meter m;
        mb_reading r;

        snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"00020000\": \"silent\"}}",
                 (int)strlen(M1) - 1, M1);
        reset_log();
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 5000), MB_OK);
        memset(&m, 0, sizeof(m));
        m.ctx.kv = kv;
        assert_int_equal(P->meter_new(&host, &m.ctx, b.link, &params, &m.inst, &m.err), MB_OK);
        assert_true(log_has("timeout_ms 500 is likely too short"));
        ASSERT_OK(&m, meter_read(&m, &r));
        assert_int_equal(r.import_wh, 12345670);
        assert_true(r.missing & MB_F_EXPORT);
        assert_true(r.missing & MB_F_VOLTAGE);
        if (!strstr(r.missing_why, "reverse energy: DI 00020000: no reply") ||
            !strstr(r.missing_why, "ran out before this request"))
                fail_msg("missing_why: '%s'", r.missing_why);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);

        snprintf(spec, sizeof(spec), "%.*s, \"faults\": {\"0001FF00\": \"silent\"}}",
                 (int)strlen(M1) - 1, M1);
        sim_start(&s, spec, NULL);
        assert_int_equal(bus_open(&b, s.path, 'N', 5000), MB_OK);
        memset(&m, 0, sizeof(m));
        m.ctx.kv = kv;
        assert_int_equal(P->meter_new(&host, &m.ctx, b.link, &params, &m.inst, &m.err), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_ETIMEDOUT);
        meter_free(&m);
        bus_close(&b);
        sim_stop(&s);
}

static void rejects_bad_options(void **state)
{
        static const struct {
                struct kv kv[3];
                const char *address;
                const char *want;
        } cases[] = {
            {{S("protocol", "2009")}, "1", "expected \"2007\" or \"1997\""},
            {{I("phases", 2)}, "1", "phases must be 1 or 3"},
            {{I("preamble", 5)}, "1", "between 0 and 4"},
            {{S("password", "0212345")}, "1", "8 hex digits"},
            {{S("operator", "x")}, "1", "operator must be 8 hex digits"},
            {{S("protocol", "1997"), B("prepaid", 1)}, "1", "prepaid needs protocol"},
            {{S("protocol", "1997"), S("password", "02123456")}, "1", "password needs protocol"},
            {{S("protocol", "1997"), B("demand", 1)}, "1", "demand needs protocol"},
            {{S("import", "net")}, "1", "\"forward\" or \"combined\""},
            {{B("block", 1), I("phases", 3)}, "12345678901X", "not a DL/T 645 address"},
            {{S("protocol", "1997")}, "auto", "needs protocol \"2007\""},
            {{I("control_validity_s", 5)}, "1", "between 10 and 86400"},
            {{S("phases", "3")}, "1", "wrong type"},
        };
        struct bus b;
        struct meter m;
        mb_link_params tcp = {.name = "net", .type = "tcp", .host = "x", .port = 502};
        struct mb_ctx ctx = {0};
        mb_err err = {0};
        void *link = NULL;

        assert_int_equal(bus_open(&b, "/dev/null", 'E', 100), MB_OK);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct kv kv[3];
                memcpy(kv, cases[i].kv, sizeof(kv));
                reset_log();
                assert_int_equal(meter_new(&m, &b, cases[i].address, kv), MB_ECONFIG);
                if (!log_has(cases[i].want) && !strstr(m.err.msg, cases[i].want))
                        fail_msg("case %zu: no '%s' in '%s' / %s", i, cases[i].want, m.err.msg,
                                 logbuf);
                assert_null(m.inst);
        }
        bus_close(&b);
        assert_int_equal(P->link_open(&host, &ctx, &tcp, &link, &err), MB_ECONFIG);
        assert_non_null(strstr(err.msg, "needs a serial bus"));
        {
                mb_link_params odd = {.name = "odd",
                                      .type = "serial",
                                      .device = "/dev/null",
                                      .baud = 12345,
                                      .parity = 'E',
                                      .data_bits = 8,
                                      .stop_bits = 1,
                                      .timeout_ms = 100};
                assert_int_equal(P->link_open(&host, &ctx, &odd, &link, &err), MB_ECONFIG);
                assert_non_null(strstr(err.msg, "baud 12345"));
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(reads_every_quantity),
            cmocka_unit_test(three_phases_blocks_follow_up),
            cmocka_unit_test(falls_back_without_blocks),
            cmocka_unit_test(optional_items_the_meter_lacks),
            cmocka_unit_test(silent_optional_item_keeps_the_reading),
            cmocka_unit_test(prepaid_without_overdraft),
            cmocka_unit_test(reads_maximum_demand),
            cmocka_unit_test(reads_1997),
            cmocka_unit_test(survives_a_noisy_line),
            cmocka_unit_test(bad_replies_fail_clearly),
            cmocka_unit_test(controls_the_relay),
            cmocka_unit_test(control_refusals),
            cmocka_unit_test(discovers_address_and_syncs_time),
            cmocka_unit_test(normalises_addresses),
            cmocka_unit_test(wildcard_learns_the_address),
            cmocka_unit_test(parity_on_a_pty),
            cmocka_unit_test(reopens_after_errors),
            cmocka_unit_test(combined_energy),
            cmocka_unit_test(meter_timeout_bounds_the_read),
            cmocka_unit_test(rejects_bad_options),
        };

        return cmocka_run_group_tests(tests, load_plugin, unload_plugin);
}
