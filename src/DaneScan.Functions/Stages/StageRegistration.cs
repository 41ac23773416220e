using System.Globalization;
using System.Reflection;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using DaneScan.Api;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Fleet;
using DaneScan.Fleet.Worker;
using DaneScan.Functions.Api;
using DaneScan.Functions.Settings;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.ServiceBus;
using DaneScan.Smtp;
using DaneScan.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions.Stages;

/// <summary>
/// Registers the stage services the function shells call: the enumerate stage (<see cref="BlobRunEnumerator"/>
/// reading the lists from Blob Storage), the resolve and probe stages (the CLI's <see cref="DomainResolver"/>
/// and polite <see cref="HostProber"/> over the Table store), the run completion markers and the finaliser,
/// the statistics queries, and the resolver's DNSSEC self-check, run at start-up (<see cref="ResolverTrust"/>).
/// </summary>
public static class StageRegistration
{
    public static IServiceCollection AddDaneScanStages(this IServiceCollection services)
    {
        // The engine comes from the one composition root (ScanEngineBuilder), built once per instance with the
        // opt-out list of Enumerate__OptOutBlob (read when the engine is built; a change takes effect as instances
        // restart; the enumerate stage reads it each run) and public addresses only.
        services.AddSingleton(sp => new ResolverTrust(
            sp.GetRequiredService<IOptions<ScanOptions>>(),
            sp.GetRequiredService<ILogger<ResolverTrust>>(),
            async ct =>
            {
                var optOutBlob = sp.GetRequiredService<IOptions<EnumerateOptions>>().Value.OptOutBlob;
                return string.IsNullOrWhiteSpace(optOutBlob)
                    ? OptOutList.Empty
                    : await BlobRunEnumerator.LoadOptOutAsync(sp.GetRequiredService<BlobServiceClient>(), optOutBlob, sp.GetService<ILogger<BlobRunEnumerator>>(), ct).ConfigureAwait(false);
            }));
        services.AddHostedService<ResolverSelfCheckService>();

        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(storage.TableConnectionString))
            {
                return TableResultStore.CreateServiceClient(storage.TableConnectionString);
            }

            var credential = storage.CreateCredential();
            return new TableServiceClient(new Uri(storage.TableServiceUri!), credential);
        });

        // No request while the services are built (nothing here blocks on I/O): Bicep creates the tables in Azure,
        // and TableSetupService creates any that are missing (Azurite, a new prefix) when the host starts.
        services.AddSingleton(sp => TableResultStore.Attach(sp.GetRequiredService<TableServiceClient>()));
        services.AddSingleton(sp => ProbeClaims.Attach(sp.GetRequiredService<TableServiceClient>()));
        services.AddHostedService<TableSetupService>();
        // The stages await the engine (and its resolver self-check) on first use: building them never blocks.
        services.AddSingleton<EngineStages>();
        services.AddSingleton<IResolveStage>(sp => sp.GetRequiredService<EngineStages>());
        services.AddSingleton<IProbeStage>(sp => sp.GetRequiredService<EngineStages>());
        services.AddSingleton(sp => sp.GetRequiredService<ProbeClaims>().Progress);
        services.AddSingleton(sp => new ResolveBatchHandler(sp.GetRequiredService<IResolveStage>(), sp.GetRequiredService<QueueSenders>().Probe, sp.GetRequiredService<ProbeClaims>()));
        services.AddSingleton(sp => new ProbeRequestHandler(sp.GetRequiredService<IProbeStage>(), sp.GetRequiredService<QueueSenders>().Probe, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RunFinaliser(sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<RunProgress>(), sp.GetService<Microsoft.Extensions.Logging.ILogger<RunFinaliser>>())
        {
            StallAfter = sp.GetRequiredService<IOptions<FinaliseOptions>>().Value.StallAfter,
        });
        services.AddSingleton<IStatisticsQueries>(sp => StatisticsQueries.ForTable(sp.GetRequiredService<TableResultStore>()));

        // The enumerate stage: the lists from Blob Storage (managed identity; a connection string for Azurite only).
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(storage.BlobConnectionString))
            {
                return new BlobServiceClient(storage.BlobConnectionString);
            }

            var credential = storage.CreateCredential();
            return new BlobServiceClient(new Uri(storage.BlobServiceUri!), credential);
        });
        services.AddSingleton<IRunEnumerator>(sp =>
        {
            var enumerate = sp.GetRequiredService<IOptions<EnumerateOptions>>().Value;
            var scan = sp.GetRequiredService<IOptions<ScanOptions>>().Value;
            var trust = sp.GetRequiredService<ResolverTrust>();
            var options = new RunEnumeratorOptions
            {
                OptOutBlob = string.IsNullOrWhiteSpace(enumerate.OptOutBlob) ? null : enumerate.OptOutBlob,
                ScannerVersion = typeof(StageRegistration).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
                Resolver = scan.ResolverEndpoint,
                TrustAnchor = "resolver's configured root anchor",
                VantagePoint = scan.VantagePoint ?? (Environment.GetEnvironmentVariable("REGION_NAME") is { Length: > 0 } region ? "azure-" + region : Environment.MachineName),
                TrustMode = trust.GetTrustModeAsync,
                Settings = new Dictionary<string, string>
                {
                    ["schedule"] = enumerate.Schedule ?? string.Empty,
                    ["batchBodyBudgetBytes"] = enumerate.BatchBodyBudgetBytes.ToString(CultureInfo.InvariantCulture),
                    ["heloName"] = scan.HeloName ?? string.Empty,
                    ["insecureResolver"] = scan.InsecureResolver ? "true" : "false",
                    ["smtpPort"] = scan.SmtpPort.ToString(CultureInfo.InvariantCulture),
                },
            };
            return new BlobRunEnumerator(
                sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<TableResultStore>(), options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BlobRunEnumerator>>());
        });
        return services;
    }
}
