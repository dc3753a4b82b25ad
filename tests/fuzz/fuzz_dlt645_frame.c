/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the DL/T 645 reply parser as the plugin drives it: parse, drop what
 * it consumed, parse again.  Any bytes give frames, errors or "need more",
 * never a read outside the buffer; every frame found re-encodes to exactly
 * the bytes it was parsed from. */
#include <stdint.h>
#include <string.h>

#include "dlt645_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_frame(const uint8_t *buf, size_t used, const struct dlt_frame *f, int rc)
{
        uint8_t enc[DLT_FRAME_MAX];
        size_t n = dlt_encode(enc, sizeof(enc), 0, f->addr, f->ctrl, f->data, f->len);

        if (n != DLT_OVERHEAD + (size_t)f->len || used < n ||
            (used - n <= (size_t)UINT16_MAX && f->skipped != used - n))
                __builtin_trap();
        /* A checksum error differs in the checksum byte only. */
        if (rc == DLT_E_CHECKSUM) {
                if (memcmp(enc, buf + used - n, n - 2) != 0 || enc[n - 2] == buf[used - 2])
                        __builtin_trap();
        } else if (memcmp(enc, buf + used - n, n) != 0) {
                __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct dlt_expect e;
        struct dlt_frame f;
        size_t used, need;
        int rc;

        /* 1 byte of function, 6 of address, 1 of DI length, 4 of DI; then the line. */
        if (size < 12)
                return 0;
        memset(&e, 0, sizeof(e));
        e.func = data[0] & DLT_C_FUNC;
        memcpy(e.addr, data + 1, DLT_ADDR_LEN);
        e.di_len = data[7] % 3 == 0 ? 0 : data[7] % 3 == 1 ? 2 : 4;
        memcpy(e.di, data + 8, 4);
        data += 12;
        size -= 12;
        while (size > 0) {
                rc = dlt_reply_parse(data, size, &e, &f, &used, &need);
                if (used > size)
                        __builtin_trap();
                if (rc == DLT_MORE) {
                        if (need == 0 || used == 0)
                                break;
                } else {
                        if (rc > DLT_MORE || rc < DLT_E_SHORT)
                                __builtin_trap();
                        check_frame(data, used, &f, rc);
                        if (rc != DLT_E_CHECKSUM && dlt_reply_check(&f, &e) != rc)
                                __builtin_trap();
                }
                data += used;
                size -= used;
        }
        return 0;
}
