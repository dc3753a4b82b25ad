/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: Modbus RTU and Modbus TCP electricity meters through libmodbus.
 * This file holds the descriptor and the lifecycle; modbus_plugin.h lists the
 * other files and docs/plugins/modbus.md describes options and behaviour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modbus_plugin.h"

#ifndef MB_MODBUS_VERSION
#define MB_MODBUS_VERSION "0.0.0"
#endif

static void modbus_link_close(void *link)
{
        struct mbp_link *l = link;

        if (!l)
                return;
        mbp_link_destroy(l);
        free(l);
}

static int modbus_link_open(const mb_host *host, mb_ctx *ctx, const mb_link_params *bus,
                            void **link, mb_err *err)
{
        struct mbp_link *l = calloc(1, sizeof(*l));
        int rc;

        if (!l)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        l->host = host;
        l->ctx = ctx;
        rc = mbp_link_options(l, bus, err);
        if (rc < 0 && err && !err->msg[0])
                mb_err_set(err, rc, "invalid bus options");
        if (rc == MB_OK)
                rc = mbp_link_create(l, bus, err);
        if (rc < 0) {
                modbus_link_close(l);
                return rc;
        }
        *link = l;
        return MB_OK;
}

static void modbus_meter_free(void *meter)
{
        free(meter);
}

static int modbus_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                            const mb_meter_params *params, void **meter, mb_err *err)
{
        struct mbp_meter *m;
        int rc;

        if (!link)
                return mb_err_set(err, MB_EINVAL, "meter %s has no bus link (link_open not called)",
                                  params->name);
        if (!(m = calloc(1, sizeof(*m))))
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        m->host = host;
        m->ctx = ctx;
        m->link = link;
        m->name = params->name;
        m->timeout_ms = params->timeout_ms > 0 ? params->timeout_ms : m->link->timeout_ms;
        rc = mbp_meter_options(m, params, err);
        if (rc < 0) {
                modbus_meter_free(m);
                return rc;
        }
        MBP_LOG(host, ctx, MB_LOG_DEBUG, "unit %d on %s: %d read requests per reading%s", m->unit,
                m->link->where, m->map.n_blocks,
                m->relay.kind != MBP_RELAY_NONE && m->relay.in_reading ? " plus the relay" : "");
        *meter = m;
        return MB_OK;
}

/* Does block b carry registers no quantity asked for? */
static int has_gap(const struct mbm_map *map, const struct mbm_block *b)
{
        int used = 0;

        for (int q = 0; q < MBM_Q_COUNT; q++) {
                const struct mbm_entry *e = &map->q[q];
                if (e->present && e->fc == b->fc && e->reg >= b->start &&
                    e->reg < b->start + b->count)
                        used += mbd_type_regs(e->type);
        }
        return used < b->count;
}

/* Read every block into m->buf, the one with the energy register first: if
 * that fails the reading fails with its error (err), and a meter that is
 * gone costs one timeout, not one per block.  Another block that fails is
 * named in errs[] (its quantities are then left out).  Returns MB_OK, the
 * error, or 1 when the meter refused a read across a gap and the plan was
 * made again without gaps (read again). */
static int read_blocks(struct mbp_meter *m, const char **errs, mb_err *err)
{
        int first = mbm_block_of(&m->map, MBM_IMPORT);

        for (int k = 0; k < m->map.n_blocks; k++) {
                int i = k == 0 && first >= 0 ? first : k <= first ? k - 1 : k;
                const struct mbm_block *b = &m->map.block[i];
                uint8_t raw[MBF_RAW_REQ_LEN];
                const uint8_t *data;
                size_t n;
                char what[64], why[200];
                int rc;

                errs[i] = NULL;
                mbf_request(raw, m->unit, b->fc, b->start, b->count);
                snprintf(what, sizeof(what), "FC%02u read of %u registers at 0x%04X", b->fc,
                         b->count, b->start);
                memset(err, 0, sizeof(*err));
                rc = mbp_transact(m, raw, what, &data, &n, err);
                if (rc == MB_EDEVICE && m->max_gap > 0 && has_gap(&m->map, b) &&
                    mbm_plan(&m->map, 0, why, sizeof(why)) == MB_OK) {
                        MBP_LOG(m->host, m->ctx, MB_LOG_NOTICE,
                                "%s: reading only the registers in use from now on (%d "
                                "requests per reading)",
                                err->msg, m->map.n_blocks);
                        m->max_gap = 0;
                        return 1;
                }
                if (rc < 0 && i == first)
                        return rc;
                if (rc < 0) {
                        snprintf(m->block_err[i], sizeof(m->block_err[i]), "%s", err->msg);
                        errs[i] = m->block_err[i];
                        continue;
                }
                memcpy(m->buf + b->buf_off, data, n); /* n == 2 * count, checked */
        }
        memset(err, 0, sizeof(*err));
        return MB_OK;
}

static int modbus_meter_read(void *meter, mb_reading *out, mb_err *err)
{
        struct mbp_meter *m = meter;
        const char *errs[MBM_Q_COUNT];
        char why[300];
        int rc, state;

        mbp_call_begin(m);
        while ((rc = read_blocks(m, errs, err)) == 1)
                ;
        if (rc < 0)
                return rc;
        out->phases = 1;
        if (m->map.n_blocks && (rc = mbm_fill(&m->map, m->buf, (size_t)m->map.buf_bytes, errs, out,
                                              why, sizeof(why))) < 0)
                return mb_err_set(err, rc, "unit %d on %s: %s", m->unit, m->link->where, why);
        if (m->relay.kind != MBP_RELAY_NONE && m->relay.in_reading) {
                mb_err rerr = {0};
                if (mbp_relay_state(m, &state, &rerr) == MB_OK) {
                        out->relay = state;
                        out->fields |= MB_F_RELAY;
                } else {
                        /* The energy registers are worth more than the relay. */
                        mb_reading_omit(out, MB_F_RELAY, "relay: %s", rerr.msg);
                }
        }
        return MB_OK;
}

static int modbus_meter_control(void *meter, int op, int *state, mb_err *err)
{
        return mbp_control(meter, op, state, err);
}

/* Identity: a unit id without its leading zeros ("007" is "7"); any other
 * text (an address given beside options.unit) as typed. */
static int modbus_normalise_address(const char *in, char *out, size_t cap, mb_err *err)
{
        size_t n = strlen(in);

        if (!n || strcmp(in, "auto") == 0)
                return MB_ENOENT;
        if (strspn(in, "0123456789") == n)
                while (n > 1 && *in == '0') {
                        in++;
                        n--;
                }
        if (n >= cap || n >= MB_ADDR_LEN)
                return mb_err_set(err, MB_EINVAL, "longer than %d characters", MB_ADDR_LEN - 1);
        memcpy(out, in, n + 1);
        return MB_OK;
}

MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "modbus",
    .version = MB_MODBUS_VERSION,
    .description = "Modbus RTU/TCP meters (libmodbus): built-in profiles, register maps, relay "
                   "by coil or register",
    .caps = MB_CAP_READ | MB_CAP_RELAY,
    .link_open = modbus_link_open,
    .link_close = modbus_link_close,
    .meter_new = modbus_meter_new,
    .meter_read = modbus_meter_read,
    .meter_control = modbus_meter_control,
    .meter_free = modbus_meter_free,
    .normalise_address = modbus_normalise_address,
};
