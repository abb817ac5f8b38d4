#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server for the test run and prints its DATABASE_URL.
# Usage: scripts/pg-test-server.sh start DIR   → prints postgres://… on stdout
#        scripts/pg-test-server.sh stop DIR
set -eu
action=$1; dir=$2
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$bin" ] || { echo "no-postgres"; exit 3; }
as_pg() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$action" in
start)
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = "0" ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U ssj --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  # fsync off: a test server that dies may lose data, which is fine and ~3x faster.
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60" start >/dev/null
  echo "postgres://ssj@127.0.0.1:$port/ssj_test"
  ;;
stop)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  ;;
esac
