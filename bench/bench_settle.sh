#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Month-close benchmark: accounts settled per second by the close job
# (POST /api/v1/settlements, then its progress until it ends) over ACCOUNTS
# accounts (each with a boundary reading at both ends of last month),
# against the in-run baseline of the least a close must do per account,
# straight into the same store with prepared statements in one process
# (read both boundaries, write one bill row: bench_raw.c settle).  Prints
# both and the ratio.
#
# While the close runs, a gateway keeps posting batches of readings (one per
# meter of its 50) and the latency of each is recorded, as it is for a few
# seconds before the close: ingest keeps answering during a close, and
# these figures say how fast (reported, never asserted).
#
# SERVERS=2 (PostgreSQL): that many server processes on the one database,
# the close posted to each at once; they share its chunks (each claims a
# chunk with a lock it does not wait for: docs/scaling.md), and the rate is
# the accounts over the time until the last job ends.  The ingest probe
# posts to the first.
#
#   BACKEND=sqlite|postgresql B=BUILD_DIR bench/bench_settle.sh [ACCOUNTS]
. "$(dirname "$0")/bench_lib.sh"
N=${1:-10000}
M=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m)
T0=$(date -d "$M-01 00:00" +%s) T1=$(date -d "$(date +%Y-%m-01) 00:00" +%s)

SERVERS=${SERVERS:-1}
[ "$SERVERS" = 1 ] || [ "$BACKEND" = postgresql ] || fail "SERVERS > 1 needs BACKEND=postgresql"
URLS=() SPIDS=()
for k in $(seq 1 "$SERVERS"); do
  start_server "server$k.log"
  URLS+=("$URL") SPIDS+=("$SERVER_PID")
done
URL=${URLS[0]} SERVER_PID=${SPIDS[0]}
populate "$N" 1 50
boundaries "$T0" "$T1"
# settle_store: PostgreSQL vacuums the tables just loaded (autovacuum would,
# in the middle of the close) and writes their pages out (so would the next
# checkpoint): the close and its baseline are measured on a store at rest,
# as a month's close finds it, not in the wake of a bulk load or each other.
settle_store() { [ "$BACKEND" != postgresql ] || { q "VACUUM ANALYZE" && q "CHECKPOINT"; } >/dev/null; }
settle_store

# probe OUT SECONDS|STOPFILE: post a batch of bg0000's meters again and
# again, one latency (ms) per line in OUT, for SECONDS or until STOPFILE
# exists.  Seqs go on from where the last probe left off.
probe() {
  /usr/bin/python3 - "$URL" "$(awk '$1 == 0 {print $3}' "$T/tokens")" "$1" "$2" "$T1" "$T/seq" <<'PY'
import http.client, json, os, sys, time, urllib.parse
url, tok, out, until, t1, seqf = sys.argv[1:7]
u = urllib.parse.urlparse(url)
c = http.client.HTTPConnection(u.hostname, u.port)
seq = int(open(seqf).read()) if os.path.exists(seqf) else 3
end = time.time() + float(until) if until.replace(".", "").isdigit() else None
with open(out, "w") as f:
    while (end and time.time() < end) or (not end and not os.path.exists(until)):
        rs = [{"meter": "B%07d" % m, "seq": seq, "ts": int(t1) + 60 * (seq - 2),
               "import_wh": 2000000 + m * 10 + seq * 100} for m in range(50)]
        body = json.dumps({"gateway": "bg0000", "readings": rs})
        t = time.time()
        c.request("POST", "/api/v1/readings", body, {"Authorization": "Bearer " + tok})
        r = c.getresponse(); r.read()
        f.write("%.2f\n" % ((time.time() - t) * 1000))
        if r.status != 200:
            sys.exit("probe: HTTP %d" % r.status)
        seq += 1
open(seqf, "w").write(str(seq))
PY
}
pct() { # FILE: count and percentiles of the latencies in FILE
  /usr/bin/python3 - "$1" <<'PY'
import sys
v = sorted(float(l) for l in open(sys.argv[1]) if l.strip())
p = lambda q: v[min(len(v) - 1, int(q * len(v)))]
print("batches %d  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms" % (len(v), p(.5), p(.9), p(.99), v[-1]))
PY
}

probe "$T/idle.ms" 3
# PGSTAT=1 (PostgreSQL): the statements of the close by total time, from
# pg_stat_statements (bench_lib.sh loads it), reset just before the close
[ -n "${PGSTAT:-}" ] && q "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset(); SELECT pg_stat_reset_shared('wal')" >/dev/null
# PERF=FILE: a system-wide profile during the close (perf record -a -g):
# the server and PostgreSQL's backends side by side.
# PERF_SERVER=FILE: the server alone, with its call graph (dwarf)
if [ -n "${PERF:-}" ]; then
  perf record -q -a -g -o "$PERF" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
elif [ -n "${PERF_SERVER:-}" ]; then
  perf record -q -e cpu-clock --call-graph dwarf,16384 -o "$PERF_SERVER" -p "$SERVER_PID" 2>/dev/null &
  perf_pid=$!
  sleep 0.5
fi
# utime + stime (ticks) of every server process
cpu() { for p in "${SPIDS[@]}"; do cat "/proc/$p/stat"; done | awk '{t += $14 + $15} END {print t}'; }
# PostgreSQL: utime + stime of every process of its cluster (the postmaster's
# children; a backend that ended meanwhile is not counted)
pgcpu() {
  [ "$BACKEND" = postgresql ] || { echo 0; return; }
  local pm
  pm=$(head -1 "$PGDIR/data/postmaster.pid")
  # (cat reads on past a process that ends meanwhile)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk -v pm="$pm" '{ sub(/^.*\) /, ""); if ($2 == pm) t += $12 + $13 } END { print t + 0 }'
}
c0=$(cpu) g0=$(pgcpu)
s0=$(date +%s.%N)
posts=()
jget() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
for k in $(seq 1 "$SERVERS"); do
  curl -sf -o "$T/close$k.json" -H "Authorization: Bearer $ADMIN" -d "{\"month\":\"$M\"}" \
    "${URLS[$((k - 1))]}/api/v1/settlements" &
  posts+=($!)
done
for p in "${posts[@]}"; do wait "$p" || fail "close: $(tail -3 "$T"/server*.log)"; done
jobs=()
for k in $(seq 1 "$SERVERS"); do jobs+=("$(jget "$T/close$k.json" job)"); done
if [ "${PROBE:-1}" = 1 ]; then
  probe "$T/busy.ms" "$T/close.done" &
else # PROBE=0: the close alone, for its own costs
  echo 0 >"$T/busy.ms" & 
fi
probe_pid=$!
PIDS+=("$probe_pid")
for k in $(seq 1 "$SERVERS"); do
  while curl -sf -o "$T/close$k.json" -H "Authorization: Bearer $ADMIN" \
    "${URLS[$((k - 1))]}/api/v1/settlements/${jobs[$((k - 1))]}" &&
    [ "$(jget "$T/close$k.json" state)" = running ]; do
    sleep 0.05
  done
done
s1=$(date +%s.%N)
c1=$(cpu) g1=$(pgcpu)
if [ -n "${PERF:-}${PERF_SERVER:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
touch "$T/close.done"
wait "$probe_pid" || fail "the ingest probe failed during the close"
[ -n "${PGSTAT:-}" ] && q "SELECT 'WAL per account: ' || round(wal_records / $N.0, 1) || ' records, ' || round(wal_fpi / $N.0, 2) || ' full pages, ' || round(wal_bytes / $N.0) || ' bytes' FROM pg_stat_wal" >"$T/pgwal"
[ -n "${PGSTAT:-}" ] && q "SELECT round(total_exec_time)::text || ' ms ' || calls || ' calls ' || rows || ' rows: ' || left(regexp_replace(query, '\s+', ' ', 'g'), 110) FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >"$T/pgstat"
settled=0 each=
for k in $(seq 1 "$SERVERS"); do
  s=$(jget "$T/close$k.json" settled)
  settled=$((settled + s)) each="$each${each:+ + }$s"
done
[ "$settled" = "$N" ] || fail "settled $each of $N: $(head -c 300 "$T"/close*.json)"
[ "$(q "SELECT count(*) FROM bills WHERE month = '$M' AND state = 'settled'")" = "$N" ] || fail "bills of $M"
secs=$(/usr/bin/python3 -c "print('%.3f' % ($s1 - $s0))")
c=$(/usr/bin/python3 -c "print('%.0f' % ($N / ($s1 - $s0)))")
settle_store
raw=$("$B/bench/bench_raw" settle "$BACKEND" "$DB" "$N" "$T0" "$((T1 + 86400 * 31))")
r=$(echo "$raw" | field rate)
echo "backend=$BACKEND accounts=$N month=$M servers=$SERVERS"
echo "machine: $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg) after the run"
echo "month_close: accounts $N seconds $secs rate $c (settled $each by $SERVERS server(s), polled every 50 ms)"
us() { /usr/bin/python3 -c "print('%.1f' % (($2 - $1) * 1e6 / $(getconf CLK_TCK) / $N))"; }
echo "server cpu: $(us "$c0" "$c1") us per account during the close (all the servers' threads, the ingest probe's included)"
[ "$BACKEND" = postgresql ] && echo "postgresql cpu: $(us "$g0" "$g1") us per account during the close (all its processes)"
echo "raw_baseline: $raw"
echo "ratio close/raw = $(ratio "$c" "$r")"
if [ "$BACKEND" = postgresql ]; then
  echo "close rate / 30,000 = $(ratio "$c" 30000)   (target >= 1.00 at 1M accounts on postgresql)"
else
  echo "close rate / 100,000 = $(ratio "$c" 100000)   (target >= 1.00 on sqlite)"
fi
echo "ingest latency, no close:     $(pct "$T/idle.ms")"
echo "ingest latency, during close: $(pct "$T/busy.ms")"
[ -z "${PGSTAT:-}" ] || { cat "$T/pgwal"; echo "pg_stat_statements during the close (exec time, not round trips):"; cat "$T/pgstat"; }
