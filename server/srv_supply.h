/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Supplies: which meter measures which account, from which reading to which
 * (docs/operations.md, the clerk's events).  A supply opens at move-in (or
 * a binding), a change of holder or a meter exchange, with the opening
 * register the operator gives or, without one, at the meter's first reading
 * after it; it closes at move-out, a change of holder or an exchange, at
 * the closing register given or the meter's last reading.  Helpers run in
 * the caller's transaction with the account locked.
 */
#ifndef SRV_SUPPLY_H
#define SRV_SUPPLY_H

#include "mb_tariff.h"
#include "srv.h"

/* A register given by the operator: when it was read and its value. */
struct srv_register {
        int given;
        int64_t t, wh;
};

/* Read the register `key` (Wh, optional) of body b, read at `at` (the
 * body's "at", else now): MB_OK (r->given when there), or -1 with e set
 * (400 naming the field). */
int srv_register_field(json_object *b, const char *key, struct srv_register *r, struct srv_err *e);

/* The meter's newest reading as a register (given 0 when it has none):
 * where a supply closes when no register is given. */
int srv_meter_last(srv_db *db, int64_t meter_id, struct srv_register *r);

/*
 * Open a supply of account on meter_id (how: "bind", "move_in", "transfer",
 * "exchange"): readings after the meter's newest stored one belong to it,
 * from the opening register `open` (not given: the first of them), with
 * tier position *pos (NULL: none used).  Binds the meter to the account.
 * *id gets the new supply's id (may be NULL).  MB_OK or an error.
 */
int srv_supply_open(srv_db *db, int64_t account_id, int64_t meter_id, const char *how,
                    const struct srv_register *open, const mb_tier_pos *pos, const char *by,
                    int64_t *id);

/*
 * Close the account's open supply (how: "move_out", "transfer",
 * "exchange") after the meter's newest stored reading, at the closing
 * register `close` (not given: that reading), and unbind the meter.  1 and
 * *meter_id, 0 when the account has no open supply, or an error.
 */
int srv_supply_close(srv_db *db, int64_t account_id, const char *how,
                     const struct srv_register *close, const char *by, int64_t *meter_id);

/* SQL: the multiplier of meter METER now (a column or placeholder): its
 * latest CT x PT (meter_multipliers), 1 without one. */
#define SRV_METER_MULTIPLIER(meter)                                                                \
        "coalesce((SELECT x.multiplier FROM meter_multipliers x WHERE x.meter_id = " meter         \
        " ORDER BY x.id DESC LIMIT 1), 1)"

/*
 * A change of multiplier (a CT or PT replaced) on the account's open supply
 * of meter_id: it closes after reading after_seq at the register `at`
 * ('multiplier'), and a supply on the same meter opens there with the new
 * multiplier; the walk carries the tier position across (the same account),
 * so the month is split at the change like at a meter exchange.  1, 0 when
 * the account has no open supply on that meter, or an error.
 */
int srv_supply_split(srv_db *db, int64_t account_id, int64_t meter_id, int64_t after_seq,
                     const struct srv_register *at, int64_t multiplier, const char *by);

#endif
