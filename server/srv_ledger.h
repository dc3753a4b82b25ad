/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ledger: every change of an account's balance is one row carrying the
 * balance after it.  srv_ledger_post is the only writer of
 * accounts.balance_fen, and runs inside the caller's transaction, so a money
 * write and its ledger entry commit together or not at all.
 */
#ifndef SRV_LEDGER_H
#define SRV_LEDGER_H

#include <json-c/json.h>

#include "srv_db.h"

/* Ledger entry kinds. */
#define SRV_LEDGER_TOPUP "topup"
#define SRV_LEDGER_REFUND "refund"
#define SRV_LEDGER_ADJUST "adjustment"
#define SRV_LEDGER_CHARGE "charge" /* continuous deduction (prepaid) */
#define SRV_LEDGER_BILL "bill"     /* month close, monthly accounts */
#define SRV_LEDGER_SETTLE "settle" /* month close, prepaid: bill minus charges */

struct srv_ledger_entry {
        const char *kind;
        int64_t amount_fen; /* signed: credit > 0, debit < 0 */
        const char *month;  /* "YYYY-MM" or NULL */
        const char *reference, *reason, *by;
};

/* Add amount to the account's balance and append the entry.  Writes the new
 * row's id and the balance after it (either may be NULL).  MB_ENOENT for an
 * unknown account, MB_ERANGE on overflow, or a database error. */
int srv_ledger_post(srv_db *db, int64_t account_id, const struct srv_ledger_entry *e,
                    int64_t *ledger_id, int64_t *balance_after);

/* As srv_ledger_post, for a caller that holds the account's lock and has
 * read its balance (before) in this transaction: one query fewer. */
int srv_ledger_post_from(srv_db *db, int64_t account_id, int64_t before,
                         const struct srv_ledger_entry *e, int64_t *ledger_id,
                         int64_t *balance_after);

/*
 * Entries of many accounts written together (the month close), for a
 * caller holding each account's lock that read its balance in this
 * transaction.  _add queues an entry (accounts in ascending order, one entry
 * each: else MB_EINVAL), writes the balance after it and returns the
 * entry's index (>= 0), or MB_ERANGE on overflow, MB_ENOMEM.  _write
 * inserts the queued entries and sets the balances in the caller's
 * transaction (on PostgreSQL a few round trips for the lot; a failed write
 * may be reported by the next statement that waits, as with
 * srv_db_exec_later): MB_OK or an error, after which the transaction can
 * only be rolled back.  _id is entry i's id once written (0 before).
 * _reset empties the batch for the next transaction.  The caller frees it
 * with _free (NULL is a no-op).
 */
typedef struct srv_ledger_batch srv_ledger_batch;
srv_ledger_batch *srv_ledger_batch_new(void);
int srv_ledger_batch_add(srv_ledger_batch *lb, int64_t account_id, int64_t before,
                         const struct srv_ledger_entry *e, int64_t *balance_after);
int srv_ledger_batch_write(srv_db *db, srv_ledger_batch *lb);
int64_t srv_ledger_batch_id(const srv_ledger_batch *lb, int i);
void srv_ledger_batch_reset(srv_ledger_batch *lb);
void srv_ledger_batch_free(srv_ledger_batch *lb);

/* One ledger row as JSON (id, ts, kind, amount_fen, balance_after_fen, ...),
 * from a statement selecting SRV_LEDGER_COLUMNS. */
#define SRV_LEDGER_COLUMNS                                                                         \
        "id, ts, kind, amount_fen, balance_after_fen, month, reference, reason, by_name"
json_object *srv_ledger_row_json(srv_stmt *st);

#endif
