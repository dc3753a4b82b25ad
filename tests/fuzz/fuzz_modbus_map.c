/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: the register map text of the modbus plugin's `map` option and
 * the read plan (plugins/modbus/modbus_map.c).
 *
 * Input: the map text.  A map that parses is planned (max_gap from the
 * input's length) and decoded from a buffer made of the input itself; the
 * plan must keep every request within 125 registers and every entry inside
 * its request.
 */
#include <stdint.h>
#include <string.h>

#include <meterbox/errors.h>

#include "modbus_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_plan(const struct mbm_map *m)
{
        int total = 0;

        if (m->n_blocks < 0 || m->n_blocks > MBM_Q_COUNT || m->buf_bytes > MBM_BUF_MAX)
                __builtin_trap();
        for (int i = 0; i < m->n_blocks; i++) {
                const struct mbm_block *b = &m->block[i];
                if (b->count < 1 || b->count > MBM_MAX_REGS_PER_READ || b->buf_off != total)
                        __builtin_trap();
                if ((long)b->start + b->count > 65536)
                        __builtin_trap();
                total += 2 * b->count;
        }
        if (total != m->buf_bytes)
                __builtin_trap();
        for (int q = 0; q < MBM_Q_COUNT; q++) {
                const struct mbm_entry *e = &m->q[q];
                int found = 0;
                if (!e->present)
                        continue;
                for (int i = 0; i < m->n_blocks; i++) {
                        const struct mbm_block *b = &m->block[i];
                        if (b->fc == e->fc && e->reg >= b->start &&
                            e->reg + mbd_type_regs(e->type) <= b->start + b->count &&
                            e->off == b->buf_off + 2 * (e->reg - b->start))
                                found = 1;
                }
                if (!found)
                        __builtin_trap();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t buf[MBM_BUF_MAX];
        struct mbm_map m;
        mb_reading r;
        char why[400];

        memset(&m, 0, sizeof(m));
        if (mbm_parse((const char *)data, size, (int)(size % MBD_ORDER_COUNT), &m, why,
                      sizeof(why)) != MB_OK) {
                if (!memchr(why, '\0', sizeof(why)))
                        __builtin_trap();
                return 0;
        }
        if (mbm_plan(&m, (int)(size % 130), why, sizeof(why)) != MB_OK)
                return 0;
        check_plan(&m);
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = size ? data[i % size] : 0;
        memset(&r, 0, sizeof(r));
        r.size = sizeof(r);
        m.na_max = (int)(size & 1);
        mbm_fill(&m, buf, (size_t)m.buf_bytes, NULL, &r, why, sizeof(why));
        mbm_fill(&m, buf, size % (size_t)(m.buf_bytes + 1), NULL, &r, why, sizeof(why));
        return 0;
}
