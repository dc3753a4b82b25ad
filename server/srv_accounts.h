/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accounts (户号), gateways and meter bindings: the admin's records.
 * Handlers run with srv->lock held; helpers run in the caller's transaction.
 */
#ifndef SRV_ACCOUNTS_H
#define SRV_ACCOUNTS_H

#include "srv.h"

/* The id of account `number`: 1 and *id, 0 when unknown, or an error. */
int srv_account_id(srv_db *db, const char *number, int64_t *id);
/* The id and gateway of meter `address`: 1, 0 when unknown, or an error. */
int srv_meter_id(srv_db *db, const char *address, int64_t *id, int64_t *gateway_id);

void srv_h_account_create(struct srv_req *rq, struct srv_resp *rs);
void srv_h_account_update(struct srv_req *rq, struct srv_resp *rs);
void srv_h_account_show(struct srv_req *rq, struct srv_resp *rs);
void srv_h_account_list(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_bind(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_list(struct srv_req *rq, struct srv_resp *rs);
void srv_h_meter_show(struct srv_req *rq, struct srv_resp *rs);

void srv_h_gateway_register(struct srv_req *rq, struct srv_resp *rs);
void srv_h_gateway_list(struct srv_req *rq, struct srv_resp *rs);
void srv_h_gateway_show(struct srv_req *rq, struct srv_resp *rs);
void srv_h_gateway_rotate(struct srv_req *rq, struct srv_resp *rs);

#endif
