/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: requests and responses as bytes.  Pure functions: no I/O, no
 * libmodbus, no host; fuzzed (tests/fuzz/fuzz_modbus_frame.c).
 *
 * The plugin sends requests with modbus_send_raw_request() and takes answers
 * with modbus_receive_confirmation(), so that it sees (and can log) every
 * frame, and checks each answer itself against the request here.
 *
 * A "raw request" is what modbus_send_raw_request() takes: unit id, function
 * code and the PDU data.  libmodbus wraps it in the transport's frame: for TCP
 * an MBAP header with transaction id 0, for RTU a CRC.  mbf_adu() rebuilds
 * that frame byte for byte, for the frame log.
 */
#ifndef MB_MODBUS_FRAME_H
#define MB_MODBUS_FRAME_H

#include <stddef.h>
#include <stdint.h>

enum mbf_transport { MBF_RTU = 0, MBF_TCP = 1 };

#define MBF_RAW_REQ_LEN 6 /* unit, function, address, count/value */
#define MBF_ADU_MAX 260   /* MODBUS_MAX_ADU_LENGTH */

/* Header bytes before the function code: 1 (RTU unit) or 7 (MBAP). */
int mbf_header_len(int transport);

/* The CRC-16 of Modbus RTU (poly 0xA001, init 0xFFFF); the frame carries it
 * low byte first. */
uint16_t mbf_crc16(const uint8_t *buf, size_t len);

/* Raw request for FC 1..4 (count items from addr) or FC 5/6 (value to addr)
 * into raw[MBF_RAW_REQ_LEN].  For FC 5, value is 0xFF00 (on) or 0 (off). */
void mbf_request(uint8_t *raw, int unit, int fc, int addr, int count_or_value);

/* The frame libmodbus sends for a raw request of len bytes; returns its
 * length (at most len + 6). */
size_t mbf_adu(int transport, const uint8_t *raw, size_t len, uint8_t *out);

/* Length of the RTU frame starting at adu, judged from its function code and
 * byte count as libmodbus does, capped at avail.  For logging frames that
 * libmodbus rejected. */
size_t mbf_rtu_frame_len(const uint8_t *adu, size_t avail);

/* Check an answer of len bytes against the raw request it answers.
 * Returns
 *   MB_OK       *data points at the payload: for FC 1..4 the bytes after the
 *               byte count (*data_len of them), for FC 5/6 the echoed
 *               address and value
 *   MB_EDEVICE  an exception response; *exception holds its code
 *   MB_EADDR    a well-formed answer from another unit; *exception holds
 *               that unit id
 *   MB_EPROTO   anything else (bad CRC, length, function, echo)
 * with the reason in why for the errors. */
int mbf_check(int transport, const uint8_t *raw_req, const uint8_t *adu, size_t len,
              const uint8_t **data, size_t *data_len, int *exception, char *why, size_t whylen);

/* "illegal data address" for exception code 2, etc.; never NULL. */
const char *mbf_exception_name(int code);

#endif
