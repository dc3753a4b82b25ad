/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The baseline of bench/footprint.sh: a program that links the libraries the
 * agent links (libconfig, SQLite, json-c, libcurl, pthreads, libdl) and
 * initialises them the way the agent does (curl_global_init, one SQLite
 * database in WAL mode, one JSON object, one config), then waits for SIGTERM.
 * Its resident memory is what the agent cannot go below with these
 * libraries on this libc; the agent's own cost is the difference.
 *
 *   footprint_baseline DB-PATH     (prints "ready" when initialised)
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <libconfig.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
        sqlite3 *db = NULL;
        config_t cfg;
        json_object *o;
        CURL *c;
        sigset_t set;
        int sig;

        if (argc != 2) {
                fprintf(stderr, "usage: footprint_baseline DB-PATH\n");
                return 2;
        }
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        c = curl_easy_init();
        config_init(&cfg);
        config_read_string(&cfg, "a = 1;");
        o = json_object_new_object();
        json_object_object_add(o, "a", json_object_new_int(1));
        if (sqlite3_open(argv[1], &db) != SQLITE_OK ||
            sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(x);", NULL,
                         NULL, NULL) != SQLITE_OK) {
                fprintf(stderr, "footprint_baseline: %s\n", sqlite3_errmsg(db));
                return 2;
        }
        printf("ready\n");
        fflush(stdout);
        sigwait(&set, &sig);
        sqlite3_close(db);
        json_object_put(o);
        config_destroy(&cfg);
        curl_easy_cleanup(c);
        curl_global_cleanup();
        return 0;
}
