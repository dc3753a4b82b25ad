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
#      the conffiles are in the package, and the UCI generator ships;
#   4. the procd init script passes `sh -n` under busybox ash and, run with
#      OpenWrt's UCI library (openwrt_functions.sh) and stand-ins for procd,
#      writes the configuration from the packaged UCI file, which the packaged
#      agent accepts with the packaged sim plugin, and starts the agent with
#      -f, respawn, stderr to the log and a file trigger, as user meterbox in
#      a jail that shows it its config, plugins, zone files, store directory
#      (read-write), serial devices and GPIO chips; alt_config_file is used
#      as it is; `reload` refuses a bad UCI value by its UCI name and keeps
#      the running configuration.
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
# A folder that builds a plugin (mb_add_plugin), not yet a codec alone.
plugins=$(cd "$MB_SRC/plugins" && grep -l "^ *mb_add_plugin(" */CMakeLists.txt | cut -d/ -f1 | grep -vx example)
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
# The agent refuses a zone without its file: the package brings the zone
# data of the region the project's configuration names (Asia/Shanghai).
zone=$(sed -n 's/^timezone = "\([^"]*\)";.*/\1/p' "$MB_SRC/etc/agent.conf")
region=$(echo "${zone%%/*}" | tr '[:upper:]' '[:lower:]')
[[ " $(deps meterbox-agent) " == *" +zoneinfo-$region "* ]] ||
  fail "meterbox-agent does not depend on zoneinfo-$region (zone $zone): $(deps meterbox-agent)"
pass "make evaluates it: $(echo $packages | wc -w) packages, SECTION utils, plugins depend on the agent, the agent on zoneinfo-$region"

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
[ "$(mode "$A/etc/config/meterbox")" = 600 ] || fail "/etc/config/meterbox (it holds the server token) is not 0600"
[ -f "$A/usr/share/meterbox/uci.sh" ] || fail "the UCI generator /usr/share/meterbox/uci.sh is not packaged"
[ -d "$A/etc/meterbox/state" ] || fail "no /etc/meterbox/state"
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
# The init script's file, generated from UCI or linked to alt_config_file:
# `meterbox-agent status` on the gateway needs no -c.
grep -q '(default /var/etc/meterbox/agent.conf)' <<<"$help" || fail "agent's default config is not /var/etc/meterbox/agent.conf"
grep -q '(default /usr/lib/meterbox/plugins)' <<<"$help" || fail "agent's plugin dir is not /usr/lib/meterbox/plugins"
pass "install recipes: $(cd "$T/pkgs" && find . -type f | wc -l) files; store in /etc/meterbox/state; conffiles present"

# 4. The init script.
init="$O/files/meterbox-agent.init"
[ "$(head -1 "$init")" = '#!/bin/sh /etc/rc.common' ] || fail "init script: not an rc.common script"
grep -qx 'USE_PROCD=1' "$init" || fail "init script: USE_PROCD=1 missing"
command -v busybox >/dev/null || fail "busybox (OpenWrt's shell) is not installed"
for f in "$init" "$O/files/meterbox-uci.sh"; do
  busybox ash -n "$f" || fail "busybox ash -n $f"
done
# The device run: a root with the package's files, UCI in $T/etc/config.
R="$T/root"
mkdir -p "$R/etc/config" "$R/dev"
cp "$A/etc/config/meterbox" "$R/etc/config/meterbox"
printf "config system\n\toption zonename 'Asia/Shanghai'\n\toption timezone 'CST-8'\n" >"$R/etc/config/system"
printf 'root:x:0:0:root:/root:/bin/ash\nmeterbox:x:32768:32768:meterbox:/var/run/meterbox:/bin/false\n' >"$R/passwd"
sed -i "s|option path '/etc/meterbox/state/agent.db'|option path '$R/state/agent.db'|" "$R/etc/config/meterbox"
cat >"$T/stubs.sh" <<'SH'
# Stand-ins for procd.sh (each call printed) and for what needs root.
procd_open_instance() { echo "open_instance"; }
procd_set_param() { echo "set $*"; }
procd_append_param() { echo "append $*"; }
procd_close_instance() { echo "close_instance"; }
procd_add_reload_trigger() { echo "reload_trigger $*"; }
procd_add_jail() { echo "jail $*"; }
procd_add_jail_mount() { echo "jail_ro $*"; }
procd_add_jail_mount_rw() { echo "jail_rw $*"; }
chown() { echo "chown $*"; }
chgrp() { echo "chgrp $*"; }
logger() { echo "logger $*"; }
start() { echo "start"; }
SH
# run_init FUNCTION: source the init script in busybox ash with OpenWrt's
# UCI library and the stand-ins, and call FUNCTION; the packaged agent (its
# plugins from the sim package), and the generated file under $R.
run_init() {
  UCI_CONFIG_DIR="$R/etc/config" MB_UCI_LIB="$A/usr/share/meterbox/uci.sh" MB_PASSWD="$R/passwd" \
    MB_PLUGIN_DIR="$T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins" \
    busybox ash -c ". '$MB_SRC/tests/integration/openwrt_functions.sh'; . '$T/stubs.sh'; . '$init';
      PROG='$A/usr/sbin/meterbox-agent' GENERATED='$R/var/etc/meterbox/agent.conf'
      PLUGINS='$T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins'; $1"
}
gconf="$R/var/etc/meterbox/agent.conf"
out=$(run_init start_service 2>&1) || fail "start_service: $out"
grep -qx "set command $A/usr/sbin/meterbox-agent -f -c $gconf" <<<"$out" ||
  fail "start_service: not -f -c the generated config: $out"
[ "$(mode "$gconf")" = 640 ] || fail "the generated config (it holds the token) is not 0640"
"$A/usr/sbin/meterbox-agent" -t -c "$gconf" -P "$T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins" \
  >"$T/t.log" 2>&1 || fail "packaged agent -t on what the packaged UCI file generates: $(cat "$T/t.log")"
for want in "set file $gconf" "set user meterbox" "set group meterbox" "set no_new_privs 1" \
  "set stderr 1" "reload_trigger meterbox system" "jail meterbox-agent log" "jail_ro $gconf" \
  "jail_ro $T/pkgs/meterbox-mod-sim/usr/lib/meterbox/plugins/sim.so" "jail_rw $R/state" \
  "chown -R meterbox:meterbox $R/state" "chgrp meterbox $gconf"; do
  grep -qxF "$want" <<<"$out"$'\n'"$(run_init service_triggers)" || fail "start_service: no '$want' in: $out"
done
grep -q '^set respawn ' <<<"$out" || fail "start_service: no respawn"
! grep -q '^jail_rw /\(etc\|usr\)$' <<<"$out" || fail "the jail writes a system directory: $out"
[ -d "$R/state" ] || fail "start_service does not make the store's directory"
pass "start_service: config from UCI (-t ok), -f, respawn, stderr, triggers; user meterbox in a jail: ro config and plugins, rw store"

# A serial bus and a GPIO relay: the device and the chips in the jail, the
# device given to the meterbox group; sysfs for libgpiod.
cp "$R/etc/config/meterbox" "$T/uci.good"
cat >>"$R/etc/config/meterbox" <<'UCI'

config bus 'rs485'
	option type 'serial'
	option device '/dev/ttyS1'
	option baud '9600'

config meter 'relay1'
	option plugin 'gpio'
	option bus 'sim0'
	option poll_interval '0'
	list options 'chip=gpiochip0'
	list options 'line=17'
UCI
out=$(run_init "load_settings; prepare_config '$gconf' && add_jail" 2>&1) || fail "add_jail: $out"
grep -qx 'jail meterbox-agent log sysfs' <<<"$out" || fail "a gpio meter without sysfs in the jail: $out"
grep -qx 'jail_rw /dev/ttyS1' <<<"$out" || fail "the serial device is not in the jail: $out"
cp "$T/uci.good" "$R/etc/config/meterbox"
pass "jail: serial device rw, sysfs with a gpio meter"

# The uplink's modem tool, when installed: in the jail with sysfs; not with
# server.uplink 'none'.
mkdir -p "$R/usr/bin"; printf '#!/bin/sh\n' >"$R/usr/bin/mmcli"; chmod +x "$R/usr/bin/mmcli"
out=$(MB_MMCLI="$R/usr/bin/mmcli" run_init "load_settings; prepare_config '$gconf' && add_jail" 2>&1) ||
  fail "add_jail with mmcli: $out"
grep -qx 'jail meterbox-agent log sysfs' <<<"$out" && grep -qx "jail_ro $R/usr/bin/mmcli" <<<"$out" ||
  fail "mmcli installed, not in the jail: $out"
sed -i "s/^config server 'server'$/&\n\toption uplink 'none'/" "$R/etc/config/meterbox"
out=$(MB_MMCLI="$R/usr/bin/mmcli" run_init "load_settings; prepare_config '$gconf' && add_jail" 2>&1) ||
  fail "add_jail with uplink none: $out"
grep -qx 'jail meterbox-agent log' <<<"$out" && ! grep -q mmcli <<<"$out" ||
  fail "uplink 'none' still shows mmcli: $out"
cp "$T/uci.good" "$R/etc/config/meterbox"
pass "jail: an installed mmcli with sysfs; none with uplink 'none'"

# alt_config_file: used as it is, nothing generated.
cp "$MB_SRC/etc/agent.conf" "$R/own.conf"
sed -i "s|option enabled '1'|option enabled '1'\n\toption alt_config_file '$R/own.conf'|" "$R/etc/config/meterbox"
out=$(run_init start_service 2>&1) || fail "start_service with alt_config_file: $out"
grep -qx "set command $A/usr/sbin/meterbox-agent -f -c $R/own.conf" <<<"$out" ||
  fail "alt_config_file is not what the agent runs with: $out"
[ "$(readlink "$gconf")" = "$R/own.conf" ] || fail "$gconf (the agent's default -c) is not a link to alt_config_file"
cp "$T/uci.good" "$R/etc/config/meterbox"
sed -i "s/option enabled '1'/option enabled '0'/" "$R/etc/config/meterbox"
[ -z "$(run_init start_service)" ] || fail "start_service starts the agent although enabled is 0"
cp "$T/uci.good" "$R/etc/config/meterbox"
pass "alt_config_file used as it is; enabled 0 honoured"

before=$(cat "$gconf")
out=$(run_init reload_service 2>&1) || fail "reload with a good config failed: $out"
[ "$(tail -1 <<<"$out")" = start ] || fail "reload with a good config does not (re)start through procd: $out"
sed -i "s/option poll_interval '60'/option poll_interval 'often'/" "$R/etc/config/meterbox"
out=$(run_init reload_service 2>&1) && fail "reload with a bad value succeeded: $out"
grep -q "^meterbox.box1_m2.poll_interval: 'poll_interval' must be a number" <<<"$out" ||
  fail "reload does not name the bad UCI option: $out"
! grep -qx start <<<"$out" || fail "reload with a bad value restarted the agent"
[ "$(cat "$gconf")" = "$before" ] || fail "a refused reload changed the running agent's configuration"
pass "reload: a good UCI change restarts through procd, a bad one is refused by its UCI name"
