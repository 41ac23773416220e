using Azure.Data.Tables;
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
using Microsoft.Extensions.Options;

namespace DaneScan.Functions.Stages;

/// <summary>
/// Registers the stage services the function shells call: the resolve and probe stages (the CLI's
/// <see cref="DomainResolver"/> and polite <see cref="HostProber"/> over the Table store), the run completion
/// markers and the finaliser, and the statistics queries. <see cref="IRunEnumerator"/> (reading the lists from Blob Storage) is not provided yet, so the
/// app's start-up check still stops the app naming it.
/// </summary>
public static class StageRegistration
{
    public static IServiceCollection AddDaneScanStages(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var scan = sp.GetRequiredService<IOptions<ScanOptions>>().Value;
            var resolver = new DomainResolver(new DnsResolverOptions
            {
                Endpoint = DnsResolverOptions.ParseEndpoint(scan.ResolverEndpoint!),
                TrustMode = DnsTrustMode.ValidatingResolverAd,
            });

            // Public addresses only (special-purpose blocks refused), no opt-out list yet, default connection caps.
            var policy = new PolitenessPolicy(OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: false));
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
            return new TableResolveStage(checker.Resolver.ResolveAsync, sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<ProbeClaims>(), checker.SmtpPort);
        });
        services.AddSingleton<IProbeStage>(sp =>
        {
            var checker = sp.GetRequiredService<DomainChecker>();
            return new TableProbeStage(checker.Prober.ProbeAsync, sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<ProbeClaims>(), checker.SmtpPort);
        });
        services.AddSingleton(sp => sp.GetRequiredService<ProbeClaims>().Progress);
        services.AddSingleton(sp => new RunFinaliser(sp.GetRequiredService<TableResultStore>(), sp.GetRequiredService<RunProgress>(), sp.GetService<Microsoft.Extensions.Logging.ILogger<RunFinaliser>>()));
        services.AddSingleton<IStatisticsQueries>(sp => new TableStatisticsQueries(sp.GetRequiredService<TableResultStore>()));
        return services;
    }
}
