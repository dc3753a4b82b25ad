/* SPDX-License-Identifier: Apache-2.0 */
/*
 * dlt698: meter_read.  One GET-Request-NormalList for every object the
 * options ask for (or, with list = false or after a meter refused the list
 * service, one GET-Request-Normal each), then the monthly freeze with
 * GET-Request-Record.  The first reading also asks each scaled object for
 * its Scaler_Unit (attribute 3) once.
 *
 * Only the forward active energy is essential (reading.h, per-field
 * readings): its refusal or a bad value fails the reading.  An object the
 * meter does not have (DAR 4 object undefined, 6 object does not exist) is
 * not filled; any other it refuses, cannot deliver or delivers malformed is
 * left out with its reason (mb_reading_omit).  Both are said once in the log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dlt698.h"

#define MAX_OBJS OBJ_COUNT

typedef int (*result_fn)(struct d698_meter *m, int obj, struct d698_result_item *it, void *arg,
                         mb_err *err);

/* The relay's two bit-strings, -1 until read. */
struct relay_bits {
        int out, cmd;
};

struct reading {
        mb_reading *r;
        struct relay_bits relay;
        uint32_t got;   /* 1 << enum d698_obj: decoded in this reading */
        uint32_t lacks; /* 1 << enum d698_obj: the meter has no such object */
};

/* The reading's field each object fills (the relay output only refines the
 * state its command gives). */
static const uint32_t obj_field[OBJ_COUNT] = {
    [OBJ_IMPORT] = MB_F_IMPORT,   [OBJ_EXPORT] = MB_F_EXPORT,     [OBJ_VOLTAGE] = MB_F_VOLTAGE,
    [OBJ_CURRENT] = MB_F_CURRENT, [OBJ_POWER] = MB_F_POWER,       [OBJ_PF] = MB_F_PF,
    [OBJ_FREQ] = MB_F_FREQ,       [OBJ_CLOCK] = MB_F_METER_TIME,  [OBJ_ADDRESS] = 0,
    [OBJ_WALLET] = MB_F_PREPAID,  [OBJ_OVERDRAFT] = MB_F_PREPAID, [OBJ_RELAY] = 0,
    [OBJ_RELAY_CMD] = MB_F_RELAY, [OBJ_FROZEN] = MB_F_FROZEN,     [OBJ_ACCOUNT] = MB_F_ACCOUNT,
};

/* An object's OAD: its own (attr 0), or another attribute of it. */
static uint32_t oad_at(int obj, int attr)
{
        uint32_t oad = d698_objects[obj].oad;

        return attr ? (oad & 0xFFFF00FFu) | (uint32_t)attr << 8 : oad;
}

static const char *obj_what(int obj, int attr, char buf[80])
{
        snprintf(buf, 80, "%08" PRIX32 " (%s)", oad_at(obj, attr), d698_objects[obj].name);
        return buf;
}

int d698_dar_error(struct d698_meter *m, const char *what, int dar, mb_err *err)
{
        char a[2 * D698_SA_MAX + 1];
        int auth = dar == 15 || dar == 20 || dar == 22 || dar == 23;

        return mb_err_set(err, auth ? MB_EAUTH : MB_EDEVICE, "%s: meter %s answered DAR %d: %s",
                          what, d698_addr_format(&m->addr, a, sizeof(a)), dar, d698_dar_str(dar));
}

/* Leave an object out of the reading: with its reason (r NULL: there is no
 * reading to tell), or, when the meter does not have it, simply unfilled.
 * The log says it once per object. */
static void left_out(struct d698_meter *m, mb_reading *r, int obj, int lacks, const char *why)
{
        if (r && !lacks && obj_field[obj])
                mb_reading_omit(r, obj_field[obj], "%s", why);
        if (m->told & (1u << obj))
                return;
        m->told |= 1u << obj;
        D698_LOG(m, MB_LOG_NOTICE, "left out of readings: %s", why);
}

/* DARs that mean "this meter has no such object". */
static int absent(int dar)
{
        return dar == 4 || dar == 6;
}

/* A reply that is not the answer: ERROR-Response, or another request's. */
static int not_answer(struct d698_meter *m, const char *what, const struct d698_resp *r, int rc,
                      mb_err *err)
{
        if (rc == 0 && r->error)
                return mb_err_set(err, MB_EDEVICE, "%s: meter answered ERROR-Response %d: %s", what,
                                  r->error, d698_error_str(r->error));
        return mb_err_set(err, MB_EPROTO, "%s: %s", what, d698_result_str(rc));
}

static int find_obj(const int *objs, size_t n, int attr, uint32_t oad)
{
        for (size_t i = 0; i < n; i++)
                if (oad_at(objs[i], attr) == oad)
                        return objs[i];
        return -1;
}

/* One GET-Request-NormalList.  Returns MB_OK, 1 when the meter refuses the
 * list service (read them one by one), or an error. */
static int get_list(struct d698_meter *m, const int *objs, size_t n, int attr, result_fn fn,
                    void *arg, mb_err *err)
{
        uint32_t oads[MAX_OBJS];
        uint8_t apdu[8 + 4 * MAX_OBJS], piid = d698_next_piid(m);
        char what[96];
        struct d698_req req = {.apdu = apdu, .what = what, .secure = m->o.security == D698_SEC_RN};
        struct d698_resp r;
        struct d698_result_item it;
        size_t count;
        int rc;

        for (size_t i = 0; i < n; i++)
                oads[i] = oad_at(objs[i], attr);
        snprintf(what, sizeof(what), "GET list of %zu (%08" PRIX32 "...)", n, oads[0]);
        req.len = d698_get_list(apdu, sizeof(apdu), piid, oads, n, NULL);
        if ((rc = d698_xact(m, &req, err)) < 0)
                return rc;
        rc = d698_resp_begin(m->apdu, m->apdu_len, D698_GET_RESPONSE, D698_GET_NORMAL_LIST, piid,
                             &r);
        if (rc == 0 && (r.error == 1 || r.error == 2)) {
                m->list_refused = 1;
                D698_LOG(m, MB_LOG_NOTICE,
                         "the meter refused GET-Request-NormalList (%s): reading "
                         "objects one by one",
                         d698_error_str(r.error));
                return 1;
        }
        if (rc != 0 || r.error)
                return not_answer(m, what, &r, rc, err);
        if ((rc = d698_list_count(&r, &count)) != 0)
                return not_answer(m, what, &r, rc, err);
        for (size_t i = 0; i < count; i++) {
                int obj;
                if ((rc = d698_next_result(&r, &it)) != 0)
                        return not_answer(m, what, &r, rc, err);
                if ((obj = find_obj(objs, n, attr, it.oad)) < 0)
                        return mb_err_set(err, MB_EPROTO,
                                          "%s: a result for %08" PRIX32 ", which was not asked for",
                                          what, it.oad);
                if ((rc = fn(m, obj, &it, arg, err)) < 0)
                        return rc;
        }
        return MB_OK;
}

/* One GET-Request-Normal. */
static int get_one(struct d698_meter *m, int obj, int attr, result_fn fn, void *arg, mb_err *err)
{
        uint8_t apdu[16], piid = d698_next_piid(m);
        char what[96], name[80];
        struct d698_req req = {.apdu = apdu, .what = what, .secure = m->o.security == D698_SEC_RN};
        struct d698_resp r;
        struct d698_result_item it;
        int rc;

        snprintf(what, sizeof(what), "GET %s", obj_what(obj, attr, name));
        req.len = d698_get_normal(apdu, sizeof(apdu), piid, oad_at(obj, attr), NULL);
        if ((rc = d698_xact(m, &req, err)) < 0)
                return rc;
        rc = d698_resp_begin(m->apdu, m->apdu_len, D698_GET_RESPONSE, D698_GET_NORMAL, piid, &r);
        if (rc != 0 || r.error)
                return not_answer(m, what, &r, rc, err);
        if ((rc = d698_next_result(&r, &it)) != 0)
                return not_answer(m, what, &r, rc, err);
        return fn(m, obj, &it, arg, err);
}

/* objs (attribute attr, 0: their own OADs) through fn: a list, or one by one.  One by one, an
 * optional object's failure leaves it out of r (may be NULL). */
static int get_objects(struct d698_meter *m, const int *objs, size_t n, int attr, result_fn fn,
                       void *arg, mb_reading *r, mb_err *err)
{
        int rc = 1;

        if (n == 0)
                return MB_OK;
        if (m->o.list && !m->list_refused && n > 1)
                rc = get_list(m, objs, n, attr, fn, arg, err);
        for (size_t i = 0; rc == 1 && i < n; i++) {
                mb_err one = {0};
                int r1 = get_one(m, objs[i], attr, fn, arg, &one);
                if (r1 < 0 && objs[i] == OBJ_IMPORT && attr == 0) {
                        *err = one;
                        return r1;
                }
                if (r1 < 0)
                        left_out(m, r, objs[i], 0, one.msg);
        }
        return rc < 0 ? rc : MB_OK;
}

/* Bit 0 of a bit-string (the first byte's highest bit). */
static int first_bit(struct d698_cur *c, int *bit)
{
        size_t bits;
        const uint8_t *p;

        if (d698_u8(c) != D698_T_BITSTRING || (bits = d698_len(c)) == 0 ||
            !(p = d698_bytes(c, (bits + 7) / 8)))
                return -1;
        *bit = (p[0] & 0x80) != 0;
        return 0;
}

static int on_value(struct d698_meter *m, int obj, struct d698_result_item *it, void *arg,
                    mb_err *err)
{
        struct reading *rd = arg;
        char what[80], why[200];
        mb_err e = {0};
        int rc;

        obj_what(obj, 0, what);
        if (it->dar >= 0) {
                if (obj == OBJ_IMPORT)
                        return d698_dar_error(m, what, it->dar, err);
                snprintf(why, sizeof(why), "%s: the meter answers DAR %d: %s", what, it->dar,
                         d698_dar_str(it->dar));
                left_out(m, rd->r, obj, absent(it->dar), why);
                if (absent(it->dar))
                        rd->lacks |= 1u << obj;
                return MB_OK;
        }
        if (obj == OBJ_RELAY || obj == OBJ_RELAY_CMD) {
                if (first_bit(&it->data, obj == OBJ_RELAY ? &rd->relay.out : &rd->relay.cmd) == 0)
                        return MB_OK;
                snprintf(why, sizeof(why), "%s: not a bit-string", what);
                left_out(m, rd->r, obj, 0, why);
                return MB_OK;
        }
        rc = d698_decode(m, obj, &it->data, rd->r, &e);
        if (rc < 0 && obj == OBJ_IMPORT) {
                *err = e;
                return rc;
        }
        if (rc < 0)
                left_out(m, rd->r, obj, 0, e.msg);
        else
                rd->got |= 1u << obj;
        return MB_OK;
}

static int on_scaler(struct d698_meter *m, int obj, struct d698_result_item *it, void *arg,
                     mb_err *err)
{
        char what[80];
        mb_err e = {0};

        (void)arg;
        (void)err;
        if (it->dar >= 0) {
                D698_LOG(m, MB_LOG_DEBUG, "%s: DAR %d (%s): using the standard's scaler",
                         obj_what(obj, 3, what), it->dar, d698_dar_str(it->dar));
                return MB_OK;
        }
        if (d698_decode_scaler(m, obj, &it->data, &e) < 0)
                D698_LOG(m, MB_LOG_WARNING, "%s: using the standard's scaler", e.msg);
        return MB_OK;
}

/* The customer number is asked at the first reading and once a day after
 * (a swapped meter is a site visit, not a minute's event), where the host's
 * reading has room for it. */
static int account_due(const struct d698_meter *m, const mb_reading *r)
{
        int64_t now = m->host->realtime_s();

        return m->o.account && MB_READING_HAS(r, account) &&
               (!m->account_read_s || now - m->account_read_s >= 86400 || now < m->account_read_s);
}

/* The objects the options ask for, in request order. */
static size_t wanted(const struct d698_meter *m, const mb_reading *r, int *objs)
{
        size_t n = 0;

        objs[n++] = OBJ_IMPORT;
        if (m->o.reverse)
                objs[n++] = OBJ_EXPORT;
        if (m->o.electrical) {
                objs[n++] = OBJ_VOLTAGE;
                objs[n++] = OBJ_CURRENT;
                objs[n++] = OBJ_POWER;
                objs[n++] = OBJ_PF;
                objs[n++] = OBJ_FREQ;
        }
        if (m->o.clock)
                objs[n++] = OBJ_CLOCK;
        objs[n++] = OBJ_ADDRESS;
        if (m->o.prepaid) {
                objs[n++] = OBJ_WALLET;
                objs[n++] = OBJ_OVERDRAFT;
        }
        if (m->o.relay_status) {
                objs[n++] = OBJ_RELAY;
                objs[n++] = OBJ_RELAY_CMD;
        }
        if (account_due(m, r))
                objs[n++] = OBJ_ACCOUNT;
        return n;
}

/* The scalers are not essential: a meter that cannot be reached fails the
 * reading (the values would not come either), one that answers something
 * unusable keeps the standard's scalers and is not asked again. */
static int read_scalers(struct d698_meter *m, const int *objs, size_t n, mb_err *err)
{
        int scaled[MAX_OBJS];
        size_t k = 0;
        int rc;

        for (size_t i = 0; i < n; i++)
                if (d698_objects[objs[i]].scaled)
                        scaled[k++] = objs[i];
        rc = get_objects(m, scaled, k, 3, on_scaler, NULL, NULL, err);
        if (rc == MB_ETIMEDOUT || rc == MB_EIO)
                return rc;
        if (rc < 0) {
                D698_LOG(m, MB_LOG_WARNING, "%s: using the standard's scalers", err->msg);
                memset(err, 0, sizeof(*err));
        }
        m->scalers_read = 1;
        return MB_OK;
}

/* The latest monthly freeze (5006): its time and the forward energy then. */
static int frozen_row(struct d698_meter *m, struct d698_resp *r, const uint32_t *cols, size_t ncols,
                      mb_reading *out, mb_err *err)
{
        mb_reading tmp = {.size = sizeof(tmp)};
        struct d698_dt t = {0};
        int have_time = 0;

        for (size_t i = 0; i < ncols; i++) {
                struct d698_cur one;
                if (d698_take_data(&r->c, &one) != 0)
                        return mb_err_set(err, MB_EPROTO, "monthly freeze: malformed row");
                if (cols[i] == 0x20210200 && d698_u8(&one) == D698_T_DATE_TIME_S &&
                    d698_dt_get(&one, &t) == 0 && d698_dt_valid(&t))
                        have_time = 1;
                else if (cols[i] == 0x00100200 && d698_decode(m, OBJ_IMPORT, &one, &tmp, err) < 0)
                        return MB_EPROTO;
        }
        if (!have_time || !(tmp.fields & MB_F_IMPORT))
                return mb_err_set(err, MB_EPROTO,
                                  "monthly freeze: the record has no freeze time or no energy");
        out->frozen_import_wh = tmp.import_wh;
        out->frozen_time = d698_local_to_utc(m, &t);
        out->fields |= MB_F_FROZEN;
        return MB_OK;
}

static int read_frozen(struct d698_meter *m, mb_reading *out, mb_err *err)
{
        static const uint32_t want[] = {0x20210200, 0x00100200};
        uint8_t apdu[32], piid = d698_next_piid(m);
        const char *what = "GET record 50060200 (monthly freeze), the latest";
        struct d698_req req = {.apdu = apdu, .what = what, .secure = m->o.security == D698_SEC_RN};
        struct d698_resp r;
        uint32_t oad, cols[4];
        size_t ncols, rows;
        char why[200];
        int rc, dar;

        req.len = d698_get_record_last(apdu, sizeof(apdu), piid, 0x50060200, 1, want, 2, NULL);
        if ((rc = d698_xact(m, &req, err)) < 0)
                return rc;
        rc = d698_resp_begin(m->apdu, m->apdu_len, D698_GET_RESPONSE, D698_GET_RECORD, piid, &r);
        if (rc != 0 || r.error)
                return not_answer(m, what, &r, rc, err);
        rc = d698_record_begin(&r, &oad, cols, 4, &ncols, &dar, &rows);
        if (rc != 0)
                return not_answer(m, what, &r, rc, err);
        if (dar >= 0) {
                snprintf(why, sizeof(why), "%s: the meter answers DAR %d: %s", what, dar,
                         d698_dar_str(dar));
                left_out(m, out, OBJ_FROZEN, absent(dar), why);
                return MB_OK;
        }
        if (rows == 0) {
                D698_LOG(m, MB_LOG_DEBUG, "%s: no record yet", what);
                return MB_OK;
        }
        return frozen_row(m, &r, cols, ncols, out, err);
}

int d698_read_relay(struct d698_meter *m, int *state, mb_err *err)
{
        static const int objs[] = {OBJ_RELAY, OBJ_RELAY_CMD};
        mb_reading r = {.size = sizeof(r)};
        struct reading rd = {&r, {-1, -1}, 0, 0};
        int rc = get_objects(m, objs, 2, 0, on_value, &rd, NULL, err);

        if (rc < 0)
                return rc;
        if (rd.relay.cmd < 0)
                return mb_err_set(err, MB_EDEVICE,
                                  "80000500 (relay command state): not answered (see the log)");
        *state = d698_relay_state(rd.relay.out, rd.relay.cmd);
        return MB_OK;
}

/* After 4003 was asked: an answer (or "no such object") holds for a day;
 * anything else leaves the number unknown and asks again next reading. */
static void took_account(struct d698_meter *m, const struct reading *rd)
{
        uint32_t bit = 1u << OBJ_ACCOUNT;

        if ((rd->got | rd->lacks) & bit)
                m->account_read_s = m->host->realtime_s();
        if (!(rd->got & bit))
                m->account[0] = 0;
}

static int read_all(struct d698_meter *m, mb_reading *r, mb_err *err)
{
        int objs[MAX_OBJS];
        size_t n = wanted(m, r, objs);
        struct reading rd = {r, {-1, -1}, 0, 0};
        uint32_t wallet = 1u << OBJ_WALLET, both = wallet | 1u << OBJ_OVERDRAFT;
        mb_err e = {0};
        int rc;

        r->phases = m->o.phases;
        if (m->o.read_scalers && !m->scalers_read && (rc = read_scalers(m, objs, n, err)) < 0)
                return rc;
        if ((rc = get_objects(m, objs, n, 0, on_value, &rd, r, err)) < 0)
                return rc;
        if (rd.relay.cmd >= 0) {
                r->relay = d698_relay_state(rd.relay.out, rd.relay.cmd);
                r->fields |= MB_F_RELAY;
        }
        /* The remaining money with its overdraft, or alone (a host that
         * knows MB_F_REMAIN). */
        if ((rd.got & both) == both)
                r->fields |= MB_F_PREPAID;
        else if ((rd.got & wallet) && MB_READING_HAS(r, missing))
                r->fields |= MB_F_REMAIN;
        if (n && objs[n - 1] == OBJ_ACCOUNT)
                took_account(m, &rd);
        if (m->account[0] && MB_READING_HAS(r, account)) {
                snprintf(r->account, sizeof(r->account), "%s", m->account);
                r->fields |= MB_F_ACCOUNT;
        }
        if (m->o.frozen && (rc = read_frozen(m, r, &e)) < 0)
                left_out(m, r, OBJ_FROZEN, 0, e.msg);
        return MB_OK;
}

int d698_read(struct d698_meter *m, mb_reading *r, mb_err *err)
{
        int rc;

        d698_begin(m);
        if (!m->have_addr && (rc = d698_discover(m, err)) < 0)
                return rc;
        rc = read_all(m, r, err);
        if (rc < 0) {
                /* A replaced meter answers nothing or from another address. */
                if (m->auto_addr && (rc == MB_ETIMEDOUT || rc == MB_EADDR))
                        m->have_addr = 0;
                return rc;
        }
        d698_addr_format(&m->addr, r->address, sizeof(r->address));
        r->fields |= MB_F_ADDRESS;
        return MB_OK;
}
