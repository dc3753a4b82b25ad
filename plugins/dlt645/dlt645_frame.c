/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: frame encoding and parsing (dlt645_codec.h).  Pure: no I/O.
 */
#include <string.h>

#include "dlt645_codec.h"

static uint8_t sum8(const uint8_t *p, size_t n)
{
        unsigned s = 0;

        for (size_t i = 0; i < n; i++)
                s += p[i];
        return (uint8_t)s;
}

size_t dlt_encode(uint8_t *out, size_t cap, unsigned preamble, const uint8_t addr[DLT_ADDR_LEN],
                  uint8_t ctrl, const uint8_t *data, size_t len)
{
        size_t total = preamble + DLT_OVERHEAD + len, k = 0;
        uint8_t *frame;

        if (preamble > DLT_PREAMBLE_MAX || len > DLT_MAX_DATA || total > cap)
                return 0;
        while (k < preamble)
                out[k++] = DLT_WAKE;
        frame = out + k;
        out[k++] = DLT_START;
        memcpy(out + k, addr, DLT_ADDR_LEN);
        k += DLT_ADDR_LEN;
        out[k++] = DLT_START;
        out[k++] = ctrl;
        out[k++] = (uint8_t)len;
        for (size_t i = 0; i < len; i++)
                out[k++] = (uint8_t)(data[i] + DLT_SCRAMBLE);
        out[k] = sum8(frame, (size_t)(out + k - frame));
        k++;
        out[k++] = DLT_END;
        return k;
}

size_t dlt_di_bytes(int proto, uint32_t di, uint8_t out[4])
{
        size_t n = proto == DLT_1997 ? 2 : 4;

        for (size_t i = 0; i < n; i++)
                out[i] = (uint8_t)(di >> (8 * i));
        return n;
}

size_t dlt_encode_read(uint8_t *out, size_t cap, int proto, unsigned preamble,
                       const uint8_t addr[DLT_ADDR_LEN], uint32_t di)
{
        uint8_t d[4];
        size_t n = dlt_di_bytes(proto, di, d);

        return dlt_encode(out, cap, preamble, addr, proto == DLT_1997 ? DLT97_READ : DLT07_READ, d,
                          n);
}

/* The frame at buf[p] if it is complete, ends in 16H and sums right. */
static int complete_at(const uint8_t *buf, size_t len, size_t p)
{
        size_t total;

        if (buf[p] != DLT_START || len - p < DLT_OVERHEAD || buf[p + 7] != DLT_START)
                return 0;
        total = DLT_OVERHEAD + buf[p + 9];
        if (len - p < total || buf[p + total - 1] != DLT_END)
                return 0;
        return sum8(buf + p, total - 2) == buf[p + total - 2];
}

static void fill(const uint8_t *s, size_t skipped, struct dlt_frame *f)
{
        memcpy(f->addr, s + 1, DLT_ADDR_LEN);
        f->ctrl = s[8];
        f->len = s[9];
        for (size_t i = 0; i < f->len; i++)
                f->data[i] = (uint8_t)(s[10 + i] - DLT_SCRAMBLE);
        f->skipped = skipped > UINT16_MAX ? UINT16_MAX : (uint16_t)skipped;
}

int dlt_frame_parse(const uint8_t *buf, size_t len, struct dlt_frame *f, size_t *used, size_t *need)
{
        size_t p = 0, total;

        *used = 0;
        *need = 0;
        for (;;) {
                while (p < len && buf[p] != DLT_START)
                        p++;
                if (p >= len) {
                        /* Nothing but noise and wake-up bytes so far. */
                        *used = len;
                        *need = DLT_OVERHEAD;
                        return DLT_MORE;
                }
                if (len - p > 7 && buf[p + 7] != DLT_START) {
                        p++; /* a 68H in the noise, not a frame start */
                        continue;
                }
                total = len - p >= 10 ? DLT_OVERHEAD + buf[p + 9] : DLT_OVERHEAD;
                if (len - p < total) {
                        /* Incomplete.  A complete, valid frame further on
                         * proves this candidate was noise. */
                        for (size_t q = p + 1; q < len; q++) {
                                if (complete_at(buf, len, q)) {
                                        p = q;
                                        break;
                                }
                        }
                        if (len - p < DLT_OVERHEAD || len - p < DLT_OVERHEAD + (size_t)buf[p + 9]) {
                                *used = p;
                                *need = total - (len - p);
                                return DLT_MORE;
                        }
                        total = DLT_OVERHEAD + buf[p + 9];
                }
                if (buf[p + total - 1] != DLT_END) {
                        p++; /* length byte from noise: resynchronise */
                        continue;
                }
                fill(buf + p, p, f);
                *used = p + total;
                if (sum8(buf + p, total - 2) != buf[p + total - 2])
                        return DLT_E_CHECKSUM;
                return DLT_OK;
        }
}

static int addr_match(const uint8_t want[DLT_ADDR_LEN], const uint8_t got[DLT_ADDR_LEN])
{
        for (int i = 0; i < DLT_ADDR_LEN; i++)
                if (want[i] != DLT_WILDCARD && want[i] != got[i])
                        return 0;
        return 1;
}

int dlt_reply_check(const struct dlt_frame *f, const struct dlt_expect *e)
{
        if (!(f->ctrl & DLT_C_DIR))
                return DLT_E_DIR;
        if ((f->ctrl & DLT_C_FUNC) != e->func)
                return DLT_E_FUNC;
        if (!addr_match(e->addr, f->addr))
                return DLT_E_ADDR;
        if (f->ctrl & DLT_C_EXC)
                return f->len >= 1 ? DLT_E_EXCEPTION : DLT_E_SHORT;
        if (e->di_len) {
                if (f->len < e->di_len)
                        return DLT_E_SHORT;
                if (memcmp(f->data, e->di, e->di_len) != 0)
                        return DLT_E_DI;
        }
        return DLT_OK;
}

int dlt_reply_parse(const uint8_t *buf, size_t len, const struct dlt_expect *e, struct dlt_frame *f,
                    size_t *used, size_t *need)
{
        int rc = dlt_frame_parse(buf, len, f, used, need);

        return rc == DLT_OK ? dlt_reply_check(f, e) : rc;
}

const char *dlt_result_str(int rc)
{
        switch (rc) {
        case DLT_OK:
                return "ok";
        case DLT_MORE:
                return "incomplete frame";
        case DLT_E_CHECKSUM:
                return "checksum mismatch";
        case DLT_E_DIR:
                return "direction bit says master to slave";
        case DLT_E_FUNC:
                return "reply to another function";
        case DLT_E_ADDR:
                return "reply from another address";
        case DLT_E_EXCEPTION:
                return "exception reply";
        case DLT_E_DI:
                return "reply for another data identifier";
        case DLT_E_SHORT:
                return "reply too short";
        default:
                return "unknown parser result";
        }
}
