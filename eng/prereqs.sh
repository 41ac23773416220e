#!/usr/bin/env bash
# Installs what DaneScan's lab and tests need on a fresh Debian machine. Idempotent: a second run is quick.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)

debs=(nsd unbound ldnsutils bind9-dnsutils bind9-utils dnsperf openssl ca-certificates iproute2 procps util-linux)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "prereqs: installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the packaged daemons where it can; the lab runs its own instances on its own addresses.
for svc in nsd unbound; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done

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
