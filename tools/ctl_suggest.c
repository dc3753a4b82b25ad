/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_suggest.h"

#include <stdlib.h>
#include <string.h>

#define MAXLEN 64

int ctl_edit_distance(const char *a, const char *b)
{
        size_t n = strlen(a), m = strlen(b);
        int d[MAXLEN + 1][MAXLEN + 1];

        if (n > MAXLEN || m > MAXLEN)
                return MAXLEN;
        for (size_t i = 0; i <= n; i++)
                d[i][0] = (int)i;
        for (size_t j = 0; j <= m; j++)
                d[0][j] = (int)j;
        for (size_t i = 1; i <= n; i++)
                for (size_t j = 1; j <= m; j++) {
                        int cost = a[i - 1] != b[j - 1];
                        int v = d[i - 1][j] + 1;

                        if (d[i][j - 1] + 1 < v)
                                v = d[i][j - 1] + 1;
                        if (d[i - 1][j - 1] + cost < v)
                                v = d[i - 1][j - 1] + cost;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < v)
                                v = d[i - 2][j - 2] + 1;
                        d[i][j] = v;
                }
        return d[n][m];
}

const char *ctl_suggest(const char *typed, const void *candidates, size_t n, size_t stride)
{
        const char *best = NULL, *prefix = NULL;
        int best_d = MAXLEN, prefixes = 0;
        int limit = strlen(typed) <= 4 ? 1 : 2;

        if (typed[0] == '\0')
                return NULL;
        for (size_t i = 0; n == 0 || i < n; i++) {
                const char *c = *(const char *const *)((const char *)candidates + i * stride);
                int d;

                if (c == NULL)
                        break;
                if (strncmp(c, typed, strlen(typed)) == 0) {
                        prefix = c;
                        prefixes++;
                }
                d = ctl_edit_distance(typed, c);
                if (d < best_d) {
                        best_d = d;
                        best = c;
                }
        }
        if (best_d <= limit)
                return best;
        return prefixes == 1 ? prefix : NULL;
}
