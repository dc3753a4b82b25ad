# SPDX-License-Identifier: Apache-2.0
# A pg_auto_failover formation for the high-availability tests (issue 21):
# a monitor and two PostgreSQL nodes (primary + synchronous standby), all on
# this machine, each node in a network namespace of its own so that a test
# can kill it, freeze it or cut its network.
#
# Source this first, before lib.sh: it re-runs the test inside fresh
# network, mount and PID namespaces (unshare), so every port is free, no
# address is shared with the host, and whatever the test leaves running dies
# with it.  Topology (addresses exist only inside those namespaces):
#
#   hub (the test, the monitor, the meterbox-servers, curl)
#     lo 10.200.0.1  monitor on port 5431
#     h1 10.200.1.1 <-veth-> n1 10.200.1.2  node1 postgres on port 5432 (own netns)
#     h2 10.200.2.1 <-veth-> n2 10.200.2.2  node2 postgres on port 5433 (own netns)
#
# The hub forwards between the veths (replication, health checks).  A node
# is "cut" by a pfifo qdisc of length 0 on both ends of its veth: every
# packet is dropped, established connections hang, new ones time out, as
# when a switch port dies (tc netem and iptables are not on this kernel).
# PostgreSQL runs as nobody (it refuses root), as in pg_lib.sh.
#
# After ha_start: HA_URI is the formation's multi-host URI
# (pg_autoctl show uri --formation default) with user=meterbox added;
# ha_primary prints the node (1 or 2) the monitor has as primary.
if [ -z "${MB_HA_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "SKIP: the HA tests need root for network namespaces"; exit 77; }
  command -v pg_autoctl >/dev/null || { echo "SKIP: no pg_autoctl (pg-auto-failover-cli)"; exit 77; }
  # --kill-child: when ctest kills unshare, the test (PID 1 inside) dies,
  # and with it every process of the namespace
  exec unshare --net --mount --pid --fork --kill-child --mount-proc \
    env MB_HA_INNER=1 bash "$0" "$@"
fi

. "$(dirname "${BASH_SOURCE[0]}")/pg_lib.sh" # pg_tmp_base
HA_PG_BIN=${MB_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
HA_MON="postgres://autoctl_node@10.200.0.1:5431/pg_auto_failover?sslmode=disable"
HA_DIR=
HA_URI=
declare -A HA_HOLD # node -> pid of the process holding its network namespace

# ha_as CMD...: run as the PostgreSQL owner with pg_autoctl's state in HA_DIR
# (a connect timeout: psql would wait forever on a frozen node of the URI)
# (from HA_DIR: the caller's directory may be out of nobody's reach)
ha_as() {
  (cd "$HA_DIR" && runuser -u nobody -- env HOME="$HA_DIR" XDG_CONFIG_HOME="$HA_DIR/cfg" XDG_DATA_HOME="$HA_DIR/data" \
    XDG_RUNTIME_DIR="$HA_DIR/rt" PGHOST="$HA_DIR/sock" PGCONNECT_TIMEOUT=3 PATH="$HA_PG_BIN:$PATH" "$@")
}

# ha_in N CMD...: run CMD in node N's network namespace
ha_in() { local n=$1; shift; nsenter --net --target "${HA_HOLD[$n]}" "$@"; }

# Small instances (the machine is shared), unix sockets in HA_DIR, trust
# inside the namespaces only.  postgresql.auto.conf is read last, so these
# win over pg_auto_failover's own tuning (it sizes shared_buffers from RAM).
ha_small() {
  printf 'local all all trust\nhost all all 10.200.0.0/16 trust\nhost replication all 10.200.0.0/16 trust\n' >"$1/pg_hba.conf"
  cat >>"$1/postgresql.auto.conf" <<CONF
unix_socket_directories = '$HA_DIR/sock'
shared_buffers = '32MB'
work_mem = '4MB'
maintenance_work_mem = '16MB'
effective_cache_size = '128MB'
max_connections = 40
fsync = off
checkpoint_completion_target = 0
CONF
}

ha_net() { # set up the hub and the two node namespaces
  ip link set lo up
  ip addr add 10.200.0.1/32 dev lo
  sysctl -qw net.ipv4.ip_forward=1
  for i in 1 2; do
    unshare --net sleep infinity &
    HA_HOLD[$i]=$!
    wait_for 10 test -e "/proc/${HA_HOLD[$i]}/ns/net" || fail "netns $i"
    # the holder must have unshared before the veth moves into its netns
    wait_for 10 sh -c "[ \"\$(readlink /proc/${HA_HOLD[$i]}/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" || fail "netns $i"
    ip link add "h$i" type veth peer name "n$i" netns "${HA_HOLD[$i]}"
    ip addr add "10.200.$i.1/24" dev "h$i"
    ip link set "h$i" up
    ha_in "$i" sh -c "ip addr add 10.200.$i.2/24 dev n$i && ip link set n$i up && ip link set lo up && ip route add default via 10.200.$i.1"
  done
}

# ha_state: pg_autoctl show state (name | node | host:port | ... | reported | assigned)
ha_state() { ha_as pg_autoctl show state --monitor "$HA_MON" 2>/dev/null; }

# ha_node_state N: "reported assigned" of node N
ha_node_state() {
  ha_state | awk -F'|' -v n="node$1" '{gsub(/ /, "", $1)} $1 == n {gsub(/ /, "", $6); gsub(/ /, "", $7); print $6, $7}'
}

# ha_primary: the node the monitor has as primary (reported and assigned)
ha_primary() {
  local i
  for i in 1 2; do
    case "$(ha_node_state "$i")" in "primary primary" | "wait_primary wait_primary" | "single single") echo "$i"; return 0 ;; esac
  done
  return 1
}

ha_start_node() { # N
  local n=$1 port=$((5431 + $1))
  cd "$HA_DIR" && ha_in "$n" runuser -u nobody -- env HOME="$HA_DIR" XDG_CONFIG_HOME="$HA_DIR/cfg" XDG_DATA_HOME="$HA_DIR/data" \
    XDG_RUNTIME_DIR="$HA_DIR/rt" PGHOST="$HA_DIR/sock" \
    pg_autoctl create postgres --pgdata "$HA_DIR/n$n" --pgport "$port" --hostname "10.200.$n.2" \
    --name "node$n" --monitor "$HA_MON" --skip-pg-hba --no-ssl --pgctl "$HA_PG_BIN/pg_ctl" \
    --dbname meterbox --run >>"$HA_DIR/n$n.log" 2>&1 &
}

# ha_start: monitor, node1 as primary, node2 as its synchronous standby;
# sets HA_URI.  The monitor's health checks are tightened (defaults: 5 s
# period and timeout, 2 retries, unhealthy after 20 s) so that a failover
# takes seconds in a test, and so is the time the monitor gives a lost
# primary to demote itself before it promotes the standby (default 30 s;
# longer than the keepers' partition timeout, ha_keeper_timeouts);
# docs/operations-install.md has the defaults.
ha_start() {
  [ -n "$HA_PG_BIN" ] && [ -x "$HA_PG_BIN/initdb" ] || { echo "SKIP: no PostgreSQL server"; exit 77; }
  HA_DIR=$(mktemp -d "$(pg_tmp_base)/mbha.XXXXXX")
  mkdir -p "$HA_DIR/sock" "$HA_DIR/rt"
  chown -R nobody "$HA_DIR"
  chmod 755 "$HA_DIR"
  ha_net
  ha_as initdb -D "$HA_DIR/mon" -A trust -E UTF8 --locale=C -N >"$HA_DIR/initdb.log" 2>&1 || fail "initdb: $(cat "$HA_DIR/initdb.log")"
  ha_small "$HA_DIR/mon"
  cat >>"$HA_DIR/mon/postgresql.auto.conf" <<CONF
pgautofailover.health_check_period = 1000
pgautofailover.health_check_timeout = 1000
pgautofailover.health_check_max_retries = 1
pgautofailover.health_check_retry_delay = 500
pgautofailover.node_considered_unhealthy_timeout = 4000
pgautofailover.primary_demote_timeout = 8000
CONF
  ha_as pg_autoctl create monitor --pgdata "$HA_DIR/mon" --pgport 5431 --hostname 10.200.0.1 \
    --skip-pg-hba --no-ssl --pgctl "$HA_PG_BIN/pg_ctl" --run >"$HA_DIR/mon.log" 2>&1 &
  wait_for 60 ha_as psql -X -q -t -A "$HA_MON" -c "SELECT 1" >/dev/null 2>&1 || fail "monitor: $(tail -5 "$HA_DIR/mon.log")"
  # node1 from our own initdb (small settings); node2 is a base backup of it
  ha_as initdb -D "$HA_DIR/n1" -A trust -E UTF8 --locale=C -N >>"$HA_DIR/initdb.log" 2>&1 || fail "initdb n1"
  ha_small "$HA_DIR/n1"
  ha_start_node 1
  wait_for 90 ha_primary >/dev/null || fail "node1 never became primary: $(tail -5 "$HA_DIR/n1.log")"
  ha_start_node 2
  ha_wait_healthy 240 || fail "node2 never became the standby: $(ha_state; tail -5 "$HA_DIR/n2.log")"
  ha_keeper_timeouts
  HA_URI="$(ha_as pg_autoctl show uri --formation default --monitor "$HA_MON")&user=meterbox"
  case "$HA_URI" in postgres://*target_session_attrs=read-write*) ;; *) fail "formation uri: $HA_URI" ;; esac
  # the server's own role owns the database, as in production
  ha_psql_admin "CREATE ROLE meterbox LOGIN; ALTER DATABASE meterbox OWNER TO meterbox; ALTER SCHEMA public OWNER TO meterbox" >/dev/null \
    || fail "cannot create role meterbox"
}

# The keepers' partition detection (default 20 s: a primary that loses the
# monitor and its standby for that long stops taking writes) shortened in
# step with the monitor's checks.
ha_keeper_timeouts() {
  local i
  for i in 1 2; do
    ha_as pg_autoctl config set --pgdata "$HA_DIR/n$i" timeout.network_partition_timeout 6 >/dev/null 2>&1 || true
  done
}

# ha_wait_healthy SECONDS: a primary and a secondary, both as assigned
ha_wait_healthy() {
  healthy() {
    local s
    s=$(ha_state)
    grep -Eq '\| +primary +\| +primary *$' <<<"$s" && grep -Eq '\| +secondary +\| +secondary *$' <<<"$s"
  }
  wait_for "$1" healthy
}

# ha_psql_admin SQL: as the superuser, on whichever node is primary
ha_psql_admin() { ha_as psql -X -q -t -A -d "${HA_URI%&user=meterbox}" -c "$1"; }

# ha_sql SQL: as meterbox, on the primary (one row per line, columns by |)
ha_sql() { ha_as psql -X -q -t -A -d "${HA_SQL_URI:-$HA_URI}" -c "$1"; }

# ha_use N: ha_sql asks node N only, not the formation's URI, whose first
# host, frozen or cut off, would cost every call psql's connect timeout
ha_use() { HA_SQL_URI="postgres://10.200.$1.2:$((5431 + $1))/meterbox?sslmode=disable&user=meterbox"; }

# ha_node_pids N: every process of node N (its keeper and its postgres)
ha_node_pids() {
  local ns p
  ns=$(readlink "/proc/${HA_HOLD[$1]}/ns/net") || return 0
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" != "${HA_HOLD[$1]}" ] || continue
    [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
  done
  return 0
}

ha_signal() { # SIG N
  local pids
  pids=$(ha_node_pids "$2")
  [ -n "$pids" ] || fail "node$2 has no processes"
  # shellcheck disable=SC2086
  kill -"$1" $pids 2>/dev/null || true
}
ha_kill() { ha_signal KILL "$1"; }   # the whole node dies at once
ha_freeze() { ha_signal STOP "$1"; } # hung: sockets open, nothing answers
ha_thaw() { ha_signal CONT "$1"; }

# ha_cut N / ha_mend N: drop every packet to and from node N, and back
ha_cut() {
  tc qdisc replace dev "h$1" root pfifo limit 0
  ha_in "$1" tc qdisc replace dev "n$1" root pfifo limit 0
}
ha_mend() {
  tc qdisc del dev "h$1" root 2>/dev/null || true
  ha_in "$1" tc qdisc del dev "n$1" root 2>/dev/null || true
}

# ha_wait_primary N SECONDS: node N is primary
ha_wait_primary() {
  ha_is_primary() { [ "$(ha_primary)" = "$1" ]; }
  wait_for "$2" ha_is_primary "$1"
}

ha_stop() {
  local i p
  [ -n "$HA_DIR" ] || return 0
  for i in 1 2; do
    [ -n "${HA_HOLD[$i]:-}" ] || continue
    ha_mend "$i" 2>/dev/null || true
    for p in $(ha_node_pids "$i" || true); do
      kill -CONT "$p" 2>/dev/null || true
      kill -9 "$p" 2>/dev/null || true
    done
    kill -9 "${HA_HOLD[$i]}" 2>/dev/null || true
  done
  # the monitor: every process of nobody's in this test's own PID namespace
  # (unshare above) is one the test started
  for p in $(ps -u nobody -o pid=); do kill -9 "$p" 2>/dev/null || true; done
  sleep 0.5
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $HA_DIR"; else rm -rf "$HA_DIR"; fi
  HA_DIR=
}
