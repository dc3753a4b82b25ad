/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterboxctl's error messages in the operator's terms: what went wrong and
 * what to do about it, never a bare HTTP status.  The server's own message
 * is kept where it names the problem ("no account '1100000099'"), with the
 * API's field names turned into the command line's ("'amount_fen'" -> "the
 * amount", "'credit_limit_fen'" -> "--credit-limit").
 */
#ifndef CTL_ERRORS_H
#define CTL_ERRORS_H

#include <stdio.h>

/*
 * Print on f, after "meterboxctl CMD: ", what an error answer means.
 * status is the HTTP status, body the answer (may be NULL or not JSON),
 * server the base URL.  Pure apart from writing to f.
 */
void ctl_explain_answer(FILE *f, const char *cmd, long status, const char *body,
                        const char *server);

/*
 * Print on f what a transport failure means: curl_code is a CURLcode,
 * detail curl's own words (shown last, for the log).
 */
void ctl_explain_transport(FILE *f, const char *cmd, int curl_code, const char *detail,
                           const char *server);

/* The command-line words for an API field name ("the amount",
 * "--credit-limit"), or NULL when there is none.  Pure. */
const char *ctl_field_words(const char *field);

#endif
