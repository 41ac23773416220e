using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Functions.Testing;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using DaneScan.ServiceBus.Testing;
using DaneScan.Storage;
using DaneScan.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Functions.Tests;

/// <summary>
/// What the resolve and probe functions report through DaneScan's meter, read back with a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>: the function shells over the real table stages and
/// Azurite tables (DNS and SMTP replaced by observations shaped as the resolver and prober make them, as in
/// <see cref="TableStageTests"/>; the Functions host and Service Bus mocked). Judged domains are counted by the
/// status stored for them, once each; a stage whose storage fails counts one error tagged with that stage and
/// the exception the invocation failed with.
/// </summary>
[Trait("Category", "Integration")]
[Collection(FunctionTelemetryCollection.Name)]
public sealed class FunctionTelemetryTests : IAsyncLifetime
{
    private const string Run = "run-telemetry";
    private readonly string _prefix = "f" + Guid.NewGuid().ToString("N")[..16];
    private readonly Dictionary<string, DomainObservation> _dns = new(StringComparer.Ordinal)
    {
        ["dane.example"] = StageObservations.Domain("dane.example", "mx.dane.example", "127.0.0.61", daneHost: true),
        ["plain.example"] = StageObservations.Domain("plain.example", "mx.plain.example", "127.0.0.62", daneHost: false),
        ["late.example"] = StageObservations.Domain("late.example", "mx.late.example", "127.0.0.63", daneHost: true),
    };

    private TableResultStore _store = null!;
    private ProbeClaims _claims = null!;

    public async Task InitializeAsync()
    {
        if (!Azurite.Required && !Azurite.Listening())
        {
            return;
        }

        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, new TableStoreOptions { MaxRetries = 1 });
        _store = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = _prefix, MaxRetries = 1 });
        _claims = await ProbeClaims.OpenAsync(service, _prefix);
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DeleteTablesAsync();
            await TableResultStore.CreateServiceClient(Azurite.ConnectionString).DeleteTableAsync(_claims.TableName);
        }
    }

    [AzuriteFact]
    public async Task Judged_domains_are_counted_by_their_stored_status_and_a_failed_stage_as_one_error_of_it()
    {
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var functions = new ScanFunctions(
            new ResolveBatchHandler(new TableResolveStage((d, _) => Task.FromResult(_dns[d]), _store, _claims), new WorkQueueSender(probeQueue), _claims),
            new ProbeRequestHandler(new TableProbeStage((t, _) => Task.FromResult(StageObservations.Probe(t)), _store, _claims), new WorkQueueSender(probeQueue)),
            NullLogger<ScanFunctions>.Instance);
        var context = new SuccessPathContext("telemetry");
        using var seen = new Measurements(DaneScanTelemetry.Name);

        // plain.example has no DANE host: judged by the resolve function (NotDane, by the rules: no host in view
        // has TLSA). dane.example is judged by the probe function once its probe is stored; the placeholder chain
        // matches no TLSA record, so a DANE host fails to authenticate (Failing).
        await functions.ResolveAsync(Body(new ResolveBatch { RunId = Run, Domains = ["dane.example", "plain.example"] }), context, CancellationToken.None);
        var request = Assert.Single(probeQueue.SentBatches.SelectMany(b => b));
        await functions.ProbeAsync(request.Body.ToArray(), context, CancellationToken.None);
        await functions.ProbeAsync(request.Body.ToArray(), context, CancellationToken.None); // a redelivery counts nothing again

        var stored = new List<string>();
        foreach (var domain in new[] { "dane.example", "plain.example" })
        {
            stored.Add((await _store.ReadDomainAsync(Run, domain))!.Verdict!.All.ToString());
        }

        Assert.Equal([nameof(DomainDaneStatus.Failing), nameof(DomainDaneStatus.NotDane)], stored);
        Assert.Equal(
            new Dictionary<string, long>(StringComparer.Ordinal) { [nameof(DomainDaneStatus.Failing)] = 1, [nameof(DomainDaneStatus.NotDane)] = 1 }.OrderBy(kv => kv.Key, StringComparer.Ordinal),
            seen.SumBy("danescan.outcomes", "status").OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(2, seen.Sum("danescan.domains", ("stage", "resolve")));
        Assert.Equal(1, seen.Sum("danescan.domains", ("stage", "probe"))); // dane.example, finished by its probe; not again on the redelivery
        Assert.Equal(0, seen.Sum("danescan.errors"));
        Assert.Equal(0, seen.Sum("danescan.retries"));

        // The claims table goes away (deleted by hand, say): the next resolve and probe invocations fail.
        await TableResultStore.CreateServiceClient(Azurite.ConnectionString).DeleteTableAsync(_claims.TableName);
        var resolveFailure = await Assert.ThrowsAnyAsync<Exception>(() => functions.ResolveAsync(Body(new ResolveBatch { RunId = Run, BatchIndex = 1, Domains = ["late.example"] }), context, CancellationToken.None));
        var probeFailure = await Assert.ThrowsAnyAsync<Exception>(() => functions.ProbeAsync(request.Body.ToArray(), context, CancellationToken.None));

        Assert.Equal(1, seen.Sum("danescan.errors", ("stage", "resolve"), ("error", resolveFailure.GetType().Name)));
        Assert.Equal(1, seen.Sum("danescan.errors", ("stage", "probe"), ("error", probeFailure.GetType().Name)));
        Assert.Equal(2, seen.Sum("danescan.errors"));
        Assert.Equal(1, seen.Sum("danescan.retries", ("stage", "resolve"))); // each failed invocation hands its message back
        Assert.Equal(1, seen.Sum("danescan.retries", ("stage", "probe")));
        Assert.Equal(2, seen.Sum("danescan.outcomes"));
    }

    private static byte[] Body(ResolveBatch batch) => WorkQueueSender.ToMessage(batch).Body.ToArray();
}

/// <summary>The functions' telemetry test: a MeterListener hears the whole process, so it runs alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FunctionTelemetryCollection
{
    public const string Name = "function telemetry";
}
