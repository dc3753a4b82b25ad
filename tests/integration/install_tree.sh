#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` into a staging directory (DESTDIR) puts every file where
# the build's prefix says and where the programs look for it; the example
# plugin then builds out of tree against the staged SDK alone (pkg-config,
# with the staging directory as its sysroot), and the staged agent loads it
# (-t) and reads a meter through it (--once).
# Set by tests/integration/integration.cmake:
#   MB_BUILD    the build tree
#   MB_I_*      its install directories (CMAKE_INSTALL_PREFIX, _FULL_SBINDIR, ...)
. "$(dirname "$0")/lib.sh"
: "${MB_BUILD:?MB_BUILD (the build tree) is not set}" "${MB_I_MANDIR:?MB_I_* are not set}"

S="$T/stage"
DESTDIR="$S" cmake --install "$MB_BUILD" >"$T/install.log" 2>&1 ||
  fail "cmake --install failed: $(tail -5 "$T/install.log")"

# cache VAR: a variable of the build's CMakeCache.txt.
cache() { sed -n "s/^$1:[A-Z]*=//p" "$MB_BUILD/CMakeCache.txt"; }
# dir VAR: an MB_* directory of systemd/CMakeLists.txt, absolute.
dir() {
  local v
  v=$(cache "$1")
  case "$v" in /*) echo "$v" ;; *) echo "$prefix/$v" ;; esac
}
# The GNUInstallDirs directories (CMAKE_INSTALL_FULL_*) come from ctest.
prefix=$MB_I_PREFIX sbindir=$MB_I_SBINDIR bindir=$MB_I_BINDIR libdir=$MB_I_LIBDIR
includedir=$MB_I_INCLUDEDIR sysconfdir=$MB_I_SYSCONFDIR mandir=$MB_I_MANDIR datadir=$MB_I_DATADIR
unitdir=$(dir MB_SYSTEMD_UNIT_DIR)
# GNUInstallDirs maps prefix /usr to /etc only in the _FULL_ variables.
if [ "$sysconfdir" != "$prefix/etc" ] && [ -e "$S$prefix/etc" ]; then
  fail "configs in $prefix/etc, the agent reads $sysconfdir: $(cd "$S" && find ".$prefix/etc" -type f)"
fi

need() { # need MODES PATH...: each staged file exists, its mode one of MODES (644|755)
  local modes=$1 f
  shift
  for f in "$@"; do
    [ -f "$S$f" ] || fail "not installed: $f"
    [[ "|$modes|" == *"|$(stat -c %a "$S$f")|"* ]] || fail "$f has mode $(stat -c %a "$S$f"), want $modes"
  done
}

agent="$sbindir/meterbox-agent"
need 755 "$agent" "$bindir/meterboxctl"
# The paths compiled into the agent are the installed ones.
help=$("$S$agent" --help)
conf_default=$(sed -n 's/.*configuration file (default \(.*\))$/\1/p' <<<"$help")
plugin_default=$(sed -n 's/.*colon-separated (default \(.*\))$/\1/p' <<<"$help")
[ "$conf_default" = "$sysconfdir/meterbox/agent.conf" ] ||
  fail "agent looks for $conf_default, the config is installed as $sysconfdir/meterbox/agent.conf"
[ "$plugin_default" = "$libdir/meterbox/plugins" ] ||
  fail "agent looks for plugins in $plugin_default, they go to $libdir/meterbox/plugins"
pass "binaries installed; the agent's compiled-in paths match the tree ($prefix)"

# Every plugin the build made, and nothing else, in the plugin directory.
built=$(cd "$MB_PLUGIN_DIR" && printf '%s\n' *.so | sort)
staged=$(cd "$S$plugin_default" && printf '%s\n' *.so | sort)
[ "$built" = "$staged" ] || fail "plugins built: $built; installed: $staged"
# 644 on Debian, whose CMake installs shared objects without x (policy 8.1).
for p in $staged; do need '644|755' "$plugin_default/$p"; done
pass "plugins in $plugin_default: $(echo $staged)"

need 644 "$sysconfdir/meterbox/agent.conf"
cmp -s "$MB_SRC/etc/agent.conf" "$S$sysconfdir/meterbox/agent.conf" || fail "agent.conf differs from etc/agent.conf"
for t in "$MB_SRC"/etc/tariffs/*.conf; do need 644 "$sysconfdir/meterbox/tariffs/$(basename "$t")"; done
if [ -x "$MB_BUILD/server/meterbox-server" ]; then
  need 755 "$sbindir/meterbox-server"
  need 644 "$sysconfdir/meterbox/server.conf" "$unitdir/meterbox-server.service"
  if [ -d "$MB_SRC/server/dash/www" ]; then
    [ -d "$S$datadir/meterbox/www" ] || fail "dashboard assets not in $datadir/meterbox/www"
  fi
fi
pass "example configs in $sysconfdir/meterbox (agent.conf, tariffs/)"

for h in "$MB_SRC"/include/meterbox/*.h; do need 644 "$includedir/meterbox/$(basename "$h")"; done
pc="$libdir/pkgconfig/meterbox-plugin.pc"
need 644 "$pc"
pass "SDK headers in $includedir/meterbox, $pc"

need 644 "$unitdir/meterbox-agent.service" "$(dir MB_SYSUSERS_DIR)/meterbox.conf" \
  "$(dir MB_UDEV_RULES_DIR)/60-meterbox-gpio.rules"
grep -q "^ExecStart=$agent -f -c $sysconfdir/meterbox/agent.conf\$" "$S$unitdir/meterbox-agent.service" ||
  fail "the agent unit does not start $agent with $sysconfdir/meterbox/agent.conf"
need 644 "$mandir/man1/meterboxctl.1" "$mandir/man5/meterbox-agent.conf.5" \
  "$mandir/man5/meterbox-server.conf.5" "$mandir/man5/meterbox-tariff.5" \
  "$mandir/man8/meterbox-agent.8" "$mandir/man8/meterbox-server.8"
pass "systemd unit, sysusers.d, udev rule in place; man pages in $mandir"

# Nothing outside the prefix but the configs (and absolute MB_* directories).
stray=$(cd "$S" && find . -type f | sed 's|^\.||' |
  grep -v -e "^$prefix/" -e "^$sysconfdir/" -e "^$unitdir/" -e "^$(dir MB_SYSUSERS_DIR)/" \
    -e "^$(dir MB_UDEV_RULES_DIR)/" || true)
[ -z "$stray" ] || fail "installed outside $prefix: $stray"
pass "nothing installed outside $prefix and $sysconfdir"

# The example plugin, out of tree, against the staged SDK only.  The staging
# directory is pkg-config's sysroot, as for a cross build: -I and pluginsdir
# come back prefixed with it.
mkdir -p "$T/src"
cp "$MB_SRC/plugins/example/example.c" "$MB_SRC/plugins/example/Makefile" "$T/src/"
export PKG_CONFIG_PATH="$S$libdir/pkgconfig" PKG_CONFIG_LIBDIR="$S$libdir/pkgconfig" \
  PKG_CONFIG_SYSROOT_DIR="$S"
[ "$(pkg-config --variable=pluginsdir meterbox-plugin)" = "$S$plugin_default" ] ||
  fail "pluginsdir in the .pc is not the agent's plugin directory"
make -s -C "$T/src" CFLAGS='-O2 -Werror' >"$T/make.log" 2>&1 || fail "example plugin: $(cat "$T/make.log")"
make -s -C "$T/src" install PLUGINSDIR="$T/vendor" >>"$T/make.log" 2>&1 ||
  fail "example install: $(cat "$T/make.log")"
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR
[ -f "$T/vendor/example.so" ] || fail "example.so not built"
pass "example plugin built out of tree against the staged SDK"

echo 1234 >"$T/register"
cat >"$T/agent.conf" <<CONF
gateway = { id = "gw-install"; };
store = { path = "$T/agent.db"; };
buses = ( { name = "b0"; type = "none"; } );
meters = ( { name = "ex1"; plugin = "example"; bus = "b0"; address = "1";
             options = { file = "$T/register"; scale = 10; }; } );
CONF
# Only the vendor directory on the plugin path: the in-tree example.so
# (the project version) is not in reach; the out-of-tree one says 1.0.0.
"$S$agent" -t -v -c "$T/agent.conf" -P "$T/vendor" >"$T/t.log" 2>&1 ||
  fail "staged agent -t with the out-of-tree plugin: $(cat "$T/t.log")"
grep -q 'example plugin 1.0.0 loaded' "$T/t.log" || fail "not the out-of-tree plugin: $(cat "$T/t.log")"
out=$("$S$agent" --once -c "$T/agent.conf" -P "$T/vendor" 2>"$T/once.log") ||
  fail "staged agent --once: $(cat "$T/once.log")"
grep -q '"import_wh":12340' <<<"$out" || fail "want import_wh 12340, got: $out"
pass "the staged agent loads it (-t) and reads through it (--once)"
