/* SPDX-License-Identifier: Apache-2.0 */
/* Regression driver for fuzz targets built without libFuzzer (gcc, the plain
 * and sanitizer builds): runs every file named on the command line, or every
 * file in the directories named, through LLVMFuzzerTestOneInput once. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        FILE *f = fopen(path, "rb");
        uint8_t *buf;
        long n;

        if (!f) {
                perror(path);
                return -1;
        }
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc(n > 0 ? (size_t)n : 1);
        if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
                fclose(f);
                free(buf);
                return -1;
        }
        fclose(f);
        LLVMFuzzerTestOneInput(buf, (size_t)n);
        free(buf);
        return 0;
}

static int run_path(const char *path, int *count)
{
        struct stat st;
        DIR *d;
        struct dirent *e;
        char sub[4096];
        int rc = 0;

        if (stat(path, &st) != 0) {
                perror(path);
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return run_file(path);
        }
        if (!(d = opendir(path)))
                return -1;
        while ((e = readdir(d)))
                if (e->d_name[0] != '.') {
                        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                        rc |= run_path(sub, count);
                }
        closedir(d);
        return rc;
}

int main(int argc, char **argv)
{
        int count = 0, rc = 0;

        for (int i = 1; i < argc; i++)
                if (argv[i][0] != '-')
                        rc |= run_path(argv[i], &count);
        printf("%d inputs run\n", count);
        return rc ? 1 : (count ? 0 : 1);
}
