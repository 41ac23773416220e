#!/usr/bin/env bash
# Deploys DaneScan's Azure fleet: the Bicep templates, then the Functions package built with the official
# Service Bus extension. Needs the az CLI (logged in: `az login`), the .NET SDK, zip, and a NuGet source that
# serves Microsoft.Azure.Functions.Worker.Extensions.ServiceBus (nuget.org does).
#
#   infra/deploy/deploy.sh <resource-group> <location> <helo-name> [extra bicep parameters: name=value ...]
#   infra/deploy/deploy.sh danescan-rg westeurope scanner.example.org resolverEndpoint=10.40.1.4:53
#   infra/deploy/deploy.sh danescan-rg westeurope scanner.example.org probeHosting=elasticPremium \
#       deployResolver=true "resolverSshPublicKey=$(cat ~/.ssh/id_ed25519.pub)"
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,10p' "$0"
  exit 2
fi
rg=$1 location=$2 helo=$3
shift 3
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/danescan-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in az dotnet zip; do
  command -v "$tool" >/dev/null || { echo "deploy: $tool is required" >&2; exit 1; }
done

echo "deploy: resource group $rg in $location"
az group create --name "$rg" --location "$location" --output none

echo "deploy: infrastructure (bicep/main.bicep)"
az deployment group create --resource-group "$rg" --name danescan \
  --template-file "$here/bicep/main.bicep" --parameters "$here/bicep/main.bicepparam" \
  --parameters "heloName=$helo" "$@" \
  --query properties.outputs --output json >"$work/outputs.json"
out() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]['value'])" "$work/outputs.json" "$1"; }
scan_app=$(out scanAppName)
probe_app=$(out probeAppName)
storage=$(out storageAccountName)

echo "deploy: publishing the Functions app with the official Service Bus extension"
dotnet publish "$here/src/DaneScan.Functions" -c Release -p:UseOfficialServiceBusExtension=true \
  -o "$work/publish" --verbosity quiet -nologo
(cd "$work/publish" && zip -qr "$work/danescan.zip" .)

echo "deploy: package to $scan_app (Flex Consumption)"
az functionapp deployment source config-zip --resource-group "$rg" --name "$scan_app" --src "$work/danescan.zip" --output none

if [ -n "$probe_app" ]; then
  # The Elastic Premium probe app runs from <deployments container>/<app>.zip, read with its identity.
  echo "deploy: package to $probe_app (Elastic Premium, run from package)"
  az storage blob upload --auth-mode login --account-name "$storage" --container-name deployments \
    --name "$probe_app.zip" --file "$work/danescan.zip" --overwrite --output none
  az functionapp restart --resource-group "$rg" --name "$probe_app" --output none
fi

echo "deploy: done"
echo "  statistics API:   https://$(out scanAppHostName)/api/runs   (function key: az functionapp keys list -g $rg -n $scan_app)"
echo "  lists container:  az storage blob upload --auth-mode login --account-name $storage -c lists -f <list>"
echo "  egress address:   $(out egressAddress)   (give it reverse DNS $helo; empty without a virtual network)"
echo "  resolver:         $(out resolverEndpoint)"
echo "  identity client:  $(out identityClientId)   (grant an external 'danescan worker' its own identity the same roles)"
