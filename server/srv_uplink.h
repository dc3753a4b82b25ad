/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A gateway's uplink as its uploads report it (docs/wire.md, "uplink"):
 * the interface the route to the server takes and, over a cellular modem,
 * its signal, technology, operator and state.  Read from the batch, kept
 * per gateway (gateway_uplinks, one row each, written with each batch that
 * carries one) and shown by the gateway lists and the wall (docs/api.md).
 *
 * Its health is decided when it is stored, by the rule written once here:
 * "failing" when the upload needed SRV_UPLINK_FAILING_RETRIES or more tries
 * or the modem says "failed", "weak" when the signal is below the
 * dashboard's uplink_weak_below percent, else "ok".
 */
#ifndef SRV_UPLINK_H
#define SRV_UPLINK_H

#include <json-c/json.h>
#include <stdint.h>

#include "srv_db.h"
#include "srv_json.h"

#define SRV_UPLINK_FAILING_RETRIES 3

/* One report; strings are borrowed from the JSON object it was read from. */
struct srv_uplink {
        int present;
        const char *interface, *kind, *source, *technology, *operator_name, *operator_code;
        const char *state, *registration;
        int64_t signal_pct, rssi_dbm, retries; /* SRV_DB_NULL_I64 when absent */
};

/* Read the "uplink" object o into *u (zeroed first).  Members it does not
 * know are ignored (an agent may report more); a known one of the wrong type
 * or size is an error naming it ("uplink.signal_pct").  0, or -1 with *e. */
int srv_uplink_parse(json_object *o, struct srv_uplink *u, struct srv_err *e);

/* "ok", "weak" or "failing" for u under the weak threshold (percent). */
const char *srv_uplink_health(const struct srv_uplink *u, int weak_below_pct);

/* Keep u as gateway gw's uplink reported at now, inside the caller's
 * transaction (srv_db_exec_later: no round trip of its own).  MB_OK or a
 * store error. */
int srv_uplink_store(srv_db *db, int64_t gw, const struct srv_uplink *u, int weak_below_pct,
                     int64_t now);

/* The columns srv_uplink_json reads, from the table aliased u; a query
 * selects them in this order and LEFT JOINs gateway_uplinks u. */
#define SRV_UPLINK_COLUMNS                                                                         \
        "u.reported_at, u.iface, u.kind, u.source, u.signal_pct, u.rssi_dbm, u.technology,"        \
        " u.operator_name, u.operator_code, u.state, u.registration, u.retries, u.health"
#define SRV_UPLINK_JOIN " LEFT JOIN gateway_uplinks u ON u.gateway_id = g.id"

/* The "uplink" object of a gateway from the row's SRV_UPLINK_COLUMNS
 * starting at column col: a new object the caller owns, or NULL (JSON null)
 * when the gateway never reported one. */
json_object *srv_uplink_json(srv_stmt *st, int col);

#endif
