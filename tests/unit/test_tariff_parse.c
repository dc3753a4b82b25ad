/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tariff file parser: every example in etc/tariffs loads, the canonical
 * text round-trips, and broken tariffs are refused with NAME:LINE: reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <unistd.h>

#include "test_tariff_util.h"

static int setup(void **state)
{
        tt_tz();
        return 0;
}

/* Parse every .conf in etc/tariffs; each must load and round-trip. */
static void test_examples_load(void **state)
{
        DIR *d = opendir(MB_TARIFF_DIR);
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)) != NULL) {
                size_t len = strlen(de->d_name);
                mb_tariff *t, *t2 = NULL;
                char *a, *b, err[512];

                if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0)
                        continue;
                t = tt_load(de->d_name);
                a = mb_tariff_to_text(t);
                assert_non_null(a);
                if (mb_tariff_parse_string(a, de->d_name, &t2, err, sizeof(err)) != MB_OK)
                        fail_msg("canonical text of %s does not parse: %s\n%s", de->d_name, err, a);
                b = mb_tariff_to_text(t2);
                assert_string_equal(a, b);
                free(a);
                free(b);
                mb_tariff_free(t);
                mb_tariff_free(t2);
                n++;
        }
        closedir(d);
        assert_true(n >= 4);
}

static void test_example_contents(void **state)
{
        mb_tariff *bj = tt_load("beijing-residential.conf");
        mb_tariff *ent = tt_load("enterprise-tou-demand.conf");
        mb_tariff_version_info vi;
        mb_tariff_tier_info ti;

        assert_int_equal(mb_tariff_version(bj, 0, &vi), MB_OK);
        assert_int_equal(vi.tier_period, MB_TIER_MONTH);
        assert_int_equal(vi.settlement_day, 1);
        assert_int_equal(vi.ntiers, 3);
        assert_false(vi.has_tou);
        assert_int_equal(vi.rates, 1u << MB_RATE_NONE);
        assert_int_equal(mb_tariff_tier(bj, 0, 0, &ti), MB_OK);
        assert_int_equal(ti.upto_wh, 240000);
        assert_int_equal(ti.price[MB_RATE_NONE], 4883);
        assert_int_equal(mb_tariff_tier(bj, 0, 2, &ti), MB_OK);
        assert_int_equal(ti.upto_wh, -1);
        assert_int_equal(ti.price[MB_RATE_NONE], 7883);

        assert_int_equal(mb_tariff_version(ent, 0, &vi), MB_OK);
        assert_int_equal(vi.fixed_monthly, 200000);
        assert_int_equal(vi.demand_price, 380000);
        assert_int_equal(vi.rates, 0x1e);
        mb_tariff_free(bj);
        mb_tariff_free(ent);
}

/* A broken tariff: the text, the line the error must name, and words the
 * reason must contain. */
struct bad {
        const char *text;
        int line;
        const char *reason;
};

#define HEAD "id = \"t\";\nversions = (\n"

static const struct bad bads[] = {
    {HEAD "{ from = \"2024-01-01\";\n  prise = \"0.5\"; } );\n", 4, "unknown key 'prise'"},
    {HEAD "{ from = \"2024-01-01\";\n  price = 0.5; } );\n", 4, "floating point"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\";\n  settlement_day = \"1\"; } );\n", 4,
     "'settlement_day' must be an integer"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\";\n  settlement_day = 29; } );\n", 4,
     "between 1 and 28"},
    {HEAD "{ from = \"2024-01-01\"; tiers = (\n { upto_kwh = 400; price = \"0.5\"; },\n"
          " { upto_kwh = 240; price = \"0.6\"; },\n { price = \"0.7\"; } ); } );\n",
     5, "tiers must increase"},
    {HEAD "{ from = \"2024-01-01\"; tiers = (\n { upto_kwh = 240; price = \"0.5\"; },\n"
          " { upto_kwh = 400; price = \"0.6\"; } ); } );\n",
     5, "last tier must not have 'upto_kwh'"},
    {HEAD "{ from = \"2024-01-01\"; tiers = (\n { price = \"0.5\"; },\n"
          " { price = \"0.6\"; } ); } );\n",
     4, "tier 1 needs 'upto_kwh'"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"08:00\"; to = \"22:00\"; rate = \"peak\"; } ); };\n"
          "  prices = { peak = \"0.5\"; }; } );\n",
     4, "periods leave 00:00-08:00 uncovered"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"08:00\"; to = \"22:00\"; rate = \"peak\"; },\n"
          "    { from = \"21:00\"; to = \"08:00\"; rate = \"valley\"; } ); };\n"
          "  prices = { peak = \"0.5\"; valley = \"0.3\"; }; } );\n",
     6, "overlaps the period at line 5"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"08:00\"; to = \"22:00\"; rate = \"sharp\"; },\n"
          "    { from = \"22:00\"; to = \"08:00\"; rate = \"valley\"; } ); };\n"
          "  tiers = (\n    { prices = { peak = \"0.5\"; valley = \"0.3\"; }; } ); } );\n",
     8, "rate 'sharp' is used by tou periods but has no price"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); };\n"
          "  tiers = (\n    { upto_kwh = 10; prices = { flat = \"0.5\"; }; },\n"
          "    { prices = { flat = \"0.6\"; peak = \"0.9\"; }; } ); } );\n",
     8, "tier 2 prices other rates than tier 1"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"00:00\"; to = \"24:00\"; rate = \"middle\"; } ); };\n"
          "  prices = { flat = \"0.5\"; }; } );\n",
     5, "unknown rate 'middle'"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"08:00\"; to = \"08:00\"; rate = \"flat\"; } ); };\n"
          "  prices = { flat = \"0.5\"; }; } );\n",
     5, "empty or ambiguous"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"8:00\"; to = \"24:00\"; rate = \"flat\"; } ); };\n"
          "  prices = { flat = \"0.5\"; }; } );\n",
     5, "'from' must be a time HH:MM"},
    {HEAD "{ from = \"2024-01-01\";\n  prices = { flat = \"0.5\"; }; } );\n", 4,
     "'prices' by rate needs a 'tou' section"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = { periods = (\n"
          "    { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); };\n"
          "  price = \"0.5\"; } );\n",
     6, "give prices by rate"},
    {HEAD "{ from = \"2024-01-01\";\n  label = \"no price\"; } );\n", 3, "missing 'price'"},
    {HEAD "{ from = \"2024-02-30\"; price = \"0.5\"; } );\n", 3, "'from' must be a date"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\"; },\n"
          "{ from = \"2023-01-01\"; price = \"0.6\"; } );\n",
     4, "versions must be in date order"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.48831\"; } );\n", 3, "at most 4 decimals"},
    {HEAD "{ from = \"2024-01-01\"; price = \"-0.1\"; } );\n", 3, "must not be negative"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\"; tier_period = \"week\"; } );\n", 3,
     "\"month\" or \"year\""},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\";\n  settlement_month = 3; } );\n", 4,
     "needs tier_period = \"year\""},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\"; tiers = (\n"
          "  { price = \"0.5\"; } ); } );\n",
     3, "give the prices inside each tier"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = {\n    seasons = (\n"
          "      { name = \"summer\"; from = \"06-01\"; to = \"08-31\"; periods = (\n"
          "        { from = \"00:00\"; to = \"24:00\"; rate = \"peak\"; } ); },\n"
          "      { name = \"hot\"; from = \"08-15\"; to = \"09-15\"; periods = (\n"
          "        { from = \"00:00\"; to = \"24:00\"; rate = \"peak\"; } ); } );\n"
          "    periods = ( { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); };\n"
          "  prices = { peak = \"0.6\"; flat = \"0.5\"; }; } );\n",
     8, "season 'hot' overlaps season 'summer' on 08-15"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = {\n    seasons = (\n"
          "      { name = \"summer\"; from = \"06-01\"; to = \"08-31\"; periods = (\n"
          "        { from = \"00:00\"; to = \"24:00\"; rate = \"peak\"; } ); } ); };\n"
          "  prices = { peak = \"0.6\"; }; } );\n",
     4, "no season covers 01-01"},
    {HEAD "{ from = \"2024-01-01\";\n  tou = {\n    special_days = (\n"
          "      { name = \"a\"; dates = [ \"05-01\" ]; periods = (\n"
          "        { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); },\n"
          "      { name = \"b\";\n        dates = [ \"2024-05-01\" ]; periods = (\n"
          "        { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); } );\n"
          "    periods = ( { from = \"00:00\"; to = \"24:00\"; rate = \"flat\"; } ); };\n"
          "  prices = { flat = \"0.5\"; }; } );\n",
     9, "\"2024-05-01\" is already listed in 'a'"},
    {HEAD "{ from = \"2024-01-01\";\n  price = ; } );\n", 4, "syntax error"},
    {"id = \"t\";\n\n", 1, "missing required key 'versions'"},
    {"id = \"bad id!\";\nversions = ( { from = \"2024-01-01\"; price = \"1\"; } );\n", 1,
     "'id' may only hold"},
    {"id = 5;\n", 1, "'id' must be a string"},
    {"id = \"t\";\ncolour = \"red\";\n", 2, "unknown key 'colour'"},
    {"id = \"t\";\n@include \"/etc/passwd\"\n", 2, "@include is not allowed"},
    {HEAD
     "{ from = \"2024-01-01\"; price = \"0.5\";\n  origin = { from = \"2020-01-01\"; }; } );\n",
     4, "'origin' needs 'tariff'"},
    {HEAD "{ from = \"2024-01-01\"; price = \"0.5\";\n  origin = { tariff = \"a\";\n from = "
          "\"2020-02-30\"; }; } );\n",
     5, "'from' must be a date"},
};

static void test_broken_tariffs(void **state)
{
        int failed = 0;

        for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
                mb_tariff *t = NULL;
                char err[512] = "", where[64];
                int rc = mb_tariff_parse_string(bads[i].text, "bad.conf", &t, err, sizeof(err));

                snprintf(where, sizeof(where), "bad.conf:%d: ", bads[i].line);
                if (rc != MB_ECONFIG || t != NULL || strncmp(err, where, strlen(where)) != 0 ||
                    strstr(err, bads[i].reason) == NULL) {
                        print_error("case %zu: rc %d, got \"%s\", want \"%s...%s\"\n", i, rc, err,
                                    where, bads[i].reason);
                        failed++;
                }
                mb_tariff_free(t);
        }
        assert_int_equal(failed, 0);
}

static void test_file_errors(void **state)
{
        char dir[] = "/tmp/mbtariffXXXXXX", path[128], want[256], err[512];
        mb_tariff *t = NULL;
        FILE *f;

        assert_int_equal(mb_tariff_parse_file("/nonexistent/x.conf", &t, err, sizeof(err)), MB_EIO);
        assert_non_null(strstr(err, "/nonexistent/x.conf: cannot read"));

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/broken.conf", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(bads[4].text, f); /* tiers not increasing, line 5 */
        fclose(f);
        assert_int_equal(mb_tariff_parse_file(path, &t, err, sizeof(err)), MB_ECONFIG);
        snprintf(want, sizeof(want), "%s:5: tier 2: 'upto_kwh' must be above tier 1's", path);
        assert_non_null(strstr(err, want));
        assert_null(t);
        unlink(path);
        rmdir(dir);
}

/* Whole-day and midnight-crossing periods normalise to the same schedule. */
static void test_canonical_equal(void **state)
{
        const char *a = HEAD "{ from = \"2024-01-01\"; tou = { periods = (\n"
                             "{ from = \"22:00\"; to = \"08:00\"; rate = \"valley\"; },\n"
                             "{ from = \"08:00\"; to = \"22:00\"; rate = \"peak\"; } ); };\n"
                             "prices = { peak = \"0.568\"; valley = \"0.288\"; }; } );\n";
        const char *b = HEAD "{ from = \"2024-01-01\"; tou = { periods = (\n"
                             "{ from = \"00:00\"; to = \"08:00\"; rate = \"valley\"; },\n"
                             "{ from = \"08:00\"; to = \"12:00\"; rate = \"peak\"; },\n"
                             "{ from = \"12:00\"; to = \"22:00\"; rate = \"peak\"; },\n"
                             "{ from = \"22:00\"; to = \"24:00\"; rate = \"valley\"; } ); };\n"
                             "tiers = ( { prices = { valley = \"0.2880\"; peak = \"0.5680\"; };"
                             " } ); } );\n";
        mb_tariff *ta = NULL, *tb = NULL;
        char err[512], *sa, *sb;

        assert_int_equal(mb_tariff_parse_string(a, "a", &ta, err, sizeof(err)), MB_OK);
        assert_int_equal(mb_tariff_parse_string(b, "b", &tb, err, sizeof(err)), MB_OK);
        sa = mb_tariff_to_text(ta);
        sb = mb_tariff_to_text(tb);
        assert_string_equal(sa, sb);
        assert_non_null(strstr(sa, "{ from = \"22:00\"; to = \"24:00\"; rate = \"valley\"; }"));
        free(sa);
        free(sb);
        mb_tariff_free(ta);
        mb_tariff_free(tb);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_examples_load),   cmocka_unit_test(test_example_contents),
            cmocka_unit_test(test_broken_tariffs),  cmocka_unit_test(test_file_errors),
            cmocka_unit_test(test_canonical_equal),
        };
        return cmocka_run_group_tests(tests, setup, NULL);
}
