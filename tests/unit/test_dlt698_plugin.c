/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The dlt698 plugin (its objects, linked here with the fake host of
 * test_sim_host.c) against the DL/T 698.45 meter simulator
 * (tests/integration/dlt698_sim.py) on a pty and over TCP: every quantity,
 * the monthly freeze, split replies, a disturbed line, NormalList and its
 * refusal, security mode (plaintext + RN, MAC), the meter's own scalers,
 * objects the meter lacks, remote control with its time tag and the meter's
 * refusals, the seam for an encryption service, address discovery, and the
 * options.  No assertion depends on how long anything took.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dlt698.h"
#include "test_pysim.h"
#include "test_sim_host.h"

extern const struct mb_plugin meterbox_plugin;
#define P (&meterbox_plugin)

/* 2024-03-15 12:34:56 at UTC+8, the meters' clock. */
#define M1_TIME INT64_C(1710477296)

#define M1_BODY                                                                                    \
        "\"address\": \"123456789012\", \"forward\": \"12345.67\","                                \
        " \"rates\": [\"1000.01\", \"2000.02\", \"3000.03\", \"6345.61\"], \"reverse\": "          \
        "\"12.34\","                                                                               \
        " \"voltage\": [\"220.1\"], \"current\": [\"-5.123\"], \"power\": \"-1234.5\","            \
        " \"pf\": \"-0.987\", \"freq\": \"50.01\", \"date\": \"2024-03-15\", \"time\": "           \
        "\"12:34:56\", \"remain\": \"123.45\", \"purchases\": 7, \"overdraft\": \"6.78\","         \
        " \"relay\": \"closed\", \"frozen\": [{\"time\": \"2024-03-01 00:00:00\","                 \
        " \"forward\": \"12000.50\", \"rates\": [\"1000.00\", \"2000.00\", \"3000.00\", "          \
        "\"6000.50\"]}]"
#define M1 "{" M1_BODY "}"

static struct pysim sim;

struct bus {
        mb_link_params params;
        struct mb_ctx ctx;
        void *link;
};

struct meter {
        struct mb_ctx ctx;
        void *inst;
        mb_err err;
};

static void start(const char *meters, const char *extra)
{
        fake_reset(0, M1_TIME);
        pysim_start(&sim, DLT698_SIM, meters, extra);
}

static void stop(void)
{
        pysim_stop(&sim);
}

static void bus_open(struct bus *b)
{
        mb_err err = {0};
        int tcp = strncmp(sim.where, "/dev/", 5) != 0;

        memset(b, 0, sizeof(*b));
        b->params = (mb_link_params){.name = "bus",
                                     .type = tcp ? "tcp" : "serial",
                                     .device = tcp ? NULL : sim.where,
                                     .host = tcp ? "127.0.0.1" : NULL,
                                     .port = tcp ? atoi(sim.where) : 0,
                                     .baud = 9600,
                                     .parity = 'N',
                                     .data_bits = 8,
                                     .stop_bits = 1,
                                     .timeout_ms = 2000};
        assert_int_equal(P->link_open(&fake_host, &b->ctx, &b->params, &b->link, &err), MB_OK);
}

static void bus_close(struct bus *b)
{
        P->link_close(b->link);
}

static int meter_new(struct meter *m, struct bus *b, const char *address, struct fake_kv *kv)
{
        mb_meter_params params = {.name = "m", .address = address, .timeout_ms = 15000};

        memset(m, 0, sizeof(*m));
        m->ctx.kv = kv;
        return P->meter_new(&fake_host, &m->ctx, b->link, &params, &m->inst, &m->err);
}

static int meter_read(struct meter *m, mb_reading *r)
{
        memset(r, 0, sizeof(*r));
        r->size = sizeof(*r);
        memset(&m->err, 0, sizeof(m->err));
        return P->meter_read(m->inst, r, &m->err);
}

static int control(struct meter *m, int op, int *state)
{
        memset(&m->err, 0, sizeof(m->err));
        return P->meter_control(m->inst, op, state, &m->err);
}

static struct fake_kv opts_m1[] = {KV_BOOL("prepaid", 1), KV_INT("utc_offset_min", 480), {0}};

/* Start the simulator with meters, open its bus and M1 on it with opts_m1. */
static void open_m1(const char *meters, struct bus *b, struct meter *m)
{
        start(meters, NULL);
        bus_open(b);
        assert_int_equal(meter_new(m, b, "123456789012", opts_m1), MB_OK);
}

#define M1_FIELDS                                                                                  \
        (MB_F_IMPORT | MB_F_EXPORT | MB_F_POWER | MB_F_VOLTAGE | MB_F_CURRENT | MB_F_PF |          \
         MB_F_FREQ | MB_F_RATES | MB_F_RELAY | MB_F_ADDRESS | MB_F_METER_TIME | MB_F_FROZEN |      \
         MB_F_PREPAID)

/* Every quantity of M1, as the SDK wants them. */
static void check_m1_values(const mb_reading *r)
{
        static const int64_t rates[MB_RATES] = {1000010, 2000020, 3000030, 6345610};

        assert_int_equal(r->import_wh, 12345670);
        assert_memory_equal(r->rate_wh, rates, sizeof(rates));
        assert_int_equal(r->export_wh, 12340);
        assert_int_equal(r->voltage_mv[0], 220100);
        assert_int_equal(r->current_ma[0], -5123);
        assert_int_equal(r->power_mw, -1234500);
        assert_int_equal(r->pf_milli, -987);
        assert_int_equal(r->freq_mhz, 50010);
        assert_int_equal(r->meter_time, M1_TIME);
        assert_string_equal(r->address, "123456789012");
        assert_int_equal(r->frozen_import_wh, 12000500);
        assert_int_equal(r->frozen_time, INT64_C(1709222400)); /* 2024-03-01 00:00 +08:00 */
        assert_int_equal(r->remain_fen, 12345);
        assert_int_equal(r->overdraft_fen, 678);
        assert_int_equal(r->relay, MB_RELAY_CLOSED);
        assert_int_equal(r->phases, 1);
}

/* ... and nothing else. */
static void check_m1(const mb_reading *r)
{
        check_m1_values(r);
        assert_int_equal(r->fields, M1_FIELDS);
}

/* Read M1 with opts from the running simulator; returns the plugin's rc. */
static int read_m1(struct fake_kv *opts, mb_reading *r, mb_err *err)
{
        struct bus b;
        struct meter m;
        int rc;

        bus_open(&b);
        assert_int_equal(meter_new(&m, &b, "123456789012", opts), MB_OK);
        rc = meter_read(&m, r);
        *err = m.err;
        P->meter_free(m.inst);
        bus_close(&b);
        return rc;
}

static void reads_everything(void **state)
{
        struct bus b;
        struct meter m;
        mb_reading r;

        (void)state;
        open_m1(M1, &b, &m);
        assert_int_equal(fake_unused_keys(&m.ctx), 0);
        assert_int_equal(meter_read(&m, &r), MB_OK);
        check_m1(&r);
        /* The scalers once, the values in one list, the freeze as a record. */
        assert_int_equal(pysim_count(&sim, "\"00100300\"", NULL), 1);
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", "\"80000500\""), 1);
        assert_int_equal(pysim_count(&sim, "\"event\": \"record\"", "\"50060200\""), 1);
        assert_int_equal(meter_read(&m, &r), MB_OK);
        check_m1(&r);
        assert_int_equal(pysim_count(&sim, "\"00100300\"", NULL), 1);
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", NULL), 3);
        P->meter_free(m.inst);
        bus_close(&b);
        stop();
}

static void reads_over_tcp(void **state)
{
        mb_reading r;
        mb_err err;

        (void)state;
        start(M1, "--tcp 0");
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        check_m1(&r);
        assert_int_equal(pysim_count(&sim, "\"event\": \"connect\"", NULL), 1);
        stop();
}

static void disturbed_line(void **state)
{
        mb_reading r;
        mb_err err;

        (void)state;
        start(M1, "--noise --split --preamble cycle --echo");
        for (int i = 0; i < 3; i++) {
                assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
                check_m1(&r);
        }
        stop();
}

static void split_replies(void **state)
{
        mb_reading r;
        mb_err err;

        (void)state;
        start(M1, "--max-apdu 40");
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        check_m1(&r);
        assert_true(pysim_count(&sim, "\"event\": \"split\"", NULL) >= 2);
        assert_true(pysim_count(&sim, "\"event\": \"confirm\"", NULL) >= 4);
        stop();
}

static void one_by_one(void **state)
{
        struct fake_kv opts[] = {
            KV_BOOL("prepaid", 1), KV_INT("utc_offset_min", 480), KV_BOOL("list", 0), {0}};
        mb_reading r;
        mb_err err;

        (void)state;
        start(M1, NULL);
        assert_int_equal(read_m1(opts, &r, &err), MB_OK);
        check_m1(&r);
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", NULL), 0);
        assert_int_equal(pysim_count(&sim, "\"event\": \"get\"", "\"00100200\""), 1);
        stop();

        /* A meter that refuses the list service is read one by one. */
        start("{" M1_BODY ", \"no_list\": true}", NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        check_m1(&r);
        assert_true(fake_log_has("refused GET-Request-NormalList (service not supported)"));
        stop();
}

static void missing_objects(void **state)
{
        mb_reading r;
        mb_err err;

        (void)state;
        start("{" M1_BODY ", \"missing\": [\"200F0200\", \"50060200\", \"80000300\","
              " \"202D0200\"], \"dar\": {\"20010200\": 3}}",
              NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 12345670);
        assert_false(r.fields & (MB_F_FREQ | MB_F_FROZEN | MB_F_CURRENT | MB_F_PREPAID));
        assert_true(r.fields & MB_F_VOLTAGE);
        assert_int_equal(r.relay, MB_RELAY_CLOSED); /* from the command state alone */
        /* Without an overdraft the remaining money alone. */
        assert_true(r.fields & MB_F_REMAIN);
        assert_int_equal(r.remain_fen, 12345);
        /* What the meter does not have is not filled; what it refuses is
         * left out with the reason. */
        assert_int_equal(r.missing, MB_F_CURRENT);
        assert_string_equal(r.missing_why,
                            "20010200 (current): the meter answers DAR 3: read/write refused");
        assert_true(fake_log_has("left out of readings: 200F0200 (frequency): the meter answers "
                                 "DAR 6: object does not exist"));
        assert_true(fake_log_has("left out of readings: 20010200 (current): the meter answers DAR "
                                 "3: read/write refused"));
        assert_true(fake_log_has("50060200 (monthly freeze), the latest: the meter answers DAR 6"));
        stop();

        /* The energy is essential. */
        start("{" M1_BODY ", \"missing\": [\"00100200\"]}", NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_EDEVICE);
        assert_string_equal(err.msg, "00100200 (forward active energy): meter 123456789012 "
                                     "answered DAR 6: object does not exist");
        stop();
}

static void security_mode(void **state)
{
        struct fake_kv opts[] = {
            KV_BOOL("prepaid", 1), KV_INT("utc_offset_min", 480), KV_STR("security", "rn"), {0}};
        mb_reading r;
        mb_err err;

        (void)state;
        start("{" M1_BODY ", \"security\": \"required\"}", NULL);
        assert_int_equal(read_m1(opts, &r, &err), MB_OK);
        check_m1(&r);
        assert_int_equal(pysim_count(&sim, "\"event\": \"secure\"", NULL), 3);
        assert_true(fake_log_has("SECURITY-Response, MAC "));
        assert_true(fake_log_has("(not checked: needs the ESAM)"));
        /* Plain reads of a meter in security mode give what it reads in
         * plaintext (energy, wallet, clock); the rest is left out with the
         * meter's reason. */
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, 12345670);
        assert_int_equal(r.meter_time, M1_TIME);
        assert_true(r.fields & MB_F_REMAIN);
        assert_false(r.fields & (MB_F_VOLTAGE | MB_F_CURRENT | MB_F_POWER | MB_F_FROZEN));
        assert_true(r.missing & MB_F_VOLTAGE);
        assert_non_null(strstr(r.missing_why, "20000200 (voltage): the meter answers DAR 20: "
                                              "security authentication mismatch"));
        stop();
}

/* 4003, the customer number (户号): at the first reading and once a day,
 * into every reading; one the meter lacks is simply not filled, one that is
 * no number is left out with the reason. */
static void customer_number(void **state)
{
        struct fake_kv off[] = {
            KV_BOOL("prepaid", 1), KV_INT("utc_offset_min", 480), KV_BOOL("account", 0), {0}};
        const char *ask = "\"40030200\"";
        struct bus b;
        struct meter m;
        mb_reading r;
        mb_err err;

        (void)state;
        open_m1("{" M1_BODY ", \"account\": \"000012345678\"}", &b, &m);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(meter_read(&m, &r), MB_OK);
                assert_string_equal(r.account, "000012345678");
                check_m1_values(&r);
                assert_int_equal(r.fields, M1_FIELDS | MB_F_ACCOUNT);
        }
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", ask), 1);
        fake_advance_ms(86400 * 1000);
        assert_int_equal(meter_read(&m, &r), MB_OK);
        assert_string_equal(r.account, "000012345678");
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", ask), 2);
        /* A host whose reading ends before `account` is not asked for it. */
        memset(&r, 0, sizeof(r));
        r.size = offsetof(mb_reading, account);
        fake_advance_ms(86400 * 1000);
        assert_int_equal(P->meter_read(m.inst, &r, &m.err), MB_OK);
        assert_int_equal(pysim_count(&sim, "\"event\": \"get_list\"", ask), 2);
        assert_false(r.fields & MB_F_ACCOUNT);
        P->meter_free(m.inst);
        bus_close(&b);

        assert_int_equal(read_m1(off, &r, &err), MB_OK);
        assert_false(r.fields & MB_F_ACCOUNT);
        assert_int_equal(pysim_count(&sim, ask, NULL), 2);
        stop();

        /* Not BCD: left out, with the reason. */
        start("{" M1_BODY ", \"account\": \"00001234567A\"}", NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        assert_false(r.fields & MB_F_ACCOUNT);
        assert_int_equal(r.missing, MB_F_ACCOUNT);
        assert_string_equal(r.missing_why,
                            "40030200 (customer number): octet 5 (7A) is not two BCD digits");
        check_m1(&r);
        stop();
}

static void meter_scalers(void **state)
{
        struct fake_kv standard[] = {KV_BOOL("prepaid", 1),
                                     KV_INT("utc_offset_min", 480),
                                     KV_STR("scalers", "standard"),
                                     {0}};
        mb_reading r;
        mb_err err;

        (void)state;
        /* A meter counting in 0.0001 kWh (long64-unsigned): still Wh. */
        start("{" M1_BODY ", \"energy_scaler\": -4}", NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        check_m1(&r);
        /* Trusting the standard's -2 instead is a hundred times off. */
        assert_int_equal(read_m1(standard, &r, &err), MB_OK);
        assert_int_equal(r.import_wh, INT64_C(1234567000));
        stop();

        /* A meter without the attribute: the standard's scaler. */
        start("{" M1_BODY ", \"dar\": {\"00100300\": 6}}", NULL);
        assert_int_equal(read_m1(opts_m1, &r, &err), MB_OK);
        check_m1(&r);
        stop();
}

static void remote_control(void **state)
{
        struct fake_kv direct[] = {KV_INT("utc_offset_min", 480), KV_BOOL("direct_close", 1), {0}};
        struct bus b;
        struct meter m, d;
        int st;

        (void)state;
        open_m1(M1, &b, &m);
        assert_int_equal(control(&m, MB_CTL_TRIP, &st), MB_OK);
        assert_int_equal(st, MB_RELAY_OPEN);
        /* Plaintext ACTION with the time tag: now (the meter's local time)
         * and 600 s of validity. */
        assert_int_equal(pysim_count(&sim, "\"omd\": \"80008100\"",
                                     "\"time_tag\": \"2024-03-15 "
                                     "12:34:56\", \"valid_s\": 600"),
                         1);
        assert_int_equal(control(&m, MB_CTL_CLOSE, &st), MB_OK);
        assert_int_equal(st, MB_RELAY_ARMED); /* close allowed: the customer presses */
        assert_int_equal(control(&m, MB_CTL_ALARM, &st), MB_OK);
        assert_int_equal(pysim_count(&sim, "\"omd\": \"80007F00\"", "\"alarm\": true"), 1);
        assert_int_equal(control(&m, MB_CTL_ALARM_CLEAR, &st), MB_OK);
        assert_int_equal(control(&m, MB_CTL_PROTECT, &st), MB_OK);
        assert_int_equal(control(&m, MB_CTL_TRIP, &st), MB_EDEVICE); /* protected */
        assert_string_equal(m.err.msg, "trip (ACTION 80008100): meter 123456789012 answered DAR "
                                       "255: other");
        assert_int_equal(control(&m, MB_CTL_UNPROTECT, &st), MB_OK);
        assert_int_equal(control(&m, MB_CTL_QUERY, &st), MB_OK);
        assert_int_equal(st, MB_RELAY_ARMED);
        assert_int_equal(meter_new(&d, &b, "123456789012", direct), MB_OK);
        assert_int_equal(control(&d, MB_CTL_CLOSE, &st), MB_OK);
        assert_int_equal(st, MB_RELAY_CLOSED);
        assert_int_equal(pysim_count(&sim, "\"omd\": \"80008200\"", "0101020251f20502011601"), 1);
        /* A time tag the meter finds stale. */
        fake_real_s = M1_TIME + 3600;
        assert_int_equal(control(&m, MB_CTL_TRIP, &st), MB_EDEVICE);
        assert_non_null(strstr(m.err.msg, "DAR 32: time tag invalid"));
        P->meter_free(m.inst);
        P->meter_free(d.inst);
        bus_close(&b);
        stop();
}

static void refused_control(void **state)
{
        struct bus b;
        struct meter m;
        mb_reading r;
        int st;

        (void)state;
        open_m1("{" M1_BODY ", \"control\": \"refuse\"}", &b, &m);
        assert_int_equal(control(&m, MB_CTL_TRIP, &st), MB_EAUTH);
        assert_string_equal(m.err.msg, "trip (ACTION 80008100): meter 123456789012 answered DAR "
                                       "15: unauthorised (password error)");
        assert_int_equal(meter_read(&m, &r), MB_OK);
        assert_int_equal(r.relay, MB_RELAY_CLOSED);
        P->meter_free(m.inst);
        bus_close(&b);
        stop();
}

/* An encryption service double: "encrypts" by wrapping in plaintext + RN,
 * and opens the reply it gets back. */
static int wraps, unwraps;

static int dbl_wrap(void *ctx, const char *addr, const uint8_t *apdu, size_t len, uint8_t *out,
                    size_t cap, size_t *n, int64_t deadline_ms, mb_err *err)
{
        static const uint8_t rn[16] = {1, 2, 3};

        assert_string_equal(addr, "123456789012");
        assert_int_equal(apdu[0], D698_ACTION_REQUEST);
        wraps++;
        *n = d698_secure_plain_rn(out, cap, apdu, len, rn, sizeof(rn));
        return *n ? MB_OK : MB_EINVAL;
}

static int dbl_unwrap(void *ctx, const char *addr, const uint8_t *resp, size_t len, uint8_t *out,
                      size_t cap, size_t *n, int64_t deadline_ms, mb_err *err)
{
        struct d698_secured s;
        int dar;

        unwraps++;
        if (d698_secure_unwrap(resp, len, &s, &dar) != D698_OK || !s.has_mac || s.len > cap)
                return mb_err_set(err, MB_EAUTH, "MAC does not check");
        memcpy(out, s.apdu, s.len);
        *n = s.len;
        return MB_OK;
}

static void signer_seam(void **state)
{
        static const struct d698_signer dbl = {dbl_wrap, dbl_unwrap};
        struct bus b;
        struct meter m;
        int st;

        (void)state;
        open_m1(M1, &b, &m);
        ((struct d698_meter *)m.inst)->signer = &dbl;
        assert_int_equal(control(&m, MB_CTL_TRIP, &st), MB_OK);
        assert_int_equal(st, MB_RELAY_OPEN);
        assert_int_equal(wraps, 1);
        assert_int_equal(unwraps, 1);
        assert_int_equal(pysim_count(&sim, "\"event\": \"secure\"", NULL), 1);
        P->meter_free(m.inst);
        bus_close(&b);
        stop();
}

static void discovery(void **state)
{
        struct bus b;
        struct meter m, other;
        mb_reading r;

        (void)state;
        start(M1, NULL);
        bus_open(&b);
        assert_int_equal(meter_new(&m, &b, "auto", opts_m1), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_OK);
        check_m1(&r);
        assert_int_equal(pysim_count(&sim, "\"addr\": \"AAAAAAAAAAAA\"", "\"sa_type\": 1"), 1);
        assert_true(fake_log_has("discovered meter address 123456789012"));
        /* Discovery needs the bus to itself. */
        assert_int_equal(meter_new(&other, &b, "000000000002", NULL), MB_ECONFIG);
        P->meter_free(m.inst);
        /* A pattern discovers too. */
        assert_int_equal(meter_new(&m, &b, "1234567890AA", opts_m1), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_OK);
        assert_string_equal(r.address, "123456789012");
        assert_int_equal(pysim_count(&sim, "\"addr\": \"1234567890AA\"", NULL), 1);
        P->meter_free(m.inst);
        /* A meter not on the bus. */
        assert_int_equal(meter_new(&m, &b, "000000000099", NULL), MB_OK);
        assert_int_equal(meter_read(&m, &r), MB_ETIMEDOUT);
        assert_string_equal(m.err.msg, "GET list of 7 (00100300...): no reply from 000000000099 "
                                       "within 2000 ms");
        P->meter_free(m.inst);
        bus_close(&b);
        stop();
}

static void options_and_identity(void **state)
{
        struct fake_kv bad[] = {KV_INT("phases", 2),
                                KV_INT("preamble", 5),
                                KV_STR("security", "esam"),
                                KV_INT("control_validity_s", 5),
                                {0}};
        struct fake_kv all[] = {KV_INT("phases", 3),
                                KV_INT("preamble", 0),
                                KV_INT("client_address", 0),
                                KV_INT("logical_address", 0),
                                KV_BOOL("list", 1),
                                KV_STR("security", "plain"),
                                KV_BOOL("reverse", 1),
                                KV_BOOL("rates", 1),
                                KV_BOOL("electrical", 1),
                                KV_BOOL("clock", 1),
                                KV_INT("clock_tolerance_s", 60),
                                KV_BOOL("frozen", 1),
                                KV_BOOL("prepaid", 0),
                                KV_BOOL("account", 1),
                                KV_BOOL("relay_status", 1),
                                KV_STR("scalers", "meter"),
                                KV_INT("utc_offset_min", 480),
                                KV_INT("control_validity_s", 600),
                                KV_BOOL("direct_close", 0),
                                {0}};
        mb_link_params none = {.name = "x", .type = "none"}, tcp = {.name = "t", .type = "tcp"};
        mb_link_params serial = {
            .name = "s", .type = "serial", .device = "/dev/null", .baud = 1234};
        struct mb_ctx ctx;
        struct bus b;
        struct meter m;
        void *link;
        mb_err err;
        char out[MB_ADDR_LEN];

        (void)state;
        fake_reset(0, M1_TIME);
        memset(&b, 0, sizeof(b));
        b.params = (mb_link_params){.name = "bus",
                                    .type = "serial",
                                    .device = "/dev/null",
                                    .baud = 2400,
                                    .parity = 'E',
                                    .timeout_ms = 1000};
        assert_int_equal(P->link_open(&fake_host, &b.ctx, &b.params, &b.link, &err), MB_OK);
        assert_int_equal(meter_new(&m, &b, "123456789012", bad), MB_ECONFIG);
        assert_int_equal(fake_cfg_errors(), 4);
        assert_int_equal(meter_new(&m, &b, "12345678901X", NULL), MB_ECONFIG);
        assert_non_null(strstr(m.err.msg, "is not a DL/T 698.45 address"));
        assert_int_equal(meter_new(&m, &b, "123456789012", all), MB_OK);
        assert_int_equal(fake_unused_keys(&m.ctx), 0);
        P->meter_free(m.inst);
        bus_close(&b);
        assert_int_equal(P->link_open(&fake_host, &ctx, &none, &link, &err), MB_ECONFIG);
        assert_int_equal(P->link_open(&fake_host, &ctx, &tcp, &link, &err), MB_ECONFIG);
        assert_int_equal(P->link_open(&fake_host, &ctx, &serial, &link, &err), MB_ECONFIG);

        assert_int_equal(P->normalise_address("39200933", out, sizeof(out), &err), MB_OK);
        assert_string_equal(out, "000039200933");
        assert_int_equal(P->normalise_address("123456789012", out, sizeof(out), &err), MB_OK);
        assert_string_equal(out, "123456789012");
        assert_int_equal(P->normalise_address("auto", out, sizeof(out), &err), MB_ENOENT);
        assert_int_equal(P->normalise_address("", out, sizeof(out), &err), MB_ENOENT);
        assert_int_equal(P->normalise_address("AAAAAAAAAAAA", out, sizeof(out), &err), MB_ENOENT);
        assert_int_equal(P->normalise_address("12-34", out, sizeof(out), &err), MB_EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(reads_everything),     cmocka_unit_test(reads_over_tcp),
            cmocka_unit_test(disturbed_line),       cmocka_unit_test(split_replies),
            cmocka_unit_test(one_by_one),           cmocka_unit_test(missing_objects),
            cmocka_unit_test(security_mode),        cmocka_unit_test(meter_scalers),
            cmocka_unit_test(remote_control),       cmocka_unit_test(refused_control),
            cmocka_unit_test(signer_seam),          cmocka_unit_test(discovery),
            cmocka_unit_test(options_and_identity), cmocka_unit_test(customer_number),
        };

        signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests(tests, NULL, NULL);
}
