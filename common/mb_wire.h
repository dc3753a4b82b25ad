/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON wire format shared by the agent and the server (json-c).
 * Field names and units are documented in docs/api.md.
 */
#ifndef MB_WIRE_H
#define MB_WIRE_H

#include <json-c/json.h>
#include <meterbox/reading.h>

/* A new JSON object with every valid field of r (units in the names: _wh,
 * _mw, _mv, _ma, _milli, _mhz, _fen).  The caller owns it (json_object_put).
 * NULL when out of memory. */
json_object *mb_wire_reading(const mb_reading *r);

/* Name of a relay state ("closed", "open", "armed", "unknown"). */
const char *mb_wire_relay_name(int state);

#endif
