#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# meterbox-server -t: the example config passes; bad ones fail with file:line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

"$MB_SERVER" -t -c "$MB_SRC/etc/server.conf" >/dev/null || fail "etc/server.conf does not check"
pass "etc/server.conf checks"
check_bad() { # NAME CONTENT EXPECTED-MESSAGE
  printf '%s\n' "$2" >"$T/$1.conf"
  if "$MB_SERVER" -t -c "$T/$1.conf" >"$T/out" 2>&1; then fail "$1 accepted"; fi
  grep -q "$T/$1.conf:[0-9]*: .*$3" "$T/out" || fail "$1: expected '$3' with file:line, got: $(cat "$T/out")"
  pass "$1 rejected with file:line"
}
check_bad unknown-key 'listen = { port = 1; bogus = 2; };' "unknown key 'bogus'"
check_bad wrong-type 'listen = { port = "80"; };' "'port' must be an integer"
check_bad bad-zone 'timezone = "Mars/Olympus";' "unknown time zone"
check_bad bad-ratio 'settlement = { jump_ratio = 3.0; };' "jump_ratio"
check_bad bad-time 'settlement = { time = "25:00"; };' "HH:MM"
check_bad syntax 'listen = { port = 1 ' "syntax error"
check_bad bad-backend 'database = { backend = "mysql"; };' "'backend' must be"
check_bad pg-no-conninfo 'database = { backend = "postgresql"; };' "needs 'conninfo'"
check_bad pg-with-path 'database = { backend = "postgresql"; conninfo = "dbname=x"; path = "/x.db"; };' "'path' is for backend"
check_bad sqlite-conninfo 'database = { conninfo = "dbname=x"; };' "'conninfo' is for backend"
# busy_timeout_ms past the default deadline_ms, deadline_ms not given: the
# message points at busy_timeout_ms (this crashed the check: fuzz_srv_config)
check_bad busy-past-deadline 'database = { busy_timeout_ms = 50002; };' "'deadline_ms' (15000) must be longer"
check_bad deadline-short 'database = { busy_timeout_ms = 100; deadline_ms = 50; };' "'deadline_ms' (50) must be longer"
if [ -n "${PGDIR:-}" ]; then
  # the real server: a good conninfo starts and migrates; a bad one fails clearly
  server_conf "$T/pg.conf"
  "$MB_SERVER" -t -c "$T/pg.conf" >/dev/null || fail "postgresql config does not check"
  start_server "$T/pg.conf" "$T/pg.log"
  [ "$(sqlv 'SELECT max(version) FROM schema_version')" -ge 1 ] || fail "schema not migrated"
  [ "$(sqlv "SELECT count(*) FROM pg_class WHERE relname LIKE 'readings_2%'")" -ge 30 ] || fail "no monthly partitions"
  stop_server
  start_server "$T/pg.conf" "$T/pg.log"   # a second start finds everything in place
  stop_server
  sed "s/dbname=[a-z0-9_]*/dbname=nonexistent/" "$T/pg.conf" >"$T/pgbad.conf"
  if "$MB_SERVER" -f -c "$T/pgbad.conf" >"$T/out" 2>&1; then fail "started on a missing database"; fi
  grep -q 'database (postgresql).*nonexistent' "$T/out" || fail "bad conninfo message: $(cat "$T/out")"
  pass "postgresql: migrates, makes monthly partitions, restarts, names a bad database"
fi
"$MB_SERVER" --version | grep -q '^meterbox-server ' || fail "--version"
"$MB_SERVER" --help | grep -q -- '--create-token' || fail "--help"
pass "--version and --help"
