#!/usr/bin/env python3
"""Compares a scan's domain records with the lab's expected scale outcomes.

usage: compare-scale.py <expected.jsonl> <run-dir>/domains.jsonl
Every expected domain must be recorded exactly once, with the expected MX status, mx_secure, all-MX and
primary-MX statuses, and the expected outcome and reason for its MX host. Exit 0 when all match.
"""
import json
import os
import sys

expected_path, domains_path = sys.argv[1], sys.argv[2]

# Run directories store each host verdict once per run in hosts.jsonl; a domain line holds [ref, per-domain
# values...] in its place (docs/dataset.md, "Shared host observations"). Older runs hold the objects inline.
PER_DOMAIN = {"ttl", "referenceIdentifiers"}
shared = {}
hosts_path = os.path.join(os.path.dirname(domains_path), "hosts.jsonl")
if os.path.exists(hosts_path):
    with open(hosts_path) as f:
        for line in f:
            try:
                part = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line
            shared.setdefault(part["key"], part["record"]["host"])


def restore(node, values):
    if isinstance(node, dict):
        for name in list(node):
            if name in PER_DOMAIN:
                node[name] = values.pop(0)
            else:
                restore(node[name], values)
    elif isinstance(node, list):
        for item in node:
            restore(item, values)


def expand(host):
    if not isinstance(host, list):
        return host
    part = json.loads(json.dumps(shared[host[0]]))
    restore(part, list(host[1:]))
    return part

expected = {}
with open(expected_path) as f:
    for line in f:
        if line.strip():
            e = json.loads(line)
            expected[e["domain"]] = e

seen = {}
duplicates = 0
with open(domains_path) as f:
    for line in f:
        if not line.strip():
            continue
        row = json.loads(line)
        if row["key"] in seen:
            duplicates += 1
        verdict = row["record"].get("verdict")
        if verdict is not None:
            verdict["hosts"] = [expand(h) for h in verdict.get("hosts", [])]
        seen[row["key"]] = verdict

mismatches = []
for domain, e in expected.items():
    v = seen.get(domain)
    if v is None:
        mismatches.append(f"{domain}: not recorded")
        continue
    got = (v["mxStatus"], v["mxSecure"], v["all"], v["primary"])
    want = (e["mx"], e["mxSecure"], e["allMx"], e["primaryMx"])
    host = next((h for h in v.get("hosts", []) if h["name"].lower() == e["mxHost"].lower()), None)
    if got != want or (host is not None and (host["outcome"], host["reason"]) != (e["hostOutcome"], e["hostReason"])):
        mismatches.append(f"{domain}: expected {want} {e['hostOutcome']}/{e['hostReason']}, got {got} {host and (host['outcome'], host['reason'])}")

# Fan-out domains (lab up --fanout-domains): every MX name on one silent address. How many of their hosts are
# tried before the address is given up is the scanner's budget, so only the kind of outcome is checked: each
# domain recorded, each host Unreachable (the silent server) or NotProbed (the budget), none judged otherwise.
fanout = []
fanout_path = os.path.join(os.path.dirname(expected_path), "fanout.txt")
if os.path.exists(fanout_path):
    with open(fanout_path) as f:
        fanout = [line.strip() for line in f if line.strip()]
host_counts = {}
for domain in fanout:
    v = seen.get(domain)
    if v is None:
        mismatches.append(f"{domain} (fan-out): not recorded")
        continue
    for h in v.get("hosts", []):
        pair = f"{h['outcome']}/{h['reason']}"
        host_counts[pair] = host_counts.get(pair, 0) + 1
        if h["outcome"] not in ("Unreachable", "NotProbed"):
            mismatches.append(f"{domain} (fan-out): host {h['name']} {pair}")

extra = len(set(seen) - set(expected) - set(fanout))
if fanout:
    print(f"fan-out domains {len(fanout)}, recorded {sum(1 for d in fanout if d in seen)}, their hosts: "
          + ", ".join(f"{k} {n}" for k, n in sorted(host_counts.items())))
print(f"expected {len(expected)}, recorded {len(seen)}, duplicates {duplicates}, unexpected {extra}, mismatches {len(mismatches)}")
for m in mismatches[:20]:
    print("  " + m)
sys.exit(0 if not mismatches and duplicates == 0 and extra == 0 else 1)
