/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: DL/T 645-2007 and -1997 electricity meters on an RS-485 line.  This
 * file holds the descriptor and the lifecycle; dlt645.h lists the other files
 * and docs/plugins/dlt645.md describes the options and the behaviour.
 *
 * One link per serial bus holds the port, shared by every dlt645 meter on the
 * bus (the host calls them one at a time from the bus thread).  link_open and
 * meter_new only read configuration: the port opens at the first read.
 */
#include <stdlib.h>
#include <string.h>

#include "dlt645.h"

#ifndef MB_DLT645_VERSION
#define MB_DLT645_VERSION "0.0.0"
#endif

static int dlt_link_open(const mb_host *host, mb_ctx *ctx, const mb_link_params *bus, void **link,
                         mb_err *err)
{
        struct dlt_link *l;
        speed_t speed;

        if (!bus->type || strcmp(bus->type, "serial") != 0)
                return mb_err_set(err, MB_ECONFIG,
                                  "DL/T 645 needs a serial bus (type = \"serial\"); bus %s is "
                                  "\"%s\"",
                                  bus->name, bus->type ? bus->type : "?");
        if (!bus->device || !*bus->device)
                return mb_err_set(err, MB_ECONFIG, "bus %s has no device", bus->name);
        if (dlt_baud_speed(bus->baud, &speed) < 0)
                return mb_err_set(err, MB_ECONFIG,
                                  "bus %s: baud %d is not a standard serial speed (DL/T 645 "
                                  "meters use 1200, 2400, 4800 or 9600)",
                                  bus->name, bus->baud);
        l = calloc(1, sizeof(*l));
        if (!l)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        l->host = host;
        l->ctx = ctx;
        l->device = bus->device;
        l->baud = bus->baud;
        l->speed = speed;
        l->parity = bus->parity == 'E' || bus->parity == 'O' ? bus->parity : 'N';
        l->data_bits = bus->data_bits == 7 ? 7 : 8;
        l->stop_bits = bus->stop_bits == 2 ? 2 : 1;
        l->timeout_ms = bus->timeout_ms > 0 ? bus->timeout_ms : 1000;
        l->pause_ms = bus->pause_ms > 0 ? bus->pause_ms : 0;
        l->fd = -1;
        *link = l;
        return MB_OK;
}

static void dlt_link_close(void *link)
{
        struct dlt_link *l = link;

        if (!l)
                return;
        dlt_port_close(l);
        free(l);
}

MB_PLUGIN_EXPORT extern const struct mb_plugin meterbox_plugin;

/* AA bytes (wildcards) or all 99 (broadcast): a pattern, not a meter. */
static int is_pattern(const uint8_t a[DLT_ADDR_LEN])
{
        int wild = 0, bcast = 1;

        for (int i = 0; i < DLT_ADDR_LEN; i++) {
                wild |= a[i] == DLT_WILDCARD;
                bcast &= a[i] == DLT_BROADCAST;
        }
        return wild || bcast;
}

/* The meter's identity: its 12 BCD digits, as it reports them. */
static int dlt_normalise_address(const char *in, char *out, size_t cap, mb_err *err)
{
        uint8_t a[DLT_ADDR_LEN];

        if (!*in || strcmp(in, "auto") == 0)
                return MB_ENOENT;
        if (dlt_addr_parse(in, a) < 0)
                return mb_err_set(err, MB_EINVAL,
                                  "not a DL/T 645 address (1 to 12 digits, \"AA\" pairs as "
                                  "wildcards, or \"auto\")");
        if (is_pattern(a))
                return MB_ENOENT;
        if (cap < 2 * DLT_ADDR_LEN + 1)
                return mb_err_set(err, MB_ERANGE, "no room for 12 digits");
        dlt_addr_format(a, out);
        return MB_OK;
}

static int set_address(struct dlt_meter *m, const mb_meter_params *params, mb_err *err)
{
        const char *a = params->address;
        struct dlt_link *l = m->link;

        if (!a || !*a || strcmp(a, "auto") == 0) {
                if (m->o.proto == DLT_1997)
                        return mb_err_set(err, MB_ECONFIG,
                                          "address discovery (address \"auto\" or none) needs "
                                          "protocol \"2007\": give the 12-digit address");
                m->auto_addr = 1;
        } else if (dlt_addr_parse(a, m->addr) < 0) {
                return mb_err_set(err, MB_ECONFIG,
                                  "address \"%s\" is not a DL/T 645 address (1 to 12 digits, "
                                  "\"AA\" pairs as wildcards, or \"auto\")",
                                  a);
        } else {
                m->have_addr = 1;
                /* A pattern answers from the meter's own address: learnt
                 * from the first reply (dlt_xact), never reported. */
                m->pattern = is_pattern(m->addr);
                memcpy(m->cfg_addr, m->addr, DLT_ADDR_LEN);
        }
        if ((m->auto_addr && l->n_meters > 0) || (!m->auto_addr && l->n_auto > 0))
                return mb_err_set(err, MB_ECONFIG,
                                  "address discovery (address \"auto\" or none) works only for "
                                  "the only DL/T 645 meter on bus %s",
                                  l->device);
        return MB_OK;
}

/* Warn when timeout_ms cannot cover every identifier read at this speed. */
static void check_timeout(struct dlt_meter *m)
{
        const struct dlt_link *l = m->link;
        int bits = 1 + l->data_bits + (l->parity != 'N') + l->stop_bits;
        int bytes = 2 * m->o.preamble + 2 * DLT_OVERHEAD + 16; /* request, reply */
        int per_item = bytes * bits * 1000 / l->baud + 50;     /* + the meter's turnaround */
        int items = dlt_meter_items(m);

        if (items * per_item > m->timeout_ms)
                DLT_LOG(m, MB_LOG_WARNING,
                        "timeout_ms %d is likely too short for %d identifiers at %d baud (about "
                        "%d ms): raise the meter's timeout_ms or read less (block, electrical, "
                        "clock...)",
                        m->timeout_ms, items, l->baud, items * per_item);
}

static void dlt_meter_free(void *meter)
{
        struct dlt_meter *m = meter;

        if (!m)
                return;
        m->link->n_meters--;
        m->link->n_auto -= m->auto_addr;
        free(m);
}

static int dlt_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                         const mb_meter_params *params, void **meter, mb_err *err)
{
        struct dlt_meter *m;
        int rc;

        if (!link)
                return mb_err_set(err, MB_ECONFIG, "no bus link (the host did not call link_open)");
        m = calloc(1, sizeof(*m));
        if (!m)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        m->host = host;
        m->ctx = ctx;
        m->link = link;
        m->name = params->name;
        m->timeout_ms = params->timeout_ms > 0 ? params->timeout_ms : m->link->timeout_ms;
        rc = dlt_options_parse(m, params);
        if (rc < 0)
                mb_err_set(err, rc, "invalid options for DL/T 645 meter %s", params->name);
        else
                rc = set_address(m, params, err);
        if (rc < 0) {
                free(m);
                return rc;
        }
        m->link->n_meters++;
        m->link->n_auto += m->auto_addr;
        check_timeout(m);
        *meter = m;
        return MB_OK;
}

static int dlt_meter_read(void *meter, mb_reading *out, mb_err *err)
{
        return dlt_read(meter, out, err);
}

static int dlt_meter_control(void *meter, int op, int *state, mb_err *err)
{
        return dlt_control(meter, op, state, err);
}

/* DL/T 645-1997 has no remote control (1CH), no run status word and no
 * settlement-day register: such a meter is read, never switched. */
static uint32_t dlt_meter_caps(void *meter)
{
        const struct dlt_meter *m = meter;

        return m->o.proto == DLT_1997 ? MB_CAP_READ : meterbox_plugin.caps;
}

MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "dlt645",
    .version = MB_DLT645_VERSION,
    .description = "DL/T 645-2007/1997 meters on a serial line: energy, rates, "
                   "electrical values, clock, settlement day, prepaid, relay control",
    .caps = MB_CAP_READ | MB_CAP_RELAY | MB_CAP_FROZEN | MB_CAP_DISPLAY,
    .link_open = dlt_link_open,
    .link_close = dlt_link_close,
    .meter_new = dlt_meter_new,
    .meter_read = dlt_meter_read,
    .meter_control = dlt_meter_control,
    .meter_free = dlt_meter_free,
    .normalise_address = dlt_normalise_address,
    .meter_caps = dlt_meter_caps,
};
