using Azure.Messaging.ServiceBus;
using DaneScan.Api;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Settings;
using DaneScan.Functions.Stages;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DaneScan.Functions;

/// <summary>The app's services and settings; everything the function shells need except the stage implementations.</summary>
public static class ServiceRegistration
{
    public static IServiceCollection AddDaneScanFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<EnumerateOptions>()
            .Bind(configuration.GetSection(EnumerateOptions.SectionName))
            .Configure(o => o.Schedule = configuration[EnumerateFunction.ScheduleSetting])
            .ValidateOnStart();
        services.AddOptions<FinaliseOptions>()
            .Bind(configuration.GetSection(FinaliseOptions.SectionName))
            .Configure(o => o.Schedule = configuration[FinaliseFunction.ScheduleSetting])
            .ValidateOnStart();
        services.AddOptions<ScanOptions>().Bind(configuration.GetSection(ScanOptions.SectionName)).ValidateOnStart();
        services.AddOptions<StorageOptions>().Bind(configuration.GetSection(StorageOptions.SectionName)).ValidateOnStart();
        services.AddOptions<ServiceBusConnectionOptions>()
            .Bind(configuration.GetSection(ServiceBusConnectionOptions.DefaultSectionName))
            .Configure(o =>
            {
                // The section's own value, when set, is a connection string (emulator); Azure uses the __ keys.
                var own = configuration[ServiceBusConnectionOptions.DefaultSectionName];
                if (!string.IsNullOrWhiteSpace(own))
                {
                    o.ConnectionString = own;
                }
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<EnumerateOptions>, EnumerateOptionsValidator>();
        services.AddSingleton<IValidateOptions<FinaliseOptions>, FinaliseOptionsValidator>();
        services.AddSingleton<IValidateOptions<ScanOptions>, ScanOptionsValidator>();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddSingleton<IValidateOptions<ServiceBusConnectionOptions>, ServiceBusConnectionOptionsValidator>();

        services.AddSingleton(sp => sp.GetRequiredService<IOptions<ServiceBusConnectionOptions>>().Value.CreateClient());
        services.AddSingleton(sp =>
        {
            var client = sp.GetRequiredService<ServiceBusClient>();
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            return new QueueSenders(
                new WorkQueueSender(client.CreateSender(WorkQueues.Resolve), loggers.CreateLogger<WorkQueueSender>()),
                new WorkQueueSender(client.CreateSender(WorkQueues.Probe), loggers.CreateLogger<WorkQueueSender>()));
        });

        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<StageRegistrationCheck>();
        return services;
    }
}

/// <summary>
/// Refuses to start when a stage port has no implementation, naming it, rather than failing on the first
/// message. The stage services come from DaneScan.Fleet (registered by StageRegistration.AddDaneScanStages).
/// </summary>
internal sealed class StageRegistrationCheck(IServiceProvider services) : IHostedService
{
    internal static readonly Type[] Ports = [typeof(IRunEnumerator), typeof(IResolveStage), typeof(IProbeStage), typeof(IStatisticsQueries)];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var missing = MissingPorts(services);
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"DaneScan.Functions cannot start: no implementation is registered for {string.Join(", ", missing)}. " +
                "Register the stage services from DaneScan.Fleet in Program.cs (AddDaneScanStages).");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    internal static List<string> MissingPorts(IServiceProvider services)
    {
        var isService = services.GetService<IServiceProviderIsService>();
        return Ports.Where(t => isService is null ? services.GetService(t) is null : !isService.IsService(t)).Select(t => t.Name).ToList();
    }
}
