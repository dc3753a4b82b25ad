#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The man pages (docs/man) format without a single groff or man warning, have
# a NAME line that whatis/apropos can index, are all installed, refer only
# to pages that exist, and keep up with the programs: every long option of
# `meterbox-agent --help`, every key of etc/agent.conf and etc/server.conf
# and every meterboxctl command appears in its page.
#   MB_BUILD  the build tree (set by tests/integration/integration.cmake)
. "$(dirname "$0")/lib.sh"
: "${MB_BUILD:?MB_BUILD (the build tree) is not set}"
for tool in groff man lexgrog; do
  command -v $tool >/dev/null || fail "$tool missing (Debian packages groff-base, man-db)"
done
M="$MB_SRC/docs/man"
pages=$(cd "$M" && printf '%s\n' *.[158])
[ "$(echo "$pages" | wc -l)" -eq 6 ] || fail "want 6 man pages, have: $(echo $pages)"

for p in $pages; do
  LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$M/$p" >"$T/out" 2>"$T/err" || fail "man -l $p failed"
  [ ! -s "$T/err" ] || fail "man --warnings $p: $(cat "$T/err")"
  groff -ww -z -man "$M/$p" 2>"$T/err"
  [ ! -s "$T/err" ] || fail "groff -ww $p: $(cat "$T/err")"
  LC_ALL=C grep -q '[^[:print:][:space:]]' "$M/$p" && fail "$p has non-ASCII bytes (use roff escapes)"
  name=${p%.*}
  lexgrog "$M/$p" | grep -q ": \"$name - " || fail "$p: NAME line not indexable: $(lexgrog "$M/$p")"
  grep -q "^\.TH $(tr a-z A-Z <<<"$name") ${p##*.} " "$M/$p" || fail "$p: .TH does not match its file name"
  grep -q "$p" "$M/CMakeLists.txt" || fail "$p is not installed by docs/man/CMakeLists.txt"
  # Every meterbox page named in SEE ALSO and elsewhere exists.
  for ref in $(grep -o 'meterbox[a-z.-]* ([158])' "$M/$p" | tr -d ' ' | sort -u); do
    [ -f "$M/${ref%(*}.$(tr -dc 0-9 <<<"$ref")" ] || fail "$p refers to $ref, which does not exist"
  done
done
pass "$(echo $pages): no warnings, indexable NAME, installed, references resolve"

# options PROGRAM PAGE: every long option of PROGRAM --help is in PAGE.
options() {
  local opt
  for opt in $("$1" --help | grep -o -- '--[a-z-]*' | sort -u); do
    grep -q -- "${opt//-/\\\\-}" "$M/$2" || fail "$2 does not document $opt"
  done
  pass "$2 documents every option of $(basename "$1") --help"
}
options "$MB_AGENT" meterbox-agent.8
[ ! -x "$MB_BUILD/server/meterbox-server" ] || options "$MB_BUILD/server/meterbox-server" meterbox-server.8

# keys FILE: every key set or shown (commented out) in an example config.
keys() { sed -n 's/^[[:space:]#]*\([a-z][a-z0-9_]*\) = .*/\1/p' "$1" | sort -u; }
# documented PAGE KEY: in a .B/.BR line, or a section of that name (a group).
documented() { grep -q "^\.BR* .*\b$2\b" "$1" || grep -qix "\.SH $2" "$1"; }
for k in $(keys "$MB_SRC/etc/agent.conf"); do
  documented "$M/meterbox-agent.conf.5" "$k" || fail "meterbox-agent.conf.5 does not document '$k'"
done
pass "meterbox-agent.conf.5 documents every key of etc/agent.conf"
if [ -f "$MB_SRC/etc/server.conf" ]; then
  for k in $(keys "$MB_SRC/etc/server.conf"); do
    documented "$M/meterbox-server.conf.5" "$k" || fail "meterbox-server.conf.5 does not document '$k'"
  done
  pass "meterbox-server.conf.5 documents every key of etc/server.conf"
fi

ctl="$MB_BUILD/tools/meterboxctl"
if [ -x "$ctl" ]; then
  for c in $("$ctl" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
    grep -q "^\\\\fB$c\b" "$M/meterboxctl.1" || fail "meterboxctl.1 does not document '$c'"
  done
  pass "meterboxctl.1 documents every command of meterboxctl --help"
fi
