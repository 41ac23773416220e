using System.Globalization;
using System.Net;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using DaneScan.ServiceBus;
using DaneScan.Storage;

namespace DaneScan.Fleet.Worker;

/// <summary>
/// The worker's own settings as the operator gives them (`danescan worker` options, or the environment), checked
/// all together before anything connects: <see cref="Validate"/> names every problem with the option to fix.
/// </summary>
public sealed record WorkerSettings
{
    public const string ServiceBusVariable = "DANESCAN_SERVICEBUS_CONNECTION";
    public const string TablesVariable = "DANESCAN_TABLE_CONNECTION";
    public const int MaxConcurrency = 1000;
    public const int MaxDrainTimeoutSeconds = 110;

    /// <summary>Comma-separated queues to consume: <c>resolve</c>, <c>probe</c> or both.</summary>
    public string Queues { get; init; } = $"{WorkQueues.Resolve},{WorkQueues.Probe}";

    /// <summary>The namespace's host name (identity-based), or a connection string (from <see cref="ServiceBusVariable"/>).</summary>
    public string? ServiceBus { get; init; }

    /// <summary>The table service URI (identity-based), or a connection string (from <see cref="TablesVariable"/>).</summary>
    public string? Tables { get; init; }

    /// <summary>A user-assigned managed identity's client id; otherwise DefaultAzureCredential (environment, workload or managed identity, Azure CLI).</summary>
    public string? ManagedIdentityClientId { get; init; }

    /// <summary>The tables' name prefix; the Functions app's default, so both write the same tables.</summary>
    public string TablePrefix { get; init; } = new TableStoreOptions().TablePrefix;

    public int ResolveConcurrency { get; init; } = 4;

    public int ProbeConcurrency { get; init; } = 16;

    public int StatusIntervalSeconds { get; init; } = 60;

    public int DrainTimeoutSeconds { get; init; } = 30;

    public bool ConsumeResolve => QueueNames().Contains(WorkQueues.Resolve);

    public bool ConsumeProbe => QueueNames().Contains(WorkQueues.Probe);

    /// <summary>True when <see cref="ServiceBus"/> is a connection string rather than a namespace name.</summary>
    public bool ServiceBusIsConnectionString => ServiceBus is { } s && s.Contains('=', StringComparison.Ordinal);

    /// <summary>True when <see cref="Tables"/> is a connection string rather than a service URI.</summary>
    public bool TablesIsConnectionString => Tables is { } t && t.Contains('=', StringComparison.Ordinal);

    /// <summary>Every problem with these settings, each naming the option to fix; empty when the worker can start.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var names = QueueNames();
        var unknown = names.Where(q => q is not (WorkQueues.Resolve or WorkQueues.Probe)).ToList();
        if (unknown.Count > 0)
        {
            errors.Add($"--queues: unknown queue {string.Join(", ", unknown.Select(q => $"'{q}'"))}; give resolve, probe or resolve,probe");
        }
        else if (names.Count == 0)
        {
            errors.Add("--queues: give resolve, probe or resolve,probe");
        }

        ValidateServiceBus(errors);
        ValidateTables(errors);
        if (ManagedIdentityClientId is not null && !Guid.TryParse(ManagedIdentityClientId, out _))
        {
            errors.Add($"--managed-identity: '{ManagedIdentityClientId}' is not a client id (a GUID)");
        }

        if (string.IsNullOrWhiteSpace(TablePrefix) || !TablePrefix.All(char.IsAsciiLetterOrDigit) || !char.IsAsciiLetter(TablePrefix[0]) || TablePrefix.Length > 48)
        {
            errors.Add($"--table-prefix: '{TablePrefix}' must be 1 to 48 letters and digits, starting with a letter (table names are alphanumeric)");
        }

        Range(errors, "--resolve-concurrency", ResolveConcurrency, 1, MaxConcurrency);
        Range(errors, "--probe-concurrency", ProbeConcurrency, 1, MaxConcurrency);
        Range(errors, "--status-interval", StatusIntervalSeconds, 1, 86_400);
        Range(errors, "--drain-timeout", DrainTimeoutSeconds, 1, MaxDrainTimeoutSeconds);
        return errors;
    }

    /// <summary>The receive options these settings give.</summary>
    public FleetWorkerOptions ToOptions() => new()
    {
        ConsumeResolve = ConsumeResolve,
        ConsumeProbe = ConsumeProbe,
        ResolveConcurrency = ResolveConcurrency,
        ProbeConcurrency = ProbeConcurrency,
        StatusInterval = TimeSpan.FromSeconds(StatusIntervalSeconds),
        DrainTimeout = TimeSpan.FromSeconds(DrainTimeoutSeconds),
    };

    /// <summary>
    /// The Azure credential for identity-based connections: the named user-assigned managed identity, else
    /// DefaultAzureCredential (environment, workload identity, managed identity, Azure CLI...). One instance
    /// serves Service Bus and Table Storage, so they share its token cache.
    /// </summary>
    public TokenCredential CreateCredential() => ManagedIdentityClientId is { } clientId
        ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
        : new DefaultAzureCredential();

    /// <summary>The Service Bus client these settings give (no I/O until used); call <see cref="Validate"/> first.</summary>
    public ServiceBusClient CreateServiceBusClient(TokenCredential credential)
    {
        var options = new ServiceBusClientOptions { TransportType = ServiceBusTransportType.AmqpTcp };
        return ServiceBusIsConnectionString
            ? new ServiceBusClient(ServiceBus!.Trim(), options)
            : new ServiceBusClient(ServiceBus!.Trim(), credential, options);
    }

    /// <summary>The table service client these settings give (no I/O until used); call <see cref="Validate"/> first.</summary>
    public TableServiceClient CreateTableServiceClient(TokenCredential credential) => TablesIsConnectionString
        ? TableResultStore.CreateServiceClient(Tables!.Trim())
        : new TableServiceClient(new Uri(Tables!.Trim()), credential);

    /// <summary>What the worker connects to, without secrets, for its start-up line.</summary>
    public string Describe()
    {
        var sb = ServiceBusIsConnectionString
            ? $"Service Bus {ServiceBusConnectionStringProperties.Parse(ServiceBus!.Trim()).FullyQualifiedNamespace} (connection string)"
            : $"Service Bus {ServiceBus!.Trim()} ({(ManagedIdentityClientId is null ? "DefaultAzureCredential" : "managed identity " + ManagedIdentityClientId)})";
        var tables = TablesIsConnectionString ? "tables from a connection string" : $"tables at {Tables!.Trim()}";
        return string.Create(CultureInfo.InvariantCulture, $"{sb}, {tables}, prefix {TablePrefix}; queues {string.Join(",", QueueNames())}; concurrency resolve {ResolveConcurrency}, probe {ProbeConcurrency}");
    }

    private List<string> QueueNames() =>
        (Queues ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(q => q.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();

    private void ValidateServiceBus(List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(ServiceBus))
        {
            errors.Add($"--service-bus: missing; give the namespace (for example danescan-sb.servicebus.windows.net, signing in with an Azure identity) or set {ServiceBusVariable} to a connection string");
            return;
        }

        var value = ServiceBus.Trim();
        if (ServiceBusIsConnectionString)
        {
            ServiceBusConnectionStringProperties properties;
            try
            {
                properties = ServiceBusConnectionStringProperties.Parse(value);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                errors.Add($"--service-bus: not a Service Bus connection string ({e.Message})");
                return;
            }

            if (properties.Endpoint is null)
            {
                errors.Add("--service-bus: the connection string has no Endpoint=sb://<namespace>/");
            }
            else if (properties.EntityPath is not null)
            {
                errors.Add($"--service-bus: the connection string is for the single queue '{properties.EntityPath}' (EntityPath=); the worker needs a namespace-level one to use both the resolve and probe queues");
            }
            else if (properties.SharedAccessKeyName is null && properties.SharedAccessSignature is null && !value.Contains("UseDevelopmentEmulator=true", StringComparison.OrdinalIgnoreCase))
            {
                errors.Add("--service-bus: the connection string has neither SharedAccessKeyName/SharedAccessKey nor SharedAccessSignature");
            }

            return;
        }

        if (value.Contains("://", StringComparison.Ordinal) || value.Contains('/', StringComparison.Ordinal) || Uri.CheckHostName(value) != UriHostNameType.Dns || !value.Contains('.', StringComparison.Ordinal))
        {
            errors.Add($"--service-bus: '{value}' is not a namespace host name such as danescan-sb.servicebus.windows.net (no scheme or path; a connection string goes in {ServiceBusVariable})");
        }
    }

    private void ValidateTables(List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(Tables))
        {
            errors.Add($"--tables: missing; give the table service URI (for example https://danescanst.table.core.windows.net, signing in with an Azure identity) or set {TablesVariable} to a connection string");
            return;
        }

        var value = Tables.Trim();
        if (TablesIsConnectionString)
        {
            try
            {
                _ = new TableServiceClient(value);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                errors.Add($"--tables: not a Table Storage connection string ({e.Message})");
            }

            return;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || string.IsNullOrEmpty(uri.Host))
        {
            errors.Add($"--tables: '{value}' is not a table service URI such as https://danescanst.table.core.windows.net (a connection string goes in {TablesVariable})");
        }
        else if (uri.Scheme == "http" && !(IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address)) && uri.Host != "localhost")
        {
            errors.Add($"--tables: {value} must use https (an Azure identity's token is never sent in clear text)");
        }
        else if (!string.IsNullOrEmpty(uri.Query))
        {
            errors.Add($"--tables: {value} carries a query (a SAS?); give the bare service URI and sign in with an Azure identity, or a connection string in {TablesVariable}");
        }
    }

    private static void Range(List<string> errors, string option, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{option}: {value} is out of range ({min} to {max})"));
        }
    }
}
