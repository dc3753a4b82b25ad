/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_clientcert.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>

#include "srv_router.h"

int srv_client_cert_cn(struct MHD_Connection *c, char *out, size_t len)
{
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        const gnutls_datum_t *chain;
        gnutls_session_t session;
        gnutls_x509_crt_t crt;
        unsigned int status = 1, n = 0;
        size_t size = len;
        int ok = 0;

        if (!ci || !ci->tls_session)
                return 0;
        session = (gnutls_session_t)ci->tls_session;
        /* Verified against the trust MHD_OPTION_HTTPS_MEM_TRUST installed. */
        if (gnutls_certificate_verify_peers2(session, &status) < 0 || status != 0)
                return 0;
        chain = gnutls_certificate_get_peers(session, &n);
        if (!chain || n == 0 || gnutls_x509_crt_init(&crt) < 0)
                return 0;
        if (gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) >= 0 &&
            gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, out, &size) >= 0)
                ok = size > 0 && size < len;
        gnutls_x509_crt_deinit(crt);
        return ok;
}

int srv_auth_client_cert(srv_db *db, const char *cn, struct srv_auth *a)
{
        int64_t id = 0;
        int rc = srv_db_query_i64(db, &id, "SELECT id FROM gateways WHERE name = $1", "t", cn);

        memset(a, 0, sizeof(*a));
        if (rc < 0)
                return rc;
        if (rc == 0 || id == 0)
                return MB_EAUTH;
        a->role = SRV_ROLE_GATEWAY;
        a->gateway_id = id;
        a->token_id = -id; /* a rate-limit bucket apart from every token */
        snprintf(a->name, sizeof(a->name), "cert:%s", cn);
        return MB_OK;
}
