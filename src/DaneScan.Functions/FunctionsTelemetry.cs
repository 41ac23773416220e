using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using DaneScan.Pipeline.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DaneScan.Functions;

/// <summary>
/// Exports DaneScan's metrics and traces (<see cref="DaneScanTelemetry"/>) to the Application Insights resource
/// that bicep/ deploys, signed in with the app's user-assigned managed identity (the resource has local
/// authentication off, so no key is used): the connection string names the resource, the identity
/// (<c>AZURE_CLIENT_ID</c>, granted Monitoring Metrics Publisher) authorises the upload.
/// </summary>
public static class FunctionsTelemetry
{
    /// <summary>The app setting that names the Application Insights resource (set by bicep/modules/functionapp.bicep).</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>The app setting holding the user-assigned identity's client id.</summary>
    public const string ClientIdSetting = "AZURE_CLIENT_ID";

    /// <summary>The credential the exporter signs in with: the user-assigned identity when its client id is set, else the system-assigned one.</summary>
    public static TokenCredential Credential(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var clientId = configuration[ClientIdSetting];
        return string.IsNullOrWhiteSpace(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned)
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
    }

    /// <summary>
    /// Registers the Azure Monitor exporter for DaneScan's meter and activity source when
    /// <see cref="ConnectionStringSetting"/> is set; without it (local development) nothing is exported.
    /// </summary>
    /// <param name="services">The app's services.</param>
    /// <param name="configuration">The app settings.</param>
    /// <param name="credential">The credential uploads are signed with; by default the app's managed identity (<see cref="Credential"/>).</param>
    /// <param name="configure">Further exporter options after the connection string and credential (a proxy's transport, offline storage).</param>
    public static IServiceCollection AddDaneScanAzureMonitor(
        this IServiceCollection services, IConfiguration configuration, TokenCredential? credential = null, Action<AzureMonitorExporterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services;
        }

        credential ??= Credential(configuration);
        return services.AddDaneScanTelemetry(
            metrics => metrics.AddAzureMonitorMetricExporter(o =>
            {
                o.ConnectionString = connectionString;
                o.Credential = credential;
                configure?.Invoke(o);
            }),
            traces => traces.AddAzureMonitorTraceExporter(o =>
            {
                o.ConnectionString = connectionString;
                o.Credential = credential;
                configure?.Invoke(o);
            }));
    }
}
