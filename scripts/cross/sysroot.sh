#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Build a cross sysroot: the Debian 12 packages in sysroot-packages.txt for
# one target architecture, with everything they depend on, downloaded and
# unpacked (dpkg -x) into DIR.  Nothing is installed on the host and the
# host's dpkg architectures are not touched.
#
#   scripts/cross/sysroot.sh ARCH DIR
#
# Why not `dpkg --add-architecture` and `apt-get install libfoo-dev:ARCH`?
# Every -dev package we need is Multi-Arch: same and co-installs on Debian
# 12, but adding an architecture is a change to the whole machine: from then
# on every `apt-get update` fetches that architecture's indexes too, and
# fails (exit 100) when one of them is broken on the mirror, which breaks
# scripts/setup.sh for everybody on the machine.  A private apt state
# directory (below DIR.apt) resolves and downloads the same packages with
# the host's apt sources and keys, and leaves the host alone.
#
# Exit status 0 when DIR holds the sysroot (also when it was already up to
# date), non-zero on failure (apt's message on stderr).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
arch=${1:?usage: sysroot.sh ARCH DIR}
dir=${2:?usage: sysroot.sh ARCH DIR}
mapfile -t pkgs < <(grep -v '^\s*#' "$here/sysroot-packages.txt" | grep -v '^\s*$')

apt_dir="$dir.apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial"
: >>"$apt_dir/status"
apt_opts=(
  -o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
  -o "Dir::State=$apt_dir" -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status" -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
  -o "Acquire::Languages=none" -o "Debug::NoLocking=1"
  -o "APT::Install-Recommends=false" -o "APT::Get::Assume-Yes=true"
)

# A mirror can serve one architecture's index broken (seen here: the armhf
# index of bookworm-security, "File has unexpected size").  A test sysroot
# can live without that one index; it cannot live without the main suite's.
if ! apt-get "${apt_opts[@]}" update -qq >"$apt_dir/update.log" 2>&1; then
  if ! compgen -G "$apt_dir/lists/*_dists_bookworm_main_binary-${arch}_Packages*" >/dev/null; then
    cat "$apt_dir/update.log" >&2
    echo "sysroot: no package index for $arch" >&2
    exit 1
  fi
  echo "sysroot: $arch: some indexes failed to download, going on without them:" >&2
  grep '^E: Failed' "$apt_dir/update.log" | sed 's/^/  /' >&2 || true
fi

# The status file is empty, so apt resolves the whole dependency closure.
apt-get "${apt_opts[@]}" install --download-only -qq "${pkgs[@]}" >"$apt_dir/install.log" 2>&1 ||
  { cat "$apt_dir/install.log" >&2; exit 1; }

stamp=$(cd "$apt_dir/archives" && printf '%s\n' ./*.deb | sort | sha256sum | cut -d' ' -f1)
if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$stamp" ]; then
  exit 0
fi

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
for deb in "$apt_dir"/archives/*.deb; do
  dpkg-deb -x "$deb" "$dir.tmp"
done
# Absolute symlinks (/usr/lib/...) would point into the host: make them
# point inside the sysroot.
find "$dir.tmp" -type l -lname '/*' -print0 |
  while IFS= read -r -d '' link; do
    ln -sfn "$dir$(readlink "$link")" "$link"
  done
echo "$stamp" >"$dir.tmp/.stamp"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "sysroot: $arch: $(cd "$apt_dir/archives" && printf '%s\n' ./*.deb | wc -l) packages in $dir"
