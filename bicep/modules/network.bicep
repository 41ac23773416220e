// Optional virtual network: gives the apps a NAT gateway (stable egress addresses, so reverse DNS and an
// opt-out page can name the scanner) and a private path to the validating resolver.
//
// Subnets:
//  - apps:     Flex Consumption apps (delegated to Microsoft.App/environments)
//  - probe:    the Elastic Premium probe app (delegated to Microsoft.Web/serverFarms)
//  - resolver: the validating resolver VM
// Outbound TCP 25 is not opened by any of this: Azure allows it only in Enterprise Agreement and MCA-E
// subscriptions, and a Functions app reaches it only through virtual-network integration.

param location string
param namePrefix string
param tags object

@description('Address space of the virtual network.')
param addressPrefix string = '10.40.0.0/16'

@description('Subnet of the Flex Consumption apps.')
param appsSubnetPrefix string = '10.40.0.0/24'

@description('Subnet of the Elastic Premium probe app.')
param probeSubnetPrefix string = '10.40.2.0/24'

@description('Subnet of the validating resolver.')
param resolverSubnetPrefix string = '10.40.1.0/28'

resource egressIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: '${namePrefix}-egress-ip'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource nat 'Microsoft.Network/natGateways@2024-05-01' = {
  name: '${namePrefix}-nat'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: egressIp.id
      }
    ]
  }
}

resource resolverNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${namePrefix}-resolver-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: [
      {
        name: 'dns-from-vnet'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: '*'
          sourceAddressPrefix: 'VirtualNetwork'
          sourcePortRange: '*'
          destinationAddressPrefix: resolverSubnetPrefix
          destinationPortRange: '53'
        }
      }
      {
        name: 'deny-internet-in'
        properties: {
          priority: 4000
          direction: 'Inbound'
          access: 'Deny'
          protocol: '*'
          sourceAddressPrefix: 'Internet'
          sourcePortRange: '*'
          destinationAddressPrefix: '*'
          destinationPortRange: '*'
        }
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${namePrefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'apps'
        properties: {
          addressPrefix: appsSubnetPrefix
          natGateway: {
            id: nat.id
          }
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'probe'
        properties: {
          addressPrefix: probeSubnetPrefix
          natGateway: {
            id: nat.id
          }
          delegations: [
            {
              name: 'serverfarms'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
      {
        name: 'resolver'
        properties: {
          addressPrefix: resolverSubnetPrefix
          natGateway: {
            id: nat.id
          }
          networkSecurityGroup: {
            id: resolverNsg.id
          }
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output appsSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'apps')
output probeSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'probe')
output resolverSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, 'resolver')
output egressAddress string = egressIp.properties.ipAddress
