// DaneScan's Azure fleet: enumerate (timer), resolve (Service Bus) and the statistics API on Flex
// Consumption; the probe stage where outbound TCP 25 is allowed; Service Bus queues between the stages;
// Table Storage for results; Application Insights; one user-assigned identity and no keys anywhere.
//
// Deploy (see docs/azure.md, "Deploying"):
//   az deployment group create -g <rg> -f bicep/main.bicep -p bicep/main.bicepparam

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Prefix of resource names (lower-case letters, digits, hyphens).')
@minLength(3)
@maxLength(16)
param namePrefix string = 'danescan'

@description('''Where the probe stage (SMTP on port 25) runs.
Outbound TCP 25 is open only in Enterprise Agreement and MCA-E subscriptions, and a Functions app reaches it
only through virtual-network integration; Flex Consumption is not documented to allow it.
- external: no probe app; run `danescan worker` on a machine that may open port 25 (it consumes the probe queue).
- elasticPremium: an Elastic Premium app integrated into the virtual network (needs enableVirtualNetwork), egress through the NAT gateway.
- flexConsumption: the Flex Consumption app also runs the probe stage; only where port 25 is known to be open to it.''')
@allowed([
  'external'
  'elasticPremium'
  'flexConsumption'
])
param probeHosting string = 'external'

@description('Create a virtual network with a NAT gateway (stable egress address) and integrate the apps into it.')
param enableVirtualNetwork bool = false

@description('Deploy a validating resolver (unbound on a small VM) in the virtual network; needs enableVirtualNetwork.')
param deployResolver bool = false

@description('Validating resolver address:port, when deployResolver is false (your own resolver, reachable from the apps). Azure\'s own resolver does not validate DNSSEC.')
param resolverEndpoint string = ''

@description('Static private address of the deployed resolver (inside the resolver subnet, 10.40.1.0/28).')
param resolverPrivateAddress string = '10.40.1.4'

@description('Administrator user name of the resolver VM.')
param resolverAdminUsername string = 'danescan'

@description('SSH public key for the resolver VM administrator (public, not a secret); required when deployResolver.')
param resolverSshPublicKey string = ''

@description('NCRONTAB schedule of the enumerate timer (six fields, UTC): Sundays 03:00 by default.')
param enumerateSchedule string = '0 0 3 * * 0'

@description('NCRONTAB schedule of the finalise timer, which completes runs whose work is all done and stores their statistics: every five minutes by default.')
param finaliseSchedule string = '0 */5 * * * *'

@description('How long a run may make no progress before the finaliser completes it with what it has (its manifest then names what was outstanding, typically dead-lettered messages). .NET TimeSpan, 00:30:00 to 30.00:00:00.')
param finaliseStallAfter string = '06:00:00'

@description('Optional opt-out list, "container/blob name" in this storage account (for example "optout/optout.txt"; not in the lists container, whose every blob is a list). Empty: no opt-out list.')
param optOutBlob string = ''

@description('Name the prober sends in EHLO; point its A record at the egress address and serve an opt-out page there.')
param heloName string

@description('Tables of the result store.')
param tableNames string[] = [
  'runs'
  'domains'
  'hosts'
  'statistics'
]

@description('Tags on every resource.')
param tags object = {
  project: 'danescan'
}

var identityName = '${namePrefix}-id'
var compactPrefix = toLower(replace(namePrefix, '-', ''))
var storageName = take('${compactPrefix}${uniqueString(resourceGroup().id)}', 24)
var deploymentContainerName = 'deployments'
var listsContainerName = 'lists'
var vnetAddressSpace = '10.40.0.0/16'
var allFunctions = [
  'Enumerate'
  'Finalise'
  'Resolve'
  'Probe'
  'ListRuns'
  'GetRun'
  'CountsByTld'
  'CountsByMxProvider'
  'CountsByTlsaParameters'
  'Breakdown'
  'ListFindings'
  'TimeSeries'
  'GetDomain'
  'CompareRuns'
  'OpenApiDocument'
]
var useVnet = enableVirtualNetwork || probeHosting == 'elasticPremium' || deployResolver

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    location: location
    name: identityName
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    principalId: identity.outputs.principalId
    identityName: identityName
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: storageName
    tags: tags
    tableNames: tableNames
    listsContainerName: listsContainerName
    deploymentContainerName: deploymentContainerName
    principalId: identity.outputs.principalId
    identityName: identityName
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    principalId: identity.outputs.principalId
    identityName: identityName
  }
}

module network 'modules/network.bicep' = if (useVnet) {
  name: 'network'
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    addressPrefix: vnetAddressSpace
  }
}

module resolver 'modules/resolver.bicep' = if (deployResolver) {
  name: 'resolver'
  params: {
    location: location
    namePrefix: namePrefix
    tags: tags
    subnetId: network!.outputs.resolverSubnetId
    privateAddress: resolverPrivateAddress
    allowedClients: vnetAddressSpace
    adminUsername: resolverAdminUsername
    adminSshPublicKey: resolverSshPublicKey
  }
}

var effectiveResolver = deployResolver ? resolver!.outputs.endpoint : resolverEndpoint

// Enumerate, resolve and the API; also the probe stage when probeHosting is flexConsumption.
module scanApp 'modules/functionapp.bicep' = {
  name: 'scan-app'
  params: {
    location: location
    name: '${namePrefix}-scan'
    tags: tags
    hosting: 'flexConsumption'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.connectionString
    subnetId: useVnet ? network!.outputs.appsSubnetId : ''
    enumerateSchedule: enumerateSchedule
    finaliseSchedule: finaliseSchedule
    finaliseStallAfter: finaliseStallAfter
    listsContainerName: storage.outputs.listsContainerName
    optOutBlob: optOutBlob
    resolverEndpoint: effectiveResolver
    heloName: heloName
    disabledFunctions: probeHosting == 'flexConsumption' ? [] : ['Probe']
  }
}

// The probe stage alone, on Elastic Premium inside the virtual network, egress through the NAT gateway.
module probeApp 'modules/functionapp.bicep' = if (probeHosting == 'elasticPremium') {
  name: 'probe-app'
  params: {
    location: location
    name: '${namePrefix}-probe'
    tags: tags
    hosting: 'elasticPremium'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusNamespace: serviceBus.outputs.fullyQualifiedNamespace
    appInsightsConnectionString: monitoring.outputs.connectionString
    subnetId: network!.outputs.probeSubnetId
    enumerateSchedule: enumerateSchedule
    finaliseSchedule: finaliseSchedule
    finaliseStallAfter: finaliseStallAfter
    listsContainerName: storage.outputs.listsContainerName
    optOutBlob: optOutBlob
    resolverEndpoint: effectiveResolver
    heloName: heloName
    disabledFunctions: filter(allFunctions, f => f != 'Probe')
  }
}

output scanAppName string = scanApp.outputs.name
output scanAppHostName string = scanApp.outputs.defaultHostName
output probeAppName string = probeHosting == 'elasticPremium' ? probeApp!.outputs.name : ''
output serviceBusNamespace string = serviceBus.outputs.fullyQualifiedNamespace
output storageAccountName string = storage.outputs.name
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl
output identityClientId string = identity.outputs.clientId
output identityPrincipalId string = identity.outputs.principalId
output egressAddress string = useVnet ? network!.outputs.egressAddress : ''
output resolverEndpoint string = effectiveResolver
