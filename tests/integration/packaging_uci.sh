#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# UCI as the source of the agent's configuration on OpenWrt: the package's
# generator (openwrt/files/meterbox-uci.sh) run by busybox ash over OpenWrt's
# UCI shell library reproduced in openwrt_functions.sh.
#   1. a UCI file with two buses and five meters (named and unnamed sections,
#      plugin options as lists, a disabled sixth meter) becomes a
#      configuration that meterbox-agent -t accepts, and --once reads exactly
#      those meters with their plugin options applied;
#   2. the zone comes from system.@system[0]: its zonename when the zone file
#      is there, its POSIX rule when not, agent.timezone over both;
#   3. a broken value is reported by its UCI option name: a wrong type, an
#      unknown option, a plugin option the plugin refuses, an item that is
#      not KEY=VALUE, a zone the agent does not know;
#   4. the shipped /etc/config/meterbox generates a configuration -t accepts.
. "$(dirname "$0")/lib.sh"
command -v busybox >/dev/null || fail "busybox (OpenWrt's shell) is not installed"
O="$MB_SRC/openwrt/files"
U="$T/uci"
mkdir -p "$U"
export UCI_CONFIG_DIR=$U

# gen OUT: run the generator as the init script does; its stderr to $T/gen.err.
gen() {
  busybox ash -c ". '$MB_SRC/tests/integration/openwrt_functions.sh'; . '$O/meterbox-uci.sh';
    meterbox_uci_generate '$1'" 2>"$T/gen.err"
}
# check CONF: meterbox-agent -t, its messages by UCI name into $T/check.
check() {
  local rc=0
  "$MB_AGENT" -t -c "$1" -P "$MB_PLUGIN_DIR" >"$T/t.out" 2>&1 || rc=$?
  busybox ash -c ". '$O/meterbox-uci.sh'; mb_uci_explain '$1'" <"$T/t.out" >"$T/check"
  return $rc
}

cat >"$U/system" <<'UCI'
config system
	option hostname 'gw-box2'
	option timezone 'CST-8'
	option zonename 'Asia/Shanghai'
	option ttylogin '0'

config timeserver 'ntp'
	list server '0.openwrt.pool.ntp.org'
UCI
cat >"$U/meterbox" <<'UCI'
config agent 'agent'
	option enabled '1'
	option verbose '0'

config gateway 'gateway'
	option id 'gw-box2'
	option region "110105"
	option upload_slot '17'

config server 'server'
	option url 'https://meterbox.example.com:8443'
	option token 'gw-0123456789'
	option interval 300
	option command_key '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'

config store 'store'
	option path '/tmp/meterbox-uci-test/agent.db'
	option commit_every '10'
	option commit_interval_ms '60000'
	option synchronous 'normal'

config policy 'policy'
	list no_cut_hours '18:00-22:00'
	list no_cut_hours '06:00-07:30'
	list no_cut_weekdays '6'
	list no_cut_weekdays '7'
	list holidays '2027-01-01'
	option close_by_arming 'yes'

config log 'log'
	option level 'notice'
	option syslog '0'

config bus 'sim_a'
	option name 'sim-a'
	option type 'none'
	option timeout_ms '1500'

config bus
	option name 'sim-b'
	option type 'none'

config meter 'm1'
	option name 'box2-m1'
	option plugin 'sim'
	option bus 'sim-a'
	option address '000000000101'
	option account '1100000101'
	option poll_interval '60'
	list options 'seed=11'
	list options 'start_wh=1000000'
	list options 'profile=flat'

config meter 'm2'
	option name 'box2-m2'
	option plugin 'sim'
	option bus 'sim-a'
	option address '000000000102'
	option account '1100000102'
	option poll_interval '0.5'
	list options 'phases=3'
	list options 'voltage_v=230'
	list options 'start_wh=2000000'

config meter
	option name 'box2-m3'
	option plugin 'sim'
	option bus 'sim-a'
	option address '000000000103'
	option account '1100000103'
	list options 'frequency_hz=60'
	list options 'start_wh=3000000'

config meter
	option name 'box2-m4'
	option plugin 'sim'
	option bus 'sim-b'
	option address '000000000104'
	option account "1100000104"
	option relay 'none'
	list options 'start_wh=4000000'

config meter 'm5'
	option name 'box2-m5'
	option plugin 'sim'
	option bus 'sim-b'
	option address '000000000105'
	option account '1100000105'
	option relay 'box2-m4'
	list options 'start_wh=5000000'
	list options 'seed=5'

config meter 'spare'
	option enabled '0'
	option name 'box2-spare'
	option plugin 'sim'
	option bus 'sim-b'
UCI
cp "$U/meterbox" "$T/meterbox.good"

# 1. Generate, check, read.
gen "$T/agent.conf" || fail "generator: $(cat "$T/gen.err")"
check "$T/agent.conf" || fail "meterbox-agent -t refuses the generated config: $(cat "$T/check")"$'\n'"$(cat "$T/agent.conf")"
grep -q '(2 buses, 5 meters)' "$T/t.out" || fail "-t does not count 2 buses and 5 meters: $(cat "$T/t.out")"
grep -q 'commit_every = 10;' "$T/agent.conf" && grep -q 'synchronous = "normal";' "$T/agent.conf" &&
  grep -q 'no_cut_hours = \[ "18:00-22:00", "06:00-07:30" \];' "$T/agent.conf" &&
  grep -q 'no_cut_weekdays = \[ 6, 7 \];' "$T/agent.conf" && grep -q 'close_by_arming = true;' "$T/agent.conf" &&
  grep -q 'region = "110105";' "$T/agent.conf" && grep -q 'upload_slot = 17;' "$T/agent.conf" ||
  fail "store, policy or gateway values not written as typed: $(cat "$T/agent.conf")"
"$MB_AGENT" --once -c "$T/agent.conf" -P "$MB_PLUGIN_DIR" >"$T/once.json" 2>"$T/once.err" ||
  fail "--once on the generated config: $(cat "$T/once.err")"
# jget METER EXPR: a Python expression over that meter's reading r.
jget() {
  python3 -c 'import json, sys
for r in map(json.loads, open(sys.argv[1])):
    if r["meter"] == sys.argv[2]: print(eval(sys.argv[3]))' "$T/once.json" "$1" "$2"
}
got=$(python3 -c 'import json, sys
for r in map(json.loads, sys.stdin): print("|".join(r[k] for k in ("meter", "plugin", "bus", "account", "address")))' \
  <"$T/once.json" | sort)
want="box2-m1|sim|sim-a|1100000101|000000000101
box2-m2|sim|sim-a|1100000102|000000000102
box2-m3|sim|sim-a|1100000103|000000000103
box2-m4|sim|sim-b|1100000104|000000000104
box2-m5|sim|sim-b|1100000105|000000000105"
[ "$got" = "$want" ] || fail "the meters read are not the UCI file's:"$'\n'"$got"$'\n'"want"$'\n'"$want"
# The plugin options reached the plugin: each meter's register starts at its
# start_wh, box2-m2 is three-phase at 230 V, box2-m3 runs at 60 Hz.
for m in 1 2 3 4 5; do
  wh=$(jget "box2-m$m" 'r["import_wh"]')
  [ "$wh" -ge "${m}000000" ] && [ "$wh" -lt "${m}001000" ] || fail "box2-m$m: import_wh $wh, not from start_wh=${m}000000"
done
[ "$(jget box2-m2 'len(r["voltage_mv"])')" = 3 ] || fail "box2-m2: phases=3 not applied"
v=$(jget box2-m2 'r["voltage_mv"][0]')
[ "$v" -gt 220000 ] && [ "$v" -lt 240000 ] || fail "box2-m2: voltage_v=230 not applied ($v mV)"
f=$(jget box2-m3 'r["freq_mhz"]')
[ "$f" -gt 59000 ] && [ "$f" -lt 61000 ] || fail "box2-m3: frequency_hz=60 not applied ($f mHz)"
pass "two buses, five meters (named and unnamed sections, one disabled left out): -t accepts, --once reads them with their plugin options"

# 2. The zone.
grep -qx 'timezone = "Asia/Shanghai"; # uci: system.@system\[0\].zonename' "$T/agent.conf" ||
  fail "the zone is not system.@system[0].zonename: $(grep timezone "$T/agent.conf")"
mkdir -p "$T/nozoneinfo"
MB_ZONEINFO_DIR=$T/nozoneinfo gen "$T/posix.conf" || fail "generator without zoneinfo: $(cat "$T/gen.err")"
grep -qx 'timezone = "CST-8"; # uci: system.@system\[0\].timezone' "$T/posix.conf" ||
  fail "without the zone file the POSIX rule is not used: $(grep timezone "$T/posix.conf")"
grep -q 'zoneinfo' "$T/gen.err" || fail "no word of the missing zone file: $(cat "$T/gen.err")"
check "$T/posix.conf" || fail "-t refuses the POSIX zone: $(cat "$T/check")"
sed -i "s/option verbose '0'/option verbose '0'\n\toption timezone 'Asia\/Urumqi'/" "$U/meterbox"
gen "$T/own.conf" || fail "generator: $(cat "$T/gen.err")"
grep -qx 'timezone = "Asia/Urumqi"; # uci: meterbox.agent.timezone' "$T/own.conf" ||
  fail "agent.timezone does not override the system's zone: $(grep timezone "$T/own.conf")"
cp "$T/meterbox.good" "$U/meterbox"
pass "zone: system zonename, its POSIX rule without zoneinfo, meterbox.agent.timezone over both"

# 3. Broken values, reported by UCI name.  expect_error EDIT MESSAGE: apply
# the sed EDIT to the good file; -t (or the generator) must say MESSAGE.
expect_error() {
  cp "$T/meterbox.good" "$U/meterbox"
  sed -i "$1" "$U/meterbox"
  : >"$T/check"
  if gen "$T/bad.conf" && check "$T/bad.conf"; then
    fail "accepted after '$1'"
  fi
  cat "$T/gen.err" >>"$T/check" 2>/dev/null || true
  grep -qF -- "$2" "$T/check" || fail "after '$1' want '$2', got: $(cat "$T/check")"
  [ -z "${VERBOSE:-}" ] || cat "$T/check"
  ! grep -q "$T/bad.conf:[0-9]" "$T/check" || fail "an error left as FILE:LINE: $(cat "$T/check")"
}
expect_error "s/option poll_interval '0.5'/option poll_interval 'half'/" \
  "meterbox.m2.poll_interval: 'poll_interval' must be a number, not string"
expect_error "s/option commit_every '10'/option commit_every '0'/" \
  "meterbox.store.commit_every: 'commit_every' = 0 is out of range"
expect_error "s/option relay 'box2-m4'/option relais 'box2-m4'/" \
  "meterbox.m5.relais: meter: unknown key 'relais'"
expect_error "s/list options 'frequency_hz=60'/list options 'frequency_hz=55'/" \
  "meterbox.@meter[2].options 'frequency_hz=55': "
expect_error "s/list options 'seed=5'/list options 'seed'/" \
  "meterbox.m5.options: 'seed' is not KEY=VALUE"
expect_error "s/option bus 'sim-b'/option bus 'sim-c'/" \
  "meterbox.@meter[3].bus: meter 'box2-m4': no bus named 'sim-c'"
expect_error "s/option close_by_arming 'yes'/option close_by_arming 'maybe'/" \
  "meterbox.policy.close_by_arming: "
cp "$T/meterbox.good" "$U/meterbox"
cp "$U/system" "$T/system.good"
sed -i "s|option zonename 'Asia/Shanghai'|option zonename 'Asia/Nowhere'|; /option timezone 'CST-8'/d" "$U/system"
gen "$T/bad.conf" || fail "generator: $(cat "$T/gen.err")"
! check "$T/bad.conf" || fail "an unknown system zone accepted"
grep -q '^system.@system\[0\].zonename: unknown time zone "Asia/Nowhere"' "$T/check" ||
  fail "an unknown zone is not reported as system.@system[0].zonename: $(cat "$T/check")"
pass "broken values reported by UCI name: wrong type, out of range, unknown option, plugin option, not KEY=VALUE, unknown bus, bad boolean, unknown zone"

# 4. The shipped UCI file.
cp "$T/system.good" "$U/system"
cp "$O/meterbox.config" "$U/meterbox"
gen "$T/shipped.conf" || fail "generator on the shipped UCI file: $(cat "$T/gen.err")"
check "$T/shipped.conf" || fail "-t refuses what the shipped UCI file generates: $(cat "$T/check")"
grep -q 'path = "/etc/meterbox/state/agent.db";' "$T/shipped.conf" || fail "the shipped store is not in /etc/meterbox/state"
! grep -q '^server' "$T/shipped.conf" || fail "the shipped (disabled) server section was written"
pass "the shipped /etc/config/meterbox: $(grep -o '([0-9]* bus[a-z]*, [0-9]* meters)' "$T/t.out")"
