/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt645: one transaction (request, reply) on the link, and what is built
 * on it: reading an identifier with its follow-up frames, and address
 * discovery.  Each transaction waits for the bus's quiet time, drops stale
 * input, sends the wake-up bytes and the request, then reads until a frame
 * answers it or the deadline passes: min(bus timeout_ms, what is left of the
 * meter's timeout_ms for this call).  A frame in the master direction (the
 * echo of an RS-485 adapter) is skipped, and so is a reply to something else
 * (a slow meter's late answer to an earlier request, another meter): if no
 * answer follows, the error names that reply.  A checksum error, a short
 * reply or an exception ends the transaction at once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt645.h"

static void log_frame(const struct dlt_meter *m, const char *dir, const uint8_t *buf, size_t n)
{
        if (m->host->log_frame && n)
                m->host->log_frame(m->ctx, dir, buf, n);
}

const char *dlt_di_str(const struct dlt_meter *m, uint32_t di, char buf[16])
{
        snprintf(buf, 16, m->o.proto == DLT_1997 ? "DI %04" PRIX32 : "DI %08" PRIX32, di);
        return buf;
}

int dlt_is_exception(int rc)
{
        return rc == MB_EDEVICE || rc == MB_EAUTH;
}

/* Start a plugin call: its deadline.  Returns MB_OK. */
int dlt_begin(struct dlt_meter *m)
{
        m->deadline = dlt_now_ms() + (m->timeout_ms > 0 ? m->timeout_ms : 1000);
        return MB_OK;
}

static int fail_reply(struct dlt_meter *m, int rc, const struct dlt_req *req,
                      const struct dlt_frame *f, const struct dlt_expect *e, mb_err *err)
{
        char want[13], got[13], words[200];

        dlt_addr_format(req->addr, want);
        dlt_addr_format(f->addr, got);
        switch (rc) {
        case DLT_E_CHECKSUM:
                return mb_err_set(err, MB_EPROTO, "%s: checksum mismatch in the reply from %s",
                                  req->what, got);
        case DLT_E_ADDR:
                return mb_err_set(err, MB_EADDR, "%s: reply from address %s, expected %s",
                                  req->what, got, want);
        case DLT_E_FUNC:
                return mb_err_set(err, MB_EPROTO,
                                  "%s: reply with control code %02XH to a request %02XH", req->what,
                                  f->ctrl, req->ctrl);
        case DLT_E_DI:
                return mb_err_set(err, MB_EPROTO, "%s: the reply is for another identifier",
                                  req->what);
        case DLT_E_SHORT:
                return mb_err_set(err, MB_EPROTO, "%s: reply too short (%u data bytes)", req->what,
                                  f->len);
        case DLT_E_EXCEPTION:
                m->last_errword = f->data[0];
                dlt_errword_str(m->o.proto, f->data[0], words, sizeof(words));
                return mb_err_set(err, (f->data[0] & DLT_ERR_PASSWORD) ? MB_EAUTH : MB_EDEVICE,
                                  "%s: meter %s answered %02XH with error word %02XH: %s",
                                  req->what, got, f->ctrl, f->data[0], words);
        default:
                return mb_err_set(err, MB_EPROTO, "%s: %s", req->what, dlt_result_str(rc));
        }
}

/* A well-formed reply that answers something else: late, for an earlier
 * request (its meter was slow), or from another meter. */
static int is_stale(int rc)
{
        return rc == DLT_E_ADDR || rc == DLT_E_FUNC || rc == DLT_E_DI;
}

/* Read until a frame answers e, or the deadline.  A stale reply is skipped;
 * if nothing better comes, it is what the error names. */
static int receive(struct dlt_meter *m, const struct dlt_req *req, const struct dlt_expect *e,
                   struct dlt_frame *f, int64_t deadline, mb_err *err)
{
        struct dlt_link *l = m->link;
        int64_t start = dlt_now_ms();
        struct dlt_frame stale;
        int stale_rc = 0;
        size_t used, need;
        int rc;

        for (;;) {
                rc = dlt_reply_parse(l->rx, l->rx_len, e, f, &used, &need);
                log_frame(m, rc == DLT_MORE ? "rx (noise)" : "rx", l->rx, used);
                if (rc != DLT_MORE && f->skipped)
                        DLT_LOG(m, MB_LOG_DEBUG, "skipped %u bytes before the frame", f->skipped);
                memmove(l->rx, l->rx + used, l->rx_len - used);
                l->rx_len -= used;
                if (rc == DLT_OK)
                        return MB_OK;
                if (rc == DLT_E_DIR) {
                        DLT_LOG(m, MB_LOG_DEBUG, "ignored a frame from a master (echo?)");
                        continue;
                }
                if (is_stale(rc)) {
                        DLT_LOG(m, MB_LOG_DEBUG, "ignored a reply to another request (%s)",
                                dlt_result_str(rc));
                        if (!stale_rc) {
                                stale = *f;
                                stale_rc = rc;
                        }
                        continue;
                }
                if (rc != DLT_MORE)
                        return fail_reply(m, rc, req, f, e, err);
                rc = dlt_port_read(l, deadline, err);
                if (rc == MB_ETIMEDOUT && stale_rc)
                        return fail_reply(m, stale_rc, req, &stale, e, err);
                if (rc == MB_ETIMEDOUT) {
                        char a[13];
                        int ms = (int)(deadline - start);
                        dlt_addr_format(req->addr, a);
                        if (!l->rx_len)
                                return mb_err_set(err, MB_ETIMEDOUT,
                                                  "%s: no reply from %s within %d ms", req->what, a,
                                                  ms);
                        log_frame(m, "rx (incomplete)", l->rx, l->rx_len);
                        return mb_err_set(err, MB_ETIMEDOUT,
                                          "%s: incomplete reply from %s (%zu bytes) within %d ms",
                                          req->what, a, l->rx_len, ms);
                }
                if (rc < 0)
                        return rc;
        }
}

/* A meter configured by a wildcard pattern answers from its own address:
 * use that from now on, so readings report the meter, never the pattern. */
static void learn_address(struct dlt_meter *m, const struct dlt_frame *f)
{
        char pat[13], got[13];

        if (!m->pattern)
                return;
        for (int i = 0; i < DLT_ADDR_LEN; i++)
                if ((f->addr[i] >> 4) > 9 || (f->addr[i] & 0x0F) > 9)
                        return;
        dlt_addr_format(m->addr, pat);
        dlt_addr_format(f->addr, got);
        memcpy(m->addr, f->addr, DLT_ADDR_LEN);
        m->pattern = 0;
        DLT_LOG(m, MB_LOG_INFO, "the meter at %s answers as %s", pat, got);
}

int dlt_xact(struct dlt_meter *m, const struct dlt_req *req, const struct dlt_expect *e,
             struct dlt_frame *f, mb_err *err)
{
        struct dlt_link *l = m->link;
        uint8_t buf[DLT_FRAME_MAX];
        int64_t now, deadline;
        size_t n;
        int rc;

        if ((rc = dlt_port_ready(l, m, err)) < 0)
                return rc;
        if (l->last_io && l->pause_ms > 0) {
                int64_t quiet = l->last_io + l->pause_ms;
                dlt_sleep_until(quiet < m->deadline ? quiet : m->deadline);
        }
        now = dlt_now_ms();
        if (now >= m->deadline)
                return mb_err_set(err, MB_ETIMEDOUT,
                                  "%s: the meter's timeout_ms (%d) ran out before this request; "
                                  "raise timeout_ms (docs/plugins/dlt645.md)",
                                  req->what, m->timeout_ms);
        deadline = now + l->timeout_ms;
        if (deadline > m->deadline)
                deadline = m->deadline;
        n = dlt_encode(buf, sizeof(buf), (unsigned)m->o.preamble, req->addr, req->ctrl, req->data,
                       req->len);
        if (n == 0)
                return mb_err_set(err, MB_EINVAL, "%s: request does not fit a frame", req->what);
        dlt_port_discard_input(l);
        log_frame(m, "tx", buf, n);
        rc = dlt_port_write(l, buf, n, deadline, err);
        if (rc == MB_OK && !req->no_reply)
                rc = receive(m, req, e, f, deadline, err);
        l->last_io = dlt_now_ms();
        if (rc == MB_OK && !req->no_reply && req->addr == m->addr)
                learn_address(m, f);
        return rc;
}

static void expect_for(const struct dlt_meter *m, uint8_t func, uint32_t di, struct dlt_expect *e)
{
        memset(e, 0, sizeof(*e));
        memcpy(e->addr, m->addr, DLT_ADDR_LEN);
        e->func = func;
        e->di_len = (uint8_t)dlt_di_bytes(m->o.proto, di, e->di);
}

/* Append a reply's value (data after the DI, without trailing bytes). */
static int append(uint8_t *out, size_t cap, size_t *n, const uint8_t *p, size_t len,
                  const char *what, mb_err *err)
{
        if (*n + len > cap)
                return mb_err_set(err, MB_EPROTO, "%s: reply longer than %zu bytes", what, cap);
        memcpy(out + *n, p, len);
        *n += len;
        return MB_OK;
}

static int follow_ups(struct dlt_meter *m, uint32_t di, const struct dlt_frame *first, uint8_t *out,
                      size_t cap, size_t *n, const char *what, mb_err *err)
{
        int is97 = m->o.proto == DLT_1997;
        uint8_t data[5], more = first->ctrl & DLT_C_MORE;
        struct dlt_frame f;
        struct dlt_expect e;
        struct dlt_req req = {.addr = m->addr, .data = data, .what = what};
        int rc;

        req.ctrl = is97 ? DLT97_READ_MORE : DLT07_READ_MORE;
        expect_for(m, req.ctrl, di, &e);
        for (int seq = 1; more; seq++) {
                if (seq > DLT_MAX_FOLLOWUPS)
                        return mb_err_set(err, MB_EPROTO, "%s: more than %d follow-up frames", what,
                                          DLT_MAX_FOLLOWUPS);
                req.len = dlt_di_bytes(m->o.proto, di, data);
                if (!is97)
                        data[req.len++] = (uint8_t)seq;
                if ((rc = dlt_xact(m, &req, &e, &f, err)) < 0)
                        return rc;
                /* 2007: DI, data, SEQ; 1997: DI, data. */
                if (!is97 && (f.len < e.di_len + 1 || f.data[f.len - 1] != seq))
                        return mb_err_set(err, MB_EPROTO,
                                          "%s: follow-up frame %d carries sequence %u", what, seq,
                                          f.len > e.di_len ? f.data[f.len - 1] : 0);
                rc = append(out, cap, n, f.data + e.di_len, f.len - e.di_len - (is97 ? 0 : 1), what,
                            err);
                if (rc < 0)
                        return rc;
                more = f.ctrl & DLT_C_MORE;
        }
        return MB_OK;
}

int dlt_read_di(struct dlt_meter *m, uint32_t di, uint8_t *out, size_t cap, size_t *n, mb_err *err)
{
        char what[16];
        struct dlt_frame f;
        struct dlt_expect e;
        struct dlt_req req = {.addr = m->addr, .what = dlt_di_str(m, di, what)};
        int rc;

        req.ctrl = m->o.proto == DLT_1997 ? DLT97_READ : DLT07_READ;
        expect_for(m, req.ctrl, di, &e);
        req.data = e.di;
        req.len = e.di_len;
        *n = 0;
        if ((rc = dlt_xact(m, &req, &e, &f, err)) < 0)
                return rc;
        rc = append(out, cap, n, f.data + e.di_len, f.len - e.di_len, what, err);
        if (rc == MB_OK && (f.ctrl & DLT_C_MORE))
                rc = follow_ups(m, di, &f, out, cap, n, what, err);
        return rc;
}

int dlt_discover(struct dlt_meter *m, mb_err *err)
{
        static const uint8_t anyone[DLT_ADDR_LEN] = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};
        struct dlt_req req = {.addr = anyone, .ctrl = DLT07_READ_ADDR, .what = "address (13H)"};
        struct dlt_expect e = {.func = DLT07_READ_ADDR};
        struct dlt_frame f;
        char a[13];
        int rc;

        memcpy(e.addr, anyone, DLT_ADDR_LEN);
        if ((rc = dlt_xact(m, &req, &e, &f, err)) < 0)
                return rc;
        /* The data holds the address too; the address field is the same. */
        memcpy(m->addr, f.len >= DLT_ADDR_LEN ? f.data : f.addr, DLT_ADDR_LEN);
        for (int i = 0; i < DLT_ADDR_LEN; i++)
                if ((m->addr[i] >> 4) > 9 || (m->addr[i] & 0x0F) > 9)
                        return mb_err_set(err, MB_EPROTO, "address (13H): not a BCD address");
        m->have_addr = 1;
        dlt_addr_format(m->addr, a);
        DLT_LOG(m, MB_LOG_INFO, "discovered meter address %s", a);
        return MB_OK;
}
