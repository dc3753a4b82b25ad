/* SPDX-License-Identifier: Apache-2.0 */
#include "srv_regions.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REGIONS 200000 /* the national list has about 3,200 county-level codes */

struct region_entry {
        char code[SRV_REGION_CODE_MAX + 1];
        char name[SRV_REGION_NAME_MAX + 1];
        char en[SRV_REGION_NAME_MAX + 1];
};

struct srv_regions {
        struct region_entry *e; /* sorted by code */
        size_t n, cap;
};

struct srv_regions *srv_regions_new(void)
{
        return calloc(1, sizeof(struct srv_regions));
}

void srv_regions_free(struct srv_regions *r)
{
        if (r)
                free(r->e);
        free(r);
}

static int code_ok(const char *s, size_t n)
{
        if (n == 0 || n > SRV_REGION_CODE_MAX)
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];

                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      c == '-' || c == '_' || c == '.'))
                        return 0;
        }
        return 1;
}

/* Valid UTF-8 without control characters, 1..SRV_REGION_NAME_MAX bytes. */
static int name_ok(const char *s, size_t n)
{
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;

        if (n == 0 || n > SRV_REGION_NAME_MAX)
                return 0;
        while (i < n) {
                unsigned c = p[i], need, cp;

                if (c < 0x20 || c == 0x7F)
                        return 0;
                if (c < 0x80) {
                        i++;
                        continue;
                }
                if (c >= 0xC2 && c <= 0xDF)
                        need = 1, cp = c & 0x1F;
                else if (c >= 0xE0 && c <= 0xEF)
                        need = 2, cp = c & 0x0F;
                else if (c >= 0xF0 && c <= 0xF4)
                        need = 3, cp = c & 0x07;
                else
                        return 0;
                for (unsigned k = 1; k <= need; k++) {
                        if (i + k >= n || (p[i + k] & 0xC0) != 0x80)
                                return 0;
                        cp = (cp << 6) | (p[i + k] & 0x3F);
                }
                if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                    (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp < 0xA0))
                        return 0;
                i += need + 1;
        }
        return 1;
}

static struct region_entry *find(const struct srv_regions *r, const char *code, size_t *at)
{
        size_t lo = 0, hi = r->n;

        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(code, r->e[mid].code);

                if (c == 0)
                        return &r->e[mid];
                if (c < 0)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        if (at)
                *at = lo;
        return NULL;
}

int srv_regions_add(struct srv_regions *r, const char *code, const char *name, const char *en)
{
        struct region_entry *e;
        size_t at = 0;

        if (!code_ok(code, strlen(code)) || !name_ok(name, strlen(name)) ||
            (en && en[0] && !name_ok(en, strlen(en))))
                return MB_EINVAL;
        e = find(r, code, &at);
        if (e == NULL) {
                if (r->n == MAX_REGIONS)
                        return MB_EINVAL;
                if (r->n == r->cap) {
                        size_t cap = r->cap ? r->cap * 2 : 64;
                        struct region_entry *p = realloc(r->e, cap * sizeof(*p));

                        if (p == NULL)
                                return MB_ENOMEM;
                        r->e = p;
                        r->cap = cap;
                }
                memmove(&r->e[at + 1], &r->e[at], (r->n - at) * sizeof(r->e[0]));
                r->n++;
                e = &r->e[at];
                snprintf(e->code, sizeof(e->code), "%s", code);
        }
        snprintf(e->name, sizeof(e->name), "%s", name);
        snprintf(e->en, sizeof(e->en), "%s", en ? en : "");
        return MB_OK;
}

/* Trim spaces, tabs and CR at both ends of [s, s+n): the new start and *n. */
static const char *trim(const char *s, size_t *n)
{
        while (*n && (*s == ' ' || *s == '\t')) {
                s++;
                (*n)--;
        }
        while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
                (*n)--;
        return s;
}

/* One line (without its newline): 1 added, 0 skipped, -1 out of memory. */
static int parse_line(struct srv_regions *r, const char *s, size_t n, const char *file, int line,
                      mb_diag *d)
{
        char code[SRV_REGION_CODE_MAX + 1], name[SRV_REGION_NAME_MAX + 1],
            en[SRV_REGION_NAME_MAX + 1] = "";
        size_t cn, nn, en_n = 0;
        const char *rest, *tab, *en_s = NULL;
        int rc;

        s = trim(s, &n);
        if (n == 0 || s[0] == '#')
                return 0;
        for (cn = 0; cn < n && s[cn] != ' ' && s[cn] != '\t'; cn++)
                ;
        if (!code_ok(s, cn)) {
                mb_diag_add(d, file, line,
                            "a line starts with a region code (letters, digits, '-', '_', '.',"
                            " at most %d), then its name",
                            SRV_REGION_CODE_MAX);
                return 0;
        }
        nn = n - cn;
        rest = trim(s + cn, &nn);
        tab = memchr(rest, '\t', nn);
        if (tab) {
                en_n = nn - (size_t)(tab - rest) - 1;
                en_s = trim(tab + 1, &en_n);
                nn = (size_t)(tab - rest);
                rest = trim(rest, &nn);
        }
        if (!name_ok(rest, nn) || (en_s && en_n && !name_ok(en_s, en_n))) {
                mb_diag_add(d, file, line,
                            "region %.*s: its name must be 1..%d bytes of UTF-8 text"
                            " (an English name may follow after a tab)",
                            (int)cn, s, SRV_REGION_NAME_MAX);
                return 0;
        }
        memcpy(code, s, cn);
        code[cn] = '\0';
        memcpy(name, rest, nn);
        name[nn] = '\0';
        if (en_s && en_n) {
                memcpy(en, en_s, en_n);
                en[en_n] = '\0';
        }
        rc = srv_regions_add(r, code, name, en);
        if (rc == MB_ENOMEM)
                return -1;
        if (rc < 0) {
                mb_diag_add(d, file, line, "more than %d regions", MAX_REGIONS);
                return 0;
        }
        return 1;
}

int srv_regions_parse(struct srv_regions *r, const char *text, size_t len, const char *file,
                      mb_diag *d)
{
        size_t pos = 0;
        int line = 0, added = 0;

        /* a UTF-8 byte order mark, as spreadsheets write one */
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
                pos = 3;
        while (pos < len) {
                const char *nl = memchr(text + pos, '\n', len - pos);
                size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
                int rc;

                line++;
                if (memchr(text + pos, '\0', n)) {
                        mb_diag_add(d, file, line, "a NUL byte: this is not a text file");
                        return added;
                }
                rc = parse_line(r, text + pos, n, file, line, d);
                if (rc < 0)
                        return -1;
                added += rc;
                pos += n + 1;
        }
        return added;
}

int srv_regions_load(struct srv_regions *r, const char *path, mb_diag *d)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t len = 0, cap = 0, got;
        int rc;

        if (f == NULL) {
                mb_diag_add(d, NULL, 0, "region names file %s: %s", path, strerror(errno));
                return 0;
        }
        do {
                if (len + 65536 > cap) {
                        char *p = realloc(buf, cap + 65536);

                        if (p == NULL) {
                                free(buf);
                                fclose(f);
                                return -1;
                        }
                        buf = p;
                        cap += 65536;
                }
                got = fread(buf + len, 1, cap - len, f);
                len += got;
        } while (got > 0 && len < 64u * 1024 * 1024);
        fclose(f);
        rc = srv_regions_parse(r, buf ? buf : "", len, path, d);
        free(buf);
        return rc;
}

const char *srv_regions_name(const struct srv_regions *r, const char *code, const char **en)
{
        const struct region_entry *e = r && code ? find(r, code, NULL) : NULL;

        if (en)
                *en = e ? e->en : "";
        return e ? e->name : NULL;
}

size_t srv_regions_count(const struct srv_regions *r)
{
        return r ? r->n : 0;
}

void srv_h_regions(struct srv_req *rq, struct srv_resp *rs)
{
        const struct srv_regions *names = rq->srv->cfg->mon.regions;
        json_object *list = json_object_new_array();
        srv_stmt *st = NULL;
        int rc = srv_db_query(rq->db, &st,
                              "SELECT region FROM gateways WHERE region != $1"
                              " UNION SELECT region FROM accounts WHERE region != $1"
                              " ORDER BY 1",
                              "t", "");

        while (rc >= 0 && (rc = srv_stmt_step(st)) == SRV_DB_ROW) {
                json_object *e = json_object_new_object();
                const char *code = srv_stmt_text(st, 0), *en = NULL;
                const char *name = srv_regions_name(names, code, &en);

                srv_jadd_str(e, "code", code);
                srv_jadd_str(e, "name", name);
                srv_jadd_str(e, "name_en", en && en[0] ? en : NULL);
                json_object_array_add(list, e);
        }
        srv_stmt_done(st);
        srv_reply_list(rq, rs, rc, "regions", list);
}
