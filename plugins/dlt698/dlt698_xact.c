/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: one transaction (request, reply) on the line, and address
 * discovery.  A transaction waits for the bus's quiet time, drops stale
 * input, sends the wake-up bytes and the frame, then reads until a reply
 * answers it or the deadline passes: min(bus timeout_ms, what is left of the
 * meter's timeout_ms for this call).
 *
 * A frame from a client (the echo of a two-wire adapter) is skipped, and so
 * is a reply from another address or for another client (a slow meter's
 * late answer, another master): if no answer follows, the error names it.
 * A split reply is confirmed fragment by fragment and reassembled.  A
 * SECURITY-Response is unwrapped: its plaintext is the reply, its MAC is
 * logged and not checked (that needs the utility's ESAM).  A damaged frame
 * ends the transaction at once.
 */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "dlt698.h"

#define RN_LEN 16

struct pending {
        const struct d698_req *req;
        const struct d698_addr *to;
        int64_t deadline, start;
        struct d698_frame stale; /* the first reply to something else */
        int stale_rc;
};

static void log_frame(const struct d698_meter *m, const char *dir, const uint8_t *buf, size_t n)
{
        if (m->host->log_frame && n)
                m->host->log_frame(m->ctx, dir, buf, n);
}

int d698_begin(struct d698_meter *m)
{
        m->deadline = d698_now_ms() + (m->timeout_ms > 0 ? m->timeout_ms : 1000);
        return MB_OK;
}

uint8_t d698_next_piid(struct d698_meter *m)
{
        uint8_t p = m->piid;

        m->piid = (uint8_t)((m->piid + 1) & 0x3F);
        return p;
}

static int send_frame(struct d698_meter *m, const struct d698_addr *to, const uint16_t *frag,
                      const uint8_t *user, size_t ulen, int64_t deadline, mb_err *err)
{
        uint8_t buf[D698_FRAME_MAX + D698_PREAMBLE_MAX];
        size_t n = d698_encode(buf, sizeof(buf), (unsigned)m->o.preamble, to, (uint8_t)m->o.client,
                               D698_C_REQUEST, frag, user, ulen);

        if (n == 0)
                return mb_err_set(err, MB_EINVAL, "request of %zu bytes does not fit a frame",
                                  ulen);
        log_frame(m, "tx", buf, n);
        return d698_port_write(m->link, buf, n, deadline, err);
}

static int confirm(struct d698_meter *m, const struct d698_frame *f, uint16_t seq, int64_t deadline,
                   mb_err *err)
{
        uint16_t frag = (uint16_t)((seq & 0x0FFF) | D698_FRAG_CONFIRM << 14);

        return send_frame(m, &f->sa, &frag, NULL, 0, deadline, err);
}

static int fail_frame(struct d698_meter *m, struct pending *p, int rc, const struct d698_frame *f,
                      mb_err *err)
{
        char want[2 * D698_SA_MAX + 1], got[2 * D698_SA_MAX + 1];

        d698_addr_format(p->to, want, sizeof(want));
        d698_addr_format(&f->sa, got, sizeof(got));
        if (rc == D698_E_ADDR)
                return mb_err_set(err, MB_EADDR, "%s: reply from address %s, expected %s",
                                  p->req->what, got, want);
        if (rc == D698_E_CLIENT)
                return mb_err_set(err, MB_EADDR,
                                  "%s: reply from %s for client %02X, this gateway is client %02X",
                                  p->req->what, got, f->ca, m->o.client);
        return mb_err_set(err, MB_EPROTO, "%s: %s in the reply from %s", p->req->what,
                          d698_result_str(rc), got);
}

static int timeout(struct d698_meter *m, struct pending *p, mb_err *err)
{
        struct d698_link *l = m->link;
        char want[2 * D698_SA_MAX + 1];
        int ms = (int)(p->deadline - p->start);

        if (p->stale_rc)
                return fail_frame(m, p, p->stale_rc, &p->stale, err);
        d698_addr_format(p->to, want, sizeof(want));
        if (l->reasm.started)
                return mb_err_set(err, MB_ETIMEDOUT,
                                  "%s: split reply from %s stopped after %u fragments (%d ms)",
                                  p->req->what, want, l->reasm.fragments, ms);
        if (!l->rx_len)
                return mb_err_set(err, MB_ETIMEDOUT, "%s: no reply from %s within %d ms",
                                  p->req->what, want, ms);
        log_frame(m, "rx (incomplete)", l->rx, l->rx_len);
        return mb_err_set(err, MB_ETIMEDOUT,
                          "%s: incomplete reply from %s (%zu bytes) within %d ms", p->req->what,
                          want, l->rx_len, ms);
}

/* A frame that answered: into the reassembly.  Returns MB_OK when the APDU
 * is whole, 1 to read on, or an error. */
static int take(struct d698_meter *m, struct pending *p, mb_err *err)
{
        struct d698_link *l = m->link;
        const struct d698_frame *f = &l->frame;
        uint16_t seq = 0;
        int rc = d698_reasm_add(&l->reasm, f, &seq);

        if (rc == D698_OK)
                return MB_OK;
        if (rc != D698_MORE)
                return mb_err_set(err, MB_EPROTO, "%s: split reply: %s (fragment %u)", p->req->what,
                                  d698_result_str(rc), f->frag_seq);
        if (l->reasm.fragments > D698_MAX_FRAGMENTS)
                return mb_err_set(err, MB_EPROTO, "%s: more than %d split fragments", p->req->what,
                                  D698_MAX_FRAGMENTS);
        D698_LOG(m, MB_LOG_DEBUG, "split reply: fragment %u, confirming", f->frag_seq);
        rc = confirm(m, f, seq, p->deadline, err);
        return rc < 0 ? rc : 1;
}

/* Read until a reply answers, or the deadline. */
static int receive(struct d698_meter *m, struct pending *p, mb_err *err)
{
        struct d698_link *l = m->link;
        size_t used, need;
        int rc;

        for (;;) {
                rc = d698_frame_parse(l->rx, l->rx_len, &l->frame, &used, &need);
                log_frame(m, rc == D698_MORE ? "rx (noise)" : "rx", l->rx, used);
                memmove(l->rx, l->rx + used, l->rx_len - used);
                l->rx_len -= used;
                if (rc == D698_OK)
                        rc = d698_reply_check(&l->frame, p->to, (uint8_t)m->o.client);
                if (rc == D698_OK) {
                        if ((rc = take(m, p, err)) <= 0)
                                return rc;
                        continue;
                }
                if (rc == D698_E_DIR) {
                        D698_LOG(m, MB_LOG_DEBUG, "ignored a frame from a client (echo?)");
                        continue;
                }
                if (rc == D698_E_ADDR || rc == D698_E_CLIENT || rc == D698_E_FUNC) {
                        D698_LOG(m, MB_LOG_DEBUG, "ignored a frame: %s", d698_result_str(rc));
                        if (!p->stale_rc) {
                                p->stale = l->frame;
                                p->stale_rc = rc;
                        }
                        continue;
                }
                if (rc != D698_MORE)
                        return fail_frame(m, p, rc, &l->frame, err);
                rc = d698_port_read(l, p->deadline, err);
                if (rc == MB_ETIMEDOUT)
                        return timeout(m, p, err);
                if (rc < 0)
                        return rc;
        }
}

/* The reply APDU into m->apdu, unwrapped if it came as SECURITY-Response. */
static int keep_apdu(struct d698_meter *m, const struct d698_req *req, mb_err *err)
{
        const struct d698_reasm *ra = &m->link->reasm;
        struct d698_secured s;
        char mac[2 * sizeof(s.mac) + 1] = "";
        int rc, dar;

        if (req->raw || ra->len == 0 || ra->apdu[0] != D698_SECURITY_RESPONSE) {
                memcpy(m->apdu, ra->apdu, ra->len);
                m->apdu_len = ra->len;
                return MB_OK;
        }
        rc = d698_secure_unwrap(ra->apdu, ra->len, &s, &dar);
        if (rc == D698_E_DATA && dar >= 0)
                return d698_dar_error(m, req->what, dar, err);
        if (rc == D698_E_DATA)
                return mb_err_set(err, MB_ENOTSUP,
                                  "%s: the meter answered in ciphertext, which only the "
                                  "utility's ESAM can read (docs/plugins/dlt698.md)",
                                  req->what);
        if (rc != D698_OK)
                return mb_err_set(err, MB_EPROTO, "%s: SECURITY-Response: %s", req->what,
                                  d698_result_str(rc));
        for (size_t i = 0; i < s.mac_len; i++)
                snprintf(mac + 2 * i, sizeof(mac) - 2 * i, "%02X", s.mac[i]);
        D698_LOG(m, MB_LOG_DEBUG, "%s: SECURITY-Response, MAC %s (not checked: needs the ESAM)",
                 req->what, s.has_mac ? mac : "none");
        memcpy(m->apdu, s.apdu, s.len);
        m->apdu_len = s.len;
        return MB_OK;
}

/* The APDU to send: the plain one, or wrapped with a fresh random number. */
static int outgoing(struct d698_meter *m, const struct d698_req *req, uint8_t *buf, size_t cap,
                    size_t *n, mb_err *err)
{
        uint8_t rn[RN_LEN];

        if (!req->secure) {
                if (req->len > cap)
                        return mb_err_set(err, MB_EINVAL, "%s: request too long", req->what);
                memcpy(buf, req->apdu, req->len);
                *n = req->len;
                return MB_OK;
        }
        if (getrandom(rn, sizeof(rn), 0) != (ssize_t)sizeof(rn))
                return mb_err_set(err, MB_EIO, "%s: no random number for the request", req->what);
        *n = d698_secure_plain_rn(buf, cap, req->apdu, req->len, rn, sizeof(rn));
        return *n ? MB_OK : mb_err_set(err, MB_EINVAL, "%s: request too long", req->what);
}

int d698_xact(struct d698_meter *m, const struct d698_req *req, mb_err *err)
{
        struct d698_link *l = m->link;
        struct pending p = {.req = req, .to = req->to ? req->to : &m->addr};
        uint8_t out[D698_FRAME_MAX];
        size_t n;
        int rc;

        if ((rc = outgoing(m, req, out, sizeof(out), &n, err)) < 0)
                return rc;
        if ((rc = d698_port_ready(l, m->deadline, err)) < 0)
                return rc;
        if (l->last_io && l->pause_ms > 0)
                d698_sleep_until(l->last_io + l->pause_ms < m->deadline ? l->last_io + l->pause_ms
                                                                        : m->deadline);
        p.start = d698_now_ms();
        if (p.start >= m->deadline)
                return mb_err_set(err, MB_ETIMEDOUT,
                                  "%s: the meter's timeout_ms (%d) ran out before this request; "
                                  "raise timeout_ms (docs/plugins/dlt698.md)",
                                  req->what, m->timeout_ms);
        p.deadline = p.start + l->timeout_ms < m->deadline ? p.start + l->timeout_ms : m->deadline;
        d698_port_discard_input(l);
        d698_reasm_init(&l->reasm);
        rc = send_frame(m, p.to, NULL, out, n, p.deadline, err);
        if (rc == MB_OK)
                rc = receive(m, &p, err);
        l->last_io = d698_now_ms();
        if (rc == MB_OK) {
                m->from = l->frame.sa;
                rc = keep_apdu(m, req, err);
        }
        return rc;
}

int d698_discover(struct d698_meter *m, mb_err *err)
{
        uint8_t apdu[16];
        char what[80], text[2 * D698_SA_MAX + 1];
        struct d698_req req = {
            .apdu = apdu, .to = &m->pattern, .secure = m->o.security == D698_SEC_RN, .what = what};
        uint8_t piid = d698_next_piid(m);
        struct d698_resp r;
        int rc;

        snprintf(what, sizeof(what), "GET 40010200 (communication address) on %s",
                 d698_addr_format(&m->pattern, text, sizeof(text)));
        req.len = d698_get_normal(apdu, sizeof(apdu), piid, 0x40010200, NULL);
        if ((rc = d698_xact(m, &req, err)) < 0)
                return rc;
        rc = d698_resp_begin(m->apdu, m->apdu_len, D698_GET_RESPONSE, D698_GET_NORMAL, piid, &r);
        if (rc != 0 || r.error)
                return mb_err_set(err, MB_EPROTO, "%s: %s", what,
                                  r.error ? d698_error_str(r.error) : d698_result_str(rc));
        d698_addr_format(&m->from, text, sizeof(text));
        if (!d698_addr_is_bcd(&m->from) || m->from.len != 6)
                return mb_err_set(err, MB_EPROTO,
                                  "%s: the meter answered from %s, not a 12-digit address",
                                  req.what, text);
        m->addr = m->from;
        m->have_addr = 1;
        D698_LOG(m, MB_LOG_INFO, "discovered meter address %s", text);
        return MB_OK;
}
