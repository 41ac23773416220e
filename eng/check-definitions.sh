#!/usr/bin/env bash
# One definition per rule: fails when the probe key, the run-id rule or the exit codes are written a second
# time outside the one place that defines them (src/DaneScan.Contracts). Part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
check() { # what, pattern, the one file allowed to match
  local hits
  hits=$(grep -rnE --include='*.cs' "$2" src | grep -v "^$3:" || true)
  if [ -n "$hits" ]; then
    echo "definitions: $1 is defined outside $3:"; echo "$hits"; status=1
  fi
}
check "the probe key (host|address)" '\$"\{[^}]*(host|Host)[^}]*\}\|\{[^}]*(address|Address)' src/DaneScan.Contracts/ProbeKey.cs
check "the run-id rule" '(runId|RunId)\.Length|RunIdPattern|GeneratedRegex\("\^\[A-Za-z0-9\._' src/DaneScan.Contracts/RunIds.cs
if [ -f src/DaneScan.Contracts/ExitCodes.cs ]; then
  check "an exit code" '(return|Exit\(|ExitCode = ) *[1-9][0-9]*;' src/DaneScan.Contracts/ExitCodes.cs
fi
[ $status -eq 0 ] && echo "definitions: probe key, run id and exit codes each defined once"
exit $status
