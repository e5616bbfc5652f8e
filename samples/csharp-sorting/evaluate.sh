#!/bin/sh
# DEAN evaluator: `dotnet test` gates the candidate, then the measure prints the JSON line (the last stdout line).
# Build and test output goes to stderr so that stdout carries only the verdict.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if ! dotnet test tests/Sorting.Tests/Sorting.Tests.csproj -c Release --nologo -v quiet 1>&2; then
  echo '{"score": null, "passed": false, "metrics": {}, "feedback": "dotnet test failed: the sorter no longer builds or sorts"}'
  exit 1
fi
dotnet run --project measure/Measure/Measure.csproj -c Release --nologo -v quiet
