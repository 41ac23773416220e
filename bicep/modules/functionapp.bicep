// One DaneScan function app: the same package, with the functions it should not run disabled through
// AzureWebJobs.<name>.Disabled. Every connection is identity-based (the user-assigned identity): no keys
// and no connection strings appear in the settings.
//
// hosting:
//  - flexConsumption: Linux Flex Consumption (FC1), billed per GB-second while executing; deployed from a
//    blob container with the identity. Used for enumerate, resolve and the statistics API.
//  - elasticPremium: Linux Elastic Premium (EP1). Used for the probe stage when it must open outbound
//    TCP 25: Azure allows port 25 only in Enterprise Agreement and MCA-E subscriptions, and a Functions app
//    reaches it only through virtual-network integration with all traffic routed into the network; Flex
//    Consumption is not documented to allow it.

param location string
param name string
param tags object

@allowed([
  'flexConsumption'
  'elasticPremium'
])
param hosting string

@description('Resource id of the user-assigned managed identity.')
param identityId string

@description('Client id of the user-assigned managed identity.')
param identityClientId string

@description('Storage account for AzureWebJobsStorage (host state) and the result store.')
param storageAccountName string

param blobEndpoint string
param tableEndpoint string
param queueEndpoint string

@description('Blob container URL the Flex Consumption app is deployed from.')
param deploymentContainerUrl string

@description('Service Bus host name, <name>.servicebus.windows.net.')
param serviceBusNamespace string

@description('Application Insights connection string (ingestion endpoint; local auth is disabled).')
param appInsightsConnectionString string

@description('Subnet for virtual-network integration; empty for none.')
param subnetId string = ''

@description('NCRONTAB schedule of the enumerate timer.')
param enumerateSchedule string

@description('NCRONTAB schedule of the finalise timer.')
param finaliseSchedule string

@description('How long a run may make no progress before the finaliser completes it with what it has.')
param finaliseStallAfter string

@description('Blob container of the domain lists.')
param listsContainerName string

@description('The validating resolver, address:port.')
param resolverEndpoint string

@description('Name the prober sends in EHLO.')
param heloName string

@description('Optional opt-out list as "container/blob name" (Enumerate__OptOutBlob); empty for none.')
param optOutBlob string = ''

@description('Functions of the package this app must not run.')
param disabledFunctions string[] = []

@description('Flex Consumption: most instances the app scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: memory of one instance.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('.NET version of the isolated worker.')
param dotnetVersion string = '10.0'

var isFlex = hosting == 'flexConsumption'

var identitySettings = [
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'AzureWebJobsStorage__blobServiceUri', value: blobEndpoint }
  { name: 'AzureWebJobsStorage__queueServiceUri', value: queueEndpoint }
  { name: 'AzureWebJobsStorage__tableServiceUri', value: tableEndpoint }
  { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusNamespace }
  { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
  { name: 'ServiceBusConnection__clientId', value: identityClientId }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
]

var appSettings = [
  { name: 'EnumerateSchedule', value: enumerateSchedule }
  { name: 'FinaliseSchedule', value: finaliseSchedule }
  { name: 'Finalise__StallAfter', value: finaliseStallAfter }
  { name: 'Enumerate__ListsContainer', value: listsContainerName }
  { name: 'Storage__TableServiceUri', value: tableEndpoint }
  { name: 'Storage__BlobServiceUri', value: blobEndpoint }
  { name: 'Storage__credential', value: 'managedidentity' }
  { name: 'Storage__clientId', value: identityClientId }
  { name: 'Scan__ResolverEndpoint', value: resolverEndpoint }
  { name: 'Scan__HeloName', value: heloName }
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
]

var optOutSettings = empty(optOutBlob) ? [] : [{ name: 'Enumerate__OptOutBlob', value: optOutBlob }]

var disabledSettings = [for f in disabledFunctions: { name: 'AzureWebJobs.${f}.Disabled', value: 'true' }]

// Elastic Premium needs the runtime named in settings and runs from a package URL read with the identity.
var premiumSettings = isFlex
  ? []
  : [
      { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
      { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
      { name: 'WEBSITE_RUN_FROM_PACKAGE', value: '${deploymentContainerUrl}/${name}.zip' }
      { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identityId }
    ]

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex
    ? {
        tier: 'FlexConsumption'
        name: 'FC1'
      }
    : {
        tier: 'ElasticPremium'
        name: 'EP1'
      }
  properties: {
    reserved: true
    maximumElasticWorkerCount: isFlex ? null : 20
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    vnetRouteAllEnabled: !empty(subnetId)
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      linuxFxVersion: isFlex ? null : 'DOTNET-ISOLATED|${dotnetVersion}'
      appSettings: concat(identitySettings, appSettings, optOutSettings, disabledSettings, premiumSettings)
    }
    functionAppConfig: isFlex
      ? {
          deployment: {
            storage: {
              type: 'blobContainer'
              value: deploymentContainerUrl
              authentication: {
                type: 'UserAssignedIdentity'
                userAssignedIdentityResourceId: identityId
              }
            }
          }
          scaleAndConcurrency: {
            maximumInstanceCount: maximumInstanceCount
            instanceMemoryMB: instanceMemoryMB
          }
          runtime: {
            name: 'dotnet-isolated'
            version: dotnetVersion
          }
        }
      : null
  }
}

// Basic (publishing) credentials are keys: turn them off for FTP and SCM.
resource ftp 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scm 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
