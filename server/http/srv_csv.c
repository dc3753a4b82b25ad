/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_csv.h"

#include <stdlib.h>
#include <string.h>

#include "mb_money.h"

void srv_csv_quote(struct srv_buf *b, const char *s)
{
        if (strpbrk(s, ",\"\r\n") == NULL) {
                srv_buf_puts(b, s);
                return;
        }
        srv_buf_add(b, "\"", 1);
        for (const char *p = s; *p; p++) {
                if (*p == '"')
                        srv_buf_add(b, "\"", 1);
                srv_buf_add(b, p, 1);
        }
        srv_buf_add(b, "\"", 1);
}

static void sep(struct srv_csv *c)
{
        if (c->col++)
                srv_buf_add(&c->buf, ",", 1);
}

void srv_csv_str(struct srv_csv *c, const char *s)
{
        sep(c);
        if (s == NULL)
                return;
        if (s[0] && strchr("=+-@\t\r", s[0])) {
                struct srv_buf tmp = {0};
                char *t;

                srv_buf_add(&tmp, "'", 1);
                srv_buf_puts(&tmp, s);
                t = srv_buf_take(&tmp);
                if (t == NULL) {
                        c->buf.failed = 1;
                        return;
                }
                srv_csv_quote(&c->buf, t);
                free(t);
                return;
        }
        srv_csv_quote(&c->buf, s);
}

void srv_csv_text(struct srv_csv *c, const char *s)
{
        srv_csv_str(c, s);
}

void srv_csv_i64(struct srv_csv *c, int64_t v)
{
        sep(c);
        srv_buf_printf(&c->buf, "%lld", (long long)v);
}

static void decimal(struct srv_csv *c, int64_t v, int decimals)
{
        char s[32];

        sep(c);
        if (mb_decimal_format(v, decimals, s, sizeof(s)) == 0)
                srv_buf_puts(&c->buf, s);
        else
                c->buf.failed = 1;
}

void srv_csv_yuan(struct srv_csv *c, int64_t fen)
{
        decimal(c, fen, 2);
}

void srv_csv_kwh(struct srv_csv *c, int64_t wh)
{
        decimal(c, wh, 3);
}

void srv_csv_null(struct srv_csv *c)
{
        sep(c);
}

void srv_csv_end(struct srv_csv *c)
{
        srv_buf_add(&c->buf, "\r\n", 2);
        c->col = 0;
}
