#!/usr/bin/env bash
# The one test command: installs prerequisites, starts the services the tests use, builds with
# warnings as errors, checks formatting, and runs every test project. CI runs exactly this.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

bash eng/prereqs.sh

# Azurite for the Table Storage tests, on loopback, in a scratch folder, stopped on exit.
state=$(mktemp -d /tmp/danescan-test.XXXXXX)
azurite_pid=""
cleanup() {
  [ -n "$azurite_pid" ] && kill "$azurite_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
"$here/.tools/azurite/node_modules/.bin/azurite" --silent --skipApiVersionCheck --loose \
  --location "$state/azurite" --blobHost 127.0.0.1 --blobPort 10000 --queueHost 127.0.0.1 --queuePort 10001 \
  --tableHost 127.0.0.1 --tablePort 10002 >"$state/azurite.log" 2>&1 &
azurite_pid=$!
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/10002) 2>/dev/null && break
  sleep 0.2
done
export DANESCAN_AZURITE=1
export DANESCAN_TABLE_CONNECTION="UseDevelopmentStorage=true"

dotnet restore DaneScan.sln --verbosity quiet
dotnet build DaneScan.sln --no-restore -c Release -warnaserror --verbosity quiet -nologo
dotnet format DaneScan.sln --verify-no-changes --no-restore --verbosity quiet

# Bicep: build and lint every template with the pinned CLI; any warning fails the run.
bash eng/bicep.sh

# One definition per rule (probe key, run id, exit codes).
bash eng/check-definitions.sh

# Test projects run one after another: several start lab processes on their own loopback addresses.
# The console logger at "minimal" prints each failure with its message and stack trace, nothing for passes.
log="$state/test.log"
status=0
for proj in tests/*.Tests/*.csproj; do
  echo "== $proj"
  dotnet test "$proj" --no-build -c Release --verbosity quiet -nologo --logger "console;verbosity=minimal" 2>&1 | tee -a "$log" || status=1
done

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
if [ "$passed" -eq 0 ]; then status=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
