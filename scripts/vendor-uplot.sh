#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Vendor the uPlot charting library (MIT, https://github.com/leeoniya/uPlot)
# into server/dash/www/vendor/uplot/ for the dashboard.  The files in the tree
# were fetched with exactly this script:
#
#   uplot 1.6.32 from the npm registry (npm pack uplot@1.6.32)
#   tarball sha512 KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==
#   files: dist/uPlot.iife.min.js, dist/uPlot.min.css, LICENSE
#
# To move to another version, change VERSION and INTEGRITY (npm view
# uplot@VERSION dist.integrity), run it, and look at the dashboard.
set -euo pipefail
VERSION=${VERSION:-1.6.32}
INTEGRITY=${INTEGRITY:-sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw==}
cd "$(dirname "$0")/.."
dest=server/dash/www/vendor/uplot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "uplot@$VERSION" >/dev/null)
tgz=$tmp/uplot-$VERSION.tgz
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
[ "$got" = "$INTEGRITY" ] || { echo "integrity mismatch: $got" >&2; exit 1; }
tar -xzf "$tgz" -C "$tmp"
mkdir -p "$dest"
cp "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css" "$dest/"
cp "$tmp/package/LICENSE" "$dest/LICENSE"
echo "uplot $VERSION" >"$dest/VERSION"
echo "vendored uplot $VERSION into $dest"
