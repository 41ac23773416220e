#!/usr/bin/env python3
"""Tabulate posttls-finger (Postfix DANE) against danescan check --json, per MX host.

Input: the output directory of eng/postfix-compare.sh. Output: a Markdown table and the agreement count.
Both sides are reduced to one shared class per host:
  Verified, Trusted, Untrusted      TLS session and the trust Postfix logs for it
  AuthFailed                        DANE applies and the certificate chain did not authenticate
  NoStartTls, Handshake, Unreachable, TlsaLookupError, AddressError, DomainError
posttls-finger is a diagnostic: on a DANE authentication failure it still completes the handshake and
logs "Untrusted TLS connection established" after a "server/CA certificate verification failed" line;
smtp(8) at the same "dane" level defers the delivery instead. A "(server|CA) certificate verification
failed" line is therefore read as AuthFailed. The plain "certificate verification failed" line (no prefix)
is Postfix's opportunistic-TLS note for a peer with no usable TLSA and stays Untrusted.
"""
import json, os, re, sys

out = sys.argv[1]


def pf_class(text, host):
    """Postfix's result for one host from a posttls-finger transcript: (class, detail)."""
    lines = text.splitlines()
    h = re.escape(host) if host else r"\S+"
    for cls in ("Verified", "Trusted", "Untrusted"):
        if re.search(rf"{cls} TLS connection established to {h}\[", text):
            m = re.search(rf"(server|CA) certificate verification failed for {h}\[[^\]]*\]:\d+: (.*)", text)
            if cls == "Untrusted" and m:
                return "AuthFailed", f"{m.group(1)} certificate verification failed: {m.group(2)}"
            detail = cls
            if "all TLSA records unusable" in text:
                detail += " (all TLSA records unusable)"
            elif "unsupported TLSA certificate usage" in text:
                detail += " (unsupported TLSA usage)"
            elif "MX RRset insecure" in text:
                detail += " (MX RRset insecure)"
            return cls, detail
    if re.search(r"TLSA lookup error", text):
        return "TlsaLookupError", "TLSA lookup error"
    m = re.search(r"Destination address lookup failed: (.*)", text)
    if m:
        msg = m.group(1)
        if "nullMX" in msg or re.search(r"type=MX", msg) or (host is None):
            return "DomainError", msg[:110]
        return "AddressError", msg[:110]
    m = re.search(r"STARTTLS rejected: (.*)", text)
    if m:
        return "NoStartTls", "STARTTLS rejected: " + m.group(1)[:60]
    m = re.search(r"SSL_connect error to [^:]*:\d+: (.*)", text)
    if m:
        return "Handshake", "SSL_connect error: " + m.group(1)[:60]
    m = re.search(r"(timeout while [a-z ]+)", text)
    if m:
        return "Unreachable", m.group(1)
    m = re.search(r"connect to \S+: (Connection refused|.*)", text)
    if m:
        return "Unreachable", "connect: " + m.group(1)[:60]
    if re.search(r"Connected to ", text):
        ehlo = [l for l in lines if re.search(r"< 250[- ]", l)]
        if not any("STARTTLS" in l for l in ehlo):
            return "NoStartTls", "STARTTLS not offered"
        if not any("> STARTTLS" in l for l in lines):
            return "NoStartTls", "STARTTLS offered but not sent (EHLO reply not parsed)"
    return "NoResult", (text.strip().splitlines() or ["(no output)"])[0][:100]


def pf_depth(text, host):
    """The match depth Postfix logged for one host ("Matched DANE TA certificate at depth 2: 2 1 1 ...",
    "Matched DANE TA public key verified certificate at depth 1: 2 1 0 ..."), or None."""
    h = re.escape(host) if host else r"\S+"
    m = re.search(rf"{h}\[[^\]]*\]:\d+: Matched DANE (?:EE|TA) (?:certificate|public key verified certificate) at depth (\d+)", text)
    return int(m.group(1)) if m else None


def ds_class(h, v):
    o, r, t = h.get("outcome"), h.get("reason"), h.get("trust")
    if t in ("Verified", "Trusted", "Untrusted"):
        return t
    return {
        "AuthenticationFailed": "AuthFailed", "NoStartTls": "NoStartTls", "HandshakeFailed": "Handshake",
        "Unreachable": "Unreachable", "TlsaLookupFailed": "TlsaLookupError", "NoAddresses": "AddressError",
        "AddressLookupFailed": "AddressError", "NotDane": "NotDane", "EncryptOnly": "Untrusted",
    }.get(o, o or "?")


def agrees(pf, ds):
    if pf == ds:
        return True
    # Not DANE (no TLSA / insecure TLSA / insecure host): Postfix falls back to opportunistic TLS, so any
    # non-DANE result (Untrusted TLS, no STARTTLS, handshake or connect failure) is the same verdict.
    if ds == "NotDane":
        return pf in ("Untrusted", "NoStartTls", "Handshake", "Unreachable")
    return False


rows, agree = [], 0
depth_rows, depth_agree = 0, 0
for line in open(os.path.join(out, "domains.txt")):
    case, domain = line.split()
    try:
        v = json.load(open(os.path.join(out, "ds", domain + ".json")))["verdict"]["payload"]
    except Exception as e:  # noqa: BLE001 - reported as a row
        v = {"mxStatus": f"no JSON ({e.__class__.__name__})", "hosts": []}
    dom_text = open(os.path.join(out, "pf", domain + ".txt")).read()
    hosts = v.get("hosts") or []
    if not hosts:
        pf, pfd = pf_class(dom_text, None)
        ds = "DomainError" if v.get("mxStatus") != "MxHosts" else "?"
        ok = pf in ("DomainError", "AddressError") and ds == "DomainError"
        agree += ok
        rows.append((case, "(domain)", f"{pf}: {pfd}", f"mxStatus {v.get('mxStatus')} / {v.get('mxOutcome')}", "-", "-", ok))
        continue
    for h in hosts:
        name = h["name"]
        if len(hosts) > 1:
            f = os.path.join(out, "pf", f"host-{name}.txt")
            text = open(f).read() if os.path.exists(f) else ""
            src = f"[{name}]"
        else:
            text, src = dom_text, name
        pf, pfd = pf_class(text, name)
        ds = ds_class(h, v)
        ok = agrees(pf, ds)
        agree += ok
        # The match depth, where both sides authenticated: Postfix's log line against DaneScan's match.depth.
        pdep, ddep = pf_depth(text, name), (h.get("match") or {}).get("depth")
        depth = "-"
        if pdep is not None and ddep is not None:
            depth_rows += 1
            depth_agree += pdep == ddep
            depth = f"{pdep} / {ddep}" + ("" if pdep == ddep else " **NO**")
        rows.append((case, src, f"{pf}: {pfd}" if pf not in pfd else pfd,
                     f"{h.get('outcome')} ({h.get('reason')})", h.get("trust") or "-", depth, ok))

print("| case | MX host | Postfix (posttls-finger) | DaneScan outcome (reason) | DaneScan trust | match depth (Postfix / DaneScan) | agree |")
print("|---|---|---|---|---|---|---|")
for c, hst, p, d, t, dep, ok in rows:
    p = p.replace("|", "/")
    print(f"| {c} | {hst} | {p} | {d} | {t} | {dep} | {'yes' if ok else '**NO**'} |")
print()
print(f"Agreement: {agree} of {len(rows)} host rows ({len(rows) - agree} disagreements).")
print(f"Match depth: {depth_agree} of {depth_rows} authenticated rows agree.")
