#!/usr/bin/env bash
# The whole test suite: installs the prerequisites, builds, then runs every test (unit, property-based and the
# integration tests that start the whole AppHost with real PostgreSQL, Redis, git and evaluator processes).
# Extra arguments go to `dotnet test`, e.g. ./test.sh --filter "FullyQualifiedName~Economy".
set -euo pipefail
cd "$(dirname "$0")"
source ops/prerequisites.sh
dean_install_prerequisites

echo "==> build"
dotnet build Dean.sln -c Release -warnaserror --nologo -v quiet
echo "==> test"
dotnet test Dean.Tests/Dean.Tests.csproj -c Release --no-build --nologo \
  --logger "console;verbosity=normal" --blame-hang-timeout 20m "$@"
