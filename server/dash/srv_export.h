/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV exports for finance: a month's bills and a month's ledger entries
 * (docs/api.md, Exports).  Answers are text/csv built in memory (srv_csv.h).
 */
#ifndef SRV_EXPORT_H
#define SRV_EXPORT_H

#include "srv.h"

/* GET /api/v1/exports/bills.csv?month=YYYY-MM[&bom=1] (operator) */
void srv_h_export_bills(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/exports/ledger.csv?month=YYYY-MM[&bom=1] (operator) */
void srv_h_export_ledger(struct srv_req *rq, struct srv_resp *rs);

#endif
