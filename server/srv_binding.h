/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The customer number a meter holds against the account it is bound to
 * (issue 16, DESIGN.md "Meter identity").  An agent reports what a meter
 * holds as a meter_account event (data: {"account": "000012345678"}); when
 * the meter is bound to an account whose number differs, the server stores
 * a binding_mismatch event for that meter (the events API, the wall and
 * webhooks see it) rather than billing the wrong household in silence.
 */
#ifndef SRV_BINDING_H
#define SRV_BINDING_H

#include <stdint.h>

#include "srv_batch.h"
#include "srv_db.h"

/* Called by ingest for every event of meter meter_id (a bound meter of
 * gateway_id), inside the batch's transaction; does nothing unless ev is a
 * meter_account event whose number differs from the bound account's.  The
 * binding_mismatch event gets the id -ev->id under the same gateway, so a
 * repeated upload stores it once.  Numbers compare as digit strings without
 * their leading zeros ("000012345678" is "12345678").  Returns >= 0, or a
 * store error. */
int srv_binding_check(srv_db *db, int64_t gateway_id, int64_t meter_id, const struct srv_event *ev);

/* The number of the account meter_id is bound to, into out: 1, 0 when it
 * is bound to none, or a store error. */
int srv_binding_account(srv_db *db, int64_t meter_id, char *out, size_t len);

#endif
