#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# PostgreSQL's disk fills up (SQLSTATE 53100): the server answers 507
# "storage_full" as it does on SQLite, keeps answering reads, stores nothing
# of a refused batch, and takes the same batch once there is room.  The
# server's tables live in a tablespace on a small tmpfs of their own (root
# only: skipped, 77, where mount is not allowed); PostgreSQL's WAL stays on
# the ordinary disk, as it would on a server with a separate data volume.
MB_DB_BACKEND=pg
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/server_lib.sh"

TS=$PGDIR/ts
mkdir -p "$TS"
mount -t tmpfs -o size=8m tmpfs "$TS" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs (needs root)"; exit 77; }
stop_all() {
  cleanup
  pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  umount -l "$TS" 2>/dev/null || true
  pg_stop
}
trap stop_all EXIT
[ "$(id -u)" = 0 ] && chown nobody "$TS"
psql -X -q -d postgres -c "CREATE TABLESPACE small LOCATION '$TS'" >/dev/null || fail "tablespace"
psql -X -q -d postgres -c "CREATE DATABASE $(pg_dbname "$T") TABLESPACE small" >/dev/null || fail "createdb"

server_conf "$T/server.conf"
ADMIN=$("$MB_SERVER" -c "$T/server.conf" --create-token root --role admin)
start_server "$T/server.conf" "$T/server.log"
api POST /api/v1/gateways '{"name":"gw-d"}'; expect 201
GW=$(j '["token"]')
for k in 1 2 3 4; do api PUT "/api/v1/meters/D$k" '{"gateway":"gw-d"}'; expect 200; done

# batch N: 200 readings (50 per meter) with sequence numbers of their own
batch() {
  /usr/bin/python3 - "$1" "$(date +%s)" <<'PY'
import json, sys
n, now = int(sys.argv[1]), int(sys.argv[2])
rs = [{"meter": f"D{k}", "seq": n * 50 + i + 1, "ts": now - 86400 + n * 50 + i, "import_wh": 1000 * (n * 50 + i),
       "voltage_mv": [230000], "current_ma": [1000]} for k in range(1, 5) for i in range(50)]
print(json.dumps({"gateway": "gw-d", "readings": rs}))
PY
}
n=0
while :; do
  batch $n >"$T/b.json"
  before=$(sqlv "SELECT count(*) FROM readings")
  api POST /api/v1/readings "@$T/b.json" "$GW"
  [ "$CODE" = 200 ] || break
  n=$((n + 1))
  [ $n -lt 400 ] || fail "8 MB never filled up"
done
[ "$CODE" = 507 ] || fail "a full tablespace answered $CODE: $(cat "$T/resp")"
[ "$(j '["error"]["code"]')" = storage_full ] || fail "507 body: $(cat "$T/resp")"
[ "$(sqlv "SELECT count(*) FROM readings")" = "$before" ] || fail "a refused batch stored part of itself"
api GET /api/v1/gateways; expect 200
pass "a full tablespace after $n batches: 507 storage_full, nothing of the batch stored, reads answered"

mount -o remount,size=64m "$TS" || fail "remount"
api POST /api/v1/readings "@$T/b.json" "$GW"; expect 200
[ "$(sqlv "SELECT count(*) FROM readings")" = $((before + 200)) ] || fail "the batch after room was made"
pass "with room again, the refused batch is taken whole"
