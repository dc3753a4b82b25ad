/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Gateways that authenticate with a client certificate (mutual TLS): the
 * certificate must verify against tls.client_ca, and its subject's common
 * name is the gateway's name.
 */
#ifndef SRV_CLIENTCERT_H
#define SRV_CLIENTCERT_H

#include <microhttpd.h>
#include <stddef.h>

#include "srv.h"

/* The common name of the connection's client certificate into out, when the
 * client presented one that verifies against the trusted CA.  Returns 1, or 0
 * (no TLS, no certificate, or one that does not verify). */
int srv_client_cert_cn(struct MHD_Connection *c, char *out, size_t len);

/* Authenticate as the gateway called cn: role gateway, its id, a rate-limit
 * identity of its own.  MB_OK, MB_EAUTH (no such gateway), or a db error. */
int srv_auth_client_cert(srv_db *db, const char *cn, struct srv_auth *a);

#endif
