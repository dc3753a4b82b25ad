/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Values no bill can hold, refused at ingest (docs/api.md, readings): the
 * accounting core's rule, called by the batch parser once a reading is
 * complete (srv_batch.c, check_reading).
 */
#ifndef SRV_READING_CHECK_H
#define SRV_READING_CHECK_H

#include "srv_batch.h"
#include "srv_json.h"

/* The largest register a bill can price: 10^12 Wh (a 999,999.99 kWh
 * register is 10^9).  Any difference of two of them times a price up to
 * 9,000 yuan/kWh fits the engine's 64-bit exact amounts. */
#define SRV_BILLABLE_MAX_WH INT64_C(1000000000000)
/* The largest maximum demand a reading may carry: 10^12 mW, 1 GW on the
 * meter's side of the transformers.  A demand charge beyond 64 bits (times
 * a multiplier and a price) holds its month as unbillable at the close. */
#define SRV_BILLABLE_MAX_MW INT64_C(1000000000000)

/* 0 when reading r can be billed; else -1 with e set to 422 "unbillable"
 * naming the field by the reading's index in the batch
 * ("readings[3].import_wh"). */
int srv_reading_check(const struct srv_reading *r, struct srv_err *e);

#endif
