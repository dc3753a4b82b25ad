/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The first command on a fresh host is `meterbox-server --create-token`,
 * before the service ever ran: the SQLite store's directory
 * (/var/lib/meterbox) does not exist yet, since systemd makes it
 * (StateDirectory=) only when it starts the service.  Make it, as the
 * service would have it: mode 0750, and owned by user meterbox when run as
 * root and that user exists (systemd also hands a StateDirectory made by
 * someone else to the service's user at start).
 */
#include "srv_bootstrap.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkdir -p of path's directory part; the first one it made into made[]. */
static int make_parents(const char *path, char *made, size_t len, char *err, size_t errlen)
{
        char dir[PATH_MAX];
        char *slash;

        made[0] = '\0';
        if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir) ||
            (slash = strrchr(dir, '/')) == NULL || slash == dir)
                return 0;
        *slash = '\0';
        for (char *p = dir + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(dir, 0750) == 0) {
                        if (!made[0])
                                snprintf(made, len, "%s", dir);
                } else if (errno != EEXIST) {
                        snprintf(err, errlen,
                                 "cannot create %s: %s; create it first (mkdir -p %s) as a user "
                                 "that may, and give it to the user that runs meterbox-server",
                                 dir, strerror(errno), dir);
                        return -1;
                }
                *p = c;
                if (c == '\0')
                        break;
        }
        return 0;
}

/* chown path to the service user; 0 or -1 with err. */
static int give(const char *path, const struct passwd *pw, char *err, size_t errlen)
{
        if (chown(path, pw->pw_uid, pw->pw_gid) == 0 || errno == ENOENT)
                return 0;
        snprintf(err, errlen, "cannot give %s to user %s: %s", path, SRV_BOOTSTRAP_USER,
                 strerror(errno));
        return -1;
}

int srv_bootstrap_dir(const char *db_path, char *err, size_t errlen)
{
        char made[PATH_MAX], dir[PATH_MAX], *s;
        const struct passwd *pw;

        err[0] = '\0';
        if (make_parents(db_path, made, sizeof(made), err, errlen) < 0)
                return -1;
        if (!made[0] || geteuid() != 0 || (pw = getpwnam(SRV_BOOTSTRAP_USER)) == NULL)
                return 0;
        /* Every directory made: from the store's up to the first one. */
        snprintf(dir, sizeof(dir), "%s", db_path);
        while ((s = strrchr(dir, '/')) != NULL && s > dir) {
                *s = '\0';
                if (strlen(dir) < strlen(made) || give(dir, pw, err, errlen) < 0)
                        break;
        }
        return err[0] ? -1 : 0;
}

int srv_bootstrap_files(const char *db_path, char *err, size_t errlen)
{
        static const char *const suffix[] = {"", "-wal", "-shm"};
        char dir[PATH_MAX], f[PATH_MAX + 8], *s;
        const struct passwd *pw;
        struct stat st;

        snprintf(dir, sizeof(dir), "%s", db_path);
        if (geteuid() != 0 || (pw = getpwnam(SRV_BOOTSTRAP_USER)) == NULL ||
            (s = strrchr(dir, '/')) == NULL)
                return 0;
        *s = '\0';
        if (stat(s == dir ? "/" : dir, &st) < 0 || st.st_uid != pw->pw_uid)
                return 0;
        for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
                snprintf(f, sizeof(f), "%s%s", db_path, suffix[i]);
                if (give(f, pw, err, errlen) < 0)
                        return -1;
        }
        return 0;
}
