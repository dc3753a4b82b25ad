/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: the APDUs the plugin sends and the replies it reads
 * (dlt698_codec.h).  Pure: no I/O.
 *
 *   GET-Request-Normal      05 01 PIID OAD                      TimeTag
 *   GET-Request-NormalList  05 02 PIID n OAD..                  TimeTag
 *   GET-Request-Record      05 03 PIID OAD RSD RCSD             TimeTag
 *   ACTION-Request-Normal   07 01 PIID OMD Data                 TimeTag
 *   SECURITY-Request        10 00 len APDU  01 len RN   (plaintext + RN)
 *   TimeTag                 00 (none) | 01 date_time_s TI
 *
 *   GET-Response-Normal     85 01 PIID-ACD OAD (00 DAR | 01 Data)   FollowReport TimeTag
 *   GET-Response-List       85 02 PIID-ACD n (OAD (00 DAR | 01 Data))..
 *   GET-Response-Record     85 03 PIID-ACD OAD RCSD (00 DAR | 01 rows (Data per column)..)
 *   ACTION-Response-Normal  87 01 PIID-ACD OMD DAR (00 | 01 Data)
 *   SECURITY-Response       90 (00 len APDU | 01 ciphertext | 02 DAR) (00 | 01 00 len MAC)
 *   ERROR-Response          EE PIID-ACD code
 */
#include <string.h>

#include "dlt698_codec.h"

/* A small writer that remembers running out of room. */
struct out {
        uint8_t *p;
        size_t cap, n;
        int full;
};

static void put(struct out *o, const void *src, size_t n)
{
        if (o->full || n > o->cap - o->n) {
                o->full = 1;
                return;
        }
        memcpy(o->p + o->n, src, n);
        o->n += n;
}

static void put8(struct out *o, uint8_t b)
{
        put(o, &b, 1);
}

static void put32(struct out *o, uint32_t v)
{
        uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

        put(o, b, 4);
}

static void put_len(struct out *o, size_t len)
{
        uint8_t b[3];
        size_t k = d698_put_len(b, sizeof(b), len);

        if (!k)
                o->full = 1;
        put(o, b, k);
}

static void put_tt(struct out *o, const struct d698_tt *tt)
{
        uint8_t dt[7];

        if (!tt || !tt->present) {
                put8(o, 0);
                return;
        }
        put8(o, 1);
        d698_dt_put(&tt->sent, dt);
        put(o, dt, sizeof(dt));
        put8(o, tt->unit);
        put8(o, (uint8_t)(tt->interval >> 8));
        put8(o, (uint8_t)tt->interval);
}

static size_t done(const struct out *o)
{
        return o->full ? 0 : o->n;
}

static struct out writer(uint8_t *out, size_t cap)
{
        struct out o = {out, cap, 0, 0};

        return o;
}

size_t d698_get_normal(uint8_t *out, size_t cap, uint8_t piid, uint32_t oad,
                       const struct d698_tt *tt)
{
        struct out o = writer(out, cap);

        put8(&o, D698_GET_REQUEST);
        put8(&o, D698_GET_NORMAL);
        put8(&o, piid);
        put32(&o, oad);
        put_tt(&o, tt);
        return done(&o);
}

size_t d698_get_list(uint8_t *out, size_t cap, uint8_t piid, const uint32_t *oads, size_t n,
                     const struct d698_tt *tt)
{
        struct out o = writer(out, cap);

        if (n == 0)
                return 0;
        put8(&o, D698_GET_REQUEST);
        put8(&o, D698_GET_NORMAL_LIST);
        put8(&o, piid);
        put_len(&o, n);
        for (size_t i = 0; i < n; i++)
                put32(&o, oads[i]);
        put_tt(&o, tt);
        return done(&o);
}

size_t d698_get_record_last(uint8_t *out, size_t cap, uint8_t piid, uint32_t oad, uint8_t nth,
                            const uint32_t *cols, size_t ncols, const struct d698_tt *tt)
{
        struct out o = writer(out, cap);

        if (ncols == 0 || ncols > 255)
                return 0;
        put8(&o, D698_GET_REQUEST);
        put8(&o, D698_GET_RECORD);
        put8(&o, piid);
        put32(&o, oad);
        put8(&o, 9); /* RSD: Selector9, the n-th latest record */
        put8(&o, nth);
        put8(&o, (uint8_t)ncols); /* RCSD: SEQUENCE OF CSD */
        for (size_t i = 0; i < ncols; i++) {
                put8(&o, 0); /* CSD choice 0: OAD */
                put32(&o, cols[i]);
        }
        put_tt(&o, tt);
        return done(&o);
}

size_t d698_action(uint8_t *out, size_t cap, uint8_t piid, uint32_t omd, const uint8_t *param,
                   size_t plen, const struct d698_tt *tt)
{
        struct out o = writer(out, cap);

        if (plen == 0)
                return 0;
        put8(&o, D698_ACTION_REQUEST);
        put8(&o, D698_ACTION_NORMAL);
        put8(&o, piid);
        put32(&o, omd);
        put(&o, param, plen);
        put_tt(&o, tt);
        return done(&o);
}

size_t d698_secure_plain_rn(uint8_t *out, size_t cap, const uint8_t *apdu, size_t alen,
                            const uint8_t *rn, size_t rnlen)
{
        struct out o = writer(out, cap);

        put8(&o, D698_SECURITY_REQUEST);
        put8(&o, 0); /* application data: plaintext [0] */
        put_len(&o, alen);
        put(&o, apdu, alen);
        put8(&o, 1); /* verification: RN [1] */
        put_len(&o, rnlen);
        put(&o, rn, rnlen);
        return done(&o);
}

int d698_secure_unwrap(const uint8_t *apdu, size_t n, struct d698_secured *s, int *dar)
{
        struct d698_cur c;
        uint8_t choice;
        size_t len;

        memset(s, 0, sizeof(*s));
        *dar = -1;
        d698_cur_init(&c, apdu, n);
        if (d698_u8(&c) != D698_SECURITY_RESPONSE)
                return c.err ? c.err : D698_E_MISMATCH;
        choice = d698_u8(&c);
        if (choice == 2) {
                *dar = d698_u8(&c);
                return c.err ? c.err : D698_E_DATA;
        }
        if (choice != 0)
                return c.err ? c.err : D698_E_DATA; /* ciphertext, or unknown */
        len = d698_len(&c);
        s->apdu = d698_bytes(&c, len);
        s->len = len;
        if (c.err)
                return c.err;
        if (c.off < c.n && d698_u8(&c) == 1 && d698_u8(&c) == 0) {
                /* Verification: MAC [0] octet-string. */
                len = d698_len(&c);
                if (len <= sizeof(s->mac)) {
                        const uint8_t *mac = d698_bytes(&c, len);
                        if (mac) {
                                memcpy(s->mac, mac, len);
                                s->mac_len = len;
                                s->has_mac = 1;
                        }
                }
        }
        return D698_OK;
}

int d698_resp_begin(const uint8_t *apdu, size_t n, uint8_t want_tag, uint8_t want_choice,
                    uint8_t piid, struct d698_resp *r)
{
        memset(r, 0, sizeof(*r));
        d698_cur_init(&r->c, apdu, n);
        r->tag = d698_u8(&r->c);
        if (r->tag == D698_ERROR_RESPONSE) {
                r->piid = d698_u8(&r->c);
                r->error = d698_u8(&r->c);
                if (r->error == 0)
                        r->error = 255;
                return r->c.err;
        }
        r->choice = d698_u8(&r->c);
        r->piid = d698_u8(&r->c);
        if (r->c.err)
                return r->c.err;
        if (r->tag != want_tag || r->choice != want_choice || (r->piid & 0x3F) != (piid & 0x3F))
                return D698_E_MISMATCH;
        return D698_OK;
}

int d698_next_result(struct d698_resp *r, struct d698_result_item *item)
{
        uint8_t choice;

        memset(item, 0, sizeof(*item));
        item->oad = (uint32_t)d698_be(&r->c, 4);
        choice = d698_u8(&r->c);
        if (r->c.err)
                return r->c.err;
        if (choice == 0) {
                item->dar = d698_u8(&r->c);
                return r->c.err;
        }
        if (choice != 1)
                return D698_E_DATA;
        item->dar = -1;
        return d698_take_data(&r->c, &item->data);
}

int d698_list_count(struct d698_resp *r, size_t *n)
{
        *n = d698_len(&r->c);
        return r->c.err;
}

int d698_record_begin(struct d698_resp *r, uint32_t *oad, uint32_t *cols, size_t ncap,
                      size_t *ncols, int *dar, size_t *rows)
{
        size_t n;
        uint8_t choice;

        *ncols = 0;
        *rows = 0;
        *dar = -1;
        *oad = (uint32_t)d698_be(&r->c, 4);
        n = d698_u8(&r->c);
        for (size_t i = 0; i < n && !r->c.err; i++) {
                uint32_t col;
                if (d698_u8(&r->c) != 0)
                        return r->c.err ? r->c.err : D698_E_DATA; /* only OAD columns */
                col = (uint32_t)d698_be(&r->c, 4);
                if (i < ncap)
                        cols[i] = col;
        }
        *ncols = n < ncap ? n : ncap;
        if (n > ncap)
                return D698_E_TOOBIG;
        choice = d698_u8(&r->c);
        if (r->c.err)
                return r->c.err;
        if (choice == 0) {
                *dar = d698_u8(&r->c);
                return r->c.err;
        }
        if (choice != 1)
                return D698_E_DATA;
        *rows = d698_len(&r->c);
        return r->c.err;
}

int d698_action_result(struct d698_resp *r, struct d698_result_item *item)
{
        uint8_t optional;

        memset(item, 0, sizeof(*item));
        item->oad = (uint32_t)d698_be(&r->c, 4);
        item->dar = d698_u8(&r->c);
        optional = d698_u8(&r->c);
        if (r->c.err)
                return r->c.err;
        if (optional == 1)
                return d698_take_data(&r->c, &item->data);
        return optional == 0 ? D698_OK : D698_E_DATA;
}
