/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV exports for finance: a month's bills and a month's ledger entries
 * (docs/api.md, Exports).  Answers are text/csv built in memory (srv_csv.h).
 */
#ifndef SRV_EXPORT_H
#define SRV_EXPORT_H

#include "srv.h"
#include "srv_csv.h"

/* GET /api/v1/exports/bills.csv?month=YYYY-MM[&bom=1] (operator) */
void srv_h_export_bills(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/exports/ledger.csv?month=YYYY-MM[&bom=1] (operator) */
void srv_h_export_ledger(struct srv_req *rq, struct srv_resp *rs);

/* Shared by every export (transformer areas' too, server/area): start a
 * document in *c (with a UTF-8 byte order mark when ?bom=1), and answer
 * with it (200 text/csv, attachment "meterbox-KIND-PERIOD.csv"; period at
 * most 32 bytes), or with the store error rc < 0 (the document freed). */
void srv_export_start(struct srv_req *rq, struct srv_csv *c);
void srv_export_finish(struct srv_req *rq, struct srv_resp *rs, struct srv_csv *c, int rc,
                       const char *kind, const char *period);

#endif
