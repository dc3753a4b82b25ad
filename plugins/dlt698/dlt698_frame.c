/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the link layer (dlt698_codec.h).  Pure: no I/O.
 */
#include <string.h>

#include "dlt698_codec.h"

#define SC_OFFSET 0x33

uint16_t d698_crc16(const uint8_t *p, size_t n)
{
        uint16_t crc = 0xFFFF;

        for (size_t i = 0; i < n; i++) {
                crc ^= p[i];
                for (int b = 0; b < 8; b++)
                        crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
        }
        return (uint16_t)~crc;
}

static void put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] | p[1] << 8);
}

/* The AF byte and the address bytes (logical byte first when extended). */
static size_t put_address(uint8_t *out, const struct d698_addr *sa)
{
        size_t k = 1;
        uint8_t af = (uint8_t)((sa->type & 3) << 6);

        if (sa->logical > 1) {
                af |= 0x20;
                out[k++] = sa->logical;
        } else if (sa->logical == 1) {
                af |= 0x10;
        }
        memcpy(out + k, sa->a, sa->len);
        k += sa->len;
        out[0] = (uint8_t)(af | ((k - 2) & 0x0F));
        return k;
}

size_t d698_encode(uint8_t *out, size_t cap, unsigned preamble, const struct d698_addr *sa,
                   uint8_t ca, uint8_t ctrl, const uint16_t *frag, const uint8_t *user, size_t ulen)
{
        size_t alen = sa->len + (sa->logical > 1), hlen = alen + 8;
        size_t total = hlen + (frag ? 2 : 0) + ulen + 3, k;
        uint8_t *f;

        if (preamble > D698_PREAMBLE_MAX || sa->len == 0 || alen > D698_SA_MAX ||
            total > D698_FRAME_MAX || preamble + total > cap)
                return 0;
        memset(out, D698_WAKE, preamble);
        f = out + preamble;
        f[0] = D698_START;
        put16(f + 1, (uint16_t)(total - 2));
        f[3] = (uint8_t)(frag ? ctrl | D698_C_SPLIT : ctrl);
        k = 4 + put_address(f + 4, sa);
        f[k++] = ca;
        put16(f + k, d698_crc16(f + 1, k - 1));
        k += 2;
        if (frag) {
                put16(f + k, *frag);
                k += 2;
        }
        if (ulen)
                memcpy(f + k, user, ulen);
        k += ulen;
        if (f[3] & D698_C_SC)
                for (size_t i = hlen; i < k; i++)
                        f[i] = (uint8_t)(f[i] + SC_OFFSET);
        put16(f + k, d698_crc16(f + 1, k - 1));
        k += 2;
        f[k++] = D698_END;
        return preamble + k;
}

size_t d698_encode_confirm(uint8_t *out, size_t cap, unsigned preamble, const struct d698_addr *sa,
                           uint8_t ca, uint16_t seq)
{
        uint16_t frag = (uint16_t)((seq & 0x0FFF) | D698_FRAG_CONFIRM << 14);

        return d698_encode(out, cap, preamble, sa, ca, D698_C_REQUEST, &frag, NULL, 0);
}

enum header_kind { H_NOT, H_NEED, H_BAD_HCS, H_OK };

/* What starts at buf[p] (a 68H): *hlen and *total when it is a header. */
static int header_at(const uint8_t *buf, size_t len, size_t p, size_t *hlen, size_t *total)
{
        size_t avail = len - p, alen, l;

        if (avail < 5)
                return H_NEED;
        l = get16(buf + p + 1);
        alen = (buf[p + 4] & 0x0F) + 1u;
        if ((l & 0xC000) || ((buf[p + 4] & 0x20) && alen < 2))
                return H_NOT;
        *hlen = alen + 8;
        *total = l + 2;
        if (*total < *hlen + 3 || *total > D698_FRAME_MAX)
                return H_NOT;
        if (avail < *hlen)
                return H_NEED;
        if (d698_crc16(buf + p + 1, *hlen - 3) != get16(buf + p + *hlen - 2))
                return H_BAD_HCS;
        return H_OK;
}

static int fcs_ok(const uint8_t *f, size_t total)
{
        return f[total - 1] == D698_END && d698_crc16(f + 1, total - 4) == get16(f + total - 3);
}

/* A complete frame at buf[p] with a good header and FCS. */
static int complete_at(const uint8_t *buf, size_t len, size_t p)
{
        size_t hlen, total;

        return buf[p] == D698_START && header_at(buf, len, p, &hlen, &total) == H_OK &&
               len - p >= total && fcs_ok(buf + p, total);
}

static void take_address(const uint8_t *f, struct d698_addr *sa)
{
        uint8_t af = f[4];
        size_t alen = (af & 0x0F) + 1u, k = 5;

        memset(sa, 0, sizeof(*sa));
        sa->type = (uint8_t)(af >> 6);
        if (af & 0x20) {
                sa->logical = f[k++];
                alen--;
        } else {
                sa->logical = (af & 0x10) ? 1 : 0;
        }
        sa->len = (uint8_t)alen;
        memcpy(sa->a, f + k, alen);
}

/* Fill *fr from the frame f (hlen, total checked).  Returns D698_OK, or
 * D698_E_SPLIT for a split frame too short for its fragment header. */
static int fill(const uint8_t *f, size_t hlen, size_t total, size_t skipped, struct d698_frame *fr)
{
        size_t ulen = total - hlen - 3;
        const uint8_t *u = f + hlen;

        fr->ctrl = f[3];
        take_address(f, &fr->sa);
        fr->ca = f[hlen - 3];
        fr->skipped = skipped > UINT16_MAX ? UINT16_MAX : (uint16_t)skipped;
        fr->split = (fr->ctrl & D698_C_SPLIT) != 0;
        fr->frag_seq = 0;
        fr->frag_type = 0;
        memcpy(fr->data, u, ulen);
        if (fr->ctrl & D698_C_SC)
                for (size_t i = 0; i < ulen; i++)
                        fr->data[i] = (uint8_t)(fr->data[i] - SC_OFFSET);
        fr->len = (uint16_t)ulen;
        if (!fr->split)
                return D698_OK;
        if (ulen < 2) {
                fr->len = 0;
                return D698_E_SPLIT;
        }
        fr->frag_seq = get16(fr->data) & 0x0FFF;
        fr->frag_type = (uint8_t)(fr->data[1] >> 6);
        fr->len = (uint16_t)(ulen - 2);
        memmove(fr->data, fr->data + 2, fr->len);
        return D698_OK;
}

/* A complete valid frame after position p, or len. */
static size_t next_complete(const uint8_t *buf, size_t len, size_t p)
{
        for (size_t q = p + 1; q < len; q++)
                if (complete_at(buf, len, q))
                        return q;
        return len;
}

int d698_frame_parse(const uint8_t *buf, size_t len, struct d698_frame *f, size_t *used,
                     size_t *need)
{
        size_t p = 0, hlen = 0, total = 0;
        int h, rc;

        *used = 0;
        *need = 0;
        for (;;) {
                while (p < len && buf[p] != D698_START)
                        p++;
                if (p >= len) {
                        *used = len;
                        *need = D698_MIN_FRAME;
                        return D698_MORE;
                }
                h = header_at(buf, len, p, &hlen, &total);
                if (h == H_NOT) {
                        p++;
                        continue;
                }
                if (h == H_NEED || len - p < total) {
                        /* Incomplete; a complete valid frame further on
                         * proves this candidate was noise. */
                        size_t q = next_complete(buf, len, p);
                        if (q == len) {
                                *used = p;
                                *need = h == H_NEED ? (len - p < 5 ? 5 : hlen) - (len - p)
                                                    : total - (len - p);
                                if (*need == 0)
                                        *need = 1;
                                return D698_MORE;
                        }
                        p = q;
                        continue;
                }
                if (!fcs_ok(buf + p, total)) {
                        /* A header that checked with a bad frame end or FCS is
                         * a damaged frame; one that did not, noise. */
                        if (h == H_OK && buf[p + total - 1] == D698_END) {
                                fill(buf + p, hlen, total, p, f);
                                *used = p + total;
                                return D698_E_FCS;
                        }
                        p++;
                        continue;
                }
                rc = fill(buf + p, hlen, total, p, f);
                *used = p + total;
                if (rc == D698_OK && h == H_BAD_HCS)
                        rc = D698_E_HCS;
                return rc;
        }
}

static int nibble_match(const struct d698_addr *want, const struct d698_addr *got)
{
        if (want->len != got->len)
                return 0;
        for (size_t i = 0; i < want->len; i++) {
                uint8_t w = want->a[i], g = got->a[i];
                if ((w & 0xF0) != 0xA0 && (w & 0xF0) != (g & 0xF0))
                        return 0;
                if ((w & 0x0F) != 0x0A && (w & 0x0F) != (g & 0x0F))
                        return 0;
        }
        return 1;
}

int d698_reply_check(const struct d698_frame *f, const struct d698_addr *to, uint8_t ca)
{
        if (!(f->ctrl & D698_C_DIR))
                return D698_E_DIR;
        if ((f->ctrl & D698_C_FUNC) != D698_FUNC_DATA)
                return D698_E_FUNC;
        if (f->ca != ca)
                return D698_E_CLIENT;
        switch (to->type) {
        case D698_SA_SINGLE:
                if (f->sa.type != D698_SA_SINGLE || f->sa.logical != to->logical ||
                    f->sa.len != to->len || memcmp(f->sa.a, to->a, to->len) != 0)
                        return D698_E_ADDR;
                return D698_OK;
        case D698_SA_WILDCARD:
                return f->sa.type == D698_SA_SINGLE && nibble_match(to, &f->sa) ? D698_OK
                                                                                : D698_E_ADDR;
        default:
                return f->sa.type == D698_SA_SINGLE ? D698_OK : D698_E_ADDR;
        }
}

void d698_reasm_init(struct d698_reasm *r)
{
        r->len = 0;
        r->started = 0;
        r->last_seq = 0;
        r->fragments = 0;
}

static int append(struct d698_reasm *r, const struct d698_frame *f)
{
        if (r->len + f->len > sizeof(r->apdu))
                return D698_E_TOOBIG;
        memcpy(r->apdu + r->len, f->data, f->len);
        r->len += f->len;
        r->fragments++;
        return D698_OK;
}

int d698_reasm_add(struct d698_reasm *r, const struct d698_frame *f, uint16_t *confirm_seq)
{
        int rc;

        if (!f->split) {
                if (r->started)
                        return D698_E_SPLIT;
                r->len = 0;
                return append(r, f);
        }
        *confirm_seq = f->frag_seq;
        if (r->started && f->frag_seq == r->last_seq)
                return D698_MORE; /* a repeat: our confirmation was lost */
        switch (f->frag_type) {
        case D698_FRAG_FIRST:
                if (r->started)
                        return D698_E_SPLIT;
                r->started = 1;
                r->len = 0;
                r->fragments = 0;
                break;
        case D698_FRAG_MIDDLE:
        case D698_FRAG_LAST:
                if (!r->started || f->frag_seq != ((r->last_seq + 1) & 0x0FFF))
                        return D698_E_SPLIT;
                break;
        default:
                return D698_E_SPLIT;
        }
        if ((rc = append(r, f)) < 0)
                return rc;
        r->last_seq = f->frag_seq;
        if (f->frag_type != D698_FRAG_LAST)
                return D698_MORE;
        r->started = 0;
        return D698_OK;
}

const char *d698_result_str(int rc)
{
        switch (rc) {
        case D698_OK:
                return "ok";
        case D698_MORE:
                return "incomplete frame";
        case D698_E_FCS:
                return "frame check (FCS) mismatch";
        case D698_E_HCS:
                return "header check (HCS) mismatch";
        case D698_E_DIR:
                return "a frame from a client (direction bit 0)";
        case D698_E_ADDR:
                return "reply from another server address";
        case D698_E_CLIENT:
                return "reply for another client address";
        case D698_E_FUNC:
                return "not a user-data frame";
        case D698_E_SPLIT:
                return "split-frame sequence broken";
        case D698_E_SHORT:
                return "APDU ends early";
        case D698_E_DATA:
                return "malformed APDU";
        case D698_E_NEST:
                return "data nested too deep";
        case D698_E_TOOBIG:
                return "larger than allowed";
        case D698_E_MISMATCH:
                return "answer to another request";
        default:
                return "unknown parser result";
        }
}
