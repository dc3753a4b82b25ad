/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the agent takes from the server's answer (docs/wire.md): one entry
 * of the "meters" array, parsed by agent_snapshot_parse (balance,
 * reference reading, tier position, the month accumulator through
 * mb_tariff_wire_acc_parse, thresholds), then charged as the policy does:
 * agent_charge_start and one interval after the reference under a tiered
 * tariff.  A spoofed or broken server must not crash the gateway or make it
 * overflow its arithmetic (UBSan), whatever numbers it sends.  The entry's
 * signature is checked first, as an agent with a command key does: the
 * canonical form of mb_snapsig.c walks whatever values arrive.
 */
#include <stdint.h>
#include <string.h>

#include <json-c/json.h>

#include "agent_charge.h"
#include "agent_snapshot.h"
#include "mb_snapsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char tariff_text[] =
    "id = \"t\"; name = \"tiers\"; currency = \"CNY\";\n"
    "versions = ( { from = \"2012-07-01\"; tier_period = \"month\"; settlement_day = 1;\n"
    "  tiers = ( { upto_kwh = 240; price = \"0.4883\"; }, { price = \"0.7883\"; } ); } );\n";

static mb_tariff *tariff(void)
{
        static mb_tariff *t;
        char err[200];

        if (!t && mb_tariff_parse_string(tariff_text, "fuzz", &t, err, sizeof(err)) != MB_OK)
                __builtin_trap();
        return t;
}

static void charge(const struct agent_snapshot *s)
{
        struct agent_charge c = {0}; /* agent_charge_start clears it first */
        mb_walk_point cur = {.r = s->ref};
        char err[200];

        if (agent_charge_start(&c, s) != MB_OK)
                return;
        /* one hour and 1 kWh after the reference, unless that overflows */
        if (cur.r.t < INT64_MAX - 3600 && cur.r.import_wh < INT64_MAX - 1000) {
                cur.r.t += 3600;
                cur.r.import_wh += 1000;
                agent_charge_add(&c, tariff(), &cur, err, sizeof(err));
                /* and once across a wrap of the snapshot's register range */
                cur.r.import_wh = 5;
                agent_charge_add(&c, tariff(), &cur, err, sizeof(err));
        }
        agent_charge_balance(&c);
        agent_charge_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct json_tokener *tok = json_tokener_new_ex(64);
        struct agent_snapshot s;
        json_object *o;
        char err[200];

        if (!tok)
                return 0;
        o = json_tokener_parse_ex(tok, (const char *)data, (int)(size > INT32_MAX ? 0 : size));
        json_tokener_free(tok);
        if (!o)
                return 0;
        mb_snapsig_verify("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                          "gw-fuzz", o);
        memset(&s, 0, sizeof(s));
        if (agent_snapshot_parse(o, &s, err, sizeof(err)) == MB_OK)
                charge(&s);
        agent_snapshot_clear(&s);
        json_object_put(o);
        return 0;
}
