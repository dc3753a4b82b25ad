#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The crash harness's long run (issue 10; docs/faults.md records results).
#   scripts/crash-long.sh [BUILD_DIR] [KILLS]
# Runs tests/integration/crash_short.sh with KILLS (default 1000) SIGKILLs
# of the agent, the server or both against the binaries in BUILD_DIR
# (default build/, made by scripts/build.sh).  About 2 s per kill; progress
# as "# kill I/N" lines; exit 0 only when every invariant held.  Not part of
# ctest.  KEEP_TMP=1 keeps the databases and logs for a look afterwards.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
for f in agent/meterbox-agent server/meterbox-server plugins/sim.so; do
  [ -e "$build/$f" ] || { echo "crash-long: $build/$f missing; build first (scripts/build.sh)" >&2; exit 2; }
done
export MB_AGENT=$build/agent/meterbox-agent MB_SERVER=$build/server/meterbox-server
export MB_CTL=$build/tools/meterboxctl MB_PLUGIN_DIR=$build/plugins
export MB_TEST_PLUGIN_DIR=$build/tests/plugins MB_SRC=$top
export MB_KILLS=${2:-1000}
start=$(date +%s)
echo "crash-long: $MB_KILLS kills against $build, started $(date -u '+%F %T') UTC"
if bash "$top/tests/integration/crash_short.sh"; then
  echo "crash-long: PASSED: $MB_KILLS kills, every invariant held, $(( $(date +%s) - start )) s"
else
  echo "crash-long: FAILED after $(( $(date +%s) - start )) s" >&2
  exit 1
fi
