#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The source tarball of a release, byte for byte the same wherever and
# whenever it is made from the same commit, and its SHA-256.
#
#   scripts/release.sh [-o DIR] [-u] [COMMIT]
#
#   COMMIT  what to release (default HEAD); only committed files go in
#   -o DIR  where to write meterbox-VERSION.tar.gz (default: the current directory)
#   -u      also write PKG_HASH and MB_RELEASE_COMMIT into openwrt/Makefile
#           (then commit that change: openwrt/ is not in the tarball, so the
#           commit does not change the hash)
#
# Prints "SHA256  FILE".  The tarball is `git archive` of COMMIT under
# meterbox-VERSION/: entries in tree order, every mtime the commit's time,
# owner and group 0 with no names, modes 0644/0755 whatever the local
# tar.umask, no line-ending or export-subst conversion; gzip -n stores no
# name or time.  openwrt/ is left out (.gitattributes export-ignore): the
# feed carries it, and its PKG_HASH could not be inside what it hashes.
# Publish the file at the Makefile's PKG_SOURCE_URL (docs/operations-install.md,
# "Releases").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=. update=0
while getopts "o:uh" opt; do
  case $opt in
  o) out=$OPTARG ;;
  u) update=1 ;;
  h) sed -n '3,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
ref=${1:-HEAD}
git=(git -C "$top" -c tar.umask=022 -c core.autocrlf=false -c core.eol=lf)

commit=$("${git[@]}" rev-parse --verify "$ref^{commit}") || {
  echo "release.sh: '$ref' is not a commit here" >&2
  exit 2
}
version=$("${git[@]}" show "$commit:CMakeLists.txt" | sed -n 's/^project(meterbox VERSION \([0-9.]*\).*/\1/p')
[ -n "$version" ] || { echo "release.sh: no project version in $commit:CMakeLists.txt" >&2; exit 2; }
"${git[@]}" show "$commit:.gitattributes" 2>/dev/null | grep -q '^/\?openwrt/\? .*export-ignore' || {
  echo "release.sh: $commit does not leave openwrt/ out of its archive (.gitattributes)" >&2
  exit 2
}
name=meterbox-$version
mkdir -p "$out"
file=$(cd "$out" && pwd)/$name.tar.gz
# Not --worktree-attributes: the commit's own .gitattributes decide.
"${git[@]}" archive --format=tar --prefix="$name/" "$commit" | gzip -9 -n >"$file.tmp"
mv "$file.tmp" "$file"
hash=$(sha256sum "$file" | cut -d' ' -f1)
echo "$hash  $file"

if [ "$update" = 1 ]; then
  mk=$top/openwrt/Makefile
  grep -qx "PKG_VERSION:=$version" "$mk" || {
    echo "release.sh: openwrt/Makefile is not at PKG_VERSION:=$version" >&2
    exit 1
  }
  sed -i -e "s/^PKG_HASH:=.*/PKG_HASH:=$hash/" -e "s/^MB_RELEASE_COMMIT:=.*/MB_RELEASE_COMMIT:=$commit/" "$mk"
  echo "openwrt/Makefile: PKG_HASH:=$hash, MB_RELEASE_COMMIT:=$commit"
fi
