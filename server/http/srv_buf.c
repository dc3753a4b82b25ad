/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct srv_buf *b, size_t n)
{
        size_t cap = b->cap ? b->cap : 1024;
        char *p;

        if (b->failed)
                return -1;
        if (b->len + n + 1 <= b->cap)
                return 0;
        while (cap < b->len + n + 1) {
                if (cap > ((size_t)-1) / 2) {
                        b->failed = 1;
                        return -1;
                }
                cap *= 2;
        }
        p = realloc(b->p, cap);
        if (p == NULL) {
                b->failed = 1;
                return -1;
        }
        b->p = p;
        b->cap = cap;
        return 0;
}

void srv_buf_add(struct srv_buf *b, const char *s, size_t n)
{
        if (reserve(b, n) < 0)
                return;
        memcpy(b->p + b->len, s, n);
        b->len += n;
        b->p[b->len] = '\0';
}

void srv_buf_puts(struct srv_buf *b, const char *s)
{
        srv_buf_add(b, s, strlen(s));
}

/* Format into the room already there, and only when it does not fit grow
 * and format again: most appends fit, and formatting twice every time was
 * the larger part of writing a bill's lines. */
void srv_buf_printf(struct srv_buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (reserve(b, 0) < 0)
                return;
        va_start(ap, fmt);
        n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->failed = 1;
                return;
        }
        if ((size_t)n >= b->cap - b->len) {
                if (reserve(b, (size_t)n) < 0)
                        return;
                va_start(ap, fmt);
                vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
                va_end(ap);
        }
        b->len += (size_t)n;
}

char *srv_buf_take(struct srv_buf *b)
{
        char *p = b->failed ? NULL : b->p;

        if (b->failed)
                free(b->p);
        else if (p == NULL)
                p = calloc(1, 1);
        memset(b, 0, sizeof(*b));
        return p;
}

void srv_buf_free(struct srv_buf *b)
{
        free(b->p);
        memset(b, 0, sizeof(*b));
}
