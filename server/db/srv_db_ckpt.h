/* SPDX-License-Identifier: Apache-2.0 */
/*
 * srv_db_ckpt: WAL checkpoints of an SQLite database on a thread of their
 * own, with a connection of their own, so the writer never copies pages
 * into the database file while it holds the server's lock.  Private to
 * srv_db_sqlite.c, which asks for a checkpoint from its WAL hook.
 */
#ifndef SRV_DB_CKPT_H
#define SRV_DB_CKPT_H

struct srv_ckpt;

/* A checkpointer for the database at path (nothing runs yet).  NULL when
 * out of memory. */
struct srv_ckpt *srv_ckpt_new(const char *path);

/* Ask for a passive checkpoint soon: the thread starts at the first ask
 * (so a short-lived handle never starts one) and runs one checkpoint per
 * wake-up, never blocking a writer.  NULL ok. */
void srv_ckpt_want(struct srv_ckpt *c);

/* Stop the thread (after its checkpoint in progress), close its
 * connection, free c.  NULL ok. */
void srv_ckpt_free(struct srv_ckpt *c);

#endif
