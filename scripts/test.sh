#!/usr/bin/env bash
# The whole suite, first on SQLite, then on a real PostgreSQL server started here.
# With CI=true a missing PostgreSQL or browser is a failure; elsewhere a loud skip.
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ci=${CI:-false}
export SSJ_FAST_PASSWORD_HASHER=1
bash scripts/ensure-system-deps.sh
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$ci" = "true" ]; then echo "!! CI: 未找到 chromium，浏览器测试无法运行" >&2; exit 1; fi
  echo "!!!! 未找到 chromium：浏览器测试将被跳过 !!!!" >&2
fi
mkdir -p var
status=0
echo "== 检查：ruff（含排版）、mypy、迁移文件"
.venv/bin/ruff check . || status=1
.venv/bin/ruff format --check . >/dev/null || { echo "!! 有文件未按 ruff format 排版（make fmt）" >&2; status=1; }
.venv/bin/mypy || status=1
.venv/bin/ssj manage makemigrations --check --dry-run >/dev/null || { echo "!! 模型改动缺少迁移文件" >&2; status=1; }
# Both databases at once (2 cores: one run each), each with its own var/ folder so their
# files never meet; the logs are printed whole, SQLite first. SSJ_TEST_SERIAL=1 runs them one
# after the other with live output (the edit loop has `make test-fast`).
logs=var/test-logs; rm -rf "$logs" var/test-run-*; mkdir -p "$logs"
run() {  # run NAME DATABASE_URL ARGS…
  local name=$1 url=$2; shift 2
  SSJ_VAR_DIR="$PWD/var/test-run-$name" DATABASE_URL="$url" $PY -m pytest "$@"
}

pgdir=$(mktemp -d /tmp/ssj-pgtest.XXXXXX)
url=$(bash scripts/pg-test-server.sh start "$pgdir" 2>"$pgdir.err")
if [ -z "$url" ] || [ "$url" = "no-postgres" ]; then
  cat "$pgdir.err" >&2
  if [ "$ci" = "true" ]; then echo "!! CI: PostgreSQL 无法启动" >&2; exit 1; fi
  echo "!!!! 未找到 PostgreSQL：PostgreSQL 测试被跳过 !!!!" >&2
  url=""
else
  trap 'bash scripts/pg-test-server.sh stop "$pgdir"; rm -rf "$pgdir" "$pgdir.err"' EXIT
fi
sqlite_url="sqlite:///$PWD/var/test-main.sqlite3"

if [ "${SSJ_TEST_SERIAL:-}" = "1" ]; then
  echo "== 测试 1/2：SQLite"
  run sqlite "$sqlite_url" "$@" || status=1
  if [ -n "$url" ]; then echo "== 测试 2/2：PostgreSQL ($url)"; run pg "$url" "$@" || status=1; fi
  exit $status
fi

echo "== 测试：SQLite 与 PostgreSQL 同时运行（日志见 $logs/）"
start=$(date +%s)
run sqlite "$sqlite_url" "$@" >"$logs/sqlite.log" 2>&1 & sqlite_pid=$!
if [ -n "$url" ]; then run pg "$url" "$@" >"$logs/pg.log" 2>&1 & pg_pid=$!; fi
wait $sqlite_pid || status=1
if [ -n "$url" ]; then wait $pg_pid || status=1; fi
echo "== 测试 1/2：SQLite"; cat "$logs/sqlite.log"
if [ -n "$url" ]; then echo "== 测试 2/2：PostgreSQL ($url)"; cat "$logs/pg.log"; fi
echo "== 用时 $(( $(date +%s) - start )) 秒"
exit $status
