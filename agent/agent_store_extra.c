/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The measured values of a reading other than the energy register, power
 * and relay, packed into one column, readings.data: a varint saying which
 * are there, then each as a zigzag varint (the address as a length and its
 * bytes).  As twenty columns of their own, SQLite spent a header byte on
 * each in every row, present or not, and every byte of a row reaches flash
 * twice (the WAL, then the checkpoint: docs/durability.md).  The columns
 * that people and tools query (seq, ts, kind, fields, quality, import_wh,
 * power_mw, relay, acked, balance_fen) stay columns.
 */
#include <string.h>

#include "agent_store_priv.h"

enum {
        X_EXPORT,
        X_RATE1,
        X_RATE4 = X_RATE1 + MB_RATES - 1,
        X_V1,
        X_V2,
        X_V3,
        X_C1,
        X_C2,
        X_C3,
        X_PF,
        X_FREQ,
        X_CLOCK, /* the meter's clock minus ts */
        X_FROZEN_WH,
        X_FROZEN_T,
        X_REMAIN,
        X_OVERDRAFT,
        X_ADDRESS, /* a string: length, bytes */
        /* appended after the address (older rows have none of these) */
        X_DEMAND,
        X_DEMAND_T,
        X_FROZEN_DEMAND,
        X_FROZEN_DEMAND_T,
        X_N
};
/* mb_data() takes the values up to the address: the columns of the schema
 * that made readings.data */
#define X_SQL_ARGS (X_ADDRESS + 1)

#define X_MAX (10 + X_N * 10 + MB_ADDR_LEN)

static size_t put_varint(unsigned char *p, uint64_t z)
{
        size_t n = 0;

        do {
                p[n++] = (unsigned char)((z & 0x7f) | (z > 0x7f ? 0x80 : 0));
                z >>= 7;
        } while (z);
        return n;
}

static size_t put_signed(unsigned char *p, int64_t v)
{
        return put_varint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static size_t get_varint(const unsigned char *p, size_t len, uint64_t *z)
{
        size_t n = 0;

        *z = 0;
        for (int shift = 0; n < len && shift < 64; shift += 7) {
                unsigned char b = p[n++];
                *z |= (uint64_t)(b & 0x7f) << shift;
                if (!(b & 0x80))
                        return n;
        }
        return 0;
}

/* Pack vals[i] where have bit i is set, and addr (NULL: none), in index
 * order; returns the length (0: nothing at all). */
static size_t pack(unsigned char *out, uint32_t have, const int64_t *vals, const char *addr)
{
        size_t n;

        if (addr)
                have |= 1u << X_ADDRESS;
        if (!have)
                return 0;
        n = put_varint(out, have);
        for (int i = 0; i < X_N; i++) {
                if (!(have & (1u << i)))
                        continue;
                if (i != X_ADDRESS) {
                        n += put_signed(out + n, vals[i]);
                        continue;
                }
                size_t len = strnlen(addr, MB_ADDR_LEN - 1);
                n += put_varint(out + n, len);
                memcpy(out + n, addr, len);
                n += len;
        }
        return n;
}

static void set(int64_t *v, uint32_t *have, int i, int64_t x)
{
        v[i] = x;
        *have |= 1u << i;
}

void agent_store_bind_data(sqlite3_stmt *s, int col, const mb_reading *r, int64_t ts,
                           const char *addr)
{
        unsigned char buf[X_MAX];
        uint32_t f = r->fields, have = 0;
        int64_t v[X_N] = {0};
        int n = r->phases == 3 ? 3 : 1;
        size_t len;

        if (f & MB_F_EXPORT)
                set(v, &have, X_EXPORT, r->export_wh);
        for (int i = 0; (f & MB_F_RATES) && i < MB_RATES; i++)
                set(v, &have, X_RATE1 + i, r->rate_wh[i]);
        for (int p = 0; p < n; p++) {
                if (f & MB_F_VOLTAGE)
                        set(v, &have, X_V1 + p, r->voltage_mv[p]);
                if (f & MB_F_CURRENT)
                        set(v, &have, X_C1 + p, r->current_ma[p]);
        }
        if (f & MB_F_PF)
                set(v, &have, X_PF, r->pf_milli);
        if (f & MB_F_FREQ)
                set(v, &have, X_FREQ, r->freq_mhz);
        if (f & MB_F_METER_TIME)
                set(v, &have, X_CLOCK, r->meter_time - ts);
        if (f & MB_F_FROZEN) {
                set(v, &have, X_FROZEN_WH, r->frozen_import_wh);
                set(v, &have, X_FROZEN_T, r->frozen_time);
        }
        if (f & (MB_F_PREPAID | MB_F_REMAIN))
                set(v, &have, X_REMAIN, r->remain_fen);
        if (f & MB_F_PREPAID)
                set(v, &have, X_OVERDRAFT, r->overdraft_fen);
        if (f & MB_F_DEMAND) {
                set(v, &have, X_DEMAND, r->demand_mw);
                set(v, &have, X_DEMAND_T, r->demand_time);
        }
        if (f & MB_F_FROZEN_DEMAND) {
                set(v, &have, X_FROZEN_DEMAND, r->frozen_demand_mw);
                set(v, &have, X_FROZEN_DEMAND_T, r->frozen_demand_time);
        }
        len = pack(buf, have, v, (f & MB_F_ADDRESS) ? addr : NULL);
        if (len)
                sqlite3_bind_blob(s, col, buf, (int)len, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(s, col);
}

static void unpack(const unsigned char *p, size_t len, int64_t *v, uint32_t *have, char *addr,
                   size_t addr_len)
{
        uint64_t z, mask;
        size_t n = get_varint(p, len, &mask), k;

        *have = 0;
        if (!n)
                return;
        for (int i = 0; i < X_N; i++) {
                if (!(mask & (1u << i)))
                        continue;
                if (!(k = get_varint(p + n, len - n, &z)))
                        return; /* damaged: leave the rest out */
                n += k;
                if (i != X_ADDRESS) {
                        v[i] = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
                } else {
                        if (z >= addr_len || n + z > len)
                                return;
                        memcpy(addr, p + n, (size_t)z);
                        addr[z] = 0;
                        n += (size_t)z;
                }
                *have |= 1u << i;
        }
}

void agent_store_column_data(sqlite3_stmt *s, int col, int64_t ts, mb_reading *r)
{
        const unsigned char *p = sqlite3_column_blob(s, col);
        int64_t v[X_N] = {0};
        uint32_t have = 0, three = 1u << X_V2 | 1u << X_V3 | 1u << X_C2 | 1u << X_C3;
        char addr[MB_ADDR_LEN] = "";

        if (p)
                unpack(p, (size_t)sqlite3_column_bytes(s, col), v, &have, addr, sizeof(addr));
        r->phases = (have & three) ? 3 : 1;
        r->export_wh = v[X_EXPORT];
        for (int i = 0; i < MB_RATES; i++)
                r->rate_wh[i] = v[X_RATE1 + i];
        for (int i = 0; i < 3; i++) {
                r->voltage_mv[i] = (int32_t)v[X_V1 + i];
                r->current_ma[i] = (int32_t)v[X_C1 + i];
        }
        r->pf_milli = (int32_t)v[X_PF];
        r->freq_mhz = (int32_t)v[X_FREQ];
        r->meter_time = ts + v[X_CLOCK];
        r->frozen_import_wh = v[X_FROZEN_WH];
        r->frozen_time = v[X_FROZEN_T];
        r->remain_fen = v[X_REMAIN];
        r->overdraft_fen = v[X_OVERDRAFT];
        r->demand_mw = v[X_DEMAND];
        r->demand_time = v[X_DEMAND_T];
        r->frozen_demand_mw = v[X_FROZEN_DEMAND];
        r->frozen_demand_time = v[X_FROZEN_DEMAND_T];
        if (have & (1u << X_ADDRESS))
                memcpy(r->address, addr, sizeof(addr));
}

/* mb_data(export, rate1..4, v1..3, c1..3, pf, freq, meter_time - ts,
 * frozen_wh, frozen_t, remain, overdraft, address): the packed column from
 * the columns of an older schema (NULLs left out). */
static void sql_data(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
        unsigned char buf[X_MAX];
        uint32_t have = 0;
        int64_t v[X_N] = {0};
        const char *addr = NULL;
        size_t n;

        for (int i = 0; i < X_ADDRESS && i < argc; i++)
                if (sqlite3_value_type(argv[i]) != SQLITE_NULL)
                        set(v, &have, i, sqlite3_value_int64(argv[i]));
        if (argc == X_SQL_ARGS && sqlite3_value_type(argv[X_ADDRESS]) != SQLITE_NULL)
                addr = (const char *)sqlite3_value_text(argv[X_ADDRESS]);
        n = pack(buf, have, v, addr);
        if (n)
                sqlite3_result_blob(ctx, buf, (int)n, SQLITE_TRANSIENT);
        else
                sqlite3_result_null(ctx);
}

int agent_store_data_function(sqlite3 *db)
{
        return sqlite3_create_function(db, "mb_data", X_SQL_ARGS,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_data, NULL,
                                       NULL);
}
