/* SPDX-License-Identifier: Apache-2.0 */
/* The request deadline's table (srv_deadline.c) on socket pairs: a
 * connection past its deadline is shut down once (its peer reads the end),
 * a paused one (its handler running) never, a closed one is forgotten, and
 * a deadline of 0 enforces nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "srv_deadline.h"

#define D_MS 3000

/* A connected pair: sv[0] plays the server's side. */
static void pair(int sv[2])
{
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

/* Did the server's side of sv shut down?  (Its peer reads end of file
 * rather than "nothing yet".) */
static int shut_down(int sv[2])
{
        char buf[16];
        ssize_t n;

        while ((n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT)) > 0)
                ;
        return n == 0;
}

static void shuts_once_past_deadline(void **state)
{
        srv_deadline *d = srv_deadline_new(D_MS / 1000);
        int a[2];

        pair(a);
        srv_deadline_open(d, a[0], 1000);
        assert_int_equal(srv_deadline_sweep(d, 1000 + D_MS), 0);
        assert_false(shut_down(a));
        assert_int_equal(srv_deadline_sweep(d, 1000 + D_MS + 1), 1);
        assert_true(shut_down(a));
        assert_int_equal(srv_deadline_sweep(d, 1000 + 10 * D_MS), 0);
        srv_deadline_close(d, a[0]);
        close(a[0]);
        close(a[1]);
        srv_deadline_free(d);
}

static void restart_and_pause(void **state)
{
        srv_deadline *d = srv_deadline_new(D_MS / 1000);
        int a[2], b[2];

        pair(a);
        pair(b);
        srv_deadline_open(d, a[0], 0);
        srv_deadline_open(d, b[0], 0);
        srv_deadline_restart(d, a[0], 2000); /* a request completed */
        srv_deadline_pause(d, b[0]);         /* a handler running */
        assert_int_equal(srv_deadline_sweep(d, D_MS + 1000), 0);
        assert_int_equal(srv_deadline_sweep(d, 2000 + D_MS + 1), 1);
        assert_true(shut_down(a));
        assert_int_equal(srv_deadline_sweep(d, 100 * D_MS), 0); /* b paused */
        assert_false(shut_down(b));
        srv_deadline_restart(d, b[0], 100 * D_MS);
        assert_int_equal(srv_deadline_sweep(d, 101 * D_MS + 1), 1);
        assert_true(shut_down(b));
        for (int i = 0; i < 2; i++) {
                close(a[i]);
                close(b[i]);
        }
        srv_deadline_free(d);
}

static void closed_are_forgotten_and_many_fit(void **state)
{
        srv_deadline *d = srv_deadline_new(D_MS / 1000);
        int v[200][2];

        for (int i = 0; i < 200; i++) {
                pair(v[i]);
                srv_deadline_open(d, v[i][0], 0);
        }
        for (int i = 0; i < 200; i += 2)
                srv_deadline_close(d, v[i][0]);
        assert_int_equal(srv_deadline_sweep(d, D_MS + 1), 100);
        for (int i = 0; i < 200; i++) {
                assert_int_equal(shut_down(v[i]), i % 2);
                close(v[i][0]);
                close(v[i][1]);
        }
        srv_deadline_free(d);
}

static void zero_enforces_nothing(void **state)
{
        srv_deadline *d = srv_deadline_new(0);
        int a[2];

        pair(a);
        srv_deadline_open(d, a[0], 0);
        assert_int_equal(srv_deadline_sweep(d, INT64_MAX / 2), 0);
        assert_false(shut_down(a));
        close(a[0]);
        close(a[1]);
        srv_deadline_free(d);
        srv_deadline_free(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(shuts_once_past_deadline),
            cmocka_unit_test(restart_and_pause),
            cmocka_unit_test(closed_are_forgotten_and_many_fit),
            cmocka_unit_test(zero_enforces_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
