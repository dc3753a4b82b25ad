/* SPDX-License-Identifier: Apache-2.0 */
/* Request validation: the readings batch and the JSON helpers name the field
 * (and index) of the first problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "srv_batch.h"
#include "srv_json.h"

static int parse(const char *body, struct srv_batch *b, struct srv_err *e)
{
        memset(e, 0, sizeof(*e));
        return srv_batch_parse(body, strlen(body), 100, 100, b, e);
}

static void good_batch(void **state)
{
        struct srv_batch b;
        struct srv_err e;
        const char *body =
            "{\"gateway\":\"gw-1\",\"sent_at\":1795574264,\"clock\":{\"ok\":true},"
            "\"readings\":[{\"meter\":\"2\",\"seq\":5,\"ts\":1795574200,\"import_wh\":9,"
            "\"kind\":\"boundary\",\"voltage_mv\":[221000]},"
            "{\"meter\":\"1\",\"seq\":41,\"ts\":1795574200,\"kind\":\"routine\",\"quality\":0,"
            "\"import_wh\":1234567,\"rate_wh\":[0,400000,500000,334567],\"relay\":\"closed\"},"
            "{\"meter\":\"1\",\"seq\":40,\"ts\":1795574100,\"import_wh\":1234000,"
            "\"frozen_import_wh\":1200000,\"frozen_time\":1793462400}],"
            "\"events\":[{\"id\":17,\"meter\":\"1\",\"ts\":1795574200,\"type\":\"command_result\","
            "\"data\":{\"command\":7,\"state\":\"done\",\"relay\":\"open\"}}]} \n";

        assert_int_equal(parse(body, &b, &e), 0);
        assert_string_equal(b.gateway, "gw-1");
        assert_int_equal(b.n_readings, 3);
        /* sorted by (meter, seq), each keeping its index */
        assert_string_equal(b.readings[0].meter, "1");
        assert_int_equal(b.readings[0].seq, 40);
        assert_int_equal(b.readings[0].index, 2);
        assert_true(b.readings[0].has_frozen);
        assert_int_equal(b.readings[1].seq, 41);
        assert_true(b.readings[1].has_rates);
        assert_int_equal(b.readings[1].rate_wh[3], 334567);
        assert_int_equal(b.readings[2].kind, SRV_KIND_BOUNDARY);
        assert_int_equal(b.n_events, 1);
        assert_true(b.events[0].is_command_result);
        assert_int_equal(b.events[0].command, 7);
        assert_string_equal(b.events[0].state, "done");
        srv_batch_free(&b);
}

struct bad {
        const char *body;
        int status;
        const char *field;
};

static void bad_batches(void **state)
{
        static const struct bad cases[] = {
            {"", 400, ""},
            {"[]", 400, ""},
            {"{\"gateway\":\"g\"} x", 400, ""},
            {"{\"gateway\":\"g\",", 400, ""},
            {"{\"readings\":[]}", 400, "gateway"},
            {"{\"gateway\":7}", 400, "gateway"},
            {"{\"gateway\":\"g\",\"extra\":1}", 400, "extra"},
            {"{\"gateway\":\"g\",\"readings\":{}}", 400, "readings"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200},"
             "{\"meter\":\"1\",\"seq\":0,\"ts\":1795574200}]}",
             400, "readings[1].seq"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"import_wh\":-1}]}",
             400, "readings[0].import_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"import_wh\":1.5}]}",
             400, "readings[0].import_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":\"now\"}]}", 400,
             "readings[0].ts"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"kind\":\"weird\"}]}",
             400, "readings[0].kind"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"rate_wh\":[1,2,3]}]}",
             400, "readings[0].rate_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"kind\":\"boundary\"}]}",
             400, "readings[0].import_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"bogus\":1}]}",
             400, "readings[0].bogus"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":3,\"ts\":1795574200,"
             "\"import_wh\":1},{\"meter\":\"1\",\"seq\":3,\"ts\":1795574200,\"import_wh\":2}]}",
             409, "readings[1].seq"},
            {"{\"gateway\":\"g\",\"events\":[{\"id\":1,\"ts\":1795574200,\"type\":"
             "\"command_result\"}]}",
             400, "events[0].data"},
            {"{\"gateway\":\"g\",\"events\":[{\"id\":1,\"ts\":1795574200,\"type\":"
             "\"command_result\",\"data\":{\"command\":1,\"state\":\"maybe\"}}]}",
             400, "events[0].data.state"},
            {"{\"gateway\":\"g\",\"events\":[{\"id\":0,\"ts\":1795574200,\"type\":\"x\"}]}", 400,
             "events[0].id"},
            /* values no bill can hold (srv_reading_check): 422 naming the field */
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"import_wh\":1000000000001}]}",
             422, "readings[0].import_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"import_wh\":5,\"rate_wh\":[1,2,1000000000001,4]}]}",
             422, "readings[0].rate_wh[2]"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"frozen_import_wh\":1000000000001,\"frozen_time\":1795574200}]}",
             422, "readings[0].frozen_import_wh"},
        };
        struct srv_batch b;
        struct srv_err e;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(parse(cases[i].body, &b, &e), -1);
                if (e.status != cases[i].status || strcmp(e.field, cases[i].field) != 0)
                        fail_msg("case %zu: got %d '%s' (%s)", i, e.status, e.field, e.message);
                assert_int_equal(b.n_readings, 0);
                srv_batch_free(&b);
        }
}

static void limits(void **state)
{
        const char *body =
            "{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200},"
            "{\"meter\":\"1\",\"seq\":2,\"ts\":1795574200}]}";
        struct srv_batch b;
        struct srv_err e;

        assert_int_equal(srv_batch_parse(body, strlen(body), 1, 1, &b, &e), -1);
        assert_int_equal(e.status, 413);
        assert_string_equal(e.field, "readings");
        srv_batch_free(&b);
}

static void json_helpers(void **state)
{
        static const char *const kinds[] = {"a", "b", NULL};
        json_object *o;
        struct srv_err e;
        const char *s;
        int64_t v;
        int k;

        {
                const char *body = "{\"n\":5,\"s\":\"x\",\"k\":\"b\",\"c\":\"a\\u0001\"}";

                assert_int_equal(srv_json_parse_object(body, strlen(body), &o, &e), 0);
        }
        assert_int_equal(srv_json_int(o, "n", "p[2]", 1, 0, 10, &v, &e), 1);
        assert_int_equal(v, 5);
        assert_int_equal(srv_json_int(o, "n", "p[2]", 1, 6, 10, &v, &e), -1);
        assert_string_equal(e.field, "p[2].n");
        assert_int_equal(srv_json_int(o, "missing", "", 0, 0, 1, &v, &e), 0);
        assert_int_equal(srv_json_int(o, "missing", "", 1, 0, 1, &v, &e), -1);
        assert_string_equal(e.code, "missing_field");
        assert_int_equal(srv_json_string(o, "s", "", 1, 8, &s, &e), 1);
        assert_int_equal(srv_json_string(o, "c", "", 1, 8, &s, &e), -1);
        assert_int_equal(srv_json_enum(o, "k", "", 1, kinds, &k, &e), 1);
        assert_int_equal(k, 1);
        assert_int_equal(srv_json_enum(o, "s", "", 1, kinds, &k, &e), -1);
        json_object_put(o);
        assert_true(srv_json_ident_ok("gw-1.a_b"));
        assert_false(srv_json_ident_ok("gw 1"));
        assert_false(srv_json_ident_ok(""));
}

/* Every field a three-phase DL/T 645 meter gives, typed, with no tree. */
static void agent_shaped(void **state)
{
        const char *body =
            "{\"gateway\":\"gw\",\"readings\":[{\"meter\":\"000000000001\",\"seq\":7,"
            "\"ts\":1795574200,\"kind\":\"routine\",\"import_wh\":1234567,\"export_wh\":2,"
            "\"rate_wh\":[1,2,3,4],\"power_mw\":-1500000,\"voltage_mv\":[220100,220200,220300],"
            "\"current_ma\":[6800,6900,7000],\"pf_milli\":-985,\"freq_mhz\":49990,"
            "\"relay\":\"closed\",\"address\":\"\\u0030001\",\"meter_time\":1795574203,"
            "\"frozen_import_wh\":1200000,\"frozen_time\":1793462400,\"remain_fen\":-3,"
            "\"overdraft_fen\":5,\"quality\":4,\"demand_mw\":4500000,\"demand_time\":1795500000,"
            "\"frozen_demand_mw\":4600000,\"frozen_demand_time\":1793462400}]}";
        struct srv_batch b;
        struct srv_err e;
        struct srv_reading *r;

        assert_int_equal(parse(body, &b, &e), 0);
        r = &b.readings[0];
        assert_int_equal(r->seq, 7);
        assert_int_equal(r->import_wh, 1234567);
        assert_int_equal(r->export_wh, 2);
        assert_true(r->has_rates && r->rate_wh[0] == 1 && r->rate_wh[3] == 4);
        assert_int_equal(r->power_mw, -1500000);
        assert_int_equal(r->n_voltage, 3);
        assert_int_equal(r->voltage_mv[2], 220300);
        assert_int_equal(r->n_current, 3);
        assert_int_equal(r->current_ma[0], 6800);
        assert_int_equal(r->pf_milli, -985);
        assert_int_equal(r->freq_mhz, 49990);
        assert_string_equal(r->relay, "closed");
        assert_string_equal(r->address, "0001"); /* unescaped */
        assert_int_equal(r->meter_time, 1795574203);
        assert_true(r->has_frozen && r->frozen_time == 1793462400);
        assert_int_equal(r->remain_fen, -3);
        assert_int_equal(r->overdraft_fen, 5);
        assert_int_equal(r->quality, 4);
        assert_int_equal(r->demand_mw, 4500000);
        assert_int_equal(r->demand_time, 1795500000);
        assert_int_equal(r->frozen_demand_mw, 4600000);
        assert_int_equal(r->frozen_demand_time, 1793462400);
        assert_int_equal(r->has, SRV_R_EXPORT | SRV_R_POWER | SRV_R_PF | SRV_R_FREQ |
                                     SRV_R_METER_TIME | SRV_R_REMAIN | SRV_R_OVERDRAFT |
                                     SRV_R_DEMAND | SRV_R_DEMAND_TIME | SRV_R_FROZEN_DEMAND |
                                     SRV_R_FROZEN_DEMAND_TIME);
        srv_batch_free(&b);
}

/* The same reading twice in a batch, its keys in another order, is one
 * reading; with another value it is a conflict. */
static void same_reading(void **state)
{
        const char *twice = "{\"gateway\":\"g\",\"readings\":["
                            "{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,\"voltage_mv\":[1,2]},"
                            "{\"voltage_mv\":[1,2],\"ts\":1795574200,\"seq\":1,\"meter\":\"1\"}]}";
        const char *other = "{\"gateway\":\"g\",\"readings\":["
                            "{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,\"voltage_mv\":[1,2]},"
                            "{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,\"voltage_mv\":[1,3]}]}";
        struct srv_batch b;
        struct srv_err e;

        assert_int_equal(parse(twice, &b, &e), 0);
        assert_true(srv_reading_same(&b.readings[0], &b.readings[1]));
        srv_batch_free(&b);
        assert_int_equal(parse(other, &b, &e), -1);
        assert_int_equal(e.status, 409);
        assert_string_equal(e.field, "readings[1].seq");
        srv_batch_free(&b);
}

static void bad_fields(void **state)
{
        static const struct bad cases[] = {
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"rate_wh\":[1,2,3]}]}",
             400, "readings[0].rate_wh"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"rate_wh\":[1,2,3,4,5]}]}",
             400, "readings[0].rate_wh[4]"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"voltage_mv\":[1,2,3,4]}]}",
             400, "readings[0].voltage_mv[3]"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"current_ma\":[[1]]}]}",
             400, "readings[0].current_ma[0]"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"power_mw\":1.5}]}",
             400, "readings[0].power_mw"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"pf_milli\":1001}]}",
             400, "readings[0].pf_milli"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"relay\":1}]}",
             400, "readings[0].relay"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"frozen_import_wh\":5}]}",
             400, "readings[0].frozen_time"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"frozen_demand_mw\":5}]}",
             400, "readings[0].frozen_demand_time"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"frozen_demand_time\":1795574200}]}",
             400, "readings[0].frozen_demand_mw"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"demand_time\":1795574200}]}",
             400, "readings[0].demand_mw"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"demand_mw\":-1}]}",
             400, "readings[0].demand_mw"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"import_wh\":1,\"frozen_demand_mw\":1000000000001,\"frozen_demand_time\":1}]}",
             422, "readings[0].frozen_demand_mw"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1}]}", 400,
             "readings[0].ts"},
            {"{\"gateway\":\"g\",\"readings\":[{\"meter\":\"1\",\"seq\":1,\"ts\":1795574200,"
             "\"rate_wh\":{}}]}",
             400, "readings[0].rate_wh"},
            {"[]", 400, ""},
            {"{\"readings\":[]}", 400, "gateway"},
        };
        struct srv_batch b;
        struct srv_err e;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                assert_int_equal(parse(cases[i].body, &b, &e), -1);
                if (e.status != cases[i].status || strcmp(e.field, cases[i].field) != 0)
                        fail_msg("case %zu: got %d '%s' (%s)", i, e.status, e.field, e.message);
                srv_batch_free(&b);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(good_batch),   cmocka_unit_test(bad_batches),
            cmocka_unit_test(limits),       cmocka_unit_test(json_helpers),
            cmocka_unit_test(agent_shaped), cmocka_unit_test(same_reading),
            cmocka_unit_test(bad_fields),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
