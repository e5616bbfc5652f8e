#!/usr/bin/env bash
# Makes a DEAN backup through the orchestrator (POST /api/v1/backups) and follows its progress. Prints the archive's
# path; exits non-zero when the backup failed. With --verify, also checks the archive (checksums + a scratch restore).
#   ops/backup.sh [--verify]
set -euo pipefail
source "$(dirname "$0")/dean-api.sh"
TOKEN=$(dean_token)

echo "==> starting a backup at $DEAN_URL"
id=$(curl -sf -X POST "$DEAN_URL/api/v1/backups" -H "Authorization: Bearer $TOKEN" | jq -r .backup_id)
echo "==> $id"
result=$(dean_follow "/api/v1/backups/$id")
status=$(jq -r .status <<<"$result")
if [ "$status" != completed ]; then echo "==> backup $id $status: $(jq -r .error <<<"$result")" >&2; exit 1; fi
echo "==> completed: $(jq -r .path <<<"$result") ($(jq -r .size_bytes <<<"$result") bytes)"
jq -r '.contents[]' <<<"$result" | sed 's/^/    /'

if [ "${1:-}" = "--verify" ]; then
  echo "==> verifying"
  verdict=$(curl -sf -X POST "$DEAN_URL/api/v1/backups/$id/verify" -H "Authorization: Bearer $TOKEN")
  jq -r '.checks[]' <<<"$verdict" | sed 's/^/    ok: /'
  [ "$(jq -r .valid <<<"$verdict")" = true ] || { echo "==> verify failed: $(jq -r .error <<<"$verdict")" >&2; exit 1; }
  echo "==> verified"
fi
