/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV for the finance team's spreadsheet (RFC 4180): fields separated by
 * commas, records ended by CRLF, a field quoted when it holds a comma, a
 * double quote, CR or LF (quotes doubled inside).  Money is written from
 * integer fen as a decimal yuan string ("-12.34"), never through floating
 * point.  Pure functions over an srv_buf; no database.
 *
 * Every text field that starts with = + - @ TAB or CR gets a leading
 * apostrophe, so a spreadsheet shows it as text instead of running it as a
 * formula (CSV injection): not only what people typed (names, reasons) but
 * account numbers and meter addresses too, which may begin with '-' or be
 * any text a meter reports.  Numbers and amounts (srv_csv_i64, _yuan, _kwh)
 * are never altered.
 */
#ifndef SRV_CSV_H
#define SRV_CSV_H

#include <stdint.h>

#include "srv_buf.h"

struct srv_csv {
        struct srv_buf buf; /* the document so far (srv_buf ownership rules) */
        int col;            /* fields in the current record */
};

/* A text field, with the formula guard above (quoted when needed).  NULL
 * writes an empty field. */
void srv_csv_str(struct srv_csv *c, const char *s);
/* The same as srv_csv_str (its older name for free text). */
void srv_csv_text(struct srv_csv *c, const char *s);
void srv_csv_i64(struct srv_csv *c, int64_t v);
/* fen as yuan with two decimals (12345 -> "123.45", -5 -> "-0.05"). */
void srv_csv_yuan(struct srv_csv *c, int64_t fen);
/* Wh as kWh with three decimals (1234567 -> "1234.567"). */
void srv_csv_kwh(struct srv_csv *c, int64_t wh);
/* An empty field. */
void srv_csv_null(struct srv_csv *c);
/* End the record (CRLF). */
void srv_csv_end(struct srv_csv *c);

/* Write the RFC 4180 form of s (quoted when needed) into b: exposed for the
 * unit tests. */
void srv_csv_quote(struct srv_buf *b, const char *s);

#endif
