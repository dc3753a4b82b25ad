/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator desk's reads (docs/api.md, Operator desk): accounts listed by
 * what needs doing, an account's statement with the continuous deductions
 * of a day as one line, and one ledger entry for a receipt.  Read-only;
 * handlers run under srv->lock.
 */
#ifndef SRV_DESK_H
#define SRV_DESK_H

#include "srv.h"

/* GET /api/v1/desk/accounts?status=&region=&tariff=&q=&offset=&limit= */
void srv_h_desk_accounts(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/accounts/NUMBER/statement?limit=&before= */
void srv_h_statement(struct srv_req *rq, struct srv_resp *rs);
/* GET /api/v1/accounts/NUMBER/ledger/ID */
void srv_h_ledger_entry(struct srv_req *rq, struct srv_resp *rs);

/* An account row as JSON from columns 0..10: number, holder, address,
 * region, mode, state, protected, balance_fen, status, meter, gateway. */
json_object *srv_account_row_json(srv_stmt *st);

/* q with LIKE's % _ and \ escaped (for ESCAPE '\'), between prefix and
 * suffix: a new string (caller frees), or NULL when out of memory. */
char *srv_like_pattern(const char *prefix, const char *q, const char *suffix);

#endif
