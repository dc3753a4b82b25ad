/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the checks the modbus plugin applies to every answer from the
 * wire (plugins/modbus/modbus_frame.c).
 *
 * Input: [transport][function][unit][addr hi][addr lo][count hi][count lo],
 * then the answer frame.  An accepted answer must hand back a payload inside
 * the frame, of the length the request implies.
 */
#include <stdint.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t fcs[] = {1, 2, 3, 4, 5, 6};
        uint8_t raw[MBF_RAW_REQ_LEN], adu[MBF_ADU_MAX + 8];
        const uint8_t *payload;
        size_t plen, len;
        int transport, exc, rc;
        char why[160];

        if (size < 7)
                return 0;
        transport = data[0] & 1 ? MBF_TCP : MBF_RTU;
        mbf_request(raw, data[2], fcs[data[1] % sizeof(fcs)], data[3] << 8 | data[4],
                    data[5] << 8 | data[6]);
        data += 7;
        size -= 7;
        len = size < sizeof(adu) ? size : sizeof(adu);
        memcpy(adu, data, len); /* a copy: out-of-bounds reads show up under ASan */
        rc = mbf_check(transport, raw, adu, len, &payload, &plen, &exc, why, sizeof(why));
        if (rc == MB_OK) {
                if (!payload || payload < adu || payload + plen > adu + len)
                        __builtin_trap();
                if (raw[1] >= 3 && raw[1] <= 4 && plen != 2u * (unsigned)(raw[4] << 8 | raw[5]))
                        __builtin_trap();
        } else if (!memchr(why, '\0', sizeof(why))) {
                __builtin_trap();
        }
        if (mbf_rtu_frame_len(adu, len) > len)
                __builtin_trap();
        len = mbf_adu(transport, raw, sizeof(raw), adu);
        if (len != sizeof(raw) + (transport == MBF_TCP ? 6u : 2u))
                __builtin_trap();
        return 0;
}
