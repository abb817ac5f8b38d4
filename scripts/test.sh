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
echo "== 检查：ruff、迁移文件"
.venv/bin/ruff check . || status=1
.venv/bin/ssj manage makemigrations --check --dry-run >/dev/null || { echo "!! 模型改动缺少迁移文件" >&2; status=1; }
echo "== 测试 1/2：SQLite"
DATABASE_URL="sqlite:///$PWD/var/test-main.sqlite3" $PY -m pytest "$@" || status=1

pgdir=$(mktemp -d /tmp/ssj-pgtest.XXXXXX)
url=$(bash scripts/pg-test-server.sh start "$pgdir" 2>"$pgdir.err")
if [ -z "$url" ] || [ "$url" = "no-postgres" ]; then
  cat "$pgdir.err" >&2
  if [ "$ci" = "true" ]; then echo "!! CI: PostgreSQL 无法启动" >&2; exit 1; fi
  echo "!!!! 未找到 PostgreSQL：PostgreSQL 测试被跳过 !!!!" >&2
else
  trap 'bash scripts/pg-test-server.sh stop "$pgdir"; rm -rf "$pgdir" "$pgdir.err"' EXIT
  echo "== 测试 2/2：PostgreSQL ($url)"
  DATABASE_URL="$url" $PY -m pytest "$@" || status=1
fi
exit $status
