#!/usr/bin/env bash
# The fleet cost measurement (docs/cost.md): starts a scale lab, runs the Azure fleet's function classes
# over it in process (Azurite tables, in-memory stand-ins for the two Service Bus queues), prints the
# counted operations as JSON and as tables, with GB-seconds and dollars per million domains, and stops
# the lab again (also on error).
#
#   eng/cost.sh                                   # octet 64, 20,000 domains over 400 MX hosts
#   DOMAINS=20000 HOSTS=4000 eng/cost.sh          # another probes-per-domain ratio
#   HOT=100 eng/cost.sh -- --waiting-probes        # 100 more MX hosts on one address; the probe stage as before deferral
#   JSON=/tmp/cost.json eng/cost.sh -- --concurrency 32 --resolve-seconds 0.8   # extra options for the run
#
# Needs Azurite on 127.0.0.1:10002 (eng/test.sh starts one) or DANESCAN_TABLE_CONNECTION; nsd and unbound
# (eng/prereqs.sh); root or CAP_NET_BIND_SERVICE for port 25 on 127.64.x.x. Only 127.0.0.0/8 is used.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
octet=${OCTET:-64}
domains=${DOMAINS:-20000}
hosts=${HOSTS:-400}
hot=${HOT:-0}
state=${STATE:-/tmp/danescan-lab-$octet}
json=${JSON:-/tmp/danescan-cost-$domains-$hosts.json}
[ "${1:-}" = "--" ] && shift

dotnet build -v q --nologo -c Release "$here/src/DaneScan.Cli" >/dev/null
dotnet build -v q --nologo -c Release "$here/tests/DaneScan.Benchmarks" >/dev/null
danescan=(dotnet "$here/src/DaneScan.Cli/bin/Release/net10.0/danescan.dll")

"${danescan[@]}" lab up --octet "$octet" --state "$state" --scale "$domains" --hosts "$hosts" --no-cases \
  $([ "$hot" -gt 0 ] && echo --hot-hosts "$hot")
trap '"${danescan[@]}" lab down --octet "$octet" --state "$state" >/dev/null 2>&1 || true' EXIT

dotnet "$here/tests/DaneScan.Benchmarks/bin/Release/net10.0/DaneScan.Benchmarks.dll" cost --lab "$state" --json "$json" "$@"
echo "report: $json"
