#!/usr/bin/env bash
# Shared by ops/backup.sh and ops/restore.sh: the orchestrator's URL and an admin token.
#   DEAN_URL    (default http://localhost:8082)
#   DEAN_TOKEN  an admin access token; otherwise one is obtained by signing in as admin with $DEAN_ADMIN_PASSWORD
#               or the password file .dean/data/admin-password that the first start wrote.
set -euo pipefail
DEAN_URL=${DEAN_URL:-http://localhost:8082}

dean_token() {
  if [ -n "${DEAN_TOKEN:-}" ]; then echo "$DEAN_TOKEN"; return; fi
  local root password
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  password=${DEAN_ADMIN_PASSWORD:-$(cat "$root/.dean/data/admin-password" 2>/dev/null || true)}
  if [ -z "$password" ]; then echo "set DEAN_TOKEN or DEAN_ADMIN_PASSWORD" >&2; return 1; fi
  curl -sf "$DEAN_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "$(jq -n --arg p "$password" '{username: "admin", password: $p}')" | jq -r .access_token
}

# dean_follow PATH: polls a backup or restore until it is no longer running, printing each new log line.
dean_follow() {
  local path=$1 seen=0 body status lines
  while true; do
    body=$(curl -sf "$DEAN_URL$path" -H "Authorization: Bearer $TOKEN")
    lines=$(jq -r '.log | length' <<<"$body")
    if [ "$lines" -gt "$seen" ]; then jq -r ".log[$seen:][]" <<<"$body" | sed 's/^/    /' >&2; seen=$lines; fi
    status=$(jq -r .status <<<"$body")
    [ "$status" = running ] || break
    sleep 1
  done
  echo "$body"
}
