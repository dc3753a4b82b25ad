/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the DL/T 645 value decoders: BCD (signed and not), dates and times
 * (and the minute a maximum demand occurred), addresses, passwords, error
 * words, calendar arithmetic.  Each either refuses its input or round-trips
 * it. */
#include <stdint.h>
#include <string.h>

#include "dlt645_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void bcd(const uint8_t *p, size_t n)
{
        uint8_t back[9];
        uint64_t u;
        int64_t s;

        if (dlt_bcd_u(p, n, &u) == 0) {
                if (dlt_put_bcd(back, n, u) != 0 || memcmp(back, p, n) != 0)
                        __builtin_trap();
                if (dlt_bcd_s(p, n, &s) != 0 && n > 0)
                        __builtin_trap();
        }
        if (n > 0 && dlt_bcd_s(p, n, &s) == 0) {
                uint64_t mag = s < 0 ? (uint64_t)-s : (uint64_t)s;
                if (dlt_put_bcd(back, n, mag) != 0 || (back[n - 1] & 0x80))
                        __builtin_trap();
        }
}

static void datetime(const uint8_t *p, size_t n)
{
        struct dlt_datetime t = {0}, back;
        uint8_t six[6];

        if (n < 7 || dlt_decode_date(p, &t) != 0 || dlt_decode_time(p + 4, &t) != 0)
                return;
        if (!dlt_datetime_valid(&t) || dlt_encode_datetime6(&t, six) != 0)
                __builtin_trap();
        if (six[0] != p[4] || six[1] != p[5] || six[2] != p[6] || six[3] != p[1] ||
            six[4] != p[2] || six[5] != p[3])
                __builtin_trap();
        dlt_epoch_to_datetime(dlt_datetime_to_epoch(&t), &back);
        if (back.year != t.year || back.mon != t.mon || back.day != t.day || back.hour != t.hour ||
            back.min != t.min || back.sec != t.sec)
                __builtin_trap();
}

/* When a maximum demand occurred: a real minute, or none (all zero). */
static void minute(const uint8_t *p, size_t n)
{
        struct dlt_datetime t = {0};
        int rc;

        if (n < 5)
                return;
        rc = dlt_decode_minute(p, &t);
        if (rc == 1 && (!dlt_datetime_valid(&t) || t.sec != 0))
                __builtin_trap();
        if (rc == 0 && (p[0] | p[1] | p[2] | p[3] | p[4]))
                __builtin_trap();
}

static void text(const uint8_t *p, size_t n)
{
        char s[16], out[13];
        uint8_t a[DLT_ADDR_LEN], b[DLT_ADDR_LEN], pw[4];

        n = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
        memcpy(s, p, n);
        s[n] = '\0';
        if (dlt_addr_parse(s, a) == 0) {
                dlt_addr_format(a, out);
                if (dlt_addr_parse(out, b) != 0 || memcmp(a, b, sizeof(a)) != 0)
                        __builtin_trap();
        }
        dlt_hex4_parse(s, pw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char words[64], tiny[8];
        struct dlt_datetime t;
        int64_t epoch = 0;

        if (size == 0)
                return 0;
        bcd(data + 1, (size - 1) < 9 ? size - 1 : 9);
        datetime(data + 1, size - 1);
        minute(data + 1, size - 1);
        text(data + 1, size - 1);
        dlt_errword_str(DLT_2007, data[0], words, sizeof(words));
        dlt_errword_str(DLT_1997, data[0], tiny, sizeof(tiny));
        for (size_t i = 1; i < size && i < 6; i++)
                epoch = epoch << 8 | data[i];
        epoch -= INT64_C(1) << 39; /* about +-17000 years around 1970 */
        dlt_epoch_to_datetime(epoch, &t);
        if (dlt_datetime_to_epoch(&t) != epoch)
                __builtin_trap();
        return 0;
}
