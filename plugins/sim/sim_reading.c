/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: assembling an mb_reading from the meter's state at the host's clock.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

static void fill_registers(const struct sim_meter *m, mb_reading *out)
{
        out->import_wh = m->reg.import_wh;
        memcpy(out->rate_wh, m->reg.rate_wh, sizeof(out->rate_wh));
        out->fields |= MB_F_IMPORT | MB_F_RATES;
        /* Fields appended to reading.h later must be checked like this one:
         * a host built with an older header passes a smaller struct. */
        if (m->reg.has_frozen && MB_READING_HAS(out, frozen_time)) {
                out->frozen_import_wh = m->reg.frozen_wh;
                out->frozen_time = m->reg.frozen_time;
                out->fields |= MB_F_FROZEN;
        }
        if (m->o.demand && MB_READING_HAS(out, frozen_demand_time)) {
                out->demand_mw = m->reg.demand_mw;
                out->demand_time = m->reg.demand_time;
                out->fields |= MB_F_DEMAND;
                if (m->reg.has_frozen_demand) {
                        out->frozen_demand_mw = m->reg.frozen_demand_mw;
                        out->frozen_demand_time = m->reg.frozen_demand_time;
                        out->fields |= MB_F_FROZEN_DEMAND;
                }
        }
}

void sim_fill_reading(struct sim_meter *m, mb_reading *out)
{
        int64_t wall_ms = m->last_wall_ms;
        /* a bypassed meter sees no current: it shows no power either */
        int closed = m->relay == MB_RELAY_CLOSED && !sim_fault_stopped(m, wall_ms);

        fill_registers(m, out);
        sim_fill_electrical(&m->o, wall_ms, closed ? sim_power_mw(&m->o, wall_ms) : 0, out);
        if (m->o.has_relay) {
                out->relay = m->relay;
                out->fields |= MB_F_RELAY;
        }
        memcpy(out->address, m->address, sizeof(out->address));
        out->meter_time = sim_floor_div(wall_ms, 1000);
        out->fields |= MB_F_ADDRESS | MB_F_METER_TIME;
        out->quality |= m->pending_quality;
        m->pending_quality = 0;
        if (m->o.account && MB_READING_HAS(out, account)) {
                snprintf(out->account, sizeof(out->account), "%s", m->o.account);
                out->fields |= MB_F_ACCOUNT;
        }
}
