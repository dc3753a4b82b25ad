/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: the meter's `options` group.  Every option is optional; each has a
 * default and a range (docs/plugins/dlt645.md lists them).  Parsing goes on
 * after an error so that one `meterbox-agent -t` run reports every bad key,
 * and every key is looked up so the host never calls a valid key unknown.
 */
#include <string.h>

#include <meterbox/options.h>

#include "dlt645.h"

/* An option that only the 2007 protocol has: refused when set for 1997. */
static void only_2007(mb_opt_parser *p, const struct dlt_opts *o, const char *key, int present,
                      const char *what)
{
        if (present && o->proto == DLT_1997)
                mb_opt_error(p, key, "%s needs protocol \"2007\" (DL/T 645-1997 has no %s)", key,
                             what);
}

static const char *const proto_names[] = {"2007", "1997", NULL};
static const char *const import_names[] = {"forward", "combined", NULL};

static void parse_reading(mb_opt_parser *p, struct dlt_opts *o)
{
        int64_t v;
        int proto, present;

        mb_opt_enum(p, "protocol", &proto, 0, proto_names, "\"2007\" or \"1997\"");
        o->proto = proto == 1 ? DLT_1997 : DLT_2007;
        mb_opt_int64(p, "phases", &v, 1, 1, 3);
        if (v == 2)
                mb_opt_error(p, "phases", "phases must be 1 or 3, not 2");
        o->phases = v == 3 ? 3 : 1;
        mb_opt_bool(p, "block", &o->block, 1);
        mb_opt_int(p, "preamble", &o->preamble, 4, 0, DLT_PREAMBLE_MAX);
        mb_opt_enum(p, "import", &o->import_reg, 0, import_names, "\"forward\" or \"combined\"");
        only_2007(p, o, "import", o->import_reg == DLT_IMPORT_COMBINED, "combined active energy");
        mb_opt_bool(p, "reverse", &o->reverse, 1);
        mb_opt_bool(p, "rates", &o->rates, 1);
        mb_opt_bool(p, "electrical", &o->electrical, 1);
        mb_opt_bool(p, "clock", &o->clock, 1);
        mb_opt_int64(p, "clock_tolerance_s", &o->clock_tolerance_s, 300, 0, 86400);
        present = mb_opt_bool(p, "frozen", &o->frozen, o->proto == DLT_2007) != MB_ENOENT;
        only_2007(p, o, "frozen", present && o->frozen, "settlement-day registers");
        present = mb_opt_bool(p, "prepaid", &o->prepaid, 0) != MB_ENOENT;
        only_2007(p, o, "prepaid", present && o->prepaid, "cost-control registers");
        present = mb_opt_bool(p, "account", &o->account, o->prepaid) != MB_ENOENT;
        only_2007(p, o, "account", present && o->account, "customer number (0400040E)");
        present = mb_opt_bool(p, "demand", &o->demand, 0) != MB_ENOENT;
        only_2007(p, o, "demand", present && o->demand, "maximum demand (01010000)");
        present =
            mb_opt_bool(p, "relay_status", &o->relay_status, o->proto == DLT_2007) != MB_ENOENT;
        only_2007(p, o, "relay_status", present && o->relay_status, "run status word 3");
        o->has_utc_offset = mb_opt_int64(p, "utc_offset_min", &v, 0, -720, 840) != MB_ENOENT;
        o->utc_offset_s = v * 60;
}

static void parse_control(mb_opt_parser *p, struct dlt_opts *o)
{
        const char *s;
        int present;

        if (mb_opt_string(p, "password", &s, NULL) == MB_OK) {
                /* "02123456": level 02, password 123456, sent PA P0 P1 P2. */
                uint8_t b[4];
                if (dlt_hex4_parse(s, b) < 0) {
                        mb_opt_error(p, "password",
                                     "password must be 8 hex digits, level then password "
                                     "(\"02123456\": level 02, password 123456), not \"%s\"",
                                     s);
                } else {
                        o->password[0] = b[3];
                        o->password[1] = b[0];
                        o->password[2] = b[1];
                        o->password[3] = b[2];
                        o->has_password = 1;
                }
        }
        only_2007(p, o, "password", o->has_password, "remote control (1CH)");
        if (mb_opt_string(p, "operator", &s, NULL) == MB_OK &&
            dlt_hex4_parse(s, o->operator_code) < 0)
                mb_opt_error(p, "operator",
                             "operator must be 8 hex digits (\"12345678\"), not \"%s\"", s);
        mb_opt_int64(p, "control_validity_s", &o->control_validity_s, 600, 10, 86400);
        present = mb_opt_bool(p, "direct_close", &o->direct_close, 0) != MB_ENOENT;
        only_2007(p, o, "direct_close", present && o->direct_close, "remote control (1CH)");
        mb_opt_bool(p, "time_sync", &o->time_sync, 0);
        mb_opt_int64(p, "time_sync_interval_s", &o->time_sync_interval_s, 86400, 3600, 31 * 86400);
}

int dlt_options_parse(struct dlt_meter *m, const mb_meter_params *params)
{
        mb_opt_parser p = mb_opt_parser_init(m->host, m->ctx);

        memset(&m->o, 0, sizeof(m->o));
        parse_reading(&p, &m->o);
        parse_control(&p, &m->o);
        return p.rc;
}

/* Transactions one meter_read takes at most (for the timeout warning). */
int dlt_meter_items(const struct dlt_meter *m)
{
        const struct dlt_opts *o = &m->o;
        int blocks = o->block && o->proto == DLT_2007;
        int n = 1;

        if (o->rates)
                n += blocks ? 0 : 4;
        n += o->reverse;
        if (o->electrical) {
                int per_phase = blocks || o->phases == 1 ? 1 : 3;
                n += 2 * per_phase + 2 + (o->proto == DLT_2007);
        }
        n += o->clock ? 2 : 0;
        n += o->frozen ? 1 : 0;
        n += o->prepaid ? (blocks ? 1 : 2) : 0;
        n += o->relay_status;
        n += o->account;
        n += o->demand ? 2 : 0; /* this month's; last month's, when the month turned */
        n += m->auto_addr;
        return n;
}
