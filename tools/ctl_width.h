/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Display width of UTF-8 text in a terminal, so that tables line up when a
 * holder's name is 张三 (4 columns, 6 bytes) beside Zhang San (9 columns).
 *
 * The rule (documented in docs/dashboard.md, meterboxctl): a code point is
 * 2 columns when it is East Asian Wide or Fullwidth (Unicode UAX #11: Han,
 * kana, Hangul, CJK punctuation and fullwidth forms, CJK extensions B-G),
 * 0 columns when it is a combining mark, a zero-width space/joiner or a
 * variation selector, and 1 column otherwise.  It needs no locale: wcwidth()
 * would, and answers -1 for every non-ASCII character under LANG=C, which
 * is what a cron job or systemd unit gets.  A byte that is not valid UTF-8
 * counts as one column (it is printed as is).
 */
#ifndef CTL_WIDTH_H
#define CTL_WIDTH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Columns taken by code point cp (0, 1 or 2).  Pure. */
int ctl_cp_width(uint32_t cp);

/* Columns taken by the NUL-terminated UTF-8 string s.  Pure. */
size_t ctl_text_width(const char *s);

/* Print s on f padded with spaces to width columns, left-aligned or (right
 * != 0) right-aligned.  Text wider than width is printed whole. */
void ctl_print_padded(FILE *f, const char *s, size_t width, int right);

#endif
