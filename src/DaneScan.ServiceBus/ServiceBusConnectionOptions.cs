using Azure.Core;
using Azure.Identity;
using Azure.Messaging.ServiceBus;

namespace DaneScan.ServiceBus;

/// <summary>
/// How to reach the Service Bus namespace, read from the configuration section named by the trigger's
/// <c>Connection</c> (default <c>ServiceBusConnection</c>), with the same keys the Functions host uses, so one
/// set of app settings serves the triggers and the senders:
/// <list type="bullet">
/// <item><c>ServiceBusConnection__fullyQualifiedNamespace</c>: <c>&lt;name&gt;.servicebus.windows.net</c> (identity-based, the Azure way);</item>
/// <item><c>ServiceBusConnection__credential</c>: <c>managedidentity</c> to use a managed identity;</item>
/// <item><c>ServiceBusConnection__clientId</c>: the user-assigned identity's client id;</item>
/// <item>or <c>ServiceBusConnection</c> itself set to a connection string (the Service Bus emulator, local development only).</item>
/// </list>
/// </summary>
public sealed class ServiceBusConnectionOptions
{
    public const string DefaultSectionName = "ServiceBusConnection";

    public string? FullyQualifiedNamespace { get; set; }

    public string? Credential { get; set; }

    public string? ClientId { get; set; }

    /// <summary>A connection string, when the section's own value is one (emulator, local development).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Returns the problems with these settings, each naming the app setting to fix; empty when usable.</summary>
    public IReadOnlyList<string> Validate(string sectionName = DefaultSectionName)
    {
        var errors = new List<string>();
        var hasNamespace = !string.IsNullOrWhiteSpace(FullyQualifiedNamespace);
        var hasConnectionString = !string.IsNullOrWhiteSpace(ConnectionString);
        if (!hasNamespace && !hasConnectionString)
        {
            errors.Add($"Service Bus is not configured: set {sectionName}__fullyQualifiedNamespace (for example danescan-sb.servicebus.windows.net) with {sectionName}__credential=managedidentity and {sectionName}__clientId, or {sectionName} to an emulator connection string.");
            return errors;
        }

        if (hasNamespace)
        {
            var ns = FullyQualifiedNamespace!.Trim();
            if (ns.Contains("://", StringComparison.Ordinal) || ns.Contains('/', StringComparison.Ordinal) || ns.Contains(';', StringComparison.Ordinal) || Uri.CheckHostName(ns) != UriHostNameType.Dns)
            {
                errors.Add($"{sectionName}__fullyQualifiedNamespace must be a host name such as danescan-sb.servicebus.windows.net, not '{ns}' (no scheme, path or connection string).");
            }

            if (Credential is not null && !string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{sectionName}__credential must be 'managedidentity' or unset, not '{Credential}'.");
            }

            if (ClientId is not null && !Guid.TryParse(ClientId, out _))
            {
                errors.Add($"{sectionName}__clientId must be the user-assigned managed identity's client id (a GUID), not '{ClientId}'.");
            }
        }
        else if (!ConnectionString!.Contains("Endpoint=", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{sectionName} is set but is not a Service Bus connection string (no Endpoint=).");
        }

        return errors;
    }

    /// <summary>The credential identity-based connections use: the user-assigned identity when named, else the default chain.</summary>
    public TokenCredential CreateCredential() =>
        string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? (ClientId is null ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned) : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(ClientId)))
            : new DefaultAzureCredential();

    /// <summary>Creates a client for these settings; call <see cref="Validate"/> first.</summary>
    public ServiceBusClient CreateClient()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join(" ", errors));
        }

        var options = new ServiceBusClientOptions { TransportType = ServiceBusTransportType.AmqpTcp };
        return !string.IsNullOrWhiteSpace(FullyQualifiedNamespace)
            ? new ServiceBusClient(FullyQualifiedNamespace.Trim(), CreateCredential(), options)
            : new ServiceBusClient(ConnectionString, options);
    }
}
