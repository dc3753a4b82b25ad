/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the meter's `options` group.  Every option is optional; each has a
 * default and a range (docs/plugins/dlt698.md lists them).  Parsing goes on
 * after an error so that one `meterbox-agent -t` run reports every bad key,
 * and every key is looked up so the host never calls a valid key unknown.
 */
#include <string.h>

#include <meterbox/options.h>

#include "dlt698.h"

static const char *const scaler_names[] = {"meter", "standard", NULL};
static const char *const security_names[] = {"plain", "rn", NULL};

static void parse_line(mb_opt_parser *p, struct d698_opts *o)
{
        int64_t v;

        mb_opt_int64(p, "phases", &v, 1, 1, 3);
        if (v == 2)
                mb_opt_error(p, "phases", "phases must be 1 or 3, not 2");
        o->phases = v == 3 ? 3 : 1;
        mb_opt_int(p, "preamble", &o->preamble, 4, 0, D698_PREAMBLE_MAX);
        mb_opt_int(p, "client_address", &o->client, 0, 0, 255);
        mb_opt_int(p, "logical_address", &o->logical, 0, 0, 255);
        mb_opt_bool(p, "list", &o->list, 1);
        mb_opt_enum(p, "security", &o->security, D698_SEC_PLAIN, security_names,
                    "\"plain\" or \"rn\"");
}

static void parse_reading(mb_opt_parser *p, struct d698_opts *o)
{
        int64_t v;
        int scalers;

        mb_opt_bool(p, "reverse", &o->reverse, 1);
        mb_opt_bool(p, "rates", &o->rates, 1);
        mb_opt_bool(p, "electrical", &o->electrical, 1);
        mb_opt_bool(p, "clock", &o->clock, 1);
        mb_opt_int64(p, "clock_tolerance_s", &o->clock_tolerance_s, 300, 0, 86400);
        mb_opt_bool(p, "frozen", &o->frozen, 1);
        mb_opt_bool(p, "prepaid", &o->prepaid, 0);
        mb_opt_bool(p, "account", &o->account, o->prepaid);
        mb_opt_bool(p, "relay_status", &o->relay_status, 1);
        mb_opt_enum(p, "scalers", &scalers, 0, scaler_names, "\"meter\" or \"standard\"");
        o->read_scalers = scalers == 0;
        o->has_utc_offset = mb_opt_int64(p, "utc_offset_min", &v, 0, -720, 840) != MB_ENOENT;
        o->utc_offset_s = v * 60;
}

static void parse_control(mb_opt_parser *p, struct d698_opts *o)
{
        mb_opt_int64(p, "control_validity_s", &o->control_validity_s, 600, 10, 86400);
        mb_opt_bool(p, "direct_close", &o->direct_close, 0);
}

int d698_options_parse(struct d698_meter *m)
{
        mb_opt_parser p = mb_opt_parser_init(m->host, m->ctx);

        memset(&m->o, 0, sizeof(m->o));
        parse_line(&p, &m->o);
        parse_reading(&p, &m->o);
        parse_control(&p, &m->o);
        return p.rc;
}

/* Transactions one meter_read takes at most (for the timeout warning). */
int d698_meter_requests(const struct d698_meter *m)
{
        const struct d698_opts *o = &m->o;
        int objects = 2 + o->reverse + 5 * o->electrical + o->clock + 2 * o->prepaid +
                      2 * o->relay_status + o->account;
        int n = o->list ? 1 : objects;

        if (o->read_scalers)
                n += o->list ? 1 : 1 + o->reverse + 5 * o->electrical;
        return n + o->frozen + m->auto_addr;
}
