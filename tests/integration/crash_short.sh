#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crash harness's short run (issue 10): SIGKILL the agent, the server or
# both at random moments while readings flow, top-ups run and a month closes
# again and again; then check the invariants listed in crash_lib.sh.
# MB_KILLS sets the number of kills (default 10); scripts/crash-long.sh runs
# the same harness with 1,000.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"
. "$(dirname "$0")/crash_lib.sh"
KILLS=${MB_KILLS:-10}

crash_setup
crash_workers_start
crash_kill_loop "$KILLS"
crash_workers_stop
pass "$KILLS kills of the agent and the server"
crash_check
