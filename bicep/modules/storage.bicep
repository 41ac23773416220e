// The storage account: result tables, the blob container for domain lists, and the container the Flex
// Consumption apps are deployed from. Shared-key access is off: every client signs in with Entra ID.

param location string

@description('Storage account name: 3-24 lower-case letters and digits, globally unique.')
@minLength(3)
@maxLength(24)
param name string

param tags object

@description('Tables the result store uses.')
param tableNames string[]

@description('Blob container that holds the domain lists the enumerate timer reads.')
param listsContainerName string

@description('Blob container the function apps\' packages are deployed to.')
param deploymentContainerName string

@description('Principal id of the apps\' managed identity.')
param principalId string

@description('Name of that identity: a deploy-time constant, so role assignment names are known before deployment (What-If).')
param identityName string

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource listsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: listsContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2024-01-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

// Storage Blob Data Owner: the Functions host keeps its timer and lease state in blobs with the identity
// (AzureWebJobsStorage__credential) and needs Owner for that; it covers reading lists and deployment packages.
var blobDataOwnerRole = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
// Storage Table Data Contributor: the result store.
var tableDataContributorRole = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
// Storage Queue Data Contributor: the host's internal queues (blob trigger receipts, diagnostics events).
var queueDataContributorRole = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [blobDataOwnerRole, tableDataContributorRole, queueDataContributorRole]: {
    name: guid(account.id, identityName, role)
    scope: account
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

output name string = account.name
output id string = account.id
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output queueEndpoint string = account.properties.primaryEndpoints.queue
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer.name}'
output listsContainerName string = listsContainer.name
