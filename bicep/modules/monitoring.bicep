// Log Analytics and workspace-based Application Insights. Local (key) authentication for ingestion is
// off: the apps send telemetry with their managed identity (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).

param location string
param namePrefix string
param tags object

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Principal id of the apps\' managed identity, given Monitoring Metrics Publisher on Application Insights.')
param principalId string

@description('Name of that identity: a deploy-time constant, so role assignment names are known before deployment (What-If).')
param identityName string

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

// Monitoring Metrics Publisher
var metricsPublisherRole = '3913510d-42f4-4e42-8a64-420c390055eb'

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(insights.id, identityName, metricsPublisherRole)
  scope: insights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', metricsPublisherRole)
  }
}

// The connection string names the ingestion endpoint; with local auth disabled it grants nothing by itself.
output connectionString string = insights.properties.ConnectionString
output workspaceId string = workspace.id
