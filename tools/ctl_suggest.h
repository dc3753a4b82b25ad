/* SPDX-License-Identifier: Apache-2.0 */
/*
 * "Did you mean ...?" for mistyped commands, subcommands and options.
 */
#ifndef CTL_SUGGEST_H
#define CTL_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to typed, or NULL when none is close: edit distance
 * (insert, delete, substitute, swap two neighbours) at most 1 for words of
 * up to 4 letters and at most 2 for longer ones, or typed being a prefix of
 * exactly one candidate ("acc" -> "account").  candidates is NULL-terminated
 * (or has n entries when n > 0, NULL-terminated otherwise), each of them
 * read through stride bytes from the first (so a table of structs whose
 * first member is the name works).  Pure; the answer points into the table.
 */
const char *ctl_suggest(const char *typed, const void *candidates, size_t n, size_t stride);

/* Optimal string alignment distance between a and b (ASCII). */
int ctl_edit_distance(const char *a, const char *b);

#endif
