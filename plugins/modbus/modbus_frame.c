/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: requests and responses as bytes (see modbus_frame.h).
 */
#include <stdio.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_frame.h"

int mbf_header_len(int transport)
{
        return transport == MBF_TCP ? 7 : 1;
}

uint16_t mbf_crc16(const uint8_t *buf, size_t len)
{
        uint16_t crc = 0xFFFF;

        for (size_t i = 0; i < len; i++) {
                crc ^= buf[i];
                for (int b = 0; b < 8; b++)
                        crc = (crc & 1u) ? (uint16_t)((crc >> 1) ^ 0xA001u) : (uint16_t)(crc >> 1);
        }
        return crc;
}

void mbf_request(uint8_t *raw, int unit, int fc, int addr, int count_or_value)
{
        raw[0] = (uint8_t)unit;
        raw[1] = (uint8_t)fc;
        raw[2] = (uint8_t)((unsigned)addr >> 8);
        raw[3] = (uint8_t)addr;
        raw[4] = (uint8_t)((unsigned)count_or_value >> 8);
        raw[5] = (uint8_t)count_or_value;
}

size_t mbf_adu(int transport, const uint8_t *raw, size_t len, uint8_t *out)
{
        if (transport == MBF_TCP) {
                /* MBAP: transaction 0 (libmodbus' raw requests), protocol 0,
                 * length of unit id + PDU. */
                out[0] = out[1] = out[2] = out[3] = 0;
                out[4] = (uint8_t)(len >> 8);
                out[5] = (uint8_t)len;
                memcpy(out + 6, raw, len);
                return len + 6;
        }
        memcpy(out, raw, len);
        uint16_t crc = mbf_crc16(out, len);
        out[len] = (uint8_t)crc;
        out[len + 1] = (uint8_t)(crc >> 8);
        return len + 2;
}

size_t mbf_rtu_frame_len(const uint8_t *adu, size_t avail)
{
        size_t n;

        if (avail < 2)
                return avail;
        if (adu[1] & 0x80)
                n = 5;
        else if (adu[1] >= 1 && adu[1] <= 4)
                n = avail >= 3 ? 5 + (size_t)adu[2] : avail;
        else
                n = 8;
        return n < avail ? n : avail;
}

const char *mbf_exception_name(int code)
{
        switch (code) {
        case 1:
                return "illegal function";
        case 2:
                return "illegal data address";
        case 3:
                return "illegal data value";
        case 4:
                return "server device failure";
        case 5:
                return "acknowledge";
        case 6:
                return "server device busy";
        case 7:
                return "negative acknowledge";
        case 8:
                return "memory parity error";
        case 10:
                return "gateway path unavailable";
        case 11:
                return "gateway target device failed to respond";
        default:
                return "unknown exception";
        }
}

static int proto(char *why, size_t whylen, const char *fmt, unsigned a, unsigned b)
{
        snprintf(why, whylen, fmt, a, b);
        return MB_EPROTO;
}

int mbf_check(int transport, const uint8_t *raw_req, const uint8_t *adu, size_t len,
              const uint8_t **data, size_t *data_len, int *exception, char *why, size_t whylen)
{
        unsigned unit = raw_req[0], fc = raw_req[1];
        unsigned count = (unsigned)raw_req[4] << 8 | raw_req[5];
        const uint8_t *body;
        size_t blen, want;

        *data = NULL;
        *data_len = 0;
        *exception = 0;
        if (transport == MBF_TCP) {
                if (len < 9)
                        return proto(why, whylen, "short answer of %u bytes (at least %u)",
                                     (unsigned)len, 9);
                if (adu[0] || adu[1])
                        return proto(why, whylen, "answer to transaction %u, not %u",
                                     (unsigned)adu[0] << 8 | adu[1], 0);
                if (adu[2] || adu[3])
                        return proto(why, whylen, "protocol id %u in the answer, not %u",
                                     (unsigned)adu[2] << 8 | adu[3], 0);
                if (((size_t)adu[4] << 8 | adu[5]) != len - 6)
                        return proto(why, whylen, "MBAP length %u does not match %u bytes",
                                     (unsigned)adu[4] << 8 | adu[5], (unsigned)(len - 6));
                if (adu[6] != unit) {
                        *exception = adu[6];
                        snprintf(why, whylen, "answer from unit %u, not %u", adu[6], unit);
                        return MB_EADDR;
                }
                body = adu + 7;
                blen = len - 7;
        } else {
                if (len < 5)
                        return proto(why, whylen, "short answer of %u bytes (at least %u)",
                                     (unsigned)len, 5);
                uint16_t crc = mbf_crc16(adu, len - 2);
                uint16_t got = (uint16_t)(adu[len - 2] | adu[len - 1] << 8);
                if (crc != got)
                        return proto(why, whylen, "CRC error (frame has 0x%04X, computed 0x%04X)",
                                     got, crc);
                if (adu[0] != unit) {
                        *exception = adu[0];
                        snprintf(why, whylen, "answer from unit %u, not %u", adu[0], unit);
                        return MB_EADDR;
                }
                body = adu + 1;
                blen = len - 3;
        }
        if (blen < 2)
                return proto(why, whylen,
                             "answer too short (%u bytes after the header, at least %u)",
                             (unsigned)blen, 2);
        if (body[0] == (fc | 0x80u)) {
                if (blen != 2)
                        return proto(why, whylen,
                                     "exception answer of %u bytes after the header, not %u",
                                     (unsigned)blen, 2);
                *exception = body[1];
                snprintf(why, whylen, "exception %u (%s)", body[1], mbf_exception_name(body[1]));
                return MB_EDEVICE;
        }
        if (body[0] != fc)
                return proto(why, whylen, "answer has function code %u, the request %u", body[0],
                             fc);
        if (fc >= 1 && fc <= 4) {
                want = fc <= 2 ? (count + 7) / 8 : 2u * count;
                if (body[1] != want)
                        return proto(why, whylen, "byte count %u in the answer, expected %u",
                                     body[1], (unsigned)want);
                if (blen != 2 + want)
                        return proto(why, whylen, "answer carries %u data bytes, expected %u",
                                     (unsigned)(blen - 2), (unsigned)want);
                *data = body + 2;
                *data_len = want;
                return MB_OK;
        }
        if (fc == 5 || fc == 6) {
                if (blen != 5)
                        return proto(why, whylen, "write answer of %u bytes, expected %u",
                                     (unsigned)blen, 5);
                if (memcmp(body + 1, raw_req + 2, 4) != 0)
                        return proto(why, whylen,
                                     "write answer echoes address 0x%04X value 0x%04X, not what "
                                     "was written",
                                     (unsigned)body[1] << 8 | body[2],
                                     (unsigned)body[3] << 8 | body[4]);
                *data = body + 1;
                *data_len = 4;
                return MB_OK;
        }
        snprintf(why, whylen, "function code %u is not one this plugin sends", fc);
        return MB_EPROTO;
}
