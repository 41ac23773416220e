#!/usr/bin/env bash
# Measures the lab resolver's own query capacity with dnsperf: the yardstick the scanner's end-to-end
# rate is compared with (docs/benchmarks.md). Starts a DNS-only lab, builds a query file from the lab's
# case domains (MX of each domain, A and TLSA _25._tcp.<host> of each MX host), runs dnsperf with the DO
# bit set (as the scanner queries) at a few concurrency levels, and stops the lab again.
#
#   eng/bench-resolver.sh                    # octet 151, 20 s per level, levels "1:1 1:10 4:100 4:500"
#   OCTET=152 SECONDS_PER_RUN=30 LEVELS="1:1 1:10 4:100" eng/bench-resolver.sh
#   RESOLVER=127.151.0.2 eng/bench-resolver.sh   # measure an already running lab; do not start or stop one
#   SCALE=100000 HOSTS=1000 eng/bench-resolver.sh # a scale lab instead of the cases: a cold-cache first pass
#                                                 # over 100,000 distinct MX names, then the timed levels
#
# LEVELS (and COLD_LEVEL, default 4:100, for the first pass) are "clients:max-outstanding" pairs (dnsperf -c and -q). Output: dnsperf's reports, one per level,
# and a summary line each. Only 127.0.0.0/8 is ever queried.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
octet=${OCTET:-151}
state=${STATE:-/tmp/bench-lab}
seconds=${SECONDS_PER_RUN:-20}
levels=${LEVELS-"1:1 1:10 4:100 4:500"}   # LEVELS="" : the first pass only
scale=${SCALE:-0}
hosts=${HOSTS:-1000}
cold=${COLD_LEVEL:-"4:100"}
work=$(mktemp -d /tmp/bench-resolver.XXXXXX)
command -v dnsperf >/dev/null || { echo "dnsperf missing: run eng/prereqs.sh" >&2; exit 1; }

dotnet build -v q --nologo "$here/src/DaneScan.Cli" >/dev/null
danescan=(dotnet "$here/src/DaneScan.Cli/bin/Debug/net10.0/danescan.dll")

started=0
resolver=${RESOLVER:-}
if [ -z "$resolver" ]; then
  scale_args=()
  [ "$scale" -gt 0 ] && scale_args=(--scale "$scale" --hosts "$hosts" --no-cases)
  "${danescan[@]}" lab up --octet "$octet" --state "$state" --dns-only "${scale_args[@]}" | tee "$work/lab-up.txt"
  started=1
  resolver=$(sed -n 's/.*resolver (validating unbound): \([0-9.]*\):53.*/\1/p' "$work/lab-up.txt" | head -1)
  [ -n "$resolver" ] || { echo "could not read the lab's resolver address" >&2; exit 1; }
fi
case "$resolver" in 127.*) ;; *) echo "refusing non-loopback resolver $resolver" >&2; exit 1 ;; esac
cleanup() { [ "$started" = 1 ] && "${danescan[@]}" lab down --octet "$octet" --state "$state" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

if [ "$scale" -gt 0 ]; then
  # Query file: one MX query per scale domain (all distinct), A and TLSA per MX host; domains first, in
  # list order, as a scan issues them.
  {
    sed 's/$/ MX/' "$state/scale/domains.txt"
    sed -n 's/.*"mxHost":"\([^"]*\)".*/\1/p' "$state/scale/expected.jsonl" | sort -u | awk '{ print $1 " A"; print "_25._tcp." $1 " TLSA" }'
  } > "$work/queries.txt"
else
  # Query file: one MX query per case domain, A and TLSA per MX host named in the catalogue.
  "${danescan[@]}" lab cases > "$work/cases.txt"
  {
    awk '/^[^ ]/ { print $2 " MX" }' "$work/cases.txt"
    awk '/^ +host [a-z0-9.-]+ \(/ { print $2 " A"; print "_25._tcp." $2 " TLSA" }' "$work/cases.txt"
  } | sort -u > "$work/queries.txt"
fi
echo "query file: $(wc -l < "$work/queries.txt") queries ($(grep -c ' MX$' "$work/queries.txt") MX, $(grep -c ' A$' "$work/queries.txt") A, $(grep -c ' TLSA$' "$work/queries.txt") TLSA)"
echo "resolver: $resolver:53; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"

# One pass over the file first: with a fresh resolver every name is a cache miss (nsd and validation);
# with the scale file this is the cold-cache rate a scan meets. It also warms the cache for the levels.
echo "=== cold pass: dnsperf -s $resolver -d queries.txt -D -n 1 -c ${cold%%:*} -q ${cold##*:}"
dnsperf -s "$resolver" -p 53 -d "$work/queries.txt" -D -n 1 -c "${cold%%:*}" -q "${cold##*:}" | tee "$work/out.txt"
echo "SUMMARY cold-pass qps=$(awk '/Queries per second:/ { print $4 }' "$work/out.txt") avg_latency_s=$(awk '/Average Latency/ { print $4 }' "$work/out.txt")"

for level in $levels; do
  clients=${level%%:*}; outstanding=${level##*:}
  echo "=== dnsperf -s $resolver -d queries.txt -D -l $seconds -c $clients -q $outstanding"
  dnsperf -s "$resolver" -p 53 -d "$work/queries.txt" -D -l "$seconds" -c "$clients" -q "$outstanding" | tee "$work/out.txt"
  qps=$(awk '/Queries per second:/ { print $4 }' "$work/out.txt")
  lat=$(awk '/Average Latency/ { print $4 }' "$work/out.txt")
  echo "SUMMARY clients=$clients outstanding=$outstanding qps=$qps avg_latency_s=$lat"
done
