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

# Run directories store the parts that many domain records share once per run in hosts.jsonl, and a domain line
# refers to them (docs/dataset.md, "Shared parts of domain records"). Format 3 lines hold "$base" (the part with the
# run-level values and the verdict's summary) and [ref, ttl, ...] for the MX RRset, each MX host, each host verdict
# and each finding, with the domain's name written %d inside parts; format 2 lines hold [ref, ttl/reference
# identifiers...] for the MX hosts and host verdicts only; format 1 lines hold the record as it is.
FORMAT2_PER_DOMAIN = {"ttl", "referenceIdentifiers"}
FORMAT3_PER_DOMAIN = {"ttl"}
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


def untemplate(text, domain):
    out, i = [], 0
    while i < len(text):
        if text[i] == "%":
            nxt = text[i + 1:i + 2]
            if nxt not in ("%", "d"):
                raise ValueError(f"{domain}: '%' not followed by '%' or 'd' in {text!r}")
            out.append("%" if nxt == "%" else domain)
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def untemplate_node(node, domain):
    if isinstance(node, dict):
        return {k: untemplate_node(v, domain) for k, v in node.items()}
    if isinstance(node, list):
        return [untemplate_node(v, domain) for v in node]
    return untemplate(node, domain) if isinstance(node, str) else node


def restore(node, values, per_domain):
    if isinstance(node, dict):
        for name in list(node):
            if name in per_domain:
                node[name] = values.pop(0)
            else:
                restore(node[name], values, per_domain)
    elif isinstance(node, list):
        for item in node:
            restore(item, values, per_domain)


def expand(element, domain, format3):
    if not isinstance(element, list):
        return element
    part = json.loads(json.dumps(shared[element[0]]))
    if format3:
        part = untemplate_node(part, domain)
    restore(part, list(element[1:]), FORMAT3_PER_DOMAIN if format3 else FORMAT2_PER_DOMAIN)
    return part


def merge(line, base):
    for name, value in base.items():
        if name not in line:
            line[name] = value
        else:
            merge(line[name], value)


def join(domain, record):
    """The domain record of a stored line of any format."""
    format3 = "$base" in record
    if format3:
        merge(record, untemplate_node(shared[record.pop("$base")], domain))
    verdict = record.get("verdict")
    if verdict is not None:
        verdict["hosts"] = [expand(h, domain, format3) for h in verdict.get("hosts", [])]
        verdict["findings"] = [expand(f, domain, format3) for f in verdict.get("findings", [])]
    return record

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
        seen[row["key"]] = join(row["key"], row["record"]).get("verdict")

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
