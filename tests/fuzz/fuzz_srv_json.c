/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The server's parsers of outside JSON: the readings batch (srv_batch_parse),
 * the field validators every admin body goes through (srv_json_*), and the
 * accumulator object (mb_tariff_wire_acc_parse).  The first byte picks the
 * parser; the rest is the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mb_tariff_wire.h"
#include "srv_batch.h"
#include "srv_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void admin_body(const char *body, size_t len)
{
        static const char *const keys[] = {"number", "amount_fen", "reference", "reason",
                                           "mode",   "protected",  "lines",     NULL};
        static const char *const modes[] = {"prepaid", "monthly", NULL};
        json_object *o, *a;
        struct srv_err e = {0};
        const char *s;
        int64_t v;
        int k;

        if (srv_json_parse_object(body, len, &o, &e) < 0)
                return;
        srv_json_known_keys(o, keys, "", &e);
        srv_json_string(o, "number", "", 0, 64, &s, &e);
        srv_json_int(o, "amount_fen", "", 0, 0, INT64_MAX, &v, &e);
        srv_json_string(o, "reference", "", 0, 128, &s, &e);
        srv_json_enum(o, "mode", "", 0, modes, &k, &e);
        srv_json_bool(o, "protected", "", 0, &k, &e);
        srv_json_array(o, "lines", "", 0, &a, &e);
        json_object_put(srv_err_json(&e));
        json_object_put(o);
}

static void acc_body(const char *body, size_t len)
{
        json_object *o;
        struct srv_err e;
        mb_tariff_acc *acc;
        char month[8], err[128];
        int64_t total;

        if (srv_json_parse_object(body, len, &o, &e) < 0)
                return;
        acc = mb_tariff_acc_new();
        if (acc && mb_tariff_wire_acc_parse(o, acc, month, err, sizeof(err)) == MB_OK) {
                json_object *back = mb_tariff_wire_acc(acc, month);

                mb_tariff_acc_total(acc, &total);
                json_object_put(back);
        }
        mb_tariff_acc_free(acc);
        json_object_put(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct srv_batch b;
        struct srv_err e;
        const char *body = (const char *)data + 1;

        if (size < 1)
                return 0;
        switch (data[0] % 3) {
        case 0:
                if (srv_batch_parse(body, size - 1, 64, 64, &b, &e) == 0)
                        srv_batch_sort(&b);
                srv_batch_free(&b);
                break;
        case 1:
                admin_body(body, size - 1);
                break;
        default:
                acc_body(body, size - 1);
                break;
        }
        return 0;
}
