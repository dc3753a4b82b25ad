/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: advancing the simulated meter to the host's clocks.
 *
 * Elapsed time comes from the host's monotonic clock; the host's UTC clock
 * places that interval in local time (profile minute, TOU rate, month
 * boundary).  Energy is integrated exactly, minute by minute, in mW·ms per
 * TOU rate; whole watt-hours move into the rate register and the import
 * register, the remainder stays.  So import_wh is always the sum of rate_wh
 * and neither ever decreases (except for an injected reset).
 *
 * Deterministic: the same options and the same sequence of clock values give
 * the same registers.
 */
#include <inttypes.h>
#include <string.h>

#include "sim.h"

void sim_registers_init(struct sim_registers *r, int64_t start_wh)
{
        memset(r, 0, sizeof(*r));
        r->import_wh = start_wh;
        r->rate_wh[SIM_RATE_FLAT] = start_wh;
}

void sim_demand_to(struct sim_meter *m, int64_t t)
{
        struct sim_registers *r = &m->reg;
        int64_t len = m->o.demand_ms, end;

        if (!m->o.demand)
                return;
        if (r->block_ms == 0 || r->block_ms > t) /* the first, or the clock went back */
                r->block_ms = sim_floor_div(t, len) * len;
        end = r->block_ms + len;
        if (t < end)
                return;
        /* the block's average power; a later block with the same keeps the
         * first (the time a meter shows is when the maximum was first seen) */
        if (r->block_acc / len > r->demand_mw) {
                r->demand_mw = r->block_acc / len;
                r->demand_time = sim_floor_div(end, 1000);
        }
        r->block_acc = 0;
        r->block_ms = sim_floor_div(t, len) * len;
}

/* At a local month boundary, the register freezes as at that instant, and
 * so does the maximum demand, which starts again from 0. */
static void freeze_if_due(struct sim_meter *m, int64_t t)
{
        if (t < m->next_freeze_ms)
                return;
        sim_demand_to(m, m->next_freeze_ms);
        if (m->o.demand) {
                m->reg.has_frozen_demand = 1;
                m->reg.frozen_demand_mw = m->reg.demand_mw;
                m->reg.frozen_demand_time =
                    sim_floor_div(sim_month_start_ms(t, m->o.utc_offset_s), 1000);
                m->reg.demand_mw = m->reg.demand_time = 0;
        }
        m->reg.has_frozen = 1;
        m->reg.frozen_wh = m->reg.import_wh;
        m->reg.frozen_time = sim_floor_div(sim_month_start_ms(t, m->o.utc_offset_s), 1000);
        m->next_freeze_ms = sim_next_month_ms(t, m->o.utc_offset_s);
        SIM_LOG(m, MB_LOG_INFO, "month boundary: froze register at %" PRId64 " Wh",
                m->reg.frozen_wh);
}

static void accrue(struct sim_meter *m, int64_t from, int64_t to)
{
        struct sim_registers *r = &m->reg;
        int rate = sim_rate_at(from, m->o.utc_offset_s);
        int64_t wh;

        int64_t e = sim_power_mw(&m->o, from) * (to - from) * m->o.speed;

        r->rate_acc[rate] += e;
        r->block_acc += e; /* ends within the block: sim_walk stops at block ends */
        wh = r->rate_acc[rate] / SIM_MWMS_PER_WH;
        if (wh > 0) {
                r->rate_acc[rate] -= wh * SIM_MWMS_PER_WH;
                r->rate_wh[rate] += wh;
                r->import_wh += wh;
        }
}

/* Walk the UTC interval [from, to) minute by minute, accruing energy when
 * accrue is set and freezing at every month boundary passed. */
void sim_walk(struct sim_meter *m, int64_t from, int64_t to, int accrue_energy)
{
        if (!accrue_energy) {
                freeze_if_due(m, to);
                sim_demand_to(m, to);
                return;
        }
        while (from < to) {
                int64_t end = (sim_floor_div(from, SIM_MS_PER_MIN) + 1) * SIM_MS_PER_MIN;
                int64_t blk = m->o.demand ? m->o.demand_ms : SIM_MS_PER_MIN;
                int64_t stop = m->o.fault_stop_from * 1000, go = m->o.fault_stop_until * 1000;

                /* a demand block's energy is its own */
                if ((sim_floor_div(from, blk) + 1) * blk < end)
                        end = (sim_floor_div(from, blk) + 1) * blk;
                /* a bypass starts and ends where it says, not at the minute */
                if (m->o.fault_stop_from && stop > from && stop < end)
                        end = stop;
                if (m->o.fault_stop_until && go > from && go < end)
                        end = go;
                if (end > to)
                        end = to;
                sim_demand_to(m, from);
                freeze_if_due(m, from);
                if (!sim_fault_stopped(m, from))
                        accrue(m, from, end);
                from = end;
        }
        sim_demand_to(m, to);
        freeze_if_due(m, to);
}

/* First advance: anchor the clocks.  With a restored state, the time the
 * meter was not watched (since the state was saved) is integrated too, as a
 * real meter keeps counting while the agent is down. */
static void anchor(struct sim_meter *m, int64_t mono, int64_t wall)
{
        int64_t gap = 0, since = wall;

        if (m->restored_wall_ms && wall > m->restored_wall_ms) {
                gap = wall - m->restored_wall_ms;
                if (gap > SIM_MAX_GAP_MS) {
                        SIM_LOG(m, MB_LOG_WARNING,
                                "state is %" PRId64 " days old: that time accrues nothing",
                                gap / SIM_MS_PER_DAY);
                        gap = 0;
                } else {
                        since = m->restored_wall_ms;
                }
        }
        m->started = 1;
        m->last_mono_ms = mono - gap;
        m->last_wall_ms = wall - gap;
        m->next_freeze_ms = sim_next_month_ms(since, m->o.utc_offset_s);
        if (m->relay == MB_RELAY_ARMED)
                m->armed_mono_ms = mono;
}

void sim_advance(struct sim_meter *m)
{
        int64_t mono = m->host->monotonic_ms();
        int64_t wall = m->host->realtime_s() * 1000;
        int64_t elapsed, from, closed_from;

        if (!m->started)
                anchor(m, mono, wall);
        elapsed = mono - m->last_mono_ms;
        if (elapsed < 0 || elapsed > SIM_MAX_GAP_MS) {
                SIM_LOG(m, MB_LOG_WARNING, "monotonic clock moved by %" PRId64 " ms: ignored",
                        elapsed);
                elapsed = 0;
        }
        /* Between readings the meter's clock runs on the monotonic one: the
         * host's UTC clock has whole seconds, and intervals placed by it
         * would overlap or leave gaps of a fraction of a second (a short
         * demand block would see half its energy).  It is set from the UTC
         * clock when that stepped by more than 2 s. */
        if (m->last_wall_ms + elapsed - wall < 2000 && wall - (m->last_wall_ms + elapsed) < 2000)
                wall = m->last_wall_ms + elapsed;
        from = wall - elapsed;
        if (from < m->last_wall_ms - SIM_MS_PER_MIN) /* the UTC clock was set back */
                m->next_freeze_ms = sim_next_month_ms(from, m->o.utc_offset_s);
        sim_relay_settle(m, mono, &closed_from);
        if (closed_from < m->last_mono_ms)
                closed_from = m->last_mono_ms;
        sim_walk(m, from, wall - (mono - closed_from), 0);
        sim_walk(m, wall - (mono - closed_from), wall, 1);
        m->last_mono_ms = mono;
        m->last_wall_ms = wall;
}
