/* SPDX-License-Identifier: Apache-2.0 */
/*
 * modbus: one libmodbus context per bus (link), shared by the bus's meters.
 *
 *  - link_open creates the context without connecting; the first transaction
 *    connects (opens the serial device or the TCP connection).
 *  - A failed connection attempt backs off: reconnect_min_ms, doubling up to
 *    reconnect_max_ms.  Until then every transaction fails at once with the
 *    last reason, so a dead bus costs nothing and never stalls.
 *  - A transaction that loses the connection (TCP reset, serial device gone)
 *    closes it; a read is retried once on a fresh connection when the old one
 *    had been idle, so a restarted TCP server costs no reading.
 *  - Requests go out with modbus_send_raw_request() and answers come back
 *    with modbus_receive_confirmation(), so that both frames are logged
 *    through host->log_frame (libmodbus' own debug output goes to stdout,
 *    which a plugin must not use) and every answer is checked here
 *    (modbus_frame.c), with errors that name the unit and the registers.
 *  - libmodbus sends raw requests with TCP transaction id 0, so a late answer
 *    could pass for the next one: after a TCP timeout or a garbled TCP answer
 *    the connection is closed; before every request pending input is flushed.
 *  - The bus's pause_ms is kept between the end of one transaction and the
 *    start of the next, and every wait counts against the meter's timeout_ms.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#include "modbus_plugin.h"

static int64_t now_ms(const struct mbp_link *l)
{
        return l->host->monotonic_ms();
}

static void sleep_ms(int64_t ms)
{
        struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                              .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* The baud rates libmodbus 3.1 can set; any other silently becomes 9600. */
static int baud_supported(int baud)
{
        static const int rates[] = {110,     300,     600,     1200,    2400,    4800,
                                    9600,    19200,   38400,   57600,   115200,  230400,
                                    460800,  500000,  576000,  921600,  1000000, 1152000,
                                    1500000, 2000000, 2500000, 3000000, 3500000, 4000000};

        for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
                if (rates[i] == baud)
                        return 1;
        return 0;
}

int mbp_link_create(struct mbp_link *l, const mb_link_params *bus, mb_err *err)
{
        if (strcmp(bus->type, "tcp") == 0) {
                char port[16];

                if (!bus->host || !*bus->host)
                        return mb_err_set(err, MB_ECONFIG, "tcp bus %s has no host", bus->name);
                snprintf(port, sizeof(port), "%d", bus->port);
                l->transport = MBF_TCP;
                snprintf(l->where, sizeof(l->where), "tcp %s:%d", bus->host, bus->port);
                errno = 0;
                l->mb = modbus_new_tcp_pi(bus->host, port);
        } else if (strcmp(bus->type, "serial") == 0) {
                if (!bus->device || !*bus->device)
                        return mb_err_set(err, MB_ECONFIG, "serial bus %s has no device",
                                          bus->name);
                l->transport = MBF_RTU;
                snprintf(l->where, sizeof(l->where), "%s %d %d%c%d", bus->device, bus->baud,
                         bus->data_bits, bus->parity, bus->stop_bits);
                if (!baud_supported(bus->baud))
                        return mb_err_set(err, MB_ECONFIG,
                                          "baud %d is not a rate libmodbus can set on %s (use "
                                          "1200, 2400, 4800, 9600, 19200, 38400, 57600, "
                                          "115200...)",
                                          bus->baud, bus->device);
                errno = 0;
                l->mb = modbus_new_rtu(bus->device, bus->baud, bus->parity, bus->data_bits,
                                       bus->stop_bits);
        } else {
                return mb_err_set(err, MB_ECONFIG,
                                  "the modbus plugin needs a bus of type \"serial\" or \"tcp\", "
                                  "not \"%s\"",
                                  bus->type);
        }
        if (!l->mb)
                return mb_err_set(err, errno == ENOMEM ? MB_ENOMEM : MB_ECONFIG,
                                  "libmodbus refused the settings of %s: %s", l->where,
                                  modbus_strerror(errno));
        modbus_set_error_recovery(l->mb, MODBUS_ERROR_RECOVERY_NONE);
        /* No separate byte timeout: the response timeout then bounds the
         * whole answer, so a trickling peer cannot stretch a transaction. */
        modbus_set_byte_timeout(l->mb, 0, 0);
        l->timeout_ms = bus->timeout_ms > 0 ? bus->timeout_ms : 1000;
        l->pause_ms = bus->pause_ms > 0 ? bus->pause_ms : 0;
        return MB_OK;
}

void mbp_link_destroy(struct mbp_link *l)
{
        if (!l->mb)
                return;
        if (l->connected)
                modbus_close(l->mb);
        modbus_free(l->mb);
        l->mb = NULL;
        l->connected = 0;
}

static void set_timeout(struct mbp_link *l, int64_t ms)
{
        if (ms < 1)
                ms = 1;
        modbus_set_response_timeout(l->mb, (uint32_t)(ms / 1000), (uint32_t)(ms % 1000) * 1000u);
}

static void drop(struct mbp_link *l)
{
        if (l->connected)
                modbus_close(l->mb);
        l->connected = 0;
}

static void setup_rs485(struct mbp_meter *m)
{
        struct mbp_link *l = m->link;

        if (modbus_rtu_set_serial_mode(l->mb, MODBUS_RTU_RS485) < 0) {
                /* A pty or a USB adapter that switches direction in hardware
                 * has no RS-485 ioctl (ENOTTY): not an error. */
                if (!l->rs485_warned)
                        MBP_LOG(l->host, l->ctx, MB_LOG_WARNING,
                                "%s: the driver has no RS-485 mode (%s); continuing in RS-232 "
                                "mode, so the adapter must switch the line direction itself",
                                l->where, modbus_strerror(errno));
                l->rs485_warned = 1;
                return;
        }
        if (l->rts >= 0 && modbus_rtu_set_rts(l->mb, l->rts) < 0 && !l->rs485_warned) {
                MBP_LOG(l->host, l->ctx, MB_LOG_WARNING, "%s: cannot set the RTS mode: %s",
                        l->where, modbus_strerror(errno));
                l->rs485_warned = 1;
        }
}

static int64_t backoff_ms(const struct mbp_link *l)
{
        int64_t b = l->reconnect_min_ms;

        for (int i = 1; i < l->fails && b < l->reconnect_max_ms; i++)
                b *= 2;
        return b < l->reconnect_max_ms ? b : l->reconnect_max_ms;
}

static int connect_link(struct mbp_meter *m, int64_t budget_ms, mb_err *err)
{
        struct mbp_link *l = m->link;
        int64_t now = now_ms(l);
        const char *verb;
        int e;

        if (l->connected)
                return MB_OK;
        if (l->fails && now < l->retry_at_ms)
                return mb_err_set(err, MB_EIO,
                                  "unit %d: %s is down (%s); next connection attempt in %" PRId64
                                  " ms",
                                  m->unit, l->where, l->last_error, l->retry_at_ms - now);
        /* libmodbus waits for a TCP connect up to the response timeout. */
        set_timeout(l, budget_ms < l->timeout_ms ? budget_ms : l->timeout_ms);
        if (modbus_connect(l->mb) == 0) {
                if (l->fails)
                        MBP_LOG(l->host, l->ctx, MB_LOG_NOTICE,
                                "%s: connected again after %d failed attempts", l->where, l->fails);
                l->fails = 0;
                l->connected = 1;
                l->have_last_io = 0;
                if (l->transport == MBF_RTU && l->rs485)
                        setup_rs485(m);
                return MB_OK;
        }
        e = errno;
        l->fails++;
        l->retry_at_ms = now_ms(l) + backoff_ms(l);
        snprintf(l->last_error, sizeof(l->last_error), "%s%s", modbus_strerror(e),
                 l->transport == MBF_RTU && e == EINVAL
                     ? "; a pseudo-terminal carries no parity: use parity \"N\" there"
                     : "");
        verb = l->transport == MBF_TCP ? "connect to" : "open";
        if (l->fails == 1)
                MBP_LOG(l->host, l->ctx, MB_LOG_INFO,
                        "cannot %s %s (%s); retrying after %d ms, backing off to %d ms", verb,
                        l->where, l->last_error, l->reconnect_min_ms, l->reconnect_max_ms);
        return mb_err_set(err, e == ETIMEDOUT ? MB_ETIMEDOUT : MB_EIO, "unit %d: cannot %s %s: %s",
                          m->unit, verb, l->where, l->last_error);
}

void mbp_call_begin(struct mbp_meter *m)
{
        m->deadline_ms = now_ms(m->link) + m->timeout_ms;
}

static int out_of_time(struct mbp_meter *m, const char *what, mb_err *err)
{
        return mb_err_set(err, MB_ETIMEDOUT,
                          "unit %d on %s: %s: not sent, the meter's timeout_ms (%d ms) is used up",
                          m->unit, m->link->where, what, m->timeout_ms);
}

/* Keep the bus quiet for pause_ms after the last transaction. */
static int pause_bus(struct mbp_meter *m, const char *what, mb_err *err)
{
        struct mbp_link *l = m->link;
        int64_t wait;

        if (!l->pause_ms || !l->have_last_io)
                return MB_OK;
        wait = l->last_io_ms + l->pause_ms - now_ms(l);
        if (wait <= 0)
                return MB_OK;
        if (wait >= m->deadline_ms - now_ms(l))
                return out_of_time(m, what, err);
        sleep_ms(wait);
        return MB_OK;
}

/* The answer libmodbus could not take: log what arrived and explain. */
static int receive_failed(struct mbp_meter *m, const uint8_t *raw, const char *what, int e,
                          int64_t waited_ms, int *retry, mb_err *err)
{
        struct mbp_link *l = m->link;
        const uint8_t *data;
        size_t n, dlen;
        int exc;
        char why[160];

        switch (e) {
        case ETIMEDOUT:
                if (l->transport == MBF_TCP)
                        drop(l); /* a late answer must not pass for the next one */
                return mb_err_set(err, MB_ETIMEDOUT,
                                  "unit %d on %s: %s: no complete answer within %" PRId64 " ms",
                                  m->unit, l->where, what, waited_ms);
        case EMBBADCRC:
                n = mbf_rtu_frame_len(l->rsp, sizeof(l->rsp));
                l->host->log_frame(m->ctx, "rx", l->rsp, n);
                if (mbf_check(l->transport, raw, l->rsp, n, &data, &dlen, &exc, why, sizeof(why)) ==
                    MB_OK)
                        snprintf(why, sizeof(why), "CRC error");
                modbus_flush(l->mb);
                return mb_err_set(err, MB_EPROTO, "unit %d on %s: %s: %s", m->unit, l->where, what,
                                  why);
        case EMBBADDATA:
        case EMBMDATA:
        case EMBBADEXC:
        case EMBUNKEXC:
                if (l->transport == MBF_TCP)
                        drop(l);
                else
                        modbus_flush(l->mb);
                return mb_err_set(err, MB_EPROTO, "unit %d on %s: %s: garbled answer (%s)", m->unit,
                                  l->where, what, modbus_strerror(e));
        default:
                drop(l);
                *retry = raw[1] <= 4; /* reads only: a write may have happened */
                return mb_err_set(err, MB_EIO, "unit %d on %s: %s: connection lost (%s)", m->unit,
                                  l->where, what, modbus_strerror(e));
        }
}

static int transact_once(struct mbp_meter *m, const uint8_t *raw, const char *what,
                         const uint8_t **data, size_t *data_len, int *retry, mb_err *err)
{
        struct mbp_link *l = m->link;
        uint8_t tx[MBF_RAW_REQ_LEN + 8];
        int64_t left, to, started;
        int rc, len, e, exc;
        char why[160];

        *retry = 0;
        if ((left = m->deadline_ms - now_ms(l)) <= 0)
                return out_of_time(m, what, err);
        if ((rc = connect_link(m, left, err)) < 0)
                return rc;
        if ((rc = pause_bus(m, what, err)) < 0)
                return rc;
        started = now_ms(l);
        if ((left = m->deadline_ms - started) <= 0)
                return out_of_time(m, what, err);
        to = left < l->timeout_ms ? left : l->timeout_ms;
        if (l->transport == MBF_RTU)
                modbus_set_slave(l->mb, m->unit); /* libmodbus filters RTU answers by it */
        set_timeout(l, to);
        /* Stale bytes on a serial line: a late or foreign answer.  A TCP
         * connection that may hold one is dropped where it arises (timeout,
         * garbled answer), so there a flush is one wasted recv a request. */
        if (l->transport == MBF_RTU)
                modbus_flush(l->mb);
        l->host->log_frame(m->ctx, "tx", tx, mbf_adu(l->transport, raw, MBF_RAW_REQ_LEN, tx));
        if (modbus_send_raw_request(l->mb, raw, MBF_RAW_REQ_LEN) < 0) {
                e = errno;
                drop(l);
                *retry = 1; /* nothing went out */
                return mb_err_set(err, MB_EIO, "unit %d on %s: %s: cannot send (%s)", m->unit,
                                  l->where, what, modbus_strerror(e));
        }
        len = modbus_receive_confirmation(l->mb, l->rsp);
        e = errno;
        l->last_io_ms = now_ms(l);
        l->have_last_io = 1;
        if (len < 0)
                return receive_failed(m, raw, what, e, to, retry, err);
        if (len == 0) /* RTU: libmodbus ignored an answer from another unit */
                len = (int)mbf_rtu_frame_len(l->rsp, sizeof(l->rsp));
        l->host->log_frame(m->ctx, "rx", l->rsp, (size_t)len);
        rc = mbf_check(l->transport, raw, l->rsp, (size_t)len, data, data_len, &exc, why,
                       sizeof(why));
        switch (rc) {
        case MB_OK:
                return MB_OK;
        case MB_EDEVICE:
                return mb_err_set(err, MB_EDEVICE, "unit %d on %s: %s: the meter answered %s",
                                  m->unit, l->where, what, why);
        case MB_EADDR:
                modbus_flush(l->mb);
                return mb_err_set(err, MB_EADDR,
                                  "unit %d on %s: %s: %s (wrong unit id, or two devices share "
                                  "an id)",
                                  m->unit, l->where, what, why);
        default:
                if (l->transport == MBF_TCP)
                        drop(l);
                else
                        modbus_flush(l->mb);
                return mb_err_set(err, MB_EPROTO, "unit %d on %s: %s: bad answer: %s", m->unit,
                                  l->where, what, why);
        }
}

int mbp_transact(struct mbp_meter *m, const uint8_t *raw, const char *what, const uint8_t **data,
                 size_t *data_len, mb_err *err)
{
        int reused = m->link->connected, retry, rc;

        rc = transact_once(m, raw, what, data, data_len, &retry, err);
        if (rc == MB_OK || !retry || !reused)
                return rc;
        /* The connection we had went away while idle (a peer restart): try
         * once more on a new one. */
        if (err) {
                MBP_LOG(m->host, m->ctx, MB_LOG_INFO, "%s; reconnecting", err->msg);
                memset(err, 0, sizeof(*err));
        }
        return transact_once(m, raw, what, data, data_len, &retry, err);
}
