#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: install what is missing, build with -Werror, run every
# test, then build and run it all again under AddressSanitizer + UBSan, run
# the agent's real-process tests under ThreadSanitizer, run the libFuzzer
# targets briefly over their corpora, cross-build the agent
# for big-endian s390x and run its unit tests under qemu-user, and build the
# agent side (agent, plugins, tests) with musl, OpenWrt's C library, and run
# its unit and integration tests natively.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
jobs=$(nproc)
# Most integration tests spend their time waiting (for an agent's next
# reading, a wall's refresh, a database's failover), not computing: twice as
# many of them as there are cores keeps the cores busy.  MB_TEST_JOBS
# overrides it.
test_jobs=${MB_TEST_JOBS:-$((jobs * 2))}
# Leaks inside third-party libraries only; ours all count.
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"

# ctest_all DIR ARGS...: run ctest; a skipped test is a failure here, because
# a skip means a peer this script should have installed is missing (pymodbus
# once skipped the Modbus tests silently for want of python3-serial-asyncio).
ctest_all() {
  local dir=$1 log; shift
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure "$@" | tee "$log"
  if grep -q '(Skipped)' "$log"; then
    echo "test.sh: tests were skipped in $dir (a peer is missing):" >&2
    grep '(Skipped)' "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

echo "== plain build (-Werror)"
"$top/scripts/build.sh" plain -DMB_WERROR=ON
ctest_all "$top/build" -j "$test_jobs"

echo "== ASan + UBSan build"
"$top/scripts/build.sh" asan -DMB_WERROR=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest_all "$top/build-asan" -j "$test_jobs"

echo "== ThreadSanitizer build: the agent's real-process tests"
# Every test whose script runs meterbox-agent (ctest label "agent",
# tests/integration/integration.cmake), once: not the _pg variants, whose
# agent is the same.  Left out: those that preload libfaketime (label
# "faketime": policy, offline_cutoff, fault_clock, cap, areas_sim).
# libfaketime interposes pthread_cond_timedwait (to move its deadline with
# the fake clock) and calls the real one past TSan's interceptor, so TSan
# never sees the wait release and take back the mutex: it reports a double
# lock of every bus's mutex and data races on everything those mutexes
# guard, none of them real (the same tests are race-free here without
# libfaketime's clock).  One test per core: an agent under TSan runs many
# times slower (powercut's agent once failed to stop cleanly with four on
# two cores).
# A report from any process fails the stage, also
# one whose exit status the test does not look at: each is written to
# build-tsan/tsan-reports/.
"$top/scripts/build.sh" tsan -DMB_WERROR=ON
rm -rf "$top/build-tsan/tsan-reports" && mkdir -p "$top/build-tsan/tsan-reports"
TSAN_OPTIONS="log_path=$top/build-tsan/tsan-reports/report:second_deadlock_stack=1" \
  ctest_all "$top/build-tsan" -L agent -LE faketime -E '_pg$' -j "$jobs"
if ls "$top/build-tsan/tsan-reports"/report.* >/dev/null 2>&1; then
  echo "test.sh: ThreadSanitizer reports:" >&2
  cat "$top/build-tsan/tsan-reports"/report.* >&2
  exit 1
fi

echo "== libFuzzer targets (clang, short runs over the committed corpora)"
"$top/scripts/build.sh" fuzz -DMB_WERROR=ON
ctest --test-dir "$top/build-fuzz" --output-on-failure -L fuzz -j "$jobs"

echo "== s390x (big-endian): cross build, unit tests under qemu-user"
"$top/scripts/cross/build.sh" s390x

echo "== musl (OpenWrt's C library): agent, plugins and tests with -Werror, tests run natively"
"$top/scripts/musl/build.sh"
