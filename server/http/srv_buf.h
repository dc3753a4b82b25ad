/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growing text buffer for responses built piece by piece (/metrics, CSV).
 *
 * Errors: allocation failure is sticky: every later append does nothing and
 * srv_buf_take returns NULL, so callers check once at the end.
 * Ownership: the buffer owns its memory until srv_buf_take hands it to the
 * caller (free()); srv_buf_free releases it otherwise.
 */
#ifndef SRV_BUF_H
#define SRV_BUF_H

#include <stddef.h>

struct srv_buf {
        char *p;
        size_t len, cap;
        int failed;
};

void srv_buf_add(struct srv_buf *b, const char *s, size_t n);
void srv_buf_puts(struct srv_buf *b, const char *s);
void srv_buf_printf(struct srv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The NUL-terminated text (caller frees), or NULL after a failure; the
 * buffer is empty afterwards. */
char *srv_buf_take(struct srv_buf *b);
void srv_buf_free(struct srv_buf *b);

#endif
