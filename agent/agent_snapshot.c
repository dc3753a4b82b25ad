/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_snapshot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent_policy.h"
#include "mb_multiplier.h"
#include "mb_tariff_wire.h"

int agent_local_month(int64_t t)
{
        time_t tt = (time_t)t;
        struct tm tm;

        localtime_r(&tt, &tm);
        return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

void agent_snapshot_clear(struct agent_snapshot *s)
{
        mb_tariff_acc_free(s->acc);
        memset(s, 0, sizeof(*s));
}

static int bad(char *err, size_t len, const char *field)
{
        snprintf(err, len, "%s: missing or invalid", field);
        return MB_EPROTO;
}

static int get_i64(json_object *o, const char *k, int64_t *out)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_int))
                return -1;
        *out = json_object_get_int64(v);
        return 0;
}

/* Bounds on what a server may send, so that no arithmetic on them can
 * overflow (found by tests/fuzz/fuzz_agent_snapshot.c): money within
 * +-10^15 fen, registers and tier use within 0..10^15 Wh, times within
 * 0..year 9999, sequence numbers non-negative. */
#define MONEY_MAX INT64_C(1000000000000000)
#define WH_MAX INT64_C(1000000000000000)
#define T_MAX INT64_C(253402300799)

static int get_in(json_object *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
        return get_i64(o, k, out) < 0 || *out < lo || *out > hi ? -1 : 0;
}

static int get_str(json_object *o, const char *k, char *out, size_t len)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string) ||
            (size_t)json_object_get_string_len(v) >= len)
                return -1;
        memcpy(out, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
        return 0;
}

static int get_bool(json_object *o, const char *k, int *out)
{
        json_object *v;

        if (!json_object_object_get_ex(o, k, &v))
                return (*out = 0), 0;
        if (!json_object_is_type(v, json_type_boolean))
                return -1;
        *out = json_object_get_boolean(v);
        return 0;
}

static int parse_ref(json_object *o, struct agent_snapshot *s, char *err, size_t len)
{
        json_object *ref, *rates;

        if (!json_object_object_get_ex(o, "ref", &ref) ||
            get_in(ref, "seq", 0, INT64_MAX, &s->ref_seq) < 0 ||
            get_in(ref, "t", 0, T_MAX, &s->ref.t) < 0 ||
            get_in(ref, "import_wh", 0, WH_MAX, &s->ref.import_wh) < 0)
                return bad(err, len, "ref");
        if (json_object_object_get_ex(ref, "rate_wh", &rates)) {
                if (!json_object_is_type(rates, json_type_array) ||
                    json_object_array_length(rates) != MB_RATES)
                        return bad(err, len, "ref.rate_wh");
                for (int i = 0; i < MB_RATES; i++) {
                        json_object *r = json_object_array_get_idx(rates, i);
                        s->ref.rate_wh[i] = json_object_get_int64(r);
                        if (!json_object_is_type(r, json_type_int) || s->ref.rate_wh[i] < 0 ||
                            s->ref.rate_wh[i] > WH_MAX)
                                return bad(err, len, "ref.rate_wh");
                }
                s->ref.has_rates = 1;
        }
        return MB_OK;
}

/* No tariff is in force (tariff null): nothing to charge by. */
static int no_tariff(json_object *o)
{
        json_object *v;

        return json_object_object_get_ex(o, "tariff", &v) && !v;
}

/* The server has no reading of the meter yet: ref (and tier) null. */
static int no_ref(json_object *o)
{
        json_object *v;

        return json_object_object_get_ex(o, "ref", &v) && !v;
}

static int parse_money(json_object *o, struct agent_snapshot *s, char *err, size_t len)
{
        json_object *th, *tier, *tariff;

        if (get_in(o, "balance_fen", -MONEY_MAX, MONEY_MAX, &s->balance_fen) < 0)
                return bad(err, len, "balance_fen");
        if (!json_object_object_get_ex(o, "thresholds", &th) ||
            get_in(th, "alarm1_fen", -MONEY_MAX, MONEY_MAX, &s->alarm1_fen) < 0 ||
            get_in(th, "alarm2_fen", -MONEY_MAX, MONEY_MAX, &s->alarm2_fen) < 0 ||
            get_in(th, "credit_limit_fen", -MONEY_MAX, MONEY_MAX, &s->credit_limit_fen) < 0 ||
            get_in(th, "reconnect_fen", -MONEY_MAX, MONEY_MAX, &s->reconnect_fen) < 0)
                return bad(err, len, "thresholds");
        if (!json_object_object_get_ex(o, "tariff", &tariff) ||
            get_str(tariff, "id", s->tariff_id, sizeof(s->tariff_id)) < 0 ||
            get_str(tariff, "hash", s->tariff_hash, sizeof(s->tariff_hash)) < 0)
                return bad(err, len, "tariff");
        /* where the register wraps (docs/tariffs.md, the walk); optional */
        if (json_object_object_get_ex(o, "rollover_wh", NULL) &&
            get_in(o, "rollover_wh", 0, WH_MAX, &s->rollover_wh) < 0)
                return bad(err, len, "rollover_wh");
        /* behind CT and PT: pieces are charged times this (mb_multiplier.h) */
        s->multiplier = 1;
        if (json_object_object_get_ex(o, "multiplier", NULL) &&
            get_in(o, "multiplier", 1, MB_MULTIPLIER_MAX, &s->multiplier) < 0)
                return bad(err, len, "multiplier");
        if (no_ref(o)) {
                /* Charged from the agent's first reading after the snapshot,
                 * with the tier position of an account that used nothing. */
                s->ref_pending = 1;
                /* where the server's account begins (docs/wire.md) */
                s->ref_after_seq = -1;
                if (json_object_object_get_ex(o, "ref_after_seq", NULL) &&
                    get_in(o, "ref_after_seq", 0, INT64_MAX, &s->ref_after_seq) < 0)
                        return bad(err, len, "ref_after_seq");
                return MB_OK;
        }
        if (!json_object_object_get_ex(o, "tier", &tier) ||
            get_in(tier, "period_start", 0, T_MAX, &s->tier.period_start) < 0 ||
            get_in(tier, "used_wh", 0, WH_MAX, &s->tier.used_wh) < 0)
                return bad(err, len, "tier");
        return parse_ref(o, s, err, len);
}

static int parse_acc(json_object *o, struct agent_snapshot *s, char *err, size_t len)
{
        json_object *acc;
        char month[8], why[160];
        int y, m;

        if (!(s->acc = mb_tariff_acc_new()))
                return MB_ENOMEM;
        if (!json_object_object_get_ex(o, "acc", &acc))
                return bad(err, len, "acc");
        if (mb_tariff_wire_acc_parse(acc, s->acc, month, why, sizeof(why)) != MB_OK) {
                snprintf(err, len, "acc: %s", why);
                return MB_EPROTO;
        }
        if (sscanf(month, "%4d-%2d", &y, &m) != 2)
                return bad(err, len, "acc.month");
        s->acc_month = y * 100 + m;
        return MB_OK;
}

int agent_snapshot_parse(json_object *o, struct agent_snapshot *s, char *err, size_t len)
{
        char mode[16] = "";
        int rc;

        memset(s, 0, sizeof(*s));
        if (!json_object_is_type(o, json_type_object))
                return bad(err, len, "meter entry");
        if (get_str(o, "account", s->account, sizeof(s->account)) < 0)
                return MB_ENOENT;
        if (get_str(o, "mode", mode, sizeof(mode)) < 0 ||
            (strcmp(mode, "prepaid") != 0 && strcmp(mode, "monthly") != 0))
                return bad(err, len, "mode");
        s->mode = strcmp(mode, "prepaid") == 0 ? AGENT_MODE_PREPAID : AGENT_MODE_MONTHLY;
        if (get_bool(o, "protected", &s->protected_flag) < 0)
                return bad(err, len, "protected");
        if (get_bool(o, "hold", &s->hold) < 0)
                return bad(err, len, "hold");
        rc = no_tariff(o) ? MB_ENOENT : parse_money(o, s, err, len);
        if (rc == MB_OK)
                rc = parse_acc(o, s, err, len);
        if (rc != MB_OK)
                agent_snapshot_clear(s);
        return rc;
}
