#!/usr/bin/env bash
# The whole test suite: installs the prerequisites, builds, then runs every test (unit, property-based and the
# integration tests that start the whole AppHost with real PostgreSQL, Redis, git and evaluator processes).
# Extra arguments go to `dotnet test`, e.g. ./test.sh --filter "FullyQualifiedName~Economy".
set -euo pipefail
cd "$(dirname "$0")"
source ops/prerequisites.sh
DEAN_BROWSER_TESTS=1 dean_install_prerequisites

echo "==> build"
dotnet build Dean.sln -c Release -warnaserror --nologo -v quiet
echo "==> test"
results=Dean.Tests/TestResults
mkdir -p "$results"
started=$(mktemp)
status=0
dotnet test Dean.Tests/Dean.Tests.csproj -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=dean.trx" --results-directory "$results" \
  --blame-hang-timeout 20m "$@" || status=$?
if [ "$status" -ne 0 ] && [ -f "$results/dean.trx" ]; then
  # Resource logs stay in files; for each failed test, the lines written while it ran.
  mapfile -t logs < <(find "$results" -maxdepth 1 -name 'apphost-*.log' -newer "$started")
  python3 ops/failed-test-logs.py "$results/dean.trx" "${logs[@]}" || true
fi
rm -f "$started"
exit "$status"
