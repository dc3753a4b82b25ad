#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The OpenWrt package (openwrt/) follows the packages feed's conventions and
# really packages what CMake installs:
#   1. the Makefile has the feed's fields and includes, a define, DEPENDS and
#      a BuildPackage line for the agent and for every plugin in plugins/;
#   2. GNU make evaluates it against stand-ins for rules.mk, package.mk and
#      cmake.mk, printing each package's DEPENDS and CMAKE_OPTIONS, and the
#      DEPENDS cover every library each packaged file links (readelf);
#   3. the tree is configured as OpenWrt's cmake.mk does (prefix /usr, the
#      Makefile's CMAKE_OPTIONS), built, installed to a PKG_INSTALL_DIR, and
#      each Package/.../install recipe is run: every file it copies exists,
#      the conffiles are in the package, the store moves to /etc/meterbox/state
#      and the packaged agent accepts the packaged config with the packaged
#      sim plugin (-t);
#   4. the procd init script passes `sh -n` (busybox ash when present) and,
#      run with stand-ins for procd and UCI, starts the agent with -f, respawn,
#      stderr to the log and a file trigger, and `reload` refuses a bad config.
#   MB_BUILD  the build tree (its openwrt-check/ subdirectory is reused)
. "$(dirname "$0")/lib.sh"
: "${MB_BUILD:?MB_BUILD (the build tree) is not set}"
O="$MB_SRC/openwrt"
mk="$O/Makefile"

# 1. Fields and structure.
[ "$(grep -v '^#' "$mk" | grep -v '^\s*$' | head -1)" = 'include $(TOPDIR)/rules.mk' ] ||
  fail "the Makefile does not start with include \$(TOPDIR)/rules.mk"
version=$(sed -n 's/^project(meterbox VERSION \([0-9.]*\).*/\1/p' "$MB_SRC/CMakeLists.txt")
grep -qx "PKG_VERSION:=$version" "$mk" || fail "PKG_VERSION is not the project version $version"
for field in PKG_NAME PKG_RELEASE PKG_LICENSE PKG_MAINTAINER PKG_SOURCE PKG_SOURCE_URL PKG_HASH; do
  grep -q "^$field:=." "$mk" || fail "no $field"
done
grep -qx 'PKG_RELEASE:=[0-9][0-9]*' "$mk" || fail "PKG_RELEASE is not a number"
inc_pkg=$(grep -n '^include $(INCLUDE_DIR)/package.mk$' "$mk" | cut -d: -f1)
inc_cmake=$(grep -n '^include $(INCLUDE_DIR)/cmake.mk$' "$mk" | cut -d: -f1)
[ -n "$inc_pkg" ] && [ -n "$inc_cmake" ] && [ "$inc_pkg" -lt "$inc_cmake" ] ||
  fail "want include \$(INCLUDE_DIR)/package.mk, then cmake.mk"
plugins=$(cd "$MB_SRC/plugins" && ls -d */ | tr -d / | grep -vx example)
packages="meterbox-agent $(printf 'meterbox-mod-%s ' $plugins)"
for p in $packages; do
  grep -qx "define Package/$p" "$mk" || fail "no define Package/$p"
  grep -qx "define Package/$p/install" "$mk" || fail "no define Package/$p/install"
  grep -qxF "\$(eval \$(call BuildPackage,$p))" "$mk" || fail "no \$(eval \$(call BuildPackage,$p))"
done
[ "$(grep -c '^$(eval $(call BuildPackage,' "$mk")" -eq "$(echo $packages | wc -w)" ] ||
  fail "BuildPackage lines for packages that do not exist"
grep -qx 'define Package/meterbox-agent/conffiles' "$mk" || fail "no conffiles for meterbox-agent"
pass "Makefile: feed fields, package.mk + cmake.mk, define/install/BuildPackage for $(echo $packages)"

# 2. Evaluate it.  The stand-ins define what the Makefile uses.
W="$T/openwrt"
mkdir -p "$W/include"
cp -r "$O" "$W/pkg"
cat >"$W/rules.mk" <<'MK'
INCLUDE_DIR:=$(TOPDIR)/include
INSTALL_DIR:=install -d -m0755
INSTALL_BIN:=install -m0755
INSTALL_DATA:=install -m0644
INSTALL_CONF:=install -m0600
CP:=cp -fpR
SED:=sed -i -e
MK
cat >"$W/include/cmake.mk" <<'MK'
CMAKE_OPTIONS:=
MK
cat >"$W/include/package.mk" <<'MK'
PACKAGES:=
define BuildPackage
  PACKAGES += $(1)
  DEPENDS:=
  $$(eval $$(Package/$(1)))
  DEPENDS_$(1):=$$(DEPENDS)
  SECTION_$(1):=$$(SECTION)
  TITLE_$(1):=$$(TITLE)
endef
show:
	@$(foreach p,$(PACKAGES),echo 'package $(p) | $(SECTION_$(p)) | $(strip $(DEPENDS_$(p))) | $(TITLE_$(p))';)
	@echo 'cmake $(strip $(CMAKE_OPTIONS))'
	$(file >$(DEST)/conffiles,$(Package/meterbox-agent/conffiles))
install-%:
	$(call Package/$*/install,$(DEST)/$*)
install-dev:
	$(call Build/InstallDev,$(DEST)/dev)
MK
mkdir -p "$T/pkgs"
make -s -C "$W/pkg" TOPDIR="$W" DEST="$T/pkgs" show >"$T/show" 2>&1 || fail "make: $(cat "$T/show")"
deps() { sed -n "s/^package $1 | [^|]* | \([^|]*\) |.*/\1/p" "$T/show"; }
for p in $packages; do
  grep -q "^package $p | utils | " "$T/show" || fail "$p: not built, or SECTION is not utils: $(cat "$T/show")"
done
for p in $plugins; do
  [[ " $(deps meterbox-mod-$p) " == *" +meterbox-agent "* ]] || fail "meterbox-mod-$p does not depend on the agent"
done
cmake_opts=$(sed -n 's/^cmake //p' "$T/show")
[[ " $cmake_opts " == *" -DMB_BUILD_SERVER=OFF "* ]] || fail "CMAKE_OPTIONS lack -DMB_BUILD_SERVER=OFF"
pass "make evaluates it: $(echo $packages | wc -w) packages, SECTION utils, plugins depend on the agent"

# 3. Configure, build and install as cmake.mk would, then run the recipes.
B="$MB_BUILD/openwrt-check"
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
# shellcheck disable=SC2086
cmake -S "$MB_SRC" -B "$B" "${gen[@]}" -DCMAKE_BUILD_TYPE=MinSizeRel -DCMAKE_INSTALL_PREFIX=/usr \
  $cmake_opts >"$T/cmake.log" 2>&1 || fail "cmake: $(tail -20 "$T/cmake.log")"
cmake --build "$B" -j "$(nproc)" >"$T/build.log" 2>&1 || fail "build: $(tail -20 "$T/build.log")"
rm -rf "$T/ipkg-install"
DESTDIR="$T/ipkg-install" cmake --install "$B" >"$T/install.log" 2>&1 ||
  fail "cmake --install: $(tail -5 "$T/install.log")"
for p in $packages dev; do
  make -s -C "$W/pkg" TOPDIR="$W" DEST="$T/pkgs" PKG_INSTALL_DIR="$T/ipkg-install" "install-$p" \
    >"$T/recipe.log" 2>&1 || fail "Package/$p/install: $(cat "$T/recipe.log")"
done
A="$T/pkgs/meterbox-agent"
mode() { stat -c %a "$1"; }
[ "$(mode "$A/usr/sbin/meterbox-agent")" = 755 ] || fail "agent binary not executable"
[ "$(mode "$A/etc/init.d/meterbox-agent")" = 755 ] || fail "init script not executable"
[ "$(mode "$A/etc/meterbox/agent.conf")" = 600 ] || fail "agent.conf (it holds the server token) is not 0600"
[ -d "$A/etc/meterbox/state" ] || fail "no /etc/meterbox/state"
grep -q 'path = "/etc/meterbox/state/agent.db";' "$A/etc/meterbox/agent.conf" ||
  fail "the packaged agent.conf does not keep the store in /etc/meterbox/state"
! grep -q '/var/lib' "$A/etc/meterbox/agent.conf" || fail "the packaged agent.conf still names /var/lib"
grep -qx '/etc/meterbox/state/' "$A/lib/upgrade/keep.d/meterbox-agent" || fail "state not kept over sysupgrade"
while read -r f; do
  [ -z "$f" ] || [ -f "$A$f" ] || fail "conffile $f is not in meterbox-agent"
done <"$T/pkgs/conffiles"
for p in $plugins; do
  [ -f "$T/pkgs/meterbox-mod-$p/usr/lib/meterbox/plugins/$p.so" ] || fail "meterbox-mod-$p has no $p.so"
done
[ -f "$T/pkgs/dev/usr/include/meterbox/plugin.h" ] && [ -f "$T/pkgs/dev/usr/lib/pkgconfig/meterbox-plugin.pc" ] ||
  fail "Build/InstallDev does not stage the SDK"
# DEPENDS covers every library each packaged file links (readelf NEEDED),
# by the OpenWrt package that ships it; the C library needs none (musl's,
# OpenWrt's, is plain libc.so).
owrt_pkg() {
  case "$1" in
  libc.so | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | ld-*) echo - ;;
  libconfig.so.*) echo libconfig ;;
  libsqlite3.so.*) echo libsqlite3 ;;
  libjson-c.so.*) echo libjson-c ;;
  libcurl.so.*) echo libcurl ;;
  libnettle.so.* | libhogweed.so.*) echo libnettle ;;
  libmodbus.so.*) echo libmodbus ;;
  libgpiod.so.*) echo libgpiod ;;
  libatomic.so.*) echo libatomic ;;
  *) echo "?" ;;
  esac
}
check_needed() { # PACKAGE FILE
  local lib pkg
  for lib in $(readelf -d "$2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    pkg=$(owrt_pkg "$lib")
    [ "$pkg" != "?" ] || fail "$1 links $lib: add its OpenWrt package to DEPENDS (and to owrt_pkg here)"
    [ "$pkg" = - ] || [[ " $(deps "$1") " == *" +$pkg "* ]] || fail "$1 links $lib but lacks DEPENDS +$pkg"
  done
}
check_needed meterbox-agent "$A/usr/sbin/meterbox-agent"
for p in $plugins; do
  check_needed "meterbox-mod-$p" "$T/pkgs/meterbox-mod-$p/usr/lib/meterbox/plugins/$p.so"
done
pass "DEPENDS cover what each package links: agent $(deps meterbox-agent | tr ' ' ','); modbus $(deps meterbox-mod-modbus | tr ' ' ','); gpio $(deps meterbox-mod-gpio | tr ' ' ',')"
help=$("$A/usr/sbin/meterbox-agent" --help)
grep -q '(default /etc/meterbox/agent.conf)' <<<"$help" || fail "agent's default config is not /etc/meterbox/agent.conf"
grep -q '(default /usr/lib/meterbox/plugins)' <<<"$help" || fail "agent's plugin dir is not /usr/lib/meterbox/plugins"
"$A/usr/sbin/meterbox-agent" -t -c "$A/etc/meterbox/agent.conf" \
  -P "$T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins" >"$T/t.log" 2>&1 ||
  fail "packaged agent -t on the packaged config: $(cat "$T/t.log")"
pass "install recipes: $(cd "$T/pkgs" && find . -type f | wc -l) files; store in /etc/meterbox/state; conffiles present; -t ok"

# 4. The init script.
init="$O/files/meterbox-agent.init"
[ "$(head -1 "$init")" = '#!/bin/sh /etc/rc.common' ] || fail "init script: not an rc.common script"
grep -qx 'USE_PROCD=1' "$init" || fail "init script: USE_PROCD=1 missing"
shells=(sh)
command -v busybox >/dev/null && shells=("busybox sh" sh)
for s in "${shells[@]}"; do
  $s -n "$init" || fail "$s -n $init"
done
cp "$O/files/meterbox.config" "$T/uci"
cat >"$T/stubs.sh" <<'SH'
# Stand-ins for /etc/rc.common, procd.sh and UCI's functions.sh.
uci_get() { sed -n "s/^[[:space:]]*option $1 '\(.*\)'\$/\1/p" "$UCI"; }
config_load() { :; }
config_get() { v=$(uci_get "$3"); eval "$1=\${v:-\$4}"; }
config_get_bool() {
	v=$(uci_get "$3"); v=${v:-$4}
	case "$v" in 1|on|true|yes|enabled) v=1 ;; *) v=0 ;; esac
	eval "$1=$v"
}
procd_open_instance() { echo "open_instance"; }
procd_set_param() { echo "set $*"; }
procd_append_param() { echo "append $*"; }
procd_close_instance() { echo "close_instance"; }
procd_add_reload_trigger() { echo "reload_trigger $*"; }
logger() { echo "logger $*"; }
start() { echo "start"; }
SH
# run_init FUNCTION [PROG]: source the init script with the stand-ins in a
# shell of its own and call FUNCTION, with PROG (the packaged agent, whose
# plugins then come from the sim package) instead of /usr/sbin/meterbox-agent.
run_init() {
  UCI="$T/uci" MB_PLUGIN_DIR="$T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins" \
    ${shells[0]} -c ". '$T/stubs.sh'; . '$init'; ${2:+PROG='$2';} $1"
}
out=$(run_init start_service)
grep -qx 'set command /usr/sbin/meterbox-agent -f -c /etc/meterbox/agent.conf' <<<"$out" ||
  fail "start_service: not -f -c /etc/meterbox/agent.conf: $out"
grep -qx 'set file /etc/meterbox/agent.conf' <<<"$out" || fail "start_service: no file trigger on the config"
grep -q '^set respawn ' <<<"$out" || fail "start_service: no respawn"
grep -qx 'set stderr 1' <<<"$out" || fail "start_service: stderr not to the log"
grep -qx 'reload_trigger meterbox' <<<"$(run_init service_triggers)" || fail "no reload trigger for /etc/config/meterbox"
sed -i "s/option enabled '1'/option enabled '0'/" "$T/uci"
[ -z "$(run_init start_service)" ] || fail "start_service starts the agent although enabled is 0"
sed -i "s/option enabled '0'/option enabled '1'/" "$T/uci"
pass "init script: sh -n (${shells[*]}); -f, respawn, stderr, file and reload triggers, enabled honoured"

cp "$A/etc/meterbox/agent.conf" "$T/good.conf"
sed -i "s|option config '.*'|option config '$T/good.conf'|" "$T/uci"
agent_bin="$A/usr/sbin/meterbox-agent"
out=$(run_init reload_service "$agent_bin" 2>&1) || fail "reload with a good config failed: $out"
[ "$out" = start ] || fail "reload with a good config does not (re)start through procd: $out"
printf 'gateway = { id = "x" };\nbogus = 1;\n' >"$T/bad.conf"
sed -i "s|option config '.*'|option config '$T/bad.conf'|" "$T/uci"
out=$(run_init reload_service "$agent_bin" 2>&1) && fail "reload with a bad config succeeded: $out"
grep -q "bad.conf:2" <<<"$out" || fail "reload does not show the config error: $out"
! grep -qx start <<<"$out" || fail "reload with a bad config restarted the agent"
pass "reload: a good config restarts through procd, a bad one is refused with its errors"
