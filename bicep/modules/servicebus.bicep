// The Service Bus namespace and the two work queues. Standard tier: 256 KB messages, duplicate detection,
// dead-lettering. Local (SAS key) authentication is off: senders and receivers use Entra ID roles.

param location string
param namePrefix string
param tags object

@description('Principal id of the apps\' managed identity, given Data Sender and Data Receiver on the namespace.')
param principalId string

@description('Name of that identity: a deploy-time constant, so role assignment names are known before deployment (What-If).')
param identityName string

@description('How long a receiver holds a message before Service Bus hands it to another (max 5 minutes). A resolve batch must finish, or have its lock renewed by the host, within it.')
param lockDuration string = 'PT5M'

@description('Deliveries before a message is dead-lettered (reason MaxDeliveryCountExceeded).')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int = 5

@description('Window in which a repeated MessageId is dropped: covers a retried enumerate and host claims within one run.')
param duplicateDetectionWindow string = 'P1D'

@description('Time a message may wait before it expires into the dead-letter queue.')
param messageTimeToLive string = 'P7D'

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: '${namePrefix}-sb'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

resource queues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [
  for queueName in ['resolve', 'probe']: {
    parent: namespace
    name: queueName
    properties: {
      lockDuration: lockDuration
      maxDeliveryCount: maxDeliveryCount
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
      deadLetteringOnMessageExpiration: true
      defaultMessageTimeToLive: messageTimeToLive
      enableBatchedOperations: true
      maxSizeInMegabytes: 5120
      requiresSession: false
      enablePartitioning: false
    }
  }
]

// Azure Service Bus Data Sender and Azure Service Bus Data Receiver.
var senderRole = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var receiverRole = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [senderRole, receiverRole]: {
    name: guid(namespace.id, identityName, role)
    scope: namespace
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

output name string = namespace.name
output id string = namespace.id
// serviceBusEndpoint is https://<name>.servicebus.<cloud suffix>:443/; the host name is what the apps need.
output fullyQualifiedNamespace string = split(replace(namespace.properties.serviceBusEndpoint, 'https://', ''), ':')[0]
output queueNames string[] = [for (q, i) in ['resolve', 'probe']: queues[i].name]
