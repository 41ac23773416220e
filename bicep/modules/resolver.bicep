// Optional validating resolver: a small Debian VM running unbound with the root trust anchor, reachable
// only from the virtual network. Azure's built-in resolver (168.63.129.16) does not validate DNSSEC, so
// without this (or in-process validation) the scanner cannot tell secure answers from insecure ones.

param location string
param namePrefix string
param tags object

@description('Subnet the resolver\'s network interface sits in.')
param subnetId string

@description('Static private address of the resolver inside its subnet; the apps use it as Scan__ResolverEndpoint.')
param privateAddress string

@description('Address space allowed to query the resolver (the virtual network).')
param allowedClients string

@description('Administrator user name of the VM (SSH key only; no password).')
param adminUsername string

@description('SSH public key of the administrator (a public key, not a secret).')
param adminSshPublicKey string

@description('VM size; unbound for one scanner fits in the smallest burstable size.')
param vmSize string = 'Standard_B2ats_v2'

var unboundConf = '''
server:
  interface: 0.0.0.0
  port: 53
  do-ip6: no
  access-control: 0.0.0.0/0 refuse
  access-control: 127.0.0.0/8 allow
  access-control: __ALLOWED__ allow
  auto-trust-anchor-file: "/var/lib/unbound/root.key"
  harden-dnssec-stripped: yes
  harden-below-nxdomain: yes
  val-clean-additional: yes
  aggressive-nsec: yes
  num-threads: 2
  msg-cache-size: 128m
  rrset-cache-size: 256m
  prefetch: yes
  ratelimit: 0
  hide-identity: yes
  hide-version: yes
'''

var cloudInit = '''
#cloud-config
package_update: true
packages:
  - unbound
  - dns-root-data
  - bind9-dnsutils
write_files:
  - path: /etc/unbound/unbound.conf.d/danescan.conf
    permissions: '0644'
    encoding: b64
    content: __CONF__
runcmd:
  - systemctl disable --now systemd-resolved || true
  - systemctl restart unbound
  - systemctl enable unbound
'''

var customData = replace(cloudInit, '__CONF__', base64(replace(unboundConf, '__ALLOWED__', allowedClients)))

resource nic 'Microsoft.Network/networkInterfaces@2024-05-01' = {
  name: '${namePrefix}-resolver-nic'
  location: location
  tags: tags
  properties: {
    ipConfigurations: [
      {
        name: 'ipconfig'
        properties: {
          privateIPAllocationMethod: 'Static'
          privateIPAddress: privateAddress
          subnet: {
            id: subnetId
          }
        }
      }
    ]
  }
}

resource vm 'Microsoft.Compute/virtualMachines@2024-07-01' = {
  name: '${namePrefix}-resolver'
  location: location
  tags: tags
  properties: {
    hardwareProfile: {
      vmSize: vmSize
    }
    osProfile: {
      computerName: 'resolver'
      adminUsername: adminUsername
      customData: base64(customData)
      linuxConfiguration: {
        disablePasswordAuthentication: true
        ssh: {
          publicKeys: [
            {
              path: '/home/${adminUsername}/.ssh/authorized_keys'
              keyData: adminSshPublicKey
            }
          ]
        }
      }
    }
    storageProfile: {
      imageReference: {
        publisher: 'Debian'
        offer: 'debian-12'
        sku: '12-gen2'
        version: 'latest'
      }
      osDisk: {
        createOption: 'FromImage'
        managedDisk: {
          storageAccountType: 'StandardSSD_LRS'
        }
      }
    }
    networkProfile: {
      networkInterfaces: [
        {
          id: nic.id
        }
      ]
    }
  }
}

output endpoint string = '${privateAddress}:53'
output vmName string = vm.name
