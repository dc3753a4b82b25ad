/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: injected faults, so that the host's handling of bad meters can be
 * exercised without bad hardware.  Counted in meter_read calls (the first
 * read is 1):
 *
 *   fault_timeout_every N  every Nth read sleeps timeout_ms, then fails with
 *                          MB_ETIMEDOUT, as a meter that never answers
 *   fault_garbage_every N  every Nth read answers garbage: MB_EPROTO (mode
 *                          "frame"), or MB_OK with an invalid reading (mode
 *                          "reading"), the kind of invalid content cycling
 *   fault_reset_at N       the read after the Nth finds every register reset
 *                          to 0, flagged MB_Q_REGISTER_RESET, once
 *
 * and by the clock: fault_stop_from/_until (UTC seconds) the register stops
 * counting while the load goes on, as a bypassed or stopped meter does (the
 * main meter of its transformer area still sees that load).
 *
 * A timeout wins over garbage when both fall on the same read.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "sim.h"

/* Sleep exactly ms milliseconds on CLOCK_MONOTONIC, whatever the signals. */
void sim_sleep_ms(int ms)
{
        struct timespec until;

        if (ms <= 0)
                return;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += ms / 1000;
        until.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
        }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
                ;
}

int sim_fault_stopped(const struct sim_meter *m, int64_t wall_ms)
{
        return m->o.fault_stop_from && wall_ms >= m->o.fault_stop_from * 1000 &&
               (!m->o.fault_stop_until || wall_ms < m->o.fault_stop_until * 1000);
}

static int due(int64_t every, uint64_t n)
{
        return every > 0 && n % (uint64_t)every == 0;
}

static int garbage_frame(struct sim_meter *m, mb_err *err)
{
        uint8_t frame[16];

        for (size_t i = 0; i < sizeof(frame); i++)
                frame[i] = (uint8_t)sim_mix(m->o.seed, 9 + i, m->garbage);
        if (m->host->log_frame)
                m->host->log_frame(m->ctx, "rx", frame, sizeof(frame));
        return mb_err_set(err, MB_EPROTO,
                          "garbage frame of %zu bytes (injected: fault_garbage_every = %" PRId64
                          ", read %" PRIu64 ")",
                          sizeof(frame), m->o.fault_garbage_every, m->reads);
}

int sim_fault_before_read(struct sim_meter *m, mb_err *err)
{
        if (due(m->o.fault_timeout_every, m->reads)) {
                sim_sleep_ms(m->timeout_ms);
                return mb_err_set(err, MB_ETIMEDOUT,
                                  "no answer within %d ms (injected: fault_timeout_every = %" PRId64
                                  ", read %" PRIu64 ")",
                                  m->timeout_ms, m->o.fault_timeout_every, m->reads);
        }
        if (!due(m->o.fault_garbage_every, m->reads))
                return MB_OK;
        m->garbage++;
        if (m->o.garbage_mode == SIM_GARBAGE_READING)
                return SIM_FAULT_CORRUPT;
        return garbage_frame(m, err);
}

/* The kinds of invalid content, in the order they are injected; returns the
 * kind used.  Documented in docs/plugins/sim.md. */
int sim_fault_garbage_reading(const struct sim_meter *m, mb_reading *out)
{
        int kind = (int)((m->garbage - 1) % 7);

        switch (kind) {
        case 0: /* a field bit the host does not know */
                out->fields |= 1u << 31;
                break;
        case 1: /* an address without its terminating NUL */
                memset(out->address, '9', sizeof(out->address));
                out->fields |= MB_F_ADDRESS;
                break;
        case 2: /* more phases than the arrays hold */
                out->phases = MB_PHASES + 1;
                break;
        case 3: /* a power factor above 1 */
                out->pf_milli = 1500;
                break;
        case 4: /* a relay state outside enum mb_relay_state */
                out->relay = 9;
                out->fields |= MB_F_RELAY;
                break;
        case 5: /* a quality bit the host does not know */
                out->quality |= 1u << 30;
                break;
        default: /* a negative cumulative register */
                out->import_wh = -1;
                break;
        }
        return kind;
}

void sim_fault_after_advance(struct sim_meter *m)
{
        int64_t at = m->o.fault_reset_at;

        if (at <= 0 || m->reset_done || m->reads <= (uint64_t)at)
                return;
        sim_registers_init(&m->reg, 0);
        m->reset_done = 1;
        m->pending_quality |= MB_Q_REGISTER_RESET;
        SIM_LOG(m, MB_LOG_NOTICE, "register reset to 0 (injected: fault_reset_at = %" PRId64 ")",
                at);
}
