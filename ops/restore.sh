#!/usr/bin/env bash
# Restores a DEAN backup through the orchestrator: stops running cycles, then brings back the database rows, Redis keys,
# agent branches and worktrees exactly as backed up. Everything created since the backup is gone afterwards.
#   ops/restore.sh                 lists the backups
#   ops/restore.sh BACKUP_ID [--yes]
set -euo pipefail
source "$(dirname "$0")/dean-api.sh"
TOKEN=$(dean_token)

if [ $# -eq 0 ]; then
  curl -sf "$DEAN_URL/api/v1/backups" -H "Authorization: Bearer $TOKEN" \
    | jq -r '.backups[] | "\(.backup_id)\t\(.status)\t\(.created_at)\t\(.size_bytes // "-") bytes"'
  exit 0
fi
id=$1
if [ "${2:-}" != "--yes" ]; then
  read -r -p "Restore $id? Everything created since it was made will be lost. Type yes: " answer
  [ "$answer" = yes ] || { echo "aborted"; exit 1; }
fi

echo "==> verifying $id first"
verdict=$(curl -sf -X POST "$DEAN_URL/api/v1/backups/$id/verify" -H "Authorization: Bearer $TOKEN")
[ "$(jq -r .valid <<<"$verdict")" = true ] || { echo "==> $id does not verify: $(jq -r .error <<<"$verdict")" >&2; exit 1; }

echo "==> restoring $id"
rid=$(curl -sf -X POST "$DEAN_URL/api/v1/backups/$id/restore" -H "Authorization: Bearer $TOKEN" | jq -r .restore_id)
result=$(dean_follow "/api/v1/restores/$rid")
status=$(jq -r .status <<<"$result")
[ "$status" = completed ] || { echo "==> restore $rid $status: $(jq -r .error <<<"$result")" >&2; exit 1; }
echo "==> restore $rid completed; sign in again if your token predates the backup's users"
