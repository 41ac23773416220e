using System.Net;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Functions.Testing;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using DaneScan.ServiceBus.Testing;
using DaneScan.Smtp;
using DaneScan.Storage;
using DaneScan.Telemetry.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The Probe function when its target's address is not free: the invocation returns at once (the host then
/// completes the message) after scheduling the same request back onto the probe queue, due when the limiter
/// said, with its deferral count; nothing is stored, judged or marked. The scheduled message, delivered later
/// with its count in the trigger's binding data, probes. Real parts: the table stages over Azurite, the polite
/// prober and its limiter (on a fake clock), a real TCP connect to a loopback address where nothing listens.
/// The Functions host and Service Bus cannot run here, so they are mocked: a FunctionContext carrying the
/// trigger's application properties, and a recording sender.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ProbeDeferralTests : IAsyncLifetime
{
    private const string Run = "run-deferral";
    private static readonly IPAddress Address = IPAddress.Parse("127.0.0.61");
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, DomainObservation> _dns = new(StringComparer.Ordinal);
    private TableResultStore _store = null!;
    private ProbeClaims _claims = null!;

    public async Task InitializeAsync()
    {
        var prefix = "d" + Guid.NewGuid().ToString("N")[..20];
        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, new TableStoreOptions { MaxRetries = 1 });
        _store = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix, MaxRetries = 1 });
        _claims = await ProbeClaims.OpenAsync(service, prefix);
        _dns["a.example"] = StageObservations.Domain("a.example", "mx.busy.example", Address.ToString(), daneHost: true);
    }

    public async Task DisposeAsync()
    {
        await _store.DeleteTablesAsync();
        await TableResultStore.CreateServiceClient(Azurite.ConnectionString).DeleteTableAsync(_claims.TableName);
    }

    [AzuriteFact]
    public async Task A_busy_address_sends_the_request_back_scheduled_and_its_redelivery_probes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = Interval }, time);
        var prober = new HostProber(
            new SmtpProber(new SmtpProbeOptions("scanner.danescan.test", connectTimeout: TimeSpan.FromSeconds(5), connectRetryDelay: TimeSpan.Zero)),
            new PolitenessPolicy(OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: true)),
            limiter,
            time);

        // One deferral allowed: the second delivery (deferred once) waits for its turn in the execution.
        var stage = new TableProbeStage(prober, _store, _claims, maxDeferrals: 1);
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        var sender = new WorkQueueSender(probeQueue);
        var functions = new ScanFunctions(
            new ResolveBatchHandler(new TableResolveStage((d, _) => Task.FromResult(_dns[d]), _store, _claims), sender, _claims),
            new ProbeRequestHandler(stage, sender, time),
            NullLogger<ScanFunctions>.Instance);
        using var seen = new Measurements(DaneScanTelemetry.Name);

        await functions.ResolveAsync(WorkMessageCodec.Encode(new ResolveBatch { RunId = Run, Domains = ["a.example"] }), new SuccessPathContext("resolve"), CancellationToken.None);
        var sent = Assert.Single(probeQueue.SentBatches.SelectMany(b => b));
        var request = WorkMessageCodec.DecodeProbeRequest(sent.Body.ToMemory().Span).Message!;

        // Another connection to the address is open: the invocation defers and returns without an exception.
        var held = limiter.TryAcquire(Address).Lease!;
        await functions.ProbeAsync(sent.Body.ToArray(), new SuccessPathContext("probe-1"), CancellationToken.None);

        var (scheduled, at) = Assert.Single(probeQueue.Scheduled);
        Assert.Equal(time.GetUtcNow() + Interval, at);
        Assert.Equal(sent.Body.ToArray(), scheduled.Body.ToArray());
        Assert.Equal(sent.MessageId + "-d1", scheduled.MessageId);
        Assert.Equal((sent.Subject, sent.CorrelationId, sent.ContentType), (scheduled.Subject, scheduled.CorrelationId, scheduled.ContentType));
        Assert.Equal(sent.ApplicationProperties["runId"], scheduled.ApplicationProperties["runId"]);
        Assert.Equal(sent.ApplicationProperties["v"], scheduled.ApplicationProperties["v"]);
        Assert.Equal(1, scheduled.ApplicationProperties[ProbeDeferrals.CountProperty]);
        Assert.Null(await _store.ReadProbeAsync(Run, request.Host, request.Address));
        Assert.Null((await _store.ReadDomainAsync(Run, "a.example"))!.Verdict);
        Assert.Equal((1L, 0L), ((await _claims.Progress.CheckAsync(Run)).ProbesClaimed, (await _claims.Progress.CheckAsync(Run)).ProbesDone));
        Assert.Equal(1, seen.Sum("danescan.probes.deferred", ("reason", nameof(DeferralReason.AddressBusy))));

        // The connection closes and the interval passes; the scheduled message arrives with its count, as the
        // host gives it: the application properties as a JSON object in the binding data.
        held.Dispose();
        time.Advance(Interval);
        var properties = $$"""{"v":1,"runId":"{{Run}}","{{ProbeDeferrals.CountProperty}}":1}""";
        await functions.ProbeAsync(scheduled.Body.ToArray(), new SuccessPathContext("probe-2", properties), CancellationToken.None);

        Assert.Single(probeQueue.Scheduled);
        var probe = await _store.ReadProbeAsync(Run, request.Host, request.Address);
        Assert.Equal(ProbeOutcome.Unreachable, probe!.Observation.Outcome);
        Assert.NotNull((await _store.ReadDomainAsync(Run, "a.example"))!.Verdict);
        Assert.Equal(1L, (await _claims.Progress.CheckAsync(Run)).ProbesDone);

        // It had been deferred as often as this stage allows, so it took its turn through the waiting way in.
        Assert.Equal(1, seen.Sum("danescan.probes.waited"));
    }
}
