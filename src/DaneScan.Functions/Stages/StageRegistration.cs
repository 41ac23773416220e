using System.Globalization;
using System.Reflection;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using DaneScan.Api;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Settings;
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
        services.AddSingleton<ResolverTrust>();

        // Public addresses only (special-purpose blocks refused), and the opt-out list of Enumerate__OptOutBlob,
        // read once per instance (a change takes effect as instances restart; the enumerate stage reads it each
        // run): the resolve stage skips opted-out domains, the prober refuses opted-out MX hosts and addresses.
        services.AddSingleton(sp =>
        {
            var optOutBlob = sp.GetRequiredService<IOptions<EnumerateOptions>>().Value.OptOutBlob;
            var optOut = string.IsNullOrWhiteSpace(optOutBlob)
                ? OptOutList.Empty
                : BlobRunEnumerator.LoadOptOutAsync(sp.GetRequiredService<BlobServiceClient>(), optOutBlob, sp.GetService<ILogger<BlobRunEnumerator>>()).GetAwaiter().GetResult();
            return new PolitenessPolicy(optOut, new AddressPolicy(allowSpecialPurpose: false));
        });
        services.AddHostedService<ResolverSelfCheckService>();
        services.AddSingleton(sp =>
        {
            var scan = sp.GetRequiredService<IOptions<ScanOptions>>().Value;

            // Waits for the start-up self-check (and throws, failing the invocation, when it refused the resolver).
            var trust = sp.GetRequiredService<ResolverTrust>().GetTrustModeAsync().GetAwaiter().GetResult();
            var resolver = new DomainResolver(new DnsResolverOptions
            {
                Endpoint = DnsResolverOptions.ParseEndpoint(scan.ResolverEndpoint!),
                TrustMode = trust,
            });

            var policy = sp.GetRequiredService<PolitenessPolicy>();
            var prober = new HostProber(new SmtpProber(new SmtpProbeOptions(scan.HeloName!)), policy, new ConnectionLimiter());
            return new DomainChecker(resolver, prober);
        });
        services.AddSingleton(sp =>
        {
            var storage = sp.GetRequiredService<IOptions<StorageOptions>>().Value;
            if (!string.IsNullOrWhiteSpace(storage.TableConnectionString))
            {
                return TableResultStore.CreateServiceClient(storage.TableConnectionString);
            }

            var credential = sp.GetRequiredService<IOptions<ServiceBusConnectionOptions>>().Value.CreateCredential();
            return new TableServiceClient(new Uri(storage.TableServiceUri!), credential);
        });

        // The tables are created (if missing) once, on first use; the stages wait for that.
        services.AddSingleton(sp => TableResultStore.OpenAsync(sp.GetRequiredService<TableServiceClient>()).GetAwaiter().GetResult());
        services.AddSingleton(sp => ProbeClaims.OpenAsync(sp.GetRequiredService<TableServiceClient>()).GetAwaiter().GetResult());
        services.AddSingleton<IResolveStage>(sp =>
        {
            var checker = sp.GetRequiredService<DomainChecker>();
            var policy = sp.GetRequiredService<PolitenessPolicy>();
            return new TableResolveStage(checker.Resolver.ResolveAsync, sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<ProbeClaims>(), checker.SmtpPort, d => policy.CheckDomain(d).Allowed);
        });
        services.AddSingleton<IProbeStage>(sp =>
        {
            var checker = sp.GetRequiredService<DomainChecker>();
            return new TableProbeStage(checker.Prober.ProbeAsync, sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<ProbeClaims>(), checker.SmtpPort);
        });
        services.AddSingleton(sp => sp.GetRequiredService<ProbeClaims>().Progress);
        services.AddSingleton(sp => new ResolveBatchHandler(sp.GetRequiredService<IResolveStage>(), sp.GetRequiredService<QueueSenders>().Probe, sp.GetRequiredService<ProbeClaims>()));
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

            var credential = sp.GetRequiredService<IOptions<ServiceBusConnectionOptions>>().Value.CreateCredential();
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
                    ["smtpPort"] = "25",
                },
            };
            return new BlobRunEnumerator(
                sp.GetRequiredService<BlobServiceClient>(), sp.GetRequiredService<TableResultStore>(), options,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<BlobRunEnumerator>>());
        });
        return services;
    }
}
