#!/usr/bin/env bash
# Installs what DaneScan's lab and tests need on a fresh Debian machine. Idempotent: a second run is quick.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

debs=(nsd unbound ldnsutils bind9-dnsutils bind9-utils dnsperf openssl ca-certificates iproute2 procps util-linux publicsuffix)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "prereqs: installing Debian packages: ${missing[*]}"
  # The lab needs the nsd and unbound programs, not their system services: it runs its own instances on
  # its own 127.X addresses. Debian starts a newly installed daemon, and a packaged nsd listens on every
  # address's port 53, which would take the port from the user's own resolver and from the lab. So while
  # this script installs them, a policy-rc.d forbids service starts (only if the machine has none), and
  # afterwards the services this run installed are disabled. Services that were installed before are left
  # exactly as they are, running or not.
  new_daemons=()
  for svc in nsd unbound; do
    for p in "${missing[@]}"; do [ "$p" = "$svc" ] && new_daemons+=("$svc"); done
  done
  policy=/usr/sbin/policy-rc.d
  placed_policy=""
  if [ ${#new_daemons[@]} -gt 0 ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Placed by DaneScan eng/prereqs.sh while it installs packages; removed afterwards.\nexit 101\n' \
      | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod 0755 "$policy"
    placed_policy=yes
  fi
  remove_policy() { if [ -n "$placed_policy" ]; then $sudo_cmd rm -f "$policy"; placed_policy=""; fi; }
  trap remove_policy EXIT
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  remove_policy
  trap - EXIT
  for svc in "${new_daemons[@]}"; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      $sudo_cmd systemctl disable --now "$svc" >/dev/null 2>&1 || true
      echo "prereqs: installed $svc for the lab's own instances; its system service is left disabled"
    fi
  done
fi

# The lab binds 127.X.0.1:53 and 127.X.0.2:53. A resolver bound to a specific address (Debian's unbound
# default, 127.0.0.1; systemd-resolved, 127.0.0.53) does not clash; one listening on every address's
# port 53 does. Say so now, with the fix, rather than let the lab fail later.
if command -v ss >/dev/null 2>&1; then
  wild=$(ss -Hlnptu 'sport = :53' 2>/dev/null | awk '$5 ~ /^(0\.0\.0\.0|\*|\[::\]|\[::ffff:0\.0\.0\.0\]):53$/' || true)
  if [ -n "$wild" ]; then
    echo "prereqs: warning: a service listens on port 53 of every address; the lab (127.X.0.1 and 127.X.0.2, port 53)"
    echo "prereqs: cannot start beside it. Bind that service to specific addresses (unbound: 'interface: 127.0.0.1';"
    echo "prereqs: nsd: 'ip-address: ...'). DaneScan does not change it. Listening:"
    echo "$wild" | sed 's/^/prereqs:   /'
  fi
fi

# Azurite (Table Storage emulator), pinned, installed into the repo's .tools folder.
azurite_version=3.37.0
if [ ! -x "$here/.tools/azurite/node_modules/.bin/azurite-table" ]; then
  echo "prereqs: installing azurite@$azurite_version (npm)"
  mkdir -p "$here/.tools/azurite"
  npm install --prefix "$here/.tools/azurite" --no-audit --no-fund --loglevel=error "azurite@$azurite_version" >/dev/null
fi

# The dashboard's browser test and the OpenAPI checks (tests/DaneScan.Api.Tests): Debian's Chromium, driven
# by puppeteer-core (which downloads no browser), an OpenAPI validator and a JSON Schema validator, pinned,
# in the repo's .tools folder.
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q 'install ok installed'; then
  echo "prereqs: installing Debian package: chromium"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
browser_test_packages=(puppeteer-core@25.16.0 @apidevtools/swagger-parser@13.1.0 ajv@8.20.0 ajv-formats@3.0.1)
browser_test_stamp="$here/.tools/browser-test/.installed"
if [ ! -f "$browser_test_stamp" ] || [ "$(cat "$browser_test_stamp")" != "${browser_test_packages[*]}" ]; then
  echo "prereqs: installing ${browser_test_packages[*]} (npm)"
  mkdir -p "$here/.tools/browser-test"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$here/.tools/browser-test" --no-audit --no-fund --loglevel=error "${browser_test_packages[@]}" >/dev/null
  echo "${browser_test_packages[*]}" >"$browser_test_stamp"
fi
