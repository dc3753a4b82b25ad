/* SPDX-License-Identifier: Apache-2.0 */
/* meterbox-agent: command line, signals and the main loop. */
#define MB_LOG_MODULE "agent"
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "agent_status.h"
#include "mb_build_config.h"
#include "mb_log.h"
#include "mb_notify.h"
#include "mb_signal.h"
#include "mb_time.h"

static void usage(FILE *f)
{
        fprintf(
            f,
            "Usage: meterbox-agent [OPTION]...\n"
            "       meterbox-agent [-c FILE] status [--json]\n"
            "       meterbox-agent [-c FILE] resend [METER]...\n"
            "Read the meters of one meter box, keep readings and balances, switch relays.\n"
            "status: each meter's last reading, balance, relay and policy, the upload backlog\n"
            "and the last sync, from agent.db (safe while the agent runs).  resend: readings\n"
            "the server refused (a meter not yet bound) back into the upload queue.\n\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "  -t, --test          check the configuration and plugins, then exit\n"
            "      --once          poll every meter once, print one JSON reading per line\n"
            "      --apply FILE    store a server answer (snapshots, tariffs, commands) from\n"
            "                      FILE (- for stdin) in agent.db; a running agent acts on it\n"
            "  -f, --foreground    do not detach (for systemd and procd)\n"
            "  -P, --plugin-dir D  plugin directories, colon-separated (default %s)\n"
            "  -v, --verbose       debug logging, including frames on the wire\n"
            "      --version       print the version\n"
            "  -h, --help          this text\n\n"
            "Exit status: 0 ok, 1 a meter failed (--once) or the config is bad (-t), 2 error.\n",
            MB_AGENT_CONFIG, MB_PLUGIN_DIR);
}

struct options {
        const char *config;
        const char *plugin_dir;
        const char *apply;
        int test, once, foreground, verbose;
        char **args; /* a command (status, resend) and its arguments */
        int n_args;
};

static int parse_args(int argc, char **argv, struct options *o)
{
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'}, {"test", no_argument, NULL, 't'},
            {"once", no_argument, NULL, 'O'},         {"apply", required_argument, NULL, 'A'},
            {"foreground", no_argument, NULL, 'f'},   {"plugin-dir", required_argument, NULL, 'P'},
            {"verbose", no_argument, NULL, 'v'},      {"version", no_argument, NULL, 'V'},
            {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
        int c;

        /* "+": options end at a command, whose arguments are its own. */
        while ((c = getopt_long(argc, argv, "+c:tfP:vh", longopts, NULL)) != -1) {
                switch (c) {
                case 'c':
                        o->config = optarg;
                        break;
                case 't':
                        o->test = 1;
                        break;
                case 'A':
                        o->apply = optarg;
                        break;
                case 'O':
                        o->once = 1;
                        break;
                case 'f':
                        o->foreground = 1;
                        break;
                case 'P':
                        o->plugin_dir = optarg;
                        break;
                case 'v':
                        o->verbose = 1;
                        break;
                case 'V':
                        printf("meterbox-agent %s\n", MB_VERSION);
                        exit(0);
                case 'h':
                        usage(stdout);
                        exit(0);
                default:
                        usage(stderr);
                        return -1;
                }
        }
        o->args = argv + optind;
        o->n_args = argc - optind;
        if (o->n_args > 0 && strcmp(o->args[0], "resend") != 0 &&
            (strcmp(o->args[0], "status") != 0 ||
             (o->n_args > 1 && (o->n_args > 2 || strcmp(o->args[1], "--json") != 0)))) {
                fprintf(stderr, "meterbox-agent: unexpected argument '%s'\n",
                        o->args[o->n_args > 1 ? o->n_args - 1 : 0]);
                return -1;
        }
        return 0;
}

static void apply_logging(const struct agent_config *cfg, int verbose)
{
        mb_log_set_level(verbose ? MB_LOG_DEBUG : mb_log_level_parse(cfg->log_level));
        if (cfg->log_syslog)
                mb_log_open("meterbox-agent");
}

/* The main loop's beat: once a second (the work of agent_tick needs no
 * more, and every wake-up costs a gateway's CPU), or twice per watchdog
 * interval when the service manager asks for more. */
static int64_t beat_ms(void)
{
        int64_t w = mb_notify_watchdog_usec() / 2000;

        return w > 0 && w < 1000 ? w : 1000;
}

/* Sleep ms, or less when a signal arrives (its flag is read at once). */
static void nap(int64_t ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

        nanosleep(&ts, NULL);
}

static int run(const struct options *o)
{
        struct agent a;
        int rc;

        /* before the store and plugins open: a stop asked for while they
         * do is a clean stop once they have, not death by SIGTERM */
        mb_signals_install();
        if (agent_prepare(&a, o->config, o->plugin_dir) < 0)
                return 2;
        apply_logging(a.cfg, o->verbose);
        if (!o->foreground && daemon(0, 0) < 0) {
                mb_err_log("cannot detach: %m");
                agent_stop(&a);
                return 2;
        }
        mb_signals_block(1);
        rc = agent_start(&a);
        mb_signals_block(0);
        if (rc == 0)
                mb_notify_ready();
        while (rc == 0 && !mb_signal_stop()) {
                nap(beat_ms());
                if (mb_signal_reload()) {
                        mb_notify_reloading();
                        mb_signals_block(1);
                        if (agent_reload(&a, o->config, o->plugin_dir) == AGENT_DEAD)
                                rc = -1;
                        mb_signals_block(0);
                        if (rc < 0)
                                break;
                        mb_notify_ready();
                }
                /* A bus stuck past stall_limit: no more "alive", so that
                 * systemd's watchdog restarts the agent. */
                if (agent_tick(&a))
                        mb_notify_watchdog();
        }
        mb_notify_stopping();
        mb_notice("stopping");
        agent_stop(&a);
        return rc == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
        struct options o = {.config = MB_AGENT_CONFIG};

#ifdef M_ARENA_MAX
        /* glibc gives each thread that allocates its own arena, with its own
         * free pages; the agent's threads allocate little, and one arena is
         * 150 kB less resident (bench/footprint.md).  musl has no arenas. */
        mallopt(M_ARENA_MAX, 1);
#endif
        if (parse_args(argc, argv, &o) < 0)
                return 2;
        if (o.verbose)
                mb_log_set_level(MB_LOG_DEBUG);
        if (o.test)
                return agent_check(o.config, o.plugin_dir);
        if (o.once)
                return agent_once(o.config, o.plugin_dir);
        if (o.apply)
                return agent_apply_file(o.config, o.apply);
        if (o.n_args > 0 && strcmp(o.args[0], "status") == 0)
                return agent_status(o.config, o.n_args > 1);
        if (o.n_args > 0)
                return agent_resend(o.config, o.args + 1, o.n_args - 1);
        return run(&o);
}
