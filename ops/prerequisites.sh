#!/usr/bin/env bash
# Installs what DEAN needs on a fresh Debian/Ubuntu machine, idempotently: PostgreSQL server binaries,
# redis-server, git, python3 (with numpy), bubblewrap, prometheus (and curl, jq for the runbook's commands), and chromium
# for test.sh's browser tests. Sourced by run.sh and test.sh.
set -euo pipefail

dean_missing_packages() {
  local missing=()
  compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v git >/dev/null || missing+=(git)
  command -v python3 >/dev/null || missing+=(python3)
  # Most OpenEvolve and ShinkaEvolve evaluators import numpy; peer tasks run with the system python3.
  /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing+=(python3-numpy)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  # The evaluators' sandbox (DESIGN section 11).
  command -v bwrap >/dev/null || missing+=(bubblewrap)
  # Prometheus and promtool: the AppHost's optional Prometheus, and the tests that run it and check the rules.
  command -v promtool >/dev/null || missing+=(prometheus)
  # The console's browser tests (test.sh sets DEAN_BROWSER_TESTS): Debian's chromium, which Playwright drives; nothing downloads a browser.
  if [ "${DEAN_BROWSER_TESTS:-}" = 1 ]; then command -v chromium >/dev/null || missing+=(chromium); fi
  echo "${missing[@]:-}"
}

dean_install_prerequisites() {
  local missing
  missing=$(dean_missing_packages)
  if [ -n "$missing" ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "==> installing: $missing"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    # The packages may start system-wide daemons; DEAN runs its own instances under Aspire.
    for svc in redis-server postgresql prometheus; do
      $sudo service "$svc" stop >/dev/null 2>&1 || true
    done
  fi
  command -v dotnet >/dev/null || { echo "dotnet (SDK 10) is required: https://dotnet.microsoft.com/download" >&2; exit 1; }
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    # postgres refuses to run as root; the AppHost drops to this user.
    useradd --system --home /var/lib/postgresql --shell /bin/false postgres
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}
