using 'main.bicep'

// A Standard deployment: no virtual network, the probe stage on an external `danescan worker` (Azure
// subscriptions other than EA and MCA-E cannot open outbound TCP 25), and a validating resolver of your own.
// For an EA/MCA-E subscription: probeHosting = 'elasticPremium', enableVirtualNetwork = true,
// deployResolver = true and resolverSshPublicKey = '<ssh-ed25519 ...>'.
param namePrefix = 'danescan'
param probeHosting = 'external'
param enableVirtualNetwork = false
param deployResolver = false
param resolverEndpoint = '10.40.1.4:53'
param enumerateSchedule = '0 0 3 * * 0'
param finaliseSchedule = '0 */5 * * * *'
param heloName = 'scanner.danescan.example'
