#!/usr/bin/env bash
# Builds and lints every Bicep file with the pinned Bicep CLI and fails on any warning or error.
# The CLI comes from NuGet (Azure.Bicep.CommandLine.linux-x64, a tool package holding the native binary),
# restored by eng/tools/bicep.proj into .tools/nuget; no other download.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

version=$(sed -n 's:.*<BicepVersion>\(.*\)</BicepVersion>.*:\1:p' eng/tools/bicep.proj)
bicep="$here/.tools/nuget/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  echo "bicep: restoring Azure.Bicep.CommandLine.linux-x64 $version (NuGet)"
  dotnet restore eng/tools/bicep.proj --packages "$here/.tools/nuget" --verbosity quiet
  chmod +x "$bicep"
fi

out=$(mktemp -d /tmp/danescan-bicep.XXXXXX)
trap 'rm -rf "$out"' EXIT
log="$out/diagnostics.txt"
: >"$log"
status=0
files=(bicep/*.bicep bicep/modules/*.bicep)
for f in "${files[@]}"; do
  "$bicep" build "$f" --outdir "$out" >>"$log" 2>&1 || status=1
  "$bicep" lint "$f" >>"$log" 2>&1 || status=1
done
params=(bicep/*.bicepparam)
for p in "${params[@]}"; do
  "$bicep" build-params "$p" --outfile "$out/$(basename "$p" .bicepparam).parameters.json" >>"$log" 2>&1 || status=1
  "$bicep" lint "$p" >>"$log" 2>&1 || status=1
done
if [ -s "$log" ]; then
  sort -u "$log"
  status=1
fi
checked=$(( ${#files[@]} + ${#params[@]} ))
if [ "$status" -eq 0 ]; then
  echo "bicep: $checked files built and linted with Bicep $version, no warnings"
else
  echo "bicep: FAILED (warnings or errors above)"
fi
exit $status
