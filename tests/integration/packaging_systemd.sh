#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The systemd units (systemd/*.service.in, configured into the build tree)
# pass `systemd-analyze verify` without a single warning, keep their
# sandboxing (`systemd-analyze security --offline` exposure at most 3.0) and
# carry what STYLE.md habit 11 asks for.  verify needs the ExecStart binary
# to exist: the test copies point at the built agent and server (/bin/true
# while the server is not built) and the man pages of Documentation= are
# found through MANPATH in docs/man.
#   MB_BUILD  the build tree (set by tests/integration/integration.cmake)
. "$(dirname "$0")/lib.sh"
: "${MB_BUILD:?MB_BUILD (the build tree) is not set}"
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (Debian package systemd)"

# Man pages where man(1) finds them: MANPATH/manN/PAGE.N.
for page in "$MB_SRC"/docs/man/*.[158]; do
  mkdir -p "$T/man/man${page##*.}"
  cp "$page" "$T/man/man${page##*.}/"
done
export MANPATH="$T/man"

server="$MB_BUILD/server/meterbox-server"
[ -x "$server" ] || server=/bin/true
mkdir -p "$T/units"
sed "s|^ExecStart=[^ ]*/meterbox-agent |ExecStart=$MB_AGENT |" \
  "$MB_BUILD/systemd/meterbox-agent.service" >"$T/units/meterbox-agent.service"
sed "s|^ExecStart=[^ ]*/meterbox-server |ExecStart=$server |" \
  "$MB_BUILD/systemd/meterbox-server.service" >"$T/units/meterbox-server.service"

# verify UNIT-FILE: exit 0 and nothing said (it exits 0 on mere warnings).
verify() {
  local rc=0
  systemd-analyze verify "$1" >"$T/verify.log" 2>&1 || rc=$?
  [ $rc -eq 0 ] && [ ! -s "$T/verify.log" ] || fail "systemd-analyze verify $(basename "$1") (exit $rc): $(cat "$T/verify.log")"
}

# The checker itself: a unit with an unknown key and a bad DeviceAllow fails.
sed 's/^WatchdogSec=.*/&\nWatchDogSec=30\nDeviceAllow=ttyS rw/' "$T/units/meterbox-agent.service" \
  >"$T/meterbox-agent.service"
if (verify "$T/meterbox-agent.service") 2>/dev/null; then
  fail "verify accepted a unit with an unknown key"
fi
pass "a broken unit is caught"

for u in meterbox-agent meterbox-server; do
  f="$T/units/$u.service"
  verify "$f"
  pass "systemd-analyze verify $u.service (ExecStart $(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$f"))"

  for want in 'Type=notify' 'WatchdogSec=[1-9][0-9]*' 'Restart=on-failure' 'StateDirectory=meterbox' \
    'ProtectSystem=strict' 'DevicePolicy=closed' 'NoNewPrivileges=yes' 'User=meterbox'; do
    grep -qx "$want" "$f" || fail "$u.service lacks $want"
  done
  grep -q "^ExecStart=[^ ]* -f -c /.*/meterbox/${u#meterbox-}.conf\$" "$f" ||
    fail "$u.service does not run in the foreground with its config"

  systemd-analyze security --offline=true --threshold=30 "$f" >"$T/security.log" 2>&1 ||
    fail "$u.service: exposure above 3.0: $(grep 'Overall' "$T/security.log")"
  pass "$u.service: $(grep -o 'Overall exposure level.*' "$T/security.log")"
done

# The agent reaches serial lines and GPIO chips, and nothing else.
for dev in char-ttyS char-ttyUSB char-ttyACM char-ttyAMA char-gpiochip; do
  grep -qx "DeviceAllow=$dev rw" "$T/units/meterbox-agent.service" || fail "agent unit: no DeviceAllow=$dev rw"
done
grep -qx 'PrivateDevices=yes' "$T/units/meterbox-server.service" || fail "server unit: devices not private"
pass "agent: DeviceAllow serial and GPIO; server: PrivateDevices"
