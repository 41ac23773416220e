using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using DaneScan.Dns;
using DaneScan.Pipeline.Composition;
using DaneScan.ServiceBus;
using DaneScan.Storage;
using Microsoft.Extensions.Logging;

namespace DaneScan.Fleet.Worker;

/// <summary>
/// Everything a worker process runs on, built from validated <see cref="WorkerSettings"/> and the scanner engine
/// (the <see cref="ScanEngine"/> of the one composition root, as <c>danescan scan</c> builds it):
/// the Table store and claims (tables created if missing), the table resolve and probe stages, the probe queue's
/// sender, the handlers and the <see cref="FleetWorker"/>.
/// </summary>
public sealed class WorkerRuntime : IAsyncDisposable
{
    private readonly ServiceBusClient _client;
    private readonly ServiceBusSender _probeSender;

    private WorkerRuntime(ServiceBusClient client, ServiceBusSender probeSender, TableResultStore store, ProbeClaims claims, FleetWorker worker)
    {
        _client = client;
        _probeSender = probeSender;
        Store = store;
        Claims = claims;
        Worker = worker;
    }

    public TableResultStore Store { get; }

    public ProbeClaims Claims { get; }

    public FleetWorker Worker { get; }

    /// <summary>
    /// Opens the tables (the first I/O: a storage fault or a missing permission surfaces here as
    /// <see cref="StorageException"/>, <see cref="Azure.RequestFailedException"/> or
    /// <see cref="Azure.Identity.AuthenticationFailedException"/>) and builds the worker.
    /// </summary>
    public static async Task<WorkerRuntime> OpenAsync(WorkerSettings settings, ScanEngine engine, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(engine);
        var errors = settings.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", errors), nameof(settings));
        }

        var credential = settings.CreateCredential();
        var tables = settings.CreateTableServiceClient(credential);
        var store = await TableResultStore.OpenAsync(tables, new TableStoreOptions { TablePrefix = settings.TablePrefix }, cancellationToken).ConfigureAwait(false);
        var claims = await ProbeClaims.OpenAsync(tables, settings.TablePrefix, cancellationToken).ConfigureAwait(false);
        var client = settings.CreateServiceBusClient(credential);
        var probeSender = client.CreateSender(WorkQueues.Probe);
        var handlers = Handlers(engine, store, claims, new WorkQueueSender(probeSender, loggers?.CreateLogger<WorkQueueSender>()), loggers);
        var worker = FleetWorker.Create(client, handlers, settings.ToOptions(), loggers);
        return new WorkerRuntime(client, probeSender, store, claims, worker);
    }

    /// <summary>
    /// The handlers over the table stages, as the worker process runs them: the engine's resolver and polite
    /// prober, the opt-out list applied to destination domains as <c>danescan scan</c> applies it.
    /// </summary>
    public static WorkerHandlers Handlers(ScanEngine engine, TableResultStore store, ProbeClaims claims, WorkQueueSender probeSender, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var (resolve, probe) = Stages(engine, store, claims);
        return new WorkerHandlers(resolve, probe, probeSender, claims, d => engine.Policy.CheckDomain(d).Allowed, loggers);
    }

    /// <summary>
    /// The table resolve and probe stages over the engine, the one place they are wired (the worker process and
    /// the Functions app both call it): the engine's resolver and polite prober, the opt-out list applied to
    /// destination domains as <c>danescan scan</c> applies it. Host lookups are shared within a run by the instance
    /// (<see cref="RunHostCaches"/>).
    /// </summary>
    public static (TableResolveStage Resolve, TableProbeStage Probe) Stages(ScanEngine engine, TableResultStore store, ProbeClaims claims)
    {
        ArgumentNullException.ThrowIfNull(engine);
        var hosts = new RunHostCaches(engine.Resolver);
        return (
            new TableResolveStage(hosts.ResolveAsync, store, claims, engine.SmtpPort, d => engine.Policy.CheckDomain(d).Allowed),
            new TableProbeStage(engine.Prober, store, claims, engine.SmtpPort));
    }

    public async ValueTask DisposeAsync()
    {
        await Worker.DisposeAsync().ConfigureAwait(false);
        await _probeSender.DisposeAsync().ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
    }
}
