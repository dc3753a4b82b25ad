/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the DL/T 698.45 APDU readers on any bytes, as the plugin uses them:
 * security unwrapping, GET-Response Normal, List and Record, ACTION-Response,
 * and the A-XDR walk of every Data.  They accept or refuse; they never read
 * outside the APDU, and a Data they hand out lies inside it. */
#include <stdint.h>
#include <string.h>

#include "dlt698_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void inside(const struct d698_cur *c)
{
        if (c->p < lo || c->p + c->n > hi || c->off > c->n)
                __builtin_trap();
}

/* Walk one Data as the plugin does: numbers, arrays of numbers, a date. */
static void walk(struct d698_cur *c)
{
        struct d698_cur copy = *c;
        struct d698_dt t;
        size_t count;
        int64_t v;
        uint8_t type;

        inside(c);
        if (d698_aggregate(c, D698_T_ARRAY, &count) == 0 ||
            d698_aggregate(c, D698_T_STRUCT, &count) == 0) {
                for (size_t i = 0; i < count && !c->err; i++)
                        if (d698_number(c, &v, &type) == D698_E_DATA && !c->err)
                                continue;
        } else if (c->off < c->n && c->p[c->off] == D698_T_DATE_TIME_S) {
                d698_u8(c);
                if (d698_dt_get(c, &t) == 0 && d698_dt_valid(&t)) {
                        struct d698_dt back;
                        d698_epoch_to_dt(d698_dt_to_epoch(&t), &back);
                        if (memcmp(&t, &back, sizeof(t)) != 0)
                                __builtin_trap();
                }
        } else {
                d698_number(c, &v, &type);
        }
        d698_skip_data(&copy);
        if (!copy.err && copy.off != copy.n)
                __builtin_trap(); /* a Data from the readers is exactly one */
}

static void get_normal(const uint8_t *p, size_t n, uint8_t choice)
{
        struct d698_resp r;
        struct d698_result_item it;
        size_t count = 1;

        if (d698_resp_begin(p, n, D698_GET_RESPONSE, choice, p[n > 2 ? 2 : 0], &r) != 0 || r.error)
                return;
        if (choice == D698_GET_NORMAL_LIST && d698_list_count(&r, &count) != 0)
                return;
        for (size_t i = 0; i < count; i++) {
                if (d698_next_result(&r, &it) != 0)
                        return;
                if (it.dar < 0)
                        walk(&it.data);
        }
}

static void get_record(const uint8_t *p, size_t n)
{
        struct d698_resp r;
        uint32_t oad, cols[8];
        size_t ncols, rows;
        int dar;

        if (d698_resp_begin(p, n, D698_GET_RESPONSE, D698_GET_RECORD, p[n > 2 ? 2 : 0], &r) != 0 ||
            d698_record_begin(&r, &oad, cols, 8, &ncols, &dar, &rows) != 0 || dar >= 0)
                return;
        for (size_t i = 0; i < rows * ncols; i++) {
                struct d698_cur one;
                if (d698_take_data(&r.c, &one) != 0)
                        return;
                walk(&one);
        }
}

static void action(const uint8_t *p, size_t n)
{
        struct d698_resp r;
        struct d698_result_item it;

        if (d698_resp_begin(p, n, D698_ACTION_RESPONSE, D698_ACTION_NORMAL, p[n > 2 ? 2 : 0], &r) ==
                0 &&
            d698_action_result(&r, &it) == 0 && it.data.n)
                walk(&it.data);
}

static void all(const uint8_t *p, size_t n)
{
        if (n == 0)
                return;
        get_normal(p, n, D698_GET_NORMAL);
        get_normal(p, n, D698_GET_NORMAL_LIST);
        get_record(p, n);
        action(p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct d698_secured s;
        int dar;

        lo = data;
        hi = data + size;
        all(data, size);
        if (d698_secure_unwrap(data, size, &s, &dar) == D698_OK) {
                if (s.apdu < lo || s.apdu + s.len > hi || s.mac_len > sizeof(s.mac))
                        __builtin_trap();
                all(s.apdu, s.len);
        }
        return 0;
}
