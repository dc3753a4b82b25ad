# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL for the server tests (sourced by server_lib.sh when
# MB_DB_BACKEND=pg).  pg_start runs initdb and pg_ctl in a fresh directory,
# listening on a unix socket only; the EXIT trap stops it and removes it.
# PostgreSQL refuses to run as root, so as root the server runs as nobody in
# a directory given to nobody.  Without server binaries the test is skipped
# (exit 77).  MB_PG_BIN overrides the binaries' directory.
PG_BIN=${MB_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PGDIR=

pg_as() { # run a PostgreSQL server binary as its owner
  if [ "$(id -u)" = 0 ]; then (cd "$PGDIR" && runuser -u nobody -- "$@"); else (cd "$PGDIR" && "$@"); fi
}

# pg_tmp_base: where a throwaway cluster's directory goes.  TMPDIR (the
# build tree's tmp under ctest) unless its path is too long for the unix
# socket in it (107 bytes), or, as root, nobody cannot reach it: a clone
# inside a private directory (mktemp -d makes it 0700) hides the whole
# tree from the server's user.  Then /tmp.
pg_tmp_base() {
  local tmp=${TMPDIR:-/tmp}
  [ ${#tmp} -le 60 ] || tmp=/tmp
  [ "$(id -u)" != 0 ] || runuser -u nobody -- test -x "$tmp" 2>/dev/null || tmp=/tmp
  echo "$tmp"
}

pg_start() {
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || { echo "SKIP: no PostgreSQL server (postgresql-15)"; exit 77; }
  PGDIR=$(mktemp -d "$(pg_tmp_base)/mbpg.XXXXXX")
  chmod 755 "$PGDIR"
  [ "$(id -u)" = 0 ] && chown nobody "$PGDIR"
  pg_as "$PG_BIN/initdb" -D "$PGDIR/data" -U meterbox -A trust -E UTF8 --locale=C -N >"$PGDIR/initdb.log" 2>&1 \
    || fail "initdb: $(cat "$PGDIR/initdb.log")"
  pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 \
    -o "-k $PGDIR -c listen_addresses='' -c fsync=off -c full_page_writes=off -c shared_buffers=32MB -c max_connections=40" \
    start >/dev/null || fail "pg_ctl start: $(cat "$PGDIR/server.log")"
  export PGHOST=$PGDIR PGPORT=5432 PGUSER=meterbox PGDATABASE=postgres
}

pg_stop() {
  [ -n "$PGDIR" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  [ "${KEEP_TMP:-0}" = 1 ] && echo "kept $PGDIR" || rm -rf "$PGDIR"
  PGDIR=
}

# pg_dbname DIR: the database that stands for DIR's server.db
pg_dbname() { echo "mb_$(printf '%s' "$1" | md5sum | cut -c1-10)"; }

# pg_createdb DIR: create DIR's database unless it exists
pg_createdb() {
  local name
  name=$(pg_dbname "$1")
  psql -X -q -t -A -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
    || psql -X -q -d postgres -c "CREATE DATABASE $name" >/dev/null || fail "createdb $name"
}

# pg_conninfo DIR
pg_conninfo() { echo "host=$PGDIR port=5432 user=meterbox dbname=$(pg_dbname "$1")"; }

# pg_sql DIR QUERY: one row per line, columns separated by |, as sqlite3 prints
pg_sql() { psql -X -q -t -A -d "$(pg_dbname "$1")" -c "$2"; }
