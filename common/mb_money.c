/* SPDX-License-Identifier: Apache-2.0 */
/* Exact integer arithmetic for money and energy: see mb_money.h. */
#include "mb_money.h"

#include <string.h>

#include <meterbox/errors.h>

int64_t mb_money_round_fen(int64_t e7)
{
        /* Half away from zero: C division truncates toward zero, so move
         * the quotient one step outwards when the remainder is half or more. */
        int64_t q = e7 / MB_E7_PER_FEN;
        int64_t r = e7 % MB_E7_PER_FEN;

        if (r >= MB_E7_PER_FEN / 2)
                q++;
        else if (r <= -(MB_E7_PER_FEN / 2))
                q--;
        return q;
}

/* Append one digit to *v (magnitude), failing on overflow. */
static int push_digit(uint64_t *v, int digit)
{
        if (*v > (UINT64_MAX - (uint64_t)digit) / 10)
                return MB_ERANGE;
        *v = *v * 10 + (uint64_t)digit;
        return MB_OK;
}

/* Parse the digits after the point: up to `decimals` of them count, the rest
 * must be zeros.  Returns the number of counted digits or a negative code. */
static int parse_fraction(const char *p, int decimals, uint64_t *v)
{
        int used = 0;

        if (*p < '0' || *p > '9')
                return MB_EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (used == decimals) {
                        if (*p != '0')
                                return MB_EINVAL;
                        continue;
                }
                if (push_digit(v, *p - '0') < 0)
                        return MB_ERANGE;
                used++;
        }
        return *p == '\0' ? used : MB_EINVAL;
}

int mb_decimal_parse(const char *s, int decimals, int64_t *out)
{
        uint64_t v = 0;
        int neg = 0, used = 0;
        const char *p = s;

        if (s == NULL || out == NULL || decimals < 0 || decimals > 18)
                return MB_EINVAL;
        if (*p == '-') {
                neg = 1;
                p++;
        }
        if (*p < '0' || *p > '9')
                return MB_EINVAL;
        for (; *p >= '0' && *p <= '9'; p++)
                if (push_digit(&v, *p - '0') < 0)
                        return MB_ERANGE;
        if (*p == '.') {
                used = parse_fraction(p + 1, decimals, &v);
                if (used < 0)
                        return used;
        } else if (*p != '\0') {
                return MB_EINVAL;
        }
        for (; used < decimals; used++)
                if (push_digit(&v, 0) < 0)
                        return MB_ERANGE;
        if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
                return MB_ERANGE;
        *out = neg ? (int64_t)(0 - v) : (int64_t)v;
        return MB_OK;
}

int mb_decimal_format(int64_t v, int decimals, char *buf, size_t len)
{
        char tmp[48];
        size_t n = 0, i;
        uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

        if (buf == NULL || len == 0 || decimals < 0 || decimals > 18)
                return MB_EINVAL;
        /* Digits in reverse, with the point after `decimals` of them. */
        for (int d = 0; mag > 0 || d <= decimals; d++) {
                if (d == decimals && decimals > 0)
                        tmp[n++] = '.';
                tmp[n++] = (char)('0' + mag % 10);
                mag /= 10;
        }
        if (v < 0)
                tmp[n++] = '-';
        if (n + 1 > len) {
                buf[0] = '\0';
                return MB_ENOSPC;
        }
        for (i = 0; i < n; i++)
                buf[i] = tmp[n - 1 - i];
        buf[n] = '\0';
        return MB_OK;
}

/* Check inputs and compute the weight sum; MB_ERANGE if total*w[i] would
 * overflow. */
static int apportion_check(int64_t total, const int64_t *w, size_t n, int64_t *sum)
{
        int64_t s = 0, prod;

        if (total < 0)
                return MB_EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (w[i] < 0)
                        return MB_EINVAL;
                if (__builtin_add_overflow(s, w[i], &s) ||
                    __builtin_mul_overflow(total, w[i], &prod))
                        return MB_ERANGE;
        }
        if (s == 0 && total != 0)
                return MB_EINVAL;
        *sum = s;
        return MB_OK;
}

/* True when share j's remainder ranks before share i's (larger, or equal
 * with a lower index). */
static int ranks_before(int64_t rj, size_t j, int64_t ri, size_t i)
{
        return rj > ri || (rj == ri && j < i);
}

int mb_apportion(int64_t total, const int64_t *w, size_t n, int64_t *out)
{
        int64_t sum, given = 0, left;
        int rc = apportion_check(total, w, n, &sum);

        if (rc < 0)
                return rc;
        if (total == 0) {
                memset(out, 0, n * sizeof(*out));
                return MB_OK;
        }
        for (size_t i = 0; i < n; i++) {
                out[i] = total * w[i] / sum;
                given += out[i];
        }
        left = total - given; /* < number of shares with a remainder */
        if (left == 0)
                return MB_OK;
        for (size_t i = 0; i < n; i++) {
                int64_t ri = total * w[i] % sum, ahead = 0;

                for (size_t j = 0; j < n && ahead < left; j++)
                        if (ranks_before(total * w[j] % sum, j, ri, i))
                                ahead++;
                if (ahead < left)
                        out[i]++;
        }
        return MB_OK;
}
