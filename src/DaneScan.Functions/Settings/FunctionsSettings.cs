using System.Net;
using DaneScan.Fleet;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions.Settings;

/// <summary>Settings of the enumerate timer (app settings <c>EnumerateSchedule</c> and <c>Enumerate__*</c>).</summary>
public sealed class EnumerateOptions
{
    public const string SectionName = "Enumerate";

    /// <summary>The NCRONTAB schedule (six fields, seconds first) the timer trigger reads as <c>%EnumerateSchedule%</c>.</summary>
    public string? Schedule { get; set; }

    /// <summary>The blob container that holds the domain lists.</summary>
    public string ListsContainer { get; set; } = "lists";

    /// <summary>Byte budget of one resolve message body (below Service Bus Standard's 256 KB).</summary>
    public int BatchBodyBudgetBytes { get; set; } = WorkQueues.DefaultBodyBudgetBytes;

    /// <summary>
    /// At most this many domains per resolve message (app setting <c>Enumerate__BatchMaxDomains</c>), as well as
    /// the byte budget, which alone would allow about 10,000. A message is one Resolve execution: at about half
    /// a second a domain on the internet, 16 at a time (<c>TableResolveStage.DefaultConcurrency</c>), 500 take
    /// about 16 s, far inside the function timeout and the message lock, and a redelivery redoes little.
    /// </summary>
    public int BatchMaxDomains { get; set; } = 500;

    /// <summary>
    /// Optional opt-out list, <c>container/blob name</c> (domains, addresses and CIDR ranges, one a line). Keep it
    /// out of the lists container: every blob there is read as a list (this one is left out if it is there).
    /// </summary>
    public string? OptOutBlob { get; set; }
}

/// <summary>Settings of the finalise timer (app setting <c>FinaliseSchedule</c>).</summary>
public sealed class FinaliseOptions
{
    public const string SectionName = "Finalise";

    /// <summary>The NCRONTAB schedule the timer trigger reads as <c>%FinaliseSchedule%</c>.</summary>
    public string? Schedule { get; set; }

    /// <summary>
    /// App setting <c>Finalise__StallAfter</c>: how long a run may make no progress before it is completed with what
    /// it has (its manifest then says what was outstanding, typically dead-lettered messages). Default 6 hours:
    /// far above a message's redelivery cycle (5 deliveries of a 5-minute lock) and an enumeration of millions.
    /// </summary>
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromHours(6);
}

/// <summary>Settings of the resolve and probe stages (app settings <c>Scan__*</c>).</summary>
public sealed class ScanOptions
{
    public const string SectionName = "Scan";

    /// <summary>The validating resolver, <c>address:port</c> (Azure's own resolver does not validate DNSSEC).</summary>
    public string? ResolverEndpoint { get; set; }

    /// <summary>The name the prober sends in EHLO: it should resolve back to the scanner's egress address.</summary>
    public string? HeloName { get; set; }

    /// <summary>
    /// Start even when the resolver fails the DNSSEC self-check; every run's manifest and every observation then
    /// carry the trust mode UnverifiedResolver. Off by default: the app refuses to start.
    /// </summary>
    public bool InsecureResolver { get; set; }

    /// <summary>The signed name the self-check expects AD for (default ietf.org).</summary>
    public string SelfCheckSignedName { get; set; } = DaneScan.Dns.ResolverSelfCheck.InternetSignedName;

    /// <summary>The deliberately broken name the self-check expects SERVFAIL for (default dnssec-failed.org).</summary>
    public string SelfCheckBrokenName { get; set; } = DaneScan.Dns.ResolverSelfCheck.InternetBrokenName;

    /// <summary>The SMTP port probed (default 25; another port only for test networks).</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>Where the scan runs from, recorded in each run manifest (default "azure-" + the app's region, else the machine name).</summary>
    public string? VantagePoint { get; set; }
}

/// <summary>Where results are stored (app settings <c>Storage__*</c>; identity-based, no keys).</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public string? TableServiceUri { get; set; }

    public string? BlobServiceUri { get; set; }

    /// <summary>
    /// Development only (Azurite, <c>UseDevelopmentStorage=true</c>): a table connection string used instead
    /// of <see cref="TableServiceUri"/> with the managed identity. Leave unset in Azure.
    /// </summary>
    public string? TableConnectionString { get; set; }

    /// <summary>
    /// Development only (Azurite, <c>UseDevelopmentStorage=true</c>): a blob connection string used instead of
    /// <see cref="BlobServiceUri"/> with the managed identity to read the lists. Leave unset in Azure.
    /// </summary>
    public string? BlobConnectionString { get; set; }

    /// <summary>
    /// How the Table and Blob clients authenticate (<c>Storage__credential</c>): <c>managedidentity</c> (in Azure)
    /// uses the managed identity, <see cref="ClientId"/>'s user-assigned one when set; anything else the default
    /// Azure credential chain. Storage has its own credential settings, apart from Service Bus's.
    /// </summary>
    public string? Credential { get; set; }

    /// <summary>The user-assigned managed identity's client id for Table and Blob Storage (<c>Storage__clientId</c>).</summary>
    public string? ClientId { get; set; }

    /// <summary>The credential of the Table and Blob clients (see <see cref="Credential"/>).</summary>
    public Azure.Core.TokenCredential CreateCredential() =>
        string.Equals(Credential, "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new Azure.Identity.ManagedIdentityCredential(ClientId is null ? Azure.Identity.ManagedIdentityId.SystemAssigned : Azure.Identity.ManagedIdentityId.FromUserAssignedClientId(ClientId))
            : new Azure.Identity.DefaultAzureCredential();
}

internal sealed class EnumerateOptionsValidator : IValidateOptions<EnumerateOptions>
{
    public ValidateOptionsResult Validate(string? name, EnumerateOptions options)
    {
        var errors = new List<string>();
        var fields = options.Schedule?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (fields.Length != 6 || ScheduleOccurrence.TryParse(options.Schedule!) is null)
        {
            errors.Add($"EnumerateSchedule must be an NCRONTAB expression with six fields (second minute hour day month weekday), for example '0 0 3 * * 0' for Sundays 03:00 UTC; it is '{options.Schedule}'.");
        }

        if (string.IsNullOrWhiteSpace(options.ListsContainer) || options.ListsContainer.Length is < 3 or > 63 || !options.ListsContainer.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add($"Enumerate__ListsContainer must be a blob container name (3-63 lower-case letters, digits, hyphens); it is '{options.ListsContainer}'.");
        }

        if (options.OptOutBlob is { Length: > 0 } optOut && BlobRunEnumerator.ParseBlobPath(optOut) is null)
        {
            errors.Add($"Enumerate__OptOutBlob must name the opt-out list as 'container/blob name' (for example 'optout/optout.txt'); it is '{optOut}'. Leave it unset to scan without an opt-out list.");
        }

        if (options.BatchBodyBudgetBytes is < 1024 or > WorkQueues.StandardMaxMessageBytes - 1024)
        {
            errors.Add($"Enumerate__BatchBodyBudgetBytes must be between 1024 and {WorkQueues.StandardMaxMessageBytes - 1024} (Service Bus Standard caps a message at 256 KB); it is {options.BatchBodyBudgetBytes}.");
        }

        if (options.BatchMaxDomains is < 1 or > 50_000)
        {
            errors.Add($"Enumerate__BatchMaxDomains must be between 1 and 50000 (domains per resolve message, each one Resolve execution); it is {options.BatchMaxDomains}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class FinaliseOptionsValidator : IValidateOptions<FinaliseOptions>
{
    public ValidateOptionsResult Validate(string? name, FinaliseOptions options)
    {
        var errors = new List<string>();
        if (options.Schedule?.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length != 6)
        {
            errors.Add($"FinaliseSchedule must be an NCRONTAB expression with six fields (second minute hour day month weekday), for example '0 */5 * * * *' for every five minutes; it is '{options.Schedule}'.");
        }

        if (options.StallAfter < TimeSpan.FromMinutes(30) || options.StallAfter > TimeSpan.FromDays(30))
        {
            errors.Add($"Finalise__StallAfter must be between 00:30:00 and 30.00:00:00 (a run without progress for that long is completed with what it has; shorter would cut off live work); it is {options.StallAfter}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class ScanOptionsValidator : IValidateOptions<ScanOptions>
{
    public ValidateOptionsResult Validate(string? name, ScanOptions options)
    {
        var errors = new List<string>();
        if (!IPEndPoint.TryParse(options.ResolverEndpoint ?? string.Empty, out var ep) || ep.Port == 0)
        {
            errors.Add($"Scan__ResolverEndpoint must be the validating resolver's address:port (for example 10.40.1.4:53); it is '{options.ResolverEndpoint}'. Azure's built-in resolver (168.63.129.16) does not validate DNSSEC.");
        }

        if (string.IsNullOrWhiteSpace(options.HeloName) || Uri.CheckHostName(options.HeloName) != UriHostNameType.Dns || !options.HeloName.Contains('.', StringComparison.Ordinal))
        {
            errors.Add($"Scan__HeloName must be a fully qualified host name to send in EHLO (one that names the scanner and resolves to its egress address); it is '{options.HeloName}'.");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            errors.Add($"Scan__SmtpPort must be a TCP port (1-65535); it is {options.SmtpPort}.");
        }

        foreach (var (key, value) in new[] { ("Scan__SelfCheckSignedName", options.SelfCheckSignedName), ("Scan__SelfCheckBrokenName", options.SelfCheckBrokenName) })
        {
            if (string.IsNullOrWhiteSpace(value) || Uri.CheckHostName(value) != UriHostNameType.Dns)
            {
                errors.Add($"{key} must be a domain name for the resolver's DNSSEC self-check; it is '{value}'.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        Check(options.TableServiceUri, "Storage__TableServiceUri", "https://<account>.table.core.windows.net", errors);
        Check(options.BlobServiceUri, "Storage__BlobServiceUri", "https://<account>.blob.core.windows.net", errors);
        if (options.ClientId is { Length: > 0 } clientId && !Guid.TryParse(clientId, out _))
        {
            errors.Add($"Storage__clientId must be the user-assigned managed identity's client id (a GUID), not '{clientId}'.");
        }

        if (options.BlobConnectionString is { Length: > 0 } blob && !IsLocalEmulator(blob))
        {
            errors.Add("Storage__BlobConnectionString is for local development against Azurite only (UseDevelopmentStorage=true, or endpoints on 127.0.0.1 or localhost); in Azure leave it unset and set Storage__BlobServiceUri: the app reads the lists with its managed identity.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsLocalEmulator(string connectionString)
    {
        if (connectionString.Replace(" ", "", StringComparison.Ordinal).Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var endpoints = connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(p => p.StartsWith("BlobEndpoint=", StringComparison.OrdinalIgnoreCase))
            .Select(p => p["BlobEndpoint=".Length..])
            .ToList();
        return endpoints.Count == 1 && Uri.TryCreate(endpoints[0], UriKind.Absolute, out var uri) &&
            (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var a) && IPAddress.IsLoopback(a)));
    }

    private static void Check(string? value, string key, string example, List<string> errors)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            errors.Add($"{key} must be the service URI, for example {example}; it is '{value}'. Keys and connection strings are not used: the app signs in with its managed identity.");
        }
        else if (uri.Scheme == "http" && !IPAddress.TryParse(uri.Host, out _) && uri.Host != "localhost")
        {
            errors.Add($"{key} must use https outside local development; it is '{value}'.");
        }
        else if (!string.IsNullOrEmpty(uri.Query))
        {
            errors.Add($"{key} must not carry a query string (a SAS token is a key); it is '{value}'.");
        }
    }
}

internal sealed class ServiceBusConnectionOptionsValidator : IValidateOptions<ServiceBusConnectionOptions>
{
    public ValidateOptionsResult Validate(string? name, ServiceBusConnectionOptions options)
    {
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
