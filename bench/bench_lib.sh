# SPDX-License-Identifier: Apache-2.0
# Shared set-up of the server benchmarks (sourced).  Needs a build tree:
#   B=BUILD_DIR (default build), BACKEND=sqlite|postgresql (default sqlite).
# A server with N accounts and meters and NGW gateways of PER meters that
# the load client drives: the gateways through the API (for their tokens),
# everything else straight into the store with SQL, since a million API calls
# would measure the set-up, not the server.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
B=${B:-$SRC/build}
BACKEND=${BACKEND:-sqlite}
export TZ=Asia/Shanghai
T=$(mktemp -d "${TMPDIR:-/tmp}/mbbench.XXXXXX")
PIDS=()
fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ "$BACKEND" = postgresql ] && pg_stop
  [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $T" >&2 || rm -rf "$T"
}
trap cleanup EXIT
if [ "$BACKEND" = postgresql ]; then
  . "$SRC/tests/integration/pg_lib.sh"
  pg_start
  # a benchmark keeps durability: fsync on, like a production server
  pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -w -m fast stop >/dev/null
  pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w \
    -o "-k $PGDIR -c listen_addresses='' -c shared_buffers=256MB -c max_wal_size=4GB -c synchronous_commit=on ${PGSTAT:+-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all} ${PGOPTS:-}" \
    start >/dev/null
  pg_createdb "$T"
  DB=$(pg_conninfo "$T")
  DBCONF="database = { backend = \"postgresql\"; conninfo = \"$DB\"; };"
  q() { psql -X -q -t -A -d "$(pg_dbname "$T")" -c "$1"; }
else
  DB=$T/server.db
  DBCONF="database = { path = \"$DB\"; };"
  q() { sqlite3 -batch -noheader -cmd ".timeout 20000" "$DB" "$1"; }
fi

# start_server [LOG]: a server on a free port, logging to $T/LOG (default
# server.log); sets URL, SERVER_PID, ADMIN.  Called again, another server on
# the same store (PostgreSQL: several servers share one database).
start_server() {
  local log=$T/${1:-server.log}
  cat >"$T/server.conf" <<CONF
listen = { address = "127.0.0.1"; port = 0; threads = ${THREADS:-4}; };
$DBCONF
timezone = "Asia/Shanghai";
limits = { max_body_bytes = 4194304; max_readings = 10000; requests_per_minute = 0; };
settlement = { enabled = false; };
log = { level = "notice"; };
CONF
  [ -n "${ADMIN:-}" ] || ADMIN=$("$B/server/meterbox-server" -c "$T/server.conf" --create-token root)
  "$B/server/meterbox-server" -f -c "$T/server.conf" >>"$log" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  for _ in $(seq 1 300); do grep -qs "listening on" "$log" && break; sleep 0.1; done
  URL="http://127.0.0.1:$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$log" | tail -1 | sed 's/.*://')"
}

api() { # METHOD PATH BODY: prints the response; fails on 4xx/5xx
  curl -sf -X "$1" -H "Authorization: Bearer $ADMIN" --data-binary "$3" "$URL$2"
}

# populate N NGW PER: N accounts (odd prepaid, even monthly) on the Beijing
# tariff, meter "B%07d" (id i + 1) for account i + 1 (its supply: from the
# meter's first reading), the first NGW * PER
# meters on gateways bg0000.. (tokens in $T/tokens), the rest on "bulk".
populate() {
  local n=$1 ngw=$2 per=$3 g tok now
  now=$(date +%s)
  api POST /api/v1/tariffs "@$SRC/etc/tariffs/beijing-residential.conf" >/dev/null
  : >"$T/tokens"
  for g in $(seq 0 $((ngw - 1))); do
    tok=$(api POST /api/v1/gateways "{\"name\":\"bg$(printf %04d "$g")\"}" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    echo "$g bg$(printf %04d "$g") $tok" >>"$T/tokens"
  done
  api POST /api/v1/gateways '{"name":"bulk"}' >/dev/null
  local eff
  eff=$(date -d "2020-01-01 00:00" +%s)
  if [ "$BACKEND" = postgresql ]; then
    q "INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at)
       SELECT 'A' || lpad(i::text, 7, '0'), CASE WHEN i % 2 = 1 THEN 'prepaid' ELSE 'monthly' END, 'active', 2000, 500, -100000000, 100, $now, $now
       FROM generate_series(1, $n) i ORDER BY i;
       INSERT INTO meters (address, gateway_id, account_id, bound_at)
       SELECT 'B' || lpad((i - 1)::text, 7, '0'), CASE WHEN (i - 1) / $per < $ngw THEN (i - 1) / $per + 1 ELSE $ngw + 1 END, i, $now
       FROM generate_series(1, $n) i ORDER BY i;
       INSERT INTO account_tariffs SELECT i, $eff, '2020-01-01', 'cn-bj-residential', $now, 'bench' FROM generate_series(1, $n) i;
       INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
       SELECT account_id, id, 'bind', 0, $now, 'bench' FROM meters;
       ANALYZE;"
  else
    q "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
       INSERT INTO accounts (number, mode, state, alarm1_fen, alarm2_fen, credit_limit_fen, reconnect_fen, created_at, updated_at)
       SELECT printf('A%07d', i), CASE WHEN i % 2 = 1 THEN 'prepaid' ELSE 'monthly' END, 'active', 2000, 500, -100000000, 100, $now, $now FROM s;
       WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
       INSERT INTO meters (address, gateway_id, account_id, bound_at)
       SELECT printf('B%07d', i - 1), CASE WHEN (i - 1) / $per < $ngw THEN (i - 1) / $per + 1 ELSE $ngw + 1 END, i, $now FROM s;
       WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n)
       INSERT INTO account_tariffs SELECT i, $eff, '2020-01-01', 'cn-bj-residential', $now, 'bench' FROM s;
       INSERT INTO supplies (account_id, meter_id, opened_how, from_seq, opened_at, opened_by)
       SELECT account_id, id, 'bind', 0, $now, 'bench' FROM meters;
       ANALYZE;"
  fi
  [ "$(q 'SELECT count(*) FROM meters')" = "$n" ] || fail "populate: $(q 'SELECT count(*) FROM meters') meters"
}

# boundaries MONTH-START NEXT-START: a boundary reading at both ends of the
# month for every meter (seq 1 and 2), for the month-close benchmark
boundaries() {
  local t0=$1 t1=$2 n now
  now=$(date +%s)
  if [ "$BACKEND" = postgresql ]; then
    q "INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
       SELECT id, 1, $t0, 'boundary', 0, 1000000 + id * 10, $now FROM meters;
       INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
       SELECT id, 2, $t1, 'boundary', 0, 1000000 + id * 10 + 150000 + (id % 7) * 20000, $now FROM meters;
       UPDATE meters SET high_seq = 2; ANALYZE;"
  else
    q "INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
       SELECT id, 1, $t0, 'boundary', 0, 1000000 + id * 10, $now FROM meters;
       INSERT INTO readings (meter_id, seq, ts, kind, quality, import_wh, stored_at)
       SELECT id, 2, $t1, 'boundary', 0, 1000000 + id * 10 + 150000 + (id % 7) * 20000, $now FROM meters;
       UPDATE meters SET high_seq = 2; ANALYZE;"
  fi
}

ratio() { /usr/bin/python3 -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p"; } # field NAME < line
