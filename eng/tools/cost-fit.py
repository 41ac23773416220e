#!/usr/bin/env python3
"""Splits the counted operations of two or more cost runs into a part per domain and a part per probe.

usage: cost-fit.py REPORT.json REPORT.json [...] [--ratios 0.05,0.3,1.0]

Each report is the JSON that `DaneScan.Benchmarks cost --json FILE` (eng/cost.sh) writes. Runs over labs
with different probes-per-domain ratios let a least-squares fit  count = a * domains + b * probes  separate
what every domain costs from what every probed (host, address) costs; the totals per million domains are
then given at a few probes-per-domain ratios (the internet's ratio is not the lab's). Prices and the latency
model are taken from the first report.
"""
import json
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
ratios = [0.05, 0.3, 1.0]
if "--ratios" in sys.argv:
    ratios = [float(x) for x in sys.argv[sys.argv.index("--ratios") + 1].split(",")]
    args = [a for a in args if a != sys.argv[sys.argv.index("--ratios") + 1]]
if len(args) < 2:
    sys.exit(__doc__)

reports = [json.load(open(p)) for p in args]


def op(report, name):
    return next(o["value"] for o in report["operations"] if o["key"] == name)


def fit(values):
    """Least squares for value = a*domains + b*probes over the runs."""
    sdd = sdp = spp = svd = svp = 0.0
    for r, v in zip(reports, values):
        d, p = r["domains"], r["check"]["probes"]
        sdd += d * d; sdp += d * p; spp += p * p; svd += v * d; svp += v * p
    det = sdd * spp - sdp * sdp
    if abs(det) < 1e-9:
        sys.exit("the runs need different probes-per-domain ratios")
    return (svd * spp - svp * sdp) / det, (svp * sdd - svd * sdp) / det


first = reports[0]
prices, lat = first["prices"], first["latency"]
gb = first["memoryMb"] / 1024.0
conc = first["concurrency"]
items = {
    "table transactions": ([op(r, "table: billed transactions (all stages)") for r in reports], prices["tablePer10kTransactions"] / 1e4),
    "service bus operations": ([op(r, "servicebus: billed operations (per message and 64 KB)") for r in reports], prices["serviceBusPerMillionOperations"] / 1e6),
    "function executions": ([op(r, "functions: executions") for r in reports], prices["flexPerMillionExecutions"] / 1e6),
    "log records": ([op(r, "logs: records (host per execution + the functions' own)") for r in reports], 700 / 1e9 * prices["logAnalyticsPerGb"]),
    "stored bytes (priced for a month)": ([sum(t["bytes"] for t in r["stored"].values()) for r in reports], prices["tablePerGbMonth"] / 1e9),
}

print("runs: " + ", ".join(f"{r['domains']} domains / {r['check']['probes']} probes" for r in reports))
print()
print("| counted | per domain | per probe |")
print("|---|---:|---:|")
coef = {}
for name, (values, _) in items.items():
    a, b = fit(values)
    coef[name] = (a, b)
    print(f"| {name} | {a:.3f} | {b:.3f} |")
gbs_domain = lat["resolveSecondsPerDomain"] / conc * gb
gbs_probe = lat["probeMeanSeconds"] / conc * gb
print(f"| GB-s, internet model | {gbs_domain:.4f} | {gbs_probe:.4f} |")
print()
header = " | ".join(f"{x:g} probes/domain" for x in ratios)
print(f"| USD per million domains | {header} |")
print("|---|" + "---:|" * len(ratios))
totals = [0.0] * len(ratios)
for name, (values, unit) in items.items():
    a, b = coef[name]
    row = [(a + b * x) * 1e6 * unit for x in ratios]
    totals = [t + v for t, v in zip(totals, row)]
    print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
row = [(gbs_domain + gbs_probe * x) * 1e6 * prices["flexPerGbSecond"] for x in ratios]
totals = [t + v for t, v in zip(totals, row)]
print("| function GB-s (internet model) | " + " | ".join(f"{v:.2f}" for v in row) + " |")
print("| total | " + " | ".join(f"{v:.2f}" for v in totals) + " |")
