/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_snapsig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(FILE *f, json_object *v);

static int by_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object with its members in name order; members named in skip left out. */
static void put_object(FILE *f, json_object *o, const char *const *skip)
{
        size_t n = 0, cap = (size_t)json_object_object_length(o);
        const char **names = calloc(cap ? cap : 1, sizeof(*names));

        if (names == NULL) {
                fputc('!', f); /* unequal to any real encoding: verification fails */
                return;
        }
        json_object_object_foreach(o, k, v)
        {
                int skipped = 0;

                (void)v;
                for (size_t i = 0; skip && skip[i]; i++)
                        skipped |= strcmp(k, skip[i]) == 0;
                if (!skipped && n < cap)
                        names[n++] = k;
        }
        qsort(names, n, sizeof(*names), by_name);
        fputc('{', f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%zu:%s=", strlen(names[i]), names[i]);
                put(f, json_object_object_get(o, names[i]));
                fputc(';', f);
        }
        fputc('}', f);
        free(names);
}

static void put(FILE *f, json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null:
                fputc('~', f);
                break;
        case json_type_boolean:
                fputc(json_object_get_boolean(v) ? 't' : 'f', f);
                break;
        case json_type_int:
                fprintf(f, "i%lld", (long long)json_object_get_int64(v));
                break;
        case json_type_double:
                fprintf(f, "d%.17g", json_object_get_double(v));
                break;
        case json_type_string:
                fprintf(f, "s%d:", json_object_get_string_len(v));
                fwrite(json_object_get_string(v), 1, (size_t)json_object_get_string_len(v), f);
                break;
        case json_type_array:
                fputc('[', f);
                for (size_t i = 0; i < json_object_array_length(v); i++) {
                        put(f, json_object_array_get_idx(v, i));
                        fputc(',', f);
                }
                fputc(']', f);
                break;
        case json_type_object:
                put_object(f, v, NULL);
                break;
        }
}

int mb_snapsig_sign(const char *key_hex, const char *gateway, json_object *entry,
                    char out[MB_CMDSIG_HEX])
{
        static const char *const skip[] = {"sig", "commands", NULL};
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        if (f == NULL)
                return -1;
        fprintf(f, "snapshot-v1\n%s\n", gateway);
        if (json_object_is_type(entry, json_type_object))
                put_object(f, entry, skip);
        else
                put(f, entry);
        if (fclose(f) != 0 || text == NULL) {
                free(text);
                return -1;
        }
        mb_cmdsig_hmac(key_hex, text, len, out);
        free(text);
        return 0;
}

int mb_snapsig_verify(const char *key_hex, const char *gateway, json_object *entry)
{
        char want[MB_CMDSIG_HEX];
        json_object *sig;

        if (!json_object_object_get_ex(entry, "sig", &sig) ||
            !json_object_is_type(sig, json_type_string) ||
            mb_snapsig_sign(key_hex, gateway, entry, want) < 0)
                return 0;
        return mb_cmdsig_equal(want, json_object_get_string(sig));
}
