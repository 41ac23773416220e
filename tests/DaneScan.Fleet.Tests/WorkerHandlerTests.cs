using System.Globalization;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet.Worker;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.ServiceBus;
using DaneScan.Storage;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// The worker's message handlers (what `danescan worker` runs for each received message) with real parts:
/// the lab's DNS and SMTP servers (127.62.0.0/16), the table stages over Azurite, the real resolver and
/// polite prober. Service Bus cannot run here, so it is mocked: received messages are made with the SDK's
/// <see cref="ServiceBusModelFactory"/>, settlement goes to a recording receiver, and the probe queue is a
/// recording sender whose messages the test delivers itself (no broker locks, redelivery or duplicate
/// detection: redeliveries are made explicitly, with their delivery count).
/// </summary>
[Trait("Category", "Integration")]
[Collection(WorkerLabCollection.Name)]
public sealed class WorkerHandlerTests(WorkerLab fixture) : IAsyncLifetime
{
    private readonly string _prefix = "w" + Guid.NewGuid().ToString("N")[..16];
    private readonly string _runId = $"worker-{Guid.NewGuid():N}"[..22];
    private ScanEngine? _engine;
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
        _engine?.Dispose();
        if (_tables is not null)
        {
            await _tables.DeleteAsync();
        }
    }

    [AzuriteFact]
    public async Task Resolve_batches_then_probe_requests_judge_every_lab_domain_as_the_catalogue_expects()
    {
        var cases = LabCatalogue.All;
        // The run's batches as the enumerator sends them, plus one more that repeats two domains of the first
        // two batches: their hosts are claimed by the batch that saw them first, so they are probed once.
        var batches = ResolveBatchSplitter.Split(_runId, cases.Select(c => c.Domain), bodyBudgetBytes: 600).ToList();
        Assert.True(batches.Count > 3, "the lab's domains should span several resolve batches");

        // One domain of the last batch with probed hosts is on the worker's opt-out list, as `danescan worker --opt-out` loads it.
        var optedOut = Probed(batches.Last(b => b.Domains.Any(IsProbed)));
        using var engine = await fixture.NewEngineAsync(await OptOut(optedOut));
        var checker = engine.Checker;
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var handlers = WorkerRuntime.Handlers(engine, _store, _claims, new WorkQueueSender(probeQueue));
        var settled = new RecordingReceiver();
        var shared = new[] { Probed(batches[0]), Probed(batches[1]) };
        var overlap = new ResolveBatch { RunId = _runId, BatchIndex = batches.Count, Domains = shared };
        foreach (var batch in batches.Append(overlap))
        {
            var result = await handlers.HandleResolveAsync(Delivered.From(WorkQueueSender.ToMessage(batch)), new ReceiverSettler(settled));
            Assert.Equal(Settlement.Completed, result.Settlement);
        }

        var sent = probeQueue.SentBatches.SelectMany(b => b).ToList();
        var requests = sent.Select(m => WorkMessageCodec.DecodeProbeRequest(m.Body.ToMemory().Span).Message!).ToList();

        // Each target of the run once: exactly the targets the stored DNS observations call for.
        var expectedTargets = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var record in _store.EnumerateDomainsAsync(_runId))
        {
            foreach (var target in ProbeTarget.For(record.Observation, checker.SmtpPort))
            {
                expectedTargets.Add(target.Key);
            }
        }

        var sentTargets = requests.Select(r => ProbeKey.Of(r.Host, r.Address)).ToList();
        Assert.Equal(expectedTargets, sentTargets.Order(StringComparer.Ordinal));
        Assert.Equal(sent.Count, sent.Select(m => m.MessageId).Distinct().Count());
        Assert.True(sent.Count > 10, "the lab should call for many probes");

        // A redelivered batch (its lock lost after it was sent, say) rewrites its rows and sends nothing again.
        var again = await handlers.HandleResolveAsync(Delivered.From(WorkQueueSender.ToMessage(batches[0]), deliveryCount: 2), new ReceiverSettler(settled));
        Assert.Equal(Settlement.Completed, again.Settlement);
        Assert.Equal(sent.Count, probeQueue.SentBatches.Sum(b => b.Count));

        // The probe queue's messages, delivered once each; one of them twice (a redelivery is idempotent).
        foreach (var message in sent)
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(message), new ReceiverSettler(settled))).Settlement);
        }

        Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 2), new ReceiverSettler(settled))).Settlement);

        // Every domain judged, with the catalogue's expected outcome; the opted-out one neither resolved nor stored.
        foreach (var labCase in cases)
        {
            var record = await _store.ReadDomainAsync(_runId, labCase.Domain);
            if (labCase.Domain == optedOut)
            {
                Assert.Null(record);
                continue;
            }

            AssertJudgedAsExpected(labCase, record);
        }

        // The run is complete by the fleet's markers: every batch resolved (the opted-out domain counted as
        // handled) and every claimed target probed.
        var all = batches.Append(overlap).ToList();
        await _claims.Progress.RecordEnumerationSentAsync(_runId, all.Count, all.Sum(b => b.Domains.Count));
        var completion = await _claims.Progress.CheckAsync(_runId);
        Assert.True(completion.IsComplete, completion.ToString());
        Assert.Equal(sent.Count, completion.ProbesDone);

        Assert.All(settled.Calls, c => Assert.Equal("complete", c.Operation));
        Assert.Equal(batches.Count + 2, handlers.Counters.Resolve.Completed);
        Assert.Equal(sent.Count + 1, handlers.Counters.Probe.Completed);
        Assert.Equal(sent.Count, handlers.Counters.ProbesSent);
        Assert.Equal(1, handlers.Counters.DomainsOptedOut);
        Assert.Equal((0L, 0L, 0L), (handlers.Counters.Resolve.DeadLettered + handlers.Counters.Probe.DeadLettered, handlers.Counters.Resolve.Abandoned + handlers.Counters.Probe.Abandoned, handlers.Counters.Resolve.InHand + handlers.Counters.Probe.InHand));
    }

    [AzuriteFact]
    public async Task A_malformed_body_is_handed_back_with_its_reason_and_nothing_is_stored()
    {
        var (handlers, probeQueue, _) = await HandlersAsync(_store);
        var settled = new RecordingReceiver();

        var junk = await handlers.HandleResolveAsync(Delivered.Body(BinaryData.FromString("{\"kind\":\"danescan.resolve-batch\",\"v\":1,\"runId\":"), "junk"), new ReceiverSettler(settled));
        var resolveBatchOnProbeQueue = WorkQueueSender.ToMessage(new ResolveBatch { RunId = _runId, Domains = ["ee-11.lab"] });
        var wrongKind = await handlers.HandleProbeAsync(Delivered.From(resolveBatchOnProbeQueue), new ReceiverSettler(settled));

        // Poison handling is the same as the function's (PoisonMessages): abandoned with the reason logged, so
        // Service Bus dead-letters it after the queue's max delivery count.
        Assert.Equal((Settlement.Abandoned, DeadLetterReasons.MalformedJson), (junk.Settlement, junk.DeadLetterReason));
        Assert.Equal((Settlement.Abandoned, DeadLetterReasons.WrongKind), (wrongKind.Settlement, wrongKind.DeadLetterReason));
        Assert.Equal(
            [("abandon", "junk"), ("abandon", resolveBatchOnProbeQueue.MessageId)],
            settled.Calls.Select(c => (c.Operation, c.MessageId)));
        Assert.False(string.IsNullOrWhiteSpace(junk.Detail));
        Assert.Empty(probeQueue.SentBatches);
        Assert.Null(await _store.ReadDomainAsync(_runId, "ee-11.lab"));
        Assert.Equal((0L, 1L), (handlers.Counters.Resolve.DeadLettered, handlers.Counters.Resolve.Abandoned));
        Assert.Equal((0L, 1L), (handlers.Counters.Probe.DeadLettered, handlers.Counters.Probe.Abandoned));
    }

    [AzuriteFact]
    public async Task A_poison_message_exception_is_handed_back_with_its_reason()
    {
        var (handlers, probeQueue, _) = await HandlersAsync(_store);
        var settled = new RecordingReceiver();
        var batch = new ResolveBatch { RunId = _runId, Domains = ["ee-11.lab", "exa mple.lab"] };

        // The body decodes, but a name in it is not a normalised domain name: PoisonMessageException, on the first delivery.
        var result = await handlers.HandleResolveAsync(Delivered.From(WorkQueueSender.ToMessage(batch), deliveryCount: 1), new ReceiverSettler(settled));

        Assert.Equal((Settlement.Abandoned, WorkerHandlers.InvalidDomainReason), (result.Settlement, result.DeadLetterReason));
        var call = Assert.Single(settled.Calls);
        Assert.Equal("abandon", call.Operation);
        Assert.Contains("domains[1] 'exa mple.lab' is not a normalised domain name (InvalidCharacter)", result.Detail, StringComparison.Ordinal);
        Assert.Null(await _store.ReadDomainAsync(_runId, "ee-11.lab"));
        Assert.Empty(probeQueue.SentBatches);
        Assert.Equal((0L, 1L), (handlers.Counters.Resolve.DeadLettered, handlers.Counters.Resolve.Abandoned));
    }

    [Fact]
    public void Only_a_poison_message_exception_is_classified_as_poison()
    {
        Assert.Equal(new DeadLetterDecision("NoSuchRun", "NoSuchRun: run r1 has no manifest"), WorkerHandlers.Classify(new PoisonMessageException("NoSuchRun", "run r1 has no manifest")));
        Assert.Equal(WorkerHandlers.PoisonReason, WorkerHandlers.Classify(new PoisonMessageException("no reason given"))!.Reason);
        Assert.Null(WorkerHandlers.Classify(new StorageException(StorageFaultKind.Throttled, "503")));
        Assert.Null(WorkerHandlers.Classify(new TimeoutException()));
    }

    [AzuriteFact]
    public async Task A_storage_fault_abandons_the_message_and_its_redelivery_loses_nothing()
    {
        var faulty = new FaultyStore(_store);
        var (handlers, probeQueue, checker) = await HandlersAsync(faulty);
        var settled = new RecordingReceiver();
        var cases = LabCatalogue.All.Where(c => c.Hosts.Any(h => h.Expected.Outcome == HostOutcome.Authenticated) && c.Hosts.Count >= 1).Take(3).ToList();
        Assert.Equal(3, cases.Count);
        var batch = new ResolveBatch { RunId = _runId, BatchIndex = 7, Domains = [.. cases.Select(c => c.Domain)] };
        var message = WorkQueueSender.ToMessage(batch);

        // The third domain's write fails: the first two have claimed their hosts, nothing was sent yet.
        faulty.FailDomainWriteAfter(2);
        var first = await handlers.HandleResolveAsync(Delivered.From(message, deliveryCount: 1), new ReceiverSettler(settled));
        Assert.Equal(Settlement.Abandoned, first.Settlement);
        Assert.Empty(probeQueue.SentBatches);

        // The redelivery finds the claims its own first delivery made, and sends every probe request once.
        var second = await handlers.HandleResolveAsync(Delivered.From(message, deliveryCount: 2), new ReceiverSettler(settled));
        Assert.Equal(Settlement.Completed, second.Settlement);
        var sent = probeQueue.SentBatches.SelectMany(b => b).ToList();
        var expected = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var labCase in cases)
        {
            var record = await _store.ReadDomainAsync(_runId, labCase.Domain);
            Assert.NotNull(record);
            foreach (var target in ProbeTarget.For(record.Observation, checker.SmtpPort))
            {
                expected.Add(target.Key);
            }
        }

        Assert.Equal(expected, sent.Select(m => WorkMessageCodec.DecodeProbeRequest(m.Body.ToMemory().Span).Message!).Select(r => ProbeKey.Of(r.Host, r.Address)).Order(StringComparer.Ordinal));

        // The first probe's result write fails: abandoned, then redelivered and stored.
        faulty.FailProbeWriteAfter(0);
        Assert.Equal(Settlement.Abandoned, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 1), new ReceiverSettler(settled))).Settlement);
        Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(sent[0], deliveryCount: 2), new ReceiverSettler(settled))).Settlement);
        foreach (var rest in sent.Skip(1))
        {
            Assert.Equal(Settlement.Completed, (await handlers.HandleProbeAsync(Delivered.From(rest), new ReceiverSettler(settled))).Settlement);
        }

        Assert.Equal(2, faulty.Faults);
        foreach (var labCase in cases)
        {
            AssertJudgedAsExpected(labCase, await _store.ReadDomainAsync(_runId, labCase.Domain));
        }

        Assert.Equal(["abandon", "complete", "abandon"], settled.Calls.Take(3).Select(c => c.Operation));
        Assert.Equal(2, handlers.Counters.Resolve.Abandoned + handlers.Counters.Probe.Abandoned);
    }

    private async Task<(WorkerHandlers Handlers, RecordingSender ProbeQueue, DomainChecker Checker)> HandlersAsync(IResultStore store)
    {
        _engine = await fixture.NewEngineAsync(OptOutList.Empty);
        var checker = _engine.Checker;
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var handlers = new WorkerHandlers(
            new TableResolveStage(checker.Resolver.ResolveAsync, store, _claims, checker.SmtpPort),
            new TableProbeStage(checker.Prober.ProbeAsync, store, _claims, checker.SmtpPort),
            new WorkQueueSender(probeQueue),
            _claims);
        return (handlers, probeQueue, checker);
    }

    /// <summary>A domain of the batch whose hosts are probed (so sharing it matters).</summary>
    private static string Probed(ResolveBatch batch) => batch.Domains.First(IsProbed);

    private static bool IsProbed(string domain) =>
        LabCatalogue.All.Single(c => c.Domain == domain).Hosts.Any(h => h.Expected.Outcome == HostOutcome.Authenticated);

    private static async Task<OptOutList> OptOut(string domain)
    {
        var (list, errors) = await OptOutList.ParseAsync(new StringReader(domain + "\n"));
        Assert.Empty(errors);
        return list;
    }

    private static void AssertJudgedAsExpected(LabCase labCase, DomainRecord? record)
    {
        Assert.True(record is not null, $"{labCase.Domain} was not stored");
        var verdict = record.Verdict;
        Assert.True(verdict is not null, $"{labCase.Domain} was left without a verdict");
        var expected = labCase.Expected;
        var hosts = string.Join("; ", verdict.Hosts.Select(h => $"{h.Name}: {h.Outcome}/{h.Reason} {h.Detail}"));
        var context = string.Create(CultureInfo.InvariantCulture, $"{labCase.Id} ({labCase.Description}); hosts: {hosts}");
        Assert.True(expected.Mx == verdict.MxStatus, $"MX status: expected {expected.Mx}, got {verdict.MxStatus}: {context}");
        Assert.True(expected.MxSecure == verdict.MxSecure, $"MX secure: expected {expected.MxSecure}, got {verdict.MxSecure}: {context}");
        Assert.True(expected.AllMx == verdict.All, $"all-MX: expected {expected.AllMx}, got {verdict.All}: {context}");
        Assert.True(expected.PrimaryMx == verdict.Primary, $"primary-MX: expected {expected.PrimaryMx}, got {verdict.Primary}: {context}");
    }
}
