#!/usr/bin/env bash
# Runs DEAN: installs the prerequisites, builds, starts the Aspire AppHost (PostgreSQL, Redis and the three services)
# and prints the URLs once everything answers /health. Ctrl-C (or SIGTERM) stops everything it started.
# Data persists in .dean/data (git-ignored) across restarts.
set -euo pipefail
start=$(date +%s)
cd "$(dirname "$0")"
source ops/prerequisites.sh
dean_install_prerequisites

echo "==> build"
dotnet build Dean.sln --nologo -v quiet
echo "==> starting the AppHost"
dotnet run --project Dean.AppHost --no-build --launch-profile http &
apphost=$!
trap 'echo "==> stopping"; kill -TERM $apphost 2>/dev/null; wait $apphost 2>/dev/null; exit 0' INT TERM

for _ in $(seq 1 240); do
  if ! kill -0 $apphost 2>/dev/null; then echo "the AppHost exited" >&2; exit 1; fi
  if curl -sf http://localhost:8090/health >/dev/null && curl -sf http://localhost:8081/health >/dev/null \
     && curl -sf http://localhost:8082/health >/dev/null; then
    cat <<MSG

==> DEAN is up after $(( $(date +%s) - start )) s
    Aspire dashboard   http://localhost:15080
    Orchestrator       http://localhost:8082   (Hangfire: /hangfire, Airflow-style API: http://localhost:8080)
    Operator console   http://localhost:8083   (sign in as admin with the password below)
    IndexAgent         http://localhost:8081
    Evolution API      http://localhost:8090
    Admin password     \$DEAN_ADMIN_PASSWORD, or the file .dean/data/admin-password
    Sign in            TOKEN=\$(curl -s localhost:8082/api/v1/auth/login -H 'Content-Type: application/json' \\
                         -d "{\"username\":\"admin\",\"password\":\"\$(cat .dean/data/admin-password)\"}" | jq -r .access_token)
MSG
    break
  fi
  sleep 0.5
done
wait $apphost
