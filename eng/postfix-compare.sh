#!/usr/bin/env bash
# Cross-check DaneScan's per-host DANE verdicts against Postfix's own DANE client (posttls-finger).
# Not part of CI: a measurement script. Run as root (apt-get, unshare --mount, port 25 on 127.X).
# Usage: eng/postfix-compare.sh [octet] [outdir]      (defaults: 153, /tmp/postfix-compare)
# Prints a Markdown table on stdout; raw posttls-finger/danescan output stays in outdir.
set -euo pipefail
OCTET="${1:-153}"
OUT="${2:-/tmp/postfix-compare}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="$OUT/lab-$OCTET"
DLL="$ROOT/src/DaneScan.Cli/bin/Release/net10.0/danescan.dll"

# (1) Postfix, installed with "No configuration" so no main.cf and no daemon; make sure none runs.
if ! command -v posttls-finger >/dev/null 2>&1; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix >&2
fi
if pgrep -x master >/dev/null 2>&1 && [ -f /etc/postfix/main.cf ]; then postfix stop >&2 || true; fi
if pgrep -x master >/dev/null 2>&1; then echo "a postfix master process is running; refusing to go on" >&2; exit 1; fi

dotnet build "$ROOT/src/DaneScan.Cli" -c Release -v q -nologo >&2
rm -rf "$OUT"; mkdir -p "$OUT/pf" "$OUT/ds"

# A private Postfix config dir (the package leaves /etc/postfix/main.cf absent) and a private resolv.conf
# pointing at the lab's validating unbound; both are bind-mounted only inside unshare --mount.
cp -a /etc/postfix "$OUT/etc-postfix"
cat > "$OUT/etc-postfix/main.cf" <<CF
compatibility_level = 3.6
myhostname = posttls-finger.lab.invalid
inet_protocols = ipv4
smtp_dns_support_level = dnssec
CF
printf 'nameserver 127.%s.0.2\noptions trust-ad edns0\n' "$OCTET" > "$OUT/resolv.conf"

# (2) the lab
dotnet "$DLL" lab up --octet "$OCTET" --state "$STATE" >&2
trap 'dotnet "$DLL" lab down --octet "$OCTET" --state "$STATE" >&2 || true' EXIT
dotnet "$DLL" lab cases > "$OUT/cases.txt"
grep -E '^[a-z0-9-]+  ' "$OUT/cases.txt" | awk '{print $1" "$2}' > "$OUT/domains.txt"

# (4) DaneScan first: its JSON also names the MX hosts, so posttls-finger can be pointed at the hosts
# that a domain-level run never reaches (posttls-finger stops at the first host it completes).
while read -r _ domain; do
  dotnet "$DLL" check --lab "$STATE" --json "$domain" > "$OUT/ds/$domain.json" 2> "$OUT/ds/$domain.err" || true
done < "$OUT/domains.txt"

# (3) posttls-finger with DANE; -c is not used so the EHLO reply shows whether STARTTLS was offered.
PTF=(posttls-finger -t 5 -T 5 -l dane -P /etc/ssl/certs -L summary,certmatch)
python3 - "$OUT" > "$OUT/targets.txt" <<'PY'
import json, sys, os
out = sys.argv[1]
for line in open(os.path.join(out, "domains.txt")):
    case, domain = line.split()
    print(f"{domain} {domain}")
    try:
        v = json.load(open(os.path.join(out, "ds", domain + ".json")))["verdict"]["payload"]
    except Exception:
        continue
    hosts = v.get("hosts") or []
    if len(hosts) > 1:
        for h in hosts:
            print(f"{domain} [{h['name']}]")
PY
export OUT
unshare --mount bash -c '
  set -u
  mount --bind "$OUT/resolv.conf" /etc/resolv.conf
  mount --bind "$OUT/etc-postfix" /etc/postfix
  while read -r domain target; do
    case "$target" in
      "["*) f="$OUT/pf/host-${target//[\[\]]/}.txt" ;;
      *) f="$OUT/pf/$target.txt" ;;
    esac
    timeout 60 "$@" "$target" > "$f" 2>&1 < /dev/null; echo "exit=$?" >> "$f"
  done < "$OUT/targets.txt"
' _ "${PTF[@]}"

# (5) the table
python3 "$ROOT/eng/postfix-compare.py" "$OUT"
