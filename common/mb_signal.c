/* SPDX-License-Identifier: Apache-2.0 */
#include "mb_signal.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t got_stop, got_reload;

static void on_signal(int sig)
{
        if (sig == SIGHUP)
                got_reload = 1;
        else
                got_stop = 1;
}

void mb_signals_install(void)
{
        struct sigaction sa;

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

void mb_signals_block(int block)
{
        sigset_t set;

        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGHUP);
        pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

int mb_signal_stop(void)
{
        return got_stop;
}

int mb_signal_reload(void)
{
        int r = got_reload;

        got_reload = 0;
        return r;
}
