#!/usr/bin/env bash
# Clone to a running production server on PostgreSQL, with the commands of docs/部署指南.md.
#
# Clones this repository into a temporary folder, installs it, creates a PostgreSQL user and
# database, migrates, creates the first administrator, starts `flask serve`, logs in through
# the login page and prints how long all that took. Everything it made is removed at the end.
# The commands marked "# 部署指南" are the guide's own, word for word
# (tests/test_repository.py checks that the guide still holds each of them).
#
#   scripts/check_deploy.sh [REPOSITORY]      (default: this checkout's committed HEAD)
#   PG_ADMIN_URL  a superuser connection for creating the role and database
#                 (default postgresql://root@127.0.0.1:5432/postgres)
set -euo pipefail
SECONDS=0
repo=${1:-$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)}
admin_url=${PG_ADMIN_URL:-postgresql://root@127.0.0.1:5432/postgres}
name=kongchuo_deploycheck
password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
work=$(mktemp -d)
server_pid=
cleanup() {
  local status=$?
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  psql -q "$admin_url" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $name" -c "DROP ROLE IF EXISTS $name" || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
step() { printf '[%4d s] %s\n' "$SECONDS" "$*"; }

step "clone $repo"
git clone --quiet "$repo" "$work/app"
cd "$work/app"

step "install (venv, dependencies)"
make install  # 部署指南

step "PostgreSQL: role and database $name"
psql -q "$admin_url" -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $name" -c "DROP ROLE IF EXISTS $name"
psql -q "$admin_url" -c "CREATE ROLE $name LOGIN PASSWORD '$password'"
psql -q "$admin_url" -c "CREATE DATABASE $name OWNER $name ENCODING 'UTF8' TEMPLATE template0"

export DATABASE_URL="postgresql://$name:$password@127.0.0.1:5432/$name"
export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')  # 部署指南
export TOWNSHIP_NAME=联合乡

step "migrate, reference data"
.venv/bin/flask --app admin_app init-db  # 部署指南
.venv/bin/flask --app admin_app db upgrade  # 部署指南

step "first administrator"
.venv/bin/flask --app admin_app create-user zhangsan --role admin --name 张三 --password 'Kongchuo-check-2026'

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
step "flask serve on port $port"
.venv/bin/flask --app admin_app serve --host 127.0.0.1 --port "$port" --threads 8 >"$work/serve.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "http://127.0.0.1:$port/admin/login/" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.out"; exit 1; }
  sleep 0.2
done

step "log in through the login page"
jar="$work/cookies"
token=$(curl -fs -c "$jar" "http://127.0.0.1:$port/admin/login/" \
  | sed -n 's/.*name="csrf_token"[^>]*value="\([^"]*\)".*/\1/p' | head -1)
[ -n "$token" ] || { echo "no CSRF token on the login page"; exit 1; }
location=$(curl -fs -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' \
  --data-urlencode "csrf_token=$token" --data-urlencode "username=zhangsan" \
  --data-urlencode "password=Kongchuo-check-2026" "http://127.0.0.1:$port/admin/login/")
home=$(curl -fs -b "$jar" "http://127.0.0.1:$port/admin/")
case "$location" in */admin/*) ;; *) echo "login did not redirect to the panel: $location"; exit 1 ;; esac
grep -q "张三" <<<"$home" || { echo "the home page does not show the user"; exit 1; }
grep -q "控辍保学管理平台" "$work/serve.out" || { cat "$work/serve.out"; exit 1; }
grep -q "GET /admin/ 200" instance/logs/panel.log || { echo "no request line in the log"; exit 1; }

echo "OK: clone → production server on PostgreSQL, logged in as 张三, in $SECONDS s"
