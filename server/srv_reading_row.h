/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A reading as a row of the readings table: one typed column per field a
 * meter gives (server/db/srv_schema.c, migration 5), written by ingest and
 * compared with what is stored when an agent sends a reading again.
 */
#ifndef SRV_READING_ROW_H
#define SRV_READING_ROW_H

#include "mb_tariff.h"
#include "srv_batch.h"
#include "srv_db.h"

/* The columns a reading fills, in the order below (bulk insert). */
#define SRV_READING_COLUMNS                                                                        \
        "meter_id, seq, ts, kind, quality, import_wh, export_wh, rate1_wh, rate2_wh, rate3_wh,"    \
        " rate4_wh, power_mw, voltage1_mv, voltage2_mv, voltage3_mv, current1_ma, current2_ma,"    \
        " current3_ma, pf_milli, freq_mhz, relay, address, meter_time, frozen_import_wh,"          \
        " frozen_time, remain_fen, overdraft_fen, demand_mw, demand_time, frozen_demand_mw,"       \
        " frozen_demand_time, stored_at"
/* The values a resent reading must repeat: SRV_READING_COLUMNS less the
 * key and stored_at (a SELECT of them starts at seq). */
#define SRV_READING_VALUES                                                                         \
        "seq, ts, kind, quality, import_wh, export_wh, rate1_wh, rate2_wh, rate3_wh, rate4_wh,"    \
        " power_mw, voltage1_mv, voltage2_mv, voltage3_mv, current1_ma, current2_ma,"              \
        " current3_ma, pf_milli, freq_mhz, relay, address, meter_time, frozen_import_wh,"          \
        " frozen_time, remain_fen, overdraft_fen, demand_mw, demand_time, frozen_demand_mw,"       \
        " frozen_demand_time"

/* Start a bulk insert of readings in the caller's transaction
 * (srv_db_bulk_begin), add r (its meter_id set) stored at now. */
int srv_reading_bulk_begin(srv_db *db, srv_bulk **out);
int srv_reading_bulk_row(srv_bulk *bk, const struct srv_reading *r, int64_t now);

/* Does the row at st (selected as SRV_READING_VALUES) hold r's values? */
int srv_reading_row_same(srv_stmt *st, const struct srv_reading *r);

/* The time-of-use registers selected as SRV_READING_RATES at column col
 * into r (has_rates 0 when they are NULL). */
#define SRV_READING_RATES "rate1_wh, rate2_wh, rate3_wh, rate4_wh"
void srv_reading_row_rates(srv_stmt *st, int col, mb_tariff_reading *r);

#endif
