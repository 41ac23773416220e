// The one user-assigned managed identity that every DaneScan app signs in with: Service Bus, Storage,
// Application Insights and the deployment container are reached with it, never with keys.

@description('Azure region.')
param location string

@description('Name of the identity.')
param name string

param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
output name string = identity.name
