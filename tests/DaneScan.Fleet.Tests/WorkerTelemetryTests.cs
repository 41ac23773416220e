using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet.Worker;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Smtp;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using DaneScan.Storage;
using DaneScan.Telemetry.Testing;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// What the worker reports through DaneScan's meter, read back with a <see cref="System.Diagnostics.Metrics.MeterListener"/>
/// while the worker's handlers run lab domains (real DNS, SMTP and Azurite tables; Service Bus mocked as in
/// <see cref="WorkerHandlerTests"/>): each judged domain counted once by the all-MX status the catalogue expects,
/// each probe by the outcome that was stored, the probes in flight back to zero, and every message handed back
/// counted as a retry and, when a stage failed, as an error of that stage.
/// </summary>
[Trait("Category", "Integration")]
[Collection(WorkerTelemetryCollection.Name)]
public sealed class WorkerTelemetryTests(WorkerLab fixture) : IAsyncLifetime
{
    private readonly string _prefix = "m" + Guid.NewGuid().ToString("N")[..16];
    private readonly string _runId = $"telemetry-{Guid.NewGuid():N}"[..22];
    private FleetTables? _tables;
    private TableResultStore _store = null!;
    private ProbeClaims _claims = null!;

    public async Task InitializeAsync()
    {
        _tables = await FleetTables.OpenAsync(_prefix);
        if (_tables is not null)
        {
            (_store, _claims) = (_tables.Store, _tables.Claims);
        }
    }

    public async Task DisposeAsync()
    {
        if (_tables is not null)
        {
            await _tables.DeleteAsync();
        }
    }

    /// <summary>Up to two quick cases (no deliberately slow server, no unreachable name server) of each all-MX status the catalogue expects.</summary>
    private static List<LabCase> CasesOfEveryStatus() =>
        [.. LabCatalogue.All
            .Where(c => c.Hosts.All(h => h.Tls.Quirk == SmtpQuirk.None) && c.Zones.All(z => z.Fault != ZoneFault.Unreachable))
            .GroupBy(c => c.Expected.AllMx)
            .SelectMany(g => g.Take(2))];

    [AzuriteFact]
    public async Task Each_judged_domain_is_counted_once_by_its_status_and_each_probe_by_its_stored_outcome()
    {
        var cases = CasesOfEveryStatus();
        Assert.True(cases.Select(c => c.Expected.AllMx).Distinct().Count() >= 4, "the catalogue should give Protected, Failing, NotDane and NotApplicable cases");
        using var engine = await fixture.NewEngineAsync(OptOutList.Empty);
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var handlers = WorkerRuntime.Handlers(engine, _store, _claims, new WorkQueueSender(probeQueue));
        var settled = new RecordingReceiver();

        using var seen = new Measurements(DaneScanTelemetry.Name);
        var batches = ResolveBatchSplitter.Split(_runId, cases.Select(c => c.Domain), bodyBudgetBytes: 400).ToList();
        foreach (var batch in batches)
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleResolveAsync(Delivered.From(WorkQueueSender.ToMessage(batch)), new ReceiverSettler(settled))).Settlement);
        }

        var sent = probeQueue.SentBatches.SelectMany(b => b).ToList();
        foreach (var message in sent)
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(message), new ReceiverSettler(settled))).Settlement);
        }

        // A redelivered probe request finds its probe stored and its domains judged: nothing is counted again.
        Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 2), new ReceiverSettler(settled))).Settlement);

        // Outcomes: one per domain, under the all-MX status the catalogue expects of it.
        var expected = cases.GroupBy(c => c.Expected.AllMx.ToString()).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), seen.SumBy("danescan.outcomes", "status").OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // The resolve stage finished every domain; each request sent was probed once, under the outcome stored for it.
        Assert.Equal(cases.Count, seen.Sum("danescan.domains", ("stage", "resolve")));
        var stored = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var probe in _store.EnumerateProbesAsync(_runId))
        {
            stored[probe.Observation.Outcome.ToString()] = stored.GetValueOrDefault(probe.Observation.Outcome.ToString()) + 1;
        }

        Assert.Equal(sent.Count, stored.Values.Sum());
        Assert.Equal(stored.OrderBy(kv => kv.Key, StringComparer.Ordinal), seen.SumBy("danescan.probes", "outcome").OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Contains(nameof(ProbeOutcome.TlsEstablished), stored.Keys);

        // Probes in flight went up once per probe and came back to zero; nothing failed, nothing was handed back.
        Assert.Equal(sent.Count, seen.All.Count(m => m.Instrument == "danescan.probes.in_flight" && m.Value == 1));
        Assert.Equal(0, seen.Sum("danescan.probes.in_flight"));
        Assert.Equal(0, seen.Sum("danescan.errors"));
        Assert.Equal(0, seen.Sum("danescan.retries"));
    }

    [AzuriteFact]
    public async Task A_failed_stage_counts_one_error_of_that_stage_and_one_retry_and_its_redelivery_nothing_more()
    {
        var faulty = new FaultyStore(_store);
        using var engine = await fixture.NewEngineAsync(OptOutList.Empty);
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var handlers = new WorkerHandlers(
            new TableResolveStage(engine.Resolver.ResolveAsync, faulty, _claims, engine.SmtpPort),
            new TableProbeStage(engine.Prober.ProbeAsync, faulty, _claims, engine.SmtpPort),
            new WorkQueueSender(probeQueue),
            _claims);
        var settled = new RecordingReceiver();
        var cases = LabCatalogue.All.Where(c => c.Hosts.Count == 1 && c.Hosts[0].Expected.Outcome == HostOutcome.Authenticated && c.Hosts[0].Tls.Quirk == SmtpQuirk.None).Take(2).ToList();
        Assert.Equal(2, cases.Count);
        var message = WorkQueueSender.ToMessage(new ResolveBatch { RunId = _runId, Domains = [.. cases.Select(c => c.Domain)] });

        using var seen = new Measurements(DaneScanTelemetry.Name);

        // The resolve stage's second domain write fails (an outage through the store's retries): handed back.
        faulty.FailDomainWriteAfter(1);
        Assert.Equal(Settlement.Abandoned, (await handlers.HandleResolveAsync(Delivered.From(message, deliveryCount: 1), new ReceiverSettler(settled))).Settlement);
        Assert.Equal(1, seen.Sum("danescan.errors", ("stage", "resolve"), ("error", nameof(StorageException))));
        Assert.Equal(1, seen.Sum("danescan.retries", ("stage", WorkQueues.Resolve)));

        // Its redelivery goes through; then the first probe's write fails, and its redelivery goes through.
        Assert.Equal(Settlement.Completed, (await handlers.HandleResolveAsync(Delivered.From(message, deliveryCount: 2), new ReceiverSettler(settled))).Settlement);
        var sent = probeQueue.SentBatches.SelectMany(b => b).ToList();
        Assert.NotEmpty(sent);
        faulty.FailProbeWriteAfter(0);
        Assert.Equal(Settlement.Abandoned, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 1), new ReceiverSettler(settled))).Settlement);
        Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 2), new ReceiverSettler(settled))).Settlement);
        foreach (var rest in sent.Skip(1))
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(rest), new ReceiverSettler(settled))).Settlement);
        }

        // A name in a batch that is not normalised is poison: an error of the resolve stage too, and handed back.
        var poison = WorkQueueSender.ToMessage(new ResolveBatch { RunId = _runId, Domains = ["Upper.Example"] });
        Assert.Equal(Settlement.Abandoned, (await handlers.HandleResolveAsync(Delivered.From(poison), new ReceiverSettler(settled))).Settlement);

        Assert.Equal(2, faulty.Faults);
        Assert.Equal(
            new Dictionary<string, long>(StringComparer.Ordinal) { ["resolve"] = 2, ["probe"] = 1 }.OrderBy(kv => kv.Key, StringComparer.Ordinal),
            seen.SumBy("danescan.errors", "stage").OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(1, seen.Sum("danescan.errors", ("stage", "probe"), ("error", nameof(StorageException))));
        Assert.Equal(1, seen.Sum("danescan.errors", ("stage", "resolve"), ("error", nameof(PoisonMessageException))));
        Assert.Equal(
            new Dictionary<string, long>(StringComparer.Ordinal) { [WorkQueues.Resolve] = 2, [WorkQueues.Probe] = 1 }.OrderBy(kv => kv.Key, StringComparer.Ordinal),
            seen.SumBy("danescan.retries", "stage").OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // Both domains judged once, Protected as the catalogue expects, whatever was retried on the way.
        Assert.Equal(cases.Count(c => c.Expected.AllMx == DomainDaneStatus.Protected), seen.Sum("danescan.outcomes", ("status", nameof(DomainDaneStatus.Protected))));
        Assert.Equal(cases.Count, seen.Sum("danescan.outcomes"));
    }
}

/// <summary>
/// The worker's telemetry tests: a <see cref="System.Diagnostics.Metrics.MeterListener"/> hears the whole process,
/// so they run alone (xunit runs a collection that disables parallelisation after the others), on a worker lab of
/// their own (the <see cref="WorkerLabCollection"/>'s lab is stopped by then, so it takes the same block).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class WorkerTelemetryCollection : ICollectionFixture<WorkerLab>
{
    public const string Name = "worker telemetry";
}
