#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The release tarball (scripts/release.sh) and the OpenWrt Makefile's source
# fields:
#   1. the tarball of one commit made twice, the second time from a fresh
#      clone with another umask, zone, locale, tar.umask and file times, is
#      the same file (same SHA-256, printed by release.sh);
#   2. inside, every entry is under meterbox-VERSION/ in git's tree order, with the
#      commit's time, owner 0/0 and no user names, modes 644/755, the
#      LICENSE, and no openwrt/ (the feed's; .gitattributes export-ignore);
#      and the tree configures with cmake;
#   3. openwrt/Makefile's PKG_SOURCE is release.sh's file name, PKG_HASH the
#      SHA-256 of the tarball of MB_RELEASE_COMMIT, whose version is
#      PKG_VERSION, PKG_SOURCE_URL a real https URL of that version, and
#      PKG_LICENSE / PKG_LICENSE_FILES the licence the tarball carries;
#   4. release.sh -u writes PKG_HASH and MB_RELEASE_COMMIT, and refuses a
#      commit whose archive would hold openwrt/.
. "$(dirname "$0")/lib.sh"
rel="$MB_SRC/scripts/release.sh"
mk="$MB_SRC/openwrt/Makefile"
git -C "$MB_SRC" rev-parse --git-dir >/dev/null 2>&1 || fail "$MB_SRC is not a git checkout: a release is made from a commit"
field() { sed -n "s/^$1:=//p" "$mk"; }
version=$(field PKG_VERSION)
commit=$(field MB_RELEASE_COMMIT)
git -C "$MB_SRC" cat-file -e "$commit^{commit}" 2>/dev/null ||
  fail "MB_RELEASE_COMMIT $commit is not in this clone's history (shallow clone?); scripts/release.sh -u sets it"

# 1. Twice, differently.
(umask 022 && TZ=UTC LC_ALL=C "$rel" -o "$T/a" "$commit") >"$T/a.out" || fail "release.sh: $(cat "$T/a.out")"
git clone -q "$MB_SRC" "$T/clone"
git -C "$T/clone" config tar.umask 0077
cp "$rel" "$T/clone/scripts/release.sh"
find "$T/clone" -path "$T/clone/.git" -prune -o -type f -exec touch -d '2001-02-03 04:05' {} +
sleep 1
(umask 077 && cd "$T/clone" && TZ=Asia/Shanghai LC_ALL=C.UTF-8 scripts/release.sh -o "$T/b" "$commit") \
  >"$T/b.out" 2>&1 || fail "release.sh from a clone: $(cat "$T/b.out")"
tarball="$T/a/meterbox-$version.tar.gz"
[ -f "$tarball" ] || fail "release.sh did not write meterbox-$version.tar.gz: $(ls "$T/a")"
h1=$(sha256sum "$tarball" | cut -d' ' -f1)
h2=$(sha256sum "$T/b/meterbox-$version.tar.gz" | cut -d' ' -f1)
[ "$h1" = "$h2" ] || fail "the same commit made two tarballs: $h1 and $h2"
grep -qx "$h1  $tarball" "$T/a.out" || fail "release.sh does not print the SHA-256 and file: $(cat "$T/a.out")"
pass "the tarball of $commit made twice (another clone, umask, zone, locale, tar.umask, file times): sha256 $h1"

# 2. What is inside.
ctime=$(git -C "$MB_SRC" show -s --format=%ct "$commit")
stamp=$(TZ=UTC date -d "@$ctime" '+%Y-%m-%d %H:%M:%S')
TZ=UTC tar -tvzf "$tarball" --numeric-owner --full-time | awk -v s="$stamp" -v p="meterbox-$version/" '
  $2 != "0/0" { print "owner: " $0; bad = 1 }
  ($4 " " $5) != s { print "time: " $0; bad = 1 }
  index($6, p) != 1 { print "outside " p ": " $0; bad = 1 }
  $1 !~ /^(-rw-r--r--|-rwxr-xr-x|drwxr-xr-x|lrwxrwxrwx)$/ { print "mode: " $0; bad = 1 }
  END { exit bad }' >"$T/bad" || fail "entries not as released: $(head -5 "$T/bad")"
tar -tzf "$tarball" >"$T/names"
! grep -q "^meterbox-$version/openwrt/" "$T/names" || fail "openwrt/ is in the source tarball"
for f in LICENSE CMakeLists.txt agent/agent_main.c; do
  grep -qx "meterbox-$version/$f" "$T/names" || fail "$f is not in the tarball"
done
diff <(git -C "$MB_SRC" ls-tree -r --name-only "$commit" | grep -v '^openwrt/' | sed "s|^|meterbox-$version/|") \
  <(grep -v '/$' "$T/names") >"$T/diff" || fail "the tarball is not the commit's files in tree order: $(head "$T/diff")"
mkdir -p "$T/x"
tar -xzf "$tarball" -C "$T/x"
cmake -S "$T/x/meterbox-$version" -B "$T/x/build" -DMB_BUILD_SERVER=OFF -DMB_BUILD_TESTS=OFF \
  >"$T/cmake.log" 2>&1 || fail "the released tree does not configure: $(tail -5 "$T/cmake.log")"
pass "inside: $(wc -l <"$T/names") entries under meterbox-$version/ in tree order, commit time, 0/0, 644/755, LICENSE, no openwrt/; cmake configures it"

# 3. The Makefile's source fields against it.
[ "$(field PKG_SOURCE)" = '$(PKG_NAME)-$(PKG_VERSION).tar.gz' ] && [ "$(field PKG_NAME)" = meterbox ] ||
  fail "PKG_SOURCE is not \$(PKG_NAME)-\$(PKG_VERSION).tar.gz, release.sh's meterbox-VERSION.tar.gz"
[ "$(field PKG_HASH)" = "$h1" ] ||
  fail "PKG_HASH $(field PKG_HASH) is not the SHA-256 of the tarball of $commit ($h1): scripts/release.sh -u"
rv=$(git -C "$MB_SRC" show "$commit:CMakeLists.txt" | sed -n 's/^project(meterbox VERSION \([0-9.]*\).*/\1/p')
[ "$rv" = "$version" ] || fail "MB_RELEASE_COMMIT is version $rv, PKG_VERSION is $version: release again (scripts/release.sh -u)"
url=$(field PKG_SOURCE_URL)
[[ "$url" == https://* ]] && [[ "$url" != *.invalid* ]] && [[ "$url" == *'$(PKG_VERSION)'* ]] ||
  fail "PKG_SOURCE_URL is not an https URL of the version: $url"
[ "$(field PKG_LICENSE)" = Apache-2.0 ] || fail "PKG_LICENSE is not Apache-2.0"
grep -q 'Apache License' "$T/x/meterbox-$version/LICENSE" && grep -q 'Version 2.0' "$T/x/meterbox-$version/LICENSE" ||
  fail "the tarball's LICENSE is not the Apache License 2.0"
for f in $(field PKG_LICENSE_FILES); do
  [ -f "$T/x/meterbox-$version/$f" ] || fail "PKG_LICENSE_FILES names $f, which the tarball lacks"
done
pass "Makefile: PKG_SOURCE meterbox-$version.tar.gz, PKG_HASH = release.sh's, version $rv, URL $url, licence Apache-2.0 in LICENSE"

# 4. -u, and a commit that would put openwrt/ in the tarball.
git clone -q "$MB_SRC" "$T/work"
git -C "$T/work" checkout -q "$commit"
cp "$MB_SRC/openwrt/Makefile" "$T/work/openwrt/Makefile"
sed -i 's/^PKG_HASH:=.*/PKG_HASH:=stale/' "$T/work/openwrt/Makefile"
"$T/work/scripts/release.sh" -o "$T/c" -u >"$T/c.out" 2>&1 || fail "release.sh -u: $(cat "$T/c.out")"
grep -qx "PKG_HASH:=$h1" "$T/work/openwrt/Makefile" && grep -qx "MB_RELEASE_COMMIT:=$commit" "$T/work/openwrt/Makefile" ||
  fail "release.sh -u did not write PKG_HASH and MB_RELEASE_COMMIT: $(cat "$T/c.out")"
git -C "$T/work" rm -q .gitattributes
git -C "$T/work" -c user.name=t -c user.email=t@t commit -q -m "no export-ignore"
! "$T/work/scripts/release.sh" -o "$T/d" >"$T/d.out" 2>&1 || fail "release.sh archived a commit that keeps openwrt/ in"
grep -q 'openwrt/' "$T/d.out" || fail "release.sh does not say why: $(cat "$T/d.out")"
pass "release.sh -u writes PKG_HASH and MB_RELEASE_COMMIT; refuses a commit without the openwrt/ export-ignore"
