using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Settings;
using DaneScan.Functions.Stages;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions.Tests;

/// <summary>Start-up validation of the app settings: a wrong setting stops the app with a message naming it.</summary>
public sealed class SettingsTests
{
    internal static readonly Dictionary<string, string?> Valid = new()
    {
        ["EnumerateSchedule"] = "0 0 3 * * 0",
        ["FinaliseSchedule"] = "0 */5 * * * *",
        ["Enumerate:ListsContainer"] = "lists",
        ["ServiceBusConnection:fullyQualifiedNamespace"] = "danescan-sb.servicebus.windows.net",
        ["ServiceBusConnection:credential"] = "managedidentity",
        ["ServiceBusConnection:clientId"] = "3f6e0a43-5a3b-4a8a-9d7e-1f0d2c3b4a59",
        ["Storage:TableServiceUri"] = "https://danescanst.table.core.windows.net",
        ["Storage:BlobServiceUri"] = "https://danescanst.blob.core.windows.net",
        ["Scan:ResolverEndpoint"] = "10.40.1.4:53",
        ["Scan:HeloName"] = "scanner.danescan.example",
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddDaneScanFunctions(config);
        return services.BuildServiceProvider();
    }

    private static Dictionary<string, string?> With(params (string Key, string? Value)[] changes)
    {
        var d = new Dictionary<string, string?>(Valid);
        foreach (var (k, v) in changes)
        {
            if (v is null)
            {
                d.Remove(k);
            }
            else
            {
                d[k] = v;
            }
        }

        return d;
    }

    /// <summary>Runs the host's start-time validation (what ValidateOnStart triggers) and returns the failures.</summary>
    private static List<string> StartupFailures(Dictionary<string, string?> settings)
    {
        using var sp = Build(settings);
        var failures = new List<string>();
        foreach (var get in new Func<object>[]
        {
            () => sp.GetRequiredService<IOptions<EnumerateOptions>>().Value,
            () => sp.GetRequiredService<IOptions<FinaliseOptions>>().Value,
            () => sp.GetRequiredService<IOptions<ScanOptions>>().Value,
            () => sp.GetRequiredService<IOptions<StorageOptions>>().Value,
            () => sp.GetRequiredService<IOptions<ServiceBusConnectionOptions>>().Value,
        })
        {
            try
            {
                get();
            }
            catch (OptionsValidationException ex)
            {
                failures.AddRange(ex.Failures);
            }
        }

        return failures;
    }

    [Fact]
    public void Identity_based_settings_validate_and_bind()
    {
        Assert.Empty(StartupFailures(Valid));
        using var sp = Build(Valid);
        var sb = sp.GetRequiredService<IOptions<ServiceBusConnectionOptions>>().Value;
        Assert.Equal("danescan-sb.servicebus.windows.net", sb.FullyQualifiedNamespace);
        Assert.Equal("3f6e0a43-5a3b-4a8a-9d7e-1f0d2c3b4a59", sb.ClientId);
        Assert.Null(sb.ConnectionString);
        Assert.Equal("0 0 3 * * 0", sp.GetRequiredService<IOptions<EnumerateOptions>>().Value.Schedule);
        Assert.Equal("0 */5 * * * *", sp.GetRequiredService<IOptions<FinaliseOptions>>().Value.Schedule);
    }

    [Theory]
    [InlineData("EnumerateSchedule", "0 3 * * 0", "EnumerateSchedule must be an NCRONTAB expression with six fields")]
    [InlineData("EnumerateSchedule", null, "EnumerateSchedule must be")]
    [InlineData("FinaliseSchedule", "*/5 * * * *", "FinaliseSchedule must be an NCRONTAB expression with six fields")]
    [InlineData("FinaliseSchedule", null, "FinaliseSchedule must be")]
    [InlineData("Finalise:StallAfter", "00:05:00", "Finalise__StallAfter must be between 00:30:00 and 30.00:00:00")]
    [InlineData("Finalise:StallAfter", "90.00:00:00", "Finalise__StallAfter must be between")]
    [InlineData("Enumerate:ListsContainer", "Lists_2026", "Enumerate__ListsContainer must be a blob container name")]
    [InlineData("Enumerate:BatchBodyBudgetBytes", "300000", "Enumerate__BatchBodyBudgetBytes must be between")]
    [InlineData("Enumerate:BatchMaxDomains", "0", "Enumerate__BatchMaxDomains must be between 1 and 50000")]
    [InlineData("ServiceBusConnection:fullyQualifiedNamespace", null, "Service Bus is not configured: set ServiceBusConnection__fullyQualifiedNamespace")]
    [InlineData("ServiceBusConnection:fullyQualifiedNamespace", "sb://danescan-sb.servicebus.windows.net/", "ServiceBusConnection__fullyQualifiedNamespace must be a host name")]
    [InlineData("ServiceBusConnection:clientId", "not-a-guid", "ServiceBusConnection__clientId must be")]
    [InlineData("ServiceBusConnection:credential", "connectionstring", "ServiceBusConnection__credential must be 'managedidentity'")]
    [InlineData("Storage:TableServiceUri", null, "Storage__TableServiceUri must be the service URI")]
    [InlineData("Storage:clientId", "not-a-guid", "Storage__clientId must be the user-assigned managed identity's client id")]
    [InlineData("Storage:BlobServiceUri", "https://danescanst.blob.core.windows.net/?sv=2024&sig=abc", "Storage__BlobServiceUri must not carry a query string")]
    [InlineData("Storage:TableServiceUri", "http://danescanst.table.core.windows.net", "Storage__TableServiceUri must use https")]
    [InlineData("Scan:ResolverEndpoint", "168.63.129.16", "Scan__ResolverEndpoint must be the validating resolver's address:port")]
    [InlineData("Scan:HeloName", "localhost", "Scan__HeloName must be a fully qualified host name")]
    [InlineData("Scan:SelfCheckSignedName", "not a name", "Scan__SelfCheckSignedName must be a domain name")]
    [InlineData("Enumerate:OptOutBlob", "optout.txt", "Enumerate__OptOutBlob must name the opt-out list as 'container/blob name'")]
    [InlineData("Enumerate:OptOutBlob", "Opt_Out/optout.txt", "Enumerate__OptOutBlob must name the opt-out list")]
    [InlineData("EnumerateSchedule", "0 0 3 * * Sunday-ish", "EnumerateSchedule must be an NCRONTAB expression")]
    [InlineData("Storage:BlobConnectionString", "DefaultEndpointsProtocol=https;AccountName=danescanst;AccountKey=a2V5;EndpointSuffix=core.windows.net", "Storage__BlobConnectionString is for local development against Azurite only")]
    public void A_bad_setting_fails_start_up_naming_the_setting(string key, string? value, string message)
    {
        var failures = StartupFailures(With((key, value)));
        Assert.Contains(failures, f => f.Contains(message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;")]
    public void An_opt_out_blob_and_an_Azurite_blob_connection_string_are_accepted(string connectionString)
    {
        Assert.Empty(StartupFailures(With(("Enumerate:OptOutBlob", "optout/lists/optout.txt"), ("Storage:BlobConnectionString", connectionString))));
    }

    [Fact]
    public void An_emulator_connection_string_is_accepted_for_local_development()
    {
        var settings = With(("ServiceBusConnection:fullyQualifiedNamespace", null), ("ServiceBusConnection:credential", null), ("ServiceBusConnection:clientId", null),
            ("ServiceBusConnection", "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"));
        Assert.Empty(StartupFailures(settings));
    }

    [Fact]
    public async Task The_options_are_validated_when_the_host_starts()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(With(("Scan:ResolverEndpoint", "not an endpoint"))).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDaneScanFunctions(config);
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains(ex.Failures, f => f.StartsWith("Scan__ResolverEndpoint", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_app_refuses_to_start_without_the_stage_services_naming_each_missing_one()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(Valid).Build();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddDaneScanFunctions(config);
        builder.Services.AddSingleton<IProbeStage, UnusedProbeStage>();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("IRunEnumerator", ex.Message, StringComparison.Ordinal);
        Assert.Contains("IResolveStage", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(IStatisticsQueries), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("IProbeStage", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_senders_target_the_two_work_queues()
    {
        await using var sp = Build(Valid);
        var senders = sp.GetRequiredService<QueueSenders>();
        Assert.Equal(WorkQueues.Resolve, senders.Resolve.QueueName);
        Assert.Equal(WorkQueues.Probe, senders.Probe.QueueName);
    }

    /// <summary>Only registered to show that a registered port is not reported missing; never called.</summary>
    private sealed class UnusedProbeStage : IProbeStage
    {
        public Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("not called by this test");
    }

    [Fact]
    public void The_shipped_local_settings_validate()
    {
        // local.settings.json is what `func start` feeds the app as environment variables ('__' becomes ':').
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "src", "DaneScan.Functions", "local.settings.json")))!;
        var values = json["Values"]!.AsObject().ToDictionary(p => p.Key.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value);
        Assert.Empty(StartupFailures(values));
        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
    }
}
