/* SPDX-License-Identifier: Apache-2.0 */
#define MB_LOG_MODULE "www"
#include "srv_www.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb_log.h"
#include "mb_time.h"
#include "srv_session.h"

#define SIGNIN "/signin.html"

#define LANG_JSON "/lang.json" /* the server's default language, for the sign-in page */

static const char *const public_files[] = {SIGNIN,     "/signin.js", "/signin.css", "/favicon.svg",
                                           "/i18n.js", LANG_JSON,    NULL};

static const struct {
        const char *ext, *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/plain; charset=utf-8"},
};

int srv_www_path_ok(const char *url)
{
        size_t n = strlen(url);

        if (n < 1 || n > 200 || url[0] != '/')
                return 0;
        for (size_t i = 0; i < n; i++) {
                char ch = url[i];

                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_' || ch == '/'))
                        return 0;
                /* every segment is non-empty and does not start with a dot:
                 * no "..", no hidden files, no "//" */
                if (ch == '/' && i + 1 < n && (url[i + 1] == '/' || url[i + 1] == '.'))
                        return 0;
        }
        return 1;
}

const char *srv_www_content_type(const char *name)
{
        const char *slash = strrchr(name, '/'), *dot = strrchr(name, '.');

        if (dot == NULL || (slash && dot < slash))
                return "text/plain; charset=utf-8"; /* LICENSE, README */
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
                if (strcmp(dot, types[i].ext) == 0)
                        return types[i].type;
        return "application/octet-stream";
}

int srv_www_public(const char *url)
{
        for (int i = 0; public_files[i]; i++)
                if (strcmp(url, public_files[i]) == 0)
                        return 1;
        return 0;
}

static void common_headers(struct MHD_Response *r, const char *type)
{
        MHD_add_response_header(r, "Content-Type", type);
        MHD_add_response_header(r, "Cache-Control", "no-cache");
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(r, "X-Frame-Options", "DENY");
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; "
                                "style-src 'self' 'unsafe-inline'; object-src 'none'; "
                                "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
}

static enum MHD_Result typed(struct MHD_Connection *c, int status, const char *type,
                             const char *msg, int *out)
{
        struct MHD_Response *r =
            MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
        enum MHD_Result ret;

        if (r == NULL)
                return MHD_NO;
        common_headers(r, type);
        if (status == 405)
                MHD_add_response_header(r, "Allow", "GET, HEAD");
        ret = MHD_queue_response(c, (unsigned)status, r);
        MHD_destroy_response(r);
        *out = status;
        return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, int status, const char *msg, int *out)
{
        return typed(c, status, "text/plain; charset=utf-8", msg, out);
}

/* Open path under dir, refusing anything that resolves outside it.  An
 * open descriptor of a regular file with its size, or -1. */
static int open_inside(const char *dir, const char *path, off_t *size)
{
        char full[PATH_MAX], real[PATH_MAX], root[PATH_MAX];
        struct stat st;
        size_t rl;
        int fd;

        if (snprintf(full, sizeof(full), "%s%s", dir, path) >= (int)sizeof(full) ||
            realpath(dir, root) == NULL || realpath(full, real) == NULL)
                return -1;
        rl = strlen(root);
        if (strncmp(real, root, rl) != 0 || real[rl] != '/')
                return -1;
        fd = open(real, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                close(fd);
                return -1;
        }
        *size = st.st_size;
        return fd;
}

static enum MHD_Result send_file(struct MHD_Connection *c, const char *dir, const char *path,
                                 int status, int *out)
{
        struct MHD_Response *r;
        enum MHD_Result ret;
        off_t size = 0;
        int fd = open_inside(dir, path, &size);

        if (fd < 0)
                return text(c, 404, "not found\n", out);
        r = MHD_create_response_from_fd((uint64_t)size, fd);
        if (r == NULL) {
                close(fd);
                return MHD_NO;
        }
        common_headers(r, srv_www_content_type(path));
        ret = MHD_queue_response(c, (unsigned)status, r);
        MHD_destroy_response(r);
        *out = status;
        return ret;
}

static int signed_in(struct srv *s, struct MHD_Connection *c)
{
        const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SRV_SESSION_COOKIE);
        struct srv_auth a;
        int rc;

        if (cookie == NULL)
                return 0;
        srv_lock(s);
        rc = srv_session_check(s->db, cookie, mb_realtime_s(), &a);
        srv_unlock(s);
        if (rc < 0 && rc != MB_EAUTH)
                mb_warn("session check: %s", srv_db_errmsg(s->db));
        return rc == MB_OK;
}

enum MHD_Result srv_www_serve(struct srv *s, struct MHD_Connection *c, const char *url,
                              const char *method, int *status)
{
        const char *dir = s->cfg->mon.www_dir;
        const char *last = strrchr(url, '/');
        char path[256];
        size_t n;

        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return text(c, 405, "method not allowed\n", status);
        if (!srv_www_path_ok(url))
                return text(c, 404, "not found\n", status);
        /* "/" is the sign-in page; "/wall" is "/wall.html" (top level only:
         * "/vendor/uplot/LICENSE" is a file) */
        if (strcmp(url, "/") == 0)
                snprintf(path, sizeof(path), "%s", SIGNIN);
        else if (last == url && strchr(last, '.') == NULL)
                snprintf(path, sizeof(path), "%s.html", url);
        else
                snprintf(path, sizeof(path), "%s", url);
        if (strcmp(path, LANG_JSON) == 0) {
                char body[64];

                snprintf(body, sizeof(body), "{\"default_lang\": \"%s\"}\n", s->cfg->mon.language);
                return typed(c, 200, "application/json", body, status);
        }
        if (srv_www_public(path) || signed_in(s, c))
                return send_file(c, dir, path, 200, status);
        n = strlen(path);
        if (n > 5 && strcmp(path + n - 5, ".html") == 0)
                return send_file(c, dir, SIGNIN, 401, status);
        return text(c, 401, "sign in first\n", status);
}
