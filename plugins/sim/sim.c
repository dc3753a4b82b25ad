/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim: a simulated electricity meter, the plugin that lets anyone run
 * meterbox without hardware.  This file holds the descriptor and the
 * lifecycle; sim.h lists the other files and what each does, and
 * docs/plugins/sim.md describes the options and the behaviour.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#ifndef MB_SIM_VERSION
#define MB_SIM_VERSION "0.0.0"
#endif

/* The meter's address: as configured, else ("auto" or none) 12 digits
 * derived from its name (the shape of a DL/T 645 address). */
static int set_address(struct sim_meter *m, const mb_meter_params *params, mb_err *err)
{
        const char *a = params->address;

        if (a && *a && strcmp(a, "auto") != 0) {
                if (strlen(a) >= sizeof(m->address))
                        return mb_err_set(err, MB_ECONFIG,
                                          "address \"%s\" is longer than %zu characters", a,
                                          sizeof(m->address) - 1);
                memcpy(m->address, a, strlen(a) + 1);
                return MB_OK;
        }
        snprintf(m->address, sizeof(m->address), "%012" PRIu64,
                 sim_hash_name(params->name) % UINT64_C(1000000000000));
        return MB_OK;
}

/* Identity: the address as configured; "auto" or none: the derived one the
 * readings report. */
static int sim_normalise_address(const char *in, char *out, size_t cap, mb_err *err)
{
        if (!*in || strcmp(in, "auto") == 0)
                return MB_ENOENT;
        if (strlen(in) >= cap || strlen(in) >= MB_ADDR_LEN)
                return mb_err_set(err, MB_EINVAL, "longer than %d characters", MB_ADDR_LEN - 1);
        memcpy(out, in, strlen(in) + 1);
        return MB_OK;
}

static int set_state_path(struct sim_meter *m, mb_err *err)
{
        size_t len;

        if (!m->o.state_file)
                return MB_OK;
        len = strlen(m->o.state_file) + sizeof(".tmp");
        m->state_tmp = malloc(len);
        if (!m->state_tmp)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        snprintf(m->state_tmp, len, "%s.tmp", m->o.state_file);
        return MB_OK;
}

static void sim_meter_free(void *meter)
{
        struct sim_meter *m = meter;

        if (!m)
                return;
        if (m->started)
                sim_state_save(m);
        free(m->state_tmp);
        free(m);
}

static int sim_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                         const mb_meter_params *params, void **meter, mb_err *err)
{
        struct sim_meter *m = calloc(1, sizeof(*m));
        int rc;

        if (!m)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        m->host = host;
        m->ctx = ctx;
        m->timeout_ms = params->timeout_ms;
        rc = sim_options_parse(host, ctx, params, &m->o);
        if (rc < 0)
                mb_err_set(err, rc, "invalid options for simulated meter %s", params->name);
        else
                rc = set_address(m, params, err);
        if (rc == MB_OK)
                rc = set_state_path(m, err);
        if (rc < 0) {
                sim_meter_free(m);
                return rc;
        }
        sim_registers_init(&m->reg, m->o.start_wh);
        m->relay = MB_RELAY_CLOSED;
        *meter = m;
        return MB_OK;
}

static int sim_meter_read(void *meter, mb_reading *out, mb_err *err)
{
        struct sim_meter *m = meter;
        int fault;

        sim_state_load(m);
        m->reads++;
        fault = sim_fault_before_read(m, err);
        if (fault < 0)
                return fault;
        sim_advance(m);
        sim_fault_after_advance(m);
        sim_fill_reading(m, out);
        if (fault == SIM_FAULT_CORRUPT)
                sim_fault_garbage_reading(m, out);
        sim_state_save(m);
        return MB_OK;
}

/* Without a relay (option relay = false) the meter only reads and shows. */
static uint32_t sim_meter_caps(void *meter)
{
        const struct sim_meter *m = meter;

        return MB_CAP_READ | MB_CAP_FROZEN | MB_CAP_DISPLAY | (m->o.has_relay ? MB_CAP_RELAY : 0);
}

static int sim_meter_control(void *meter, int op, int *state, mb_err *err)
{
        struct sim_meter *m = meter;

        sim_state_load(m);
        return sim_control(m, op, state, err);
}

MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "sim",
    .version = MB_SIM_VERSION,
    .description = "simulated meter: load profile, TOU registers, relay, faults",
    .caps = MB_CAP_READ | MB_CAP_RELAY | MB_CAP_FROZEN | MB_CAP_DISPLAY,
    .meter_new = sim_meter_new,
    .meter_read = sim_meter_read,
    .meter_control = sim_meter_control,
    .meter_free = sim_meter_free,
    .normalise_address = sim_normalise_address,
    .meter_caps = sim_meter_caps,
};
