/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's local balance, computed by the agent's own code
 * (agent_snapshot.c, agent_charge.c) for the money property test
 * (property_money.py): a snapshot as the server sent it, the tariff text it
 * names, and the readings after its reference, in sequence order.
 *
 *   agent_balance < {"snapshot": {...}, "tariff": "...",
 *                    "readings": [{"seq": 5, "ts": ..., "import_wh": ...,
 *                                  "rate_wh": [sharp, peak, flat, valley] (optional)}, ...]}
 *   [balance after the first reading, after the second, ...]
 *
 * Exit status 0, or 1 with a message on stderr (a snapshot the agent
 * refuses, a tariff that does not parse).  The process TZ must be the
 * server's zone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "agent_charge.h"
#include "agent_snapshot.h"

static char *read_all(FILE *f)
{
        size_t cap = 1 << 16, n = 0, r;
        char *buf = malloc(cap);

        while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
                n += r;
                if (n + 1 == cap) {
                        char *p = realloc(buf, cap *= 2);

                        if (p == NULL) {
                                free(buf);
                                return NULL;
                        }
                        buf = p;
                }
        }
        if (buf)
                buf[n] = '\0';
        return buf;
}

static int64_t get(json_object *o, const char *k)
{
        json_object *v;

        return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

int main(void)
{
        char *text = read_all(stdin), err[256];
        json_object *in = text ? json_tokener_parse(text) : NULL, *snap, *tt, *rd;
        struct agent_snapshot s;
        struct agent_charge c = {0};
        mb_tariff *t = NULL;
        json_object *out;

        free(text);
        if (!in || !json_object_object_get_ex(in, "snapshot", &snap) ||
            !json_object_object_get_ex(in, "tariff", &tt) ||
            !json_object_object_get_ex(in, "readings", &rd)) {
                fprintf(stderr, "agent_balance: input needs snapshot, tariff, readings\n");
                return 1;
        }
        if (agent_snapshot_parse(snap, &s, err, sizeof(err)) != MB_OK) {
                fprintf(stderr, "agent_balance: snapshot refused: %s\n", err);
                return 1;
        }
        if (mb_tariff_parse_string(json_object_get_string(tt), "tariff", &t, err, sizeof(err)) !=
            MB_OK) {
                fprintf(stderr, "agent_balance: tariff: %s\n", err);
                return 1;
        }
        if (agent_charge_start(&c, &s) != MB_OK)
                return 1;
        out = json_object_new_array();
        for (size_t i = 0; i < json_object_array_length(rd); i++) {
                json_object *r = json_object_array_get_idx(rd, i);
                mb_walk_point p = {.r = {.t = get(r, "ts"), .import_wh = get(r, "import_wh")}};
                json_object *rates = NULL;

                /* rate registers when the reading has them (time of use) */
                if (json_object_object_get_ex(r, "rate_wh", &rates) &&
                    json_object_array_length(rates) == MB_RATES) {
                        p.r.has_rates = 1;
                        for (int k = 0; k < MB_RATES; k++)
                                p.r.rate_wh[k] =
                                    json_object_get_int64(json_object_array_get_idx(rates, k));
                }

                if (agent_charge_add(&c, t, &p, err, sizeof(err)) != MB_OK)
                        fprintf(stderr, "agent_balance: seq %lld: %s\n", (long long)get(r, "seq"),
                                err);
                json_object_array_add(out, json_object_new_int64(agent_charge_balance(&c)));
        }
        puts(json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
        json_object_put(out);
        json_object_put(in);
        agent_charge_clear(&c);
        agent_snapshot_clear(&s);
        mb_tariff_free(t);
        return 0;
}
