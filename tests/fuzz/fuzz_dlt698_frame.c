/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz the DL/T 698.45 link layer as the plugin drives it: parse, drop what
 * was consumed, parse again, and feed every frame found to the split-frame
 * reassembler.  Any bytes give frames, errors or "need more", never a read
 * outside the buffer; every frame found encodes back to a frame that parses
 * to the same fields. */
#include <stdint.h>
#include <string.h>

#include "dlt698_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct d698_frame f, back;
static struct d698_reasm ra;
static uint8_t enc[D698_FRAME_MAX + 8];

static void round_trip(void)
{
        uint16_t frag = (uint16_t)(f.frag_seq | f.frag_type << 14);
        size_t used, need, n;

        n = d698_encode(enc, sizeof(enc), 0, &f.sa, f.ca, (uint8_t)(f.ctrl & ~D698_C_SPLIT),
                        f.split ? &frag : NULL, f.data, f.len);
        if (n == 0)
                return; /* an address of 16 bytes plus its logical byte */
        if (d698_frame_parse(enc, n, &back, &used, &need) != D698_OK || used != n ||
            back.ctrl != f.ctrl || back.ca != f.ca || back.len != f.len ||
            memcmp(&back.sa, &f.sa, sizeof(f.sa)) != 0 || memcmp(back.data, f.data, f.len) != 0 ||
            back.split != f.split || back.frag_seq != f.frag_seq || back.frag_type != f.frag_type)
                __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct d698_addr to;
        size_t used, need;
        uint16_t seq;
        int rc;

        /* The first byte picks what the reply is checked against. */
        if (size < 1)
                return 0;
        if (data[0] & 1)
                d698_addr_wildcard(&to);
        else
                d698_addr_parse("123456789012", D698_SA_SINGLE, &to);
        data++;
        size--;
        d698_reasm_init(&ra);
        while (size > 0) {
                rc = d698_frame_parse(data, size, &f, &used, &need);
                if (used > size || (rc == D698_MORE && need == 0))
                        __builtin_trap();
                if (rc == D698_MORE && used == 0)
                        break;
                if (rc == D698_OK) {
                        round_trip();
                        d698_reply_check(&f, &to, 0);
                        if (d698_reasm_add(&ra, &f, &seq) != D698_MORE)
                                d698_reasm_init(&ra);
                        if (ra.len > sizeof(ra.apdu))
                                __builtin_trap();
                }
                data += used;
                size -= used;
        }
        return 0;
}
