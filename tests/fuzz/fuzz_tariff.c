/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tariff file parser (mb_tariff_parse_string): admins upload tariff
 * files to the server, and the agent parses the text the server sends.  Any
 * bytes give a tariff or a located error, never a crash or a leak; a tariff
 * that parses prints a canonical text that parses again to the same text
 * (the hash the agent compares depends on it), and charging it over an
 * interval never fails on a valid tariff.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mb_tariff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_round_trip(const mb_tariff *t)
{
        char err[256], *text = mb_tariff_to_text(t), *again = NULL;
        mb_tariff *back = NULL;

        if (!text)
                return;
        if (mb_tariff_parse_string(text, "canonical", &back, err, sizeof(err)) != MB_OK)
                __builtin_trap(); /* the canonical text of a valid tariff must parse */
        again = mb_tariff_to_text(back);
        if (!again || strcmp(text, again) != 0)
                __builtin_trap(); /* and print the same again */
        free(again);
        mb_tariff_free(back);
        free(text);
}

static void charge_a_month(const mb_tariff *t)
{
        mb_tariff_reading a = {.t = 1793462400, .import_wh = 1000000};
        mb_tariff_reading b = {.t = 1793462400 + 86400 * 20, .import_wh = 1450000};
        mb_tariff_acc *acc = mb_tariff_acc_new();
        mb_tier_pos pos = {0};
        char err[256];
        int64_t total;

        if (acc && mb_tariff_charge(t, &a, &b, &pos, acc, err, sizeof(err)) == MB_OK)
                mb_tariff_acc_total(acc, &total);
        mb_tariff_acc_free(acc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1), err[256];
        mb_tariff *t = NULL;
        int rc;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        rc = mb_tariff_parse_string(text, "fuzz", &t, err, sizeof(err));
        if ((rc == MB_OK) != (t != NULL) || (rc != MB_OK && !err[0]))
                __builtin_trap(); /* a tariff, or an error with a message */
        if (t) {
                check_round_trip(t);
                charge_a_month(t);
        }
        mb_tariff_free(t);
        free(text);
        return 0;
}
