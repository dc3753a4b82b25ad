/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: DL/T 698.45 meters on an RS-485 line or over TCP.  This file holds
 * the descriptor and the lifecycle; dlt698.h lists the other files and
 * docs/plugins/dlt698.md describes the options and the behaviour.
 *
 * One link per bus holds the line, shared by every dlt698 meter on it (the
 * host calls them one at a time from the bus thread).  link_open and
 * meter_new only read configuration: the line opens at the first read.
 */
#include <stdlib.h>
#include <string.h>

#include "dlt698.h"

#ifndef MB_DLT698_VERSION
#define MB_DLT698_VERSION "0.0.0"
#endif

static int serial_params(struct d698_link *l, const mb_link_params *bus, mb_err *err)
{
        if (!bus->device || !*bus->device)
                return mb_err_set(err, MB_ECONFIG, "bus %s has no device", bus->name);
        if (d698_baud_speed(bus->baud, &l->speed) < 0)
                return mb_err_set(err, MB_ECONFIG,
                                  "bus %s: baud %d is not a standard serial speed (DL/T 698.45 "
                                  "meters use 2400 or 9600)",
                                  bus->name, bus->baud);
        l->device = bus->device;
        l->baud = bus->baud;
        l->parity = bus->parity == 'E' || bus->parity == 'O' ? bus->parity : 'N';
        l->data_bits = bus->data_bits == 7 ? 7 : 8;
        l->stop_bits = bus->stop_bits == 2 ? 2 : 1;
        return MB_OK;
}

static int d698_link_open(const mb_host *host, mb_ctx *ctx, const mb_link_params *bus, void **link,
                          mb_err *err)
{
        struct d698_link *l = calloc(1, sizeof(*l));
        int rc = MB_OK;

        if (!l)
                return mb_err_set(err, MB_ENOMEM, "out of memory");
        l->host = host;
        l->ctx = ctx;
        l->name = bus->name;
        l->fd = -1;
        l->timeout_ms = bus->timeout_ms > 0 ? bus->timeout_ms : 1000;
        l->pause_ms = bus->pause_ms > 0 ? bus->pause_ms : 0;
        if (bus->type && strcmp(bus->type, "tcp") == 0) {
                l->tcp = 1;
                l->device = bus->host;
                l->port = bus->port;
                if (!l->device || !*l->device || l->port <= 0 || l->port > 65535)
                        rc = mb_err_set(err, MB_ECONFIG, "bus %s: a TCP bus needs host and port",
                                        bus->name);
        } else if (bus->type && strcmp(bus->type, "serial") == 0) {
                rc = serial_params(l, bus, err);
        } else {
                rc = mb_err_set(err, MB_ECONFIG,
                                "DL/T 698.45 needs a serial or a tcp bus; bus %s is \"%s\"",
                                bus->name, bus->type ? bus->type : "?");
        }
        if (rc < 0) {
                free(l);
                return rc;
        }
        *link = l;
        return MB_OK;
}

static void d698_link_close(void *link)
{
        struct d698_link *l = link;

        if (!l)
                return;
        d698_port_close(l);
        free(l);
}

/* "auto", "" or a wildcard pattern: discovered; else the meter's address. */
static int set_address(struct d698_meter *m, const char *a, mb_err *err)
{
        struct d698_link *l = m->link;

        if (!a || !*a || strcmp(a, "auto") == 0) {
                d698_addr_wildcard(&m->pattern);
                m->auto_addr = 1;
        } else if (d698_addr_parse(a, D698_SA_SINGLE, &m->addr) == 0) {
                m->have_addr = 1;
        } else if (d698_addr_parse(a, D698_SA_WILDCARD, &m->pattern) == 0 && m->pattern.len == 6) {
                m->auto_addr = 1;
        } else {
                return mb_err_set(err, MB_ECONFIG,
                                  "address \"%s\" is not a DL/T 698.45 address (12 digits, \"A\" "
                                  "digits as wildcards, or \"auto\")",
                                  a);
        }
        m->pattern.logical = m->addr.logical = (uint8_t)m->o.logical;
        if ((m->auto_addr && l->n_meters > 0) || (!m->auto_addr && l->n_auto > 0))
                return mb_err_set(err, MB_ECONFIG,
                                  "address discovery (address \"auto\", none or a pattern) works "
                                  "only for the only DL/T 698.45 meter on bus %s",
                                  l->name);
        return MB_OK;
}

static int d698_normalise_address(const char *in, char *out, size_t cap, mb_err *err)
{
        struct d698_addr a;

        if (!*in || strcmp(in, "auto") == 0)
                return MB_ENOENT;
        if (d698_addr_parse(in, D698_SA_SINGLE, &a) < 0) {
                if (d698_addr_parse(in, D698_SA_WILDCARD, &a) == 0)
                        return MB_ENOENT; /* a pattern names no single meter */
                return mb_err_set(err, MB_EINVAL,
                                  "not a DL/T 698.45 address (12 digits, \"A\" digits as "
                                  "wildcards, or \"auto\")");
        }
        if (cap < 2u * a.len + 1)
                return mb_err_set(err, MB_ERANGE, "no room for %d digits", 2 * a.len);
        d698_addr_format(&a, out, cap);
        return MB_OK;
}

/* Warn when timeout_ms cannot cover every request at this speed. */
static void check_timeout(struct d698_meter *m)
{
        const struct d698_link *l = m->link;
        int bits = l->tcp ? 0 : 1 + l->data_bits + (l->parity != 'N') + l->stop_bits;
        int per = (l->tcp ? 0 : 300 * bits * 1000 / l->baud) + 100; /* ~300 bytes, turnaround */
        int n = d698_meter_requests(m);

        if (n * per > m->timeout_ms)
                D698_LOG(m, MB_LOG_WARNING,
                         "timeout_ms %d is likely too short for %d requests (about %d ms): raise "
                         "the meter's timeout_ms",
                         m->timeout_ms, n, n * per);
}

static void d698_meter_free(void *meter)
{
        struct d698_meter *m = meter;

        if (!m)
                return;
        m->link->n_meters--;
        m->link->n_auto -= m->auto_addr;
        free(m);
}

static int d698_meter_new(const mb_host *host, mb_ctx *ctx, void *link,
                          const mb_meter_params *params, void **meter, mb_err *err)
{
        struct d698_meter *m;
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
        m->purchases = -1;
        for (int i = 0; i < OBJ_COUNT; i++) {
                m->scaler[i] = d698_objects[i].scaler;
                m->unit[i] = d698_objects[i].unit;
        }
        rc = d698_options_parse(m);
        if (rc < 0)
                mb_err_set(err, rc, "invalid options for DL/T 698.45 meter %s", params->name);
        else
                rc = set_address(m, params->address, err);
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

static int d698_meter_read(void *meter, mb_reading *out, mb_err *err)
{
        return d698_read(meter, out, err);
}

static int d698_meter_control(void *meter, int op, int *state, mb_err *err)
{
        return d698_control(meter, op, state, err);
}

MB_PLUGIN_EXPORT const struct mb_plugin meterbox_plugin = {
    .abi_version = MB_PLUGIN_ABI_VERSION,
    .size = sizeof(struct mb_plugin),
    .name = "dlt698",
    .version = MB_DLT698_VERSION,
    .description = "DL/T 698.45 meters on RS-485 or TCP: energy, rates, electrical values, "
                   "clock, monthly freeze, prepaid wallet, relay control",
    .caps = MB_CAP_READ | MB_CAP_RELAY | MB_CAP_FROZEN | MB_CAP_DISPLAY,
    .link_open = d698_link_open,
    .link_close = d698_link_close,
    .meter_new = d698_meter_new,
    .meter_read = d698_meter_read,
    .meter_control = d698_meter_control,
    .meter_free = d698_meter_free,
    .normalise_address = d698_normalise_address,
};
