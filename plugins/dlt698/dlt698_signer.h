/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the seam for a utility's encryption service.
 *
 * A DL/T 698.45 meter in security mode accepts remote control (ACTION on
 * 8000/8001) only as a SECURITY-Request whose APDU is ciphertext with a
 * SID_MAC made by the utility's ESAM (the security chip of its master
 * station or of an authorised concentrator) or its encryption service
 * (密码机).  The keys never leave the utility, so this plugin cannot make
 * such a request itself, and it cannot check the MAC of a reply either.
 *
 * A utility that wants encrypted control implements this table (a client of
 * its encryption service) and sets meter->signer / meter->signer_ctx in
 * dlt698.c (see docs/plugins/dlt698.md, "Encrypted control").  Without one
 * (the default, and all this repository ships) control goes out in
 * plaintext with a time tag, and a meter that insists on security refuses
 * it with a DAR, which the agent reports as a failed command.
 *
 * Both functions are called on the bus thread within the meter's timeout:
 * they must return by `deadline_ms` (CLOCK_MONOTONIC) and never block longer.
 */
#ifndef DLT698_SIGNER_H
#define DLT698_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include <meterbox/plugin.h>

struct d698_signer {
        /* Wrap the plaintext APDU `apdu` (an ACTION-Request) for the meter
         * with address `addr` (12 digits) into the SECURITY-Request the meter
         * accepts.  Writes at most cap bytes to out and their count to *n.
         * Returns MB_OK, or an MB_E* code with err filled. */
        int (*wrap)(void *ctx, const char *addr, const uint8_t *apdu, size_t len, uint8_t *out,
                    size_t cap, size_t *n, int64_t deadline_ms, mb_err *err);
        /* Open the meter's SECURITY-Response `resp` (check its MAC, decrypt
         * its ciphertext) into the plaintext APDU.  Returns MB_OK, MB_EAUTH
         * when the MAC does not check, or another MB_E* with err filled. */
        int (*unwrap)(void *ctx, const char *addr, const uint8_t *resp, size_t len, uint8_t *out,
                      size_t cap, size_t *n, int64_t deadline_ms, mb_err *err);
};

#endif
