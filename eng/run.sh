#!/usr/bin/env bash
# The main job on embedded defaults, on a fresh machine: install prerequisites, build, start the lab
# (a simulated internet on 127.X.0.0/16: signed zones, a validating unbound, SMTP servers), scan every lab
# domain with `danescan scan --lab`, print the summary and where the results are, stop the lab (also on
# error or Ctrl-C).
#
# Environment: DANESCAN_RUN_OCTET (default 60: the lab's 127.X block), DANESCAN_RUN_SCALE=N and
# DANESCAN_RUN_HOSTS=M (also generate and scan N scale domains over M MX hosts), DANESCAN_RUN_OUT (the
# run directories' root, default ./danescan-runs).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

octet=${DANESCAN_RUN_OCTET:-60}
scale=${DANESCAN_RUN_SCALE:-0}
hosts=${DANESCAN_RUN_HOSTS:-100}
out=${DANESCAN_RUN_OUT:-$here/danescan-runs}
state="/tmp/danescan-lab-run-$octet"
run_id="lab-$(date -u +%Y%m%dT%H%M%SZ)"

bash eng/prereqs.sh
dotnet build src/DaneScan.Cli -c Release --verbosity quiet -nologo
danescan=(dotnet "$here/src/DaneScan.Cli/bin/Release/net10.0/danescan.dll")

lab_started=""
cleanup() {
  if [ -n "$lab_started" ]; then
    "${danescan[@]}" lab down --octet "$octet" --state "$state" >/dev/null 2>&1 || true
    echo "run: lab on 127.$octet.0.0/16 stopped"
  fi
}
trap cleanup EXIT

lab_started=yes
scale_args=()
[ "$scale" -gt 0 ] && scale_args=(--scale "$scale" --hosts "$hosts")
"${danescan[@]}" lab up --octet "$octet" --state "$state" "${scale_args[@]}"

"${danescan[@]}" scan --lab "$state" --out "$out" --run-id "$run_id"

echo
echo "run: results of run $run_id in $out/$run_id (manifest.json, domains.jsonl, hosts.jsonl, probes.jsonl, statistics.json)"
