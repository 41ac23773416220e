using System.Collections.Concurrent;
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet.Worker;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using DaneScan.Storage;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// One hot address (many MX host names on one address, as large providers have) seen by the worker with a
/// polite interval: the probe handler never holds a message while it waits for the address's turn; it sends the
/// request back as a scheduled message and takes the next one. Real parts: the lab's SMTP servers on loopback,
/// the table stages over Azurite, the engine's polite prober and limiter, the <see cref="FleetWorker"/> host.
/// Service Bus cannot run here, so it is mocked: a <see cref="ServiceBusProcessor"/> subclass that runs at most
/// <c>C</c> handlers at once (as MaxConcurrentCalls does), and a recording sender whose scheduled messages are
/// handed to that processor when they fall due (no broker, locks or duplicate detection).
/// </summary>
[Trait("Category", "Integration")]
[Collection(WorkerLabCollection.Name)]
public sealed class HotAddressTests(WorkerLab fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1.5);
    private const int HotRequests = 6;
    private const int Concurrency = 2;

    private readonly string _prefix = "h" + Guid.NewGuid().ToString("N")[..16];
    private readonly string _runId = $"hot-{Guid.NewGuid():N}"[..20];
    private FleetTables? _tables;

    public async Task InitializeAsync() => _tables = await FleetTables.OpenAsync(_prefix);

    public async Task DisposeAsync()
    {
        if (_tables is not null)
        {
            await _tables.DeleteAsync();
        }
    }

    [AzuriteFact]
    public async Task A_hot_address_is_deferred_not_waited_for_and_other_addresses_go_on_meanwhile()
    {
        // Lab servers that complete STARTTLS: one address gets HotRequests host names, three others one each.
        var addresses = fixture.Lab.Hosts
            .Where(h => h.Smtp is not null && h.Address is not null && h.Host.Expected.Outcome == HostOutcome.Authenticated)
            .Select(h => h.Address!.ToString()).Distinct(StringComparer.Ordinal).Take(4).ToList();
        Assert.Equal(4, addresses.Count);
        var hot = addresses[0];
        var hotRequests = Enumerable.Range(0, HotRequests).Select(i => Request($"mx{i}.hot.example", hot)).ToList();
        var otherRequests = addresses.Skip(1).Select((a, i) => Request($"mx.other{i}.example", a)).ToList();
        var all = hotRequests.Concat(otherRequests).ToList();

        using var engine = await fixture.NewEngineAsync(OptOutList.Empty, new ConnectionLimits { MinIntervalPerAddress = Interval });
        var (_, stage) = WorkerRuntime.Stages(engine, _tables!.Store, _tables.Claims);
        var timed = new TimedStage(stage);
        using var probes = new ProbeSpans(all);

        var processor = new BoundedProcessor(WorkQueues.Probe, Concurrency);
        var probeQueue = new RecordingSender(WorkQueues.Probe);
        probeQueue.OnScheduled = (message, at) => processor.EnqueueAt(Delivered.From(message), at);
        var handlers = new WorkerHandlers(new NoResolveStage(), timed, new WorkQueueSender(probeQueue));
        await using var worker = new FleetWorker(handlers, null, processor, new FleetWorkerOptions { ConsumeResolve = false, ProbeConcurrency = Concurrency, StatusInterval = TimeSpan.FromHours(1) });

        // The hot address's requests first, as one resolve batch's claims would arrive; the others behind them.
        foreach (var request in all)
        {
            processor.EnqueueAt(Delivered.From(WorkQueueSender.ToMessage(request)), DateTimeOffset.MinValue);
        }

        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        var deadline = Interval * (HotRequests * 3) + TimeSpan.FromSeconds(60);
        await timed.AllProbed(all.Count).WaitAsync(deadline);
        stop.Cancel();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Null(report.FatalError);

        // Every target probed exactly once (one connection span each) and stored.
        Assert.All(all, r => Assert.Equal(1, probes.Count(r)));
        var observations = new Dictionary<string, ProbeObservation>(StringComparer.Ordinal);
        foreach (var request in all)
        {
            var stored = await _tables.Store.ReadProbeAsync(_runId, request.Host, request.Address);
            Assert.True(stored is not null, $"{request.Host} at {request.Address} was not stored");
            Assert.NotEqual(ProbeOutcome.NotProbed, stored.Observation.Outcome);
            observations[request.Host] = stored.Observation;
        }

        // Politeness on the hot address: each connection starts at least the interval after the previous one
        // ended. The start is the probe's own (taken before it connects), the end the span's (after it closed, before
        // the lease that starts the interval was given back).
        var order = hotRequests.OrderBy(r => observations[r.Host].StartedUtc).ToList();
        for (var i = 1; i < order.Count; i++)
        {
            var gap = observations[order[i].Host].StartedUtc - probes.End(order[i - 1]);
            Assert.True(gap >= Interval, $"{order[i].Host} started {gap.TotalMilliseconds:F0} ms after {order[i - 1].Host} ended; the interval is {Interval.TotalMilliseconds:F0} ms");
        }

        // No handler sat out an interval: a deferred call returned well within it, and a probing call connected well
        // within it of being called (what follows the connection, storing and judging over Azurite, is not waiting).
        var deferred = timed.Calls.Where(c => c.Deferred).ToList();
        Assert.NotEmpty(deferred);
        var slowest = deferred.MaxBy(c => c.Took)!;
        Assert.True(slowest.Took < Interval / 2, $"a deferred stage call for {slowest.Host} took {slowest.Took.TotalMilliseconds:F0} ms; the interval is {Interval.TotalMilliseconds:F0} ms");
        Assert.All(timed.Calls.Where(c => !c.Deferred), c =>
        {
            var beforeConnecting = observations[c.Host].StartedUtc - c.CalledUtc;
            Assert.True(beforeConnecting < Interval / 2, $"the stage call for {c.Host} connected {beforeConnecting.TotalMilliseconds:F0} ms after it was called; the interval is {Interval.TotalMilliseconds:F0} ms");
        });

        // The other addresses were probed while the hot one was deferred: all of them before its second probe.
        var secondHot = observations[order[1].Host].StartedUtc;
        Assert.All(otherRequests, r => Assert.True(probes.End(r) < secondHot, $"{r.Host} was probed only after the hot address's second probe"));

        // Each hot request but the one probed first was deferred (scheduled back) at least once, none as often as the
        // stage allows (none waited in the handler); the counters say the same as the scheduled messages.
        var scheduled = probeQueue.Scheduled.Select(s => WorkMessageCodec.DecodeProbeRequest(s.Message.Body.ToMemory().Span).Message!).ToList();
        Assert.All(order.Skip(1), r => Assert.Contains(scheduled, s => s.Host == r.Host));
        Assert.DoesNotContain(scheduled, s => s.Address != hot);
        Assert.Equal(probeQueue.Scheduled.Count, handlers.Counters.ProbesDeferred);
        Assert.Equal(0, handlers.Counters.ProbesWaited);
        Assert.All(probeQueue.Scheduled, s => Assert.InRange((int)s.Message.ApplicationProperties[ProbeDeferrals.CountProperty], 1, TableProbeStage.DefaultMaxDeferrals));

        // Each request's re-sends count up from 1, each with a MessageId of its own (duplicate detection would drop a repeat).
        foreach (var request in hotRequests)
        {
            var counts = probeQueue.Scheduled.Where(s => WorkMessageCodec.DecodeProbeRequest(s.Message.Body.ToMemory().Span).Message!.Host == request.Host)
                .Select(s => (int)s.Message.ApplicationProperties[ProbeDeferrals.CountProperty]).ToList();
            Assert.Equal(Enumerable.Range(1, counts.Count), counts);
        }

        Assert.Equal(probeQueue.Scheduled.Count, probeQueue.Scheduled.Select(s => s.Message.MessageId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(all.Count + probeQueue.Scheduled.Count, handlers.Counters.Probe.Completed);
        Assert.Equal((0L, 0L), (handlers.Counters.Probe.Abandoned, handlers.Counters.Probe.DeadLettered));
        Assert.Contains($"({probeQueue.Scheduled.Count} deferred, 0 waited for their turn)", report.Counts, StringComparison.Ordinal);
    }

    private ProbeRequest Request(string host, string address) => new() { RunId = _runId, Host = host, Address = address, Sni = host, Port = fixture.Lab.Options.SmtpPort };

    /// <summary>Times each stage call and counts those that stored a probe.</summary>
    private sealed class TimedStage(IProbeStage inner) : IProbeStage
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _probed;
        private int _expected = int.MaxValue;

        public ConcurrentQueue<(string Host, DateTimeOffset CalledUtc, TimeSpan Took, bool Deferred)> Calls { get; } = new();

        public Task AllProbed(int count)
        {
            Volatile.Write(ref _expected, count);
            if (Volatile.Read(ref _probed) >= count)
            {
                _all.TrySetResult();
            }

            return _all.Task;
        }

        public async Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default)
        {
            var called = DateTimeOffset.UtcNow;
            var started = Stopwatch.GetTimestamp();
            var result = await inner.ProbeAsync(request, deferrals, cancellationToken);
            Calls.Enqueue((request.Host, called, Stopwatch.GetElapsedTime(started), result.IsDeferred));
            if (!result.IsDeferred && Interlocked.Increment(ref _probed) >= Volatile.Read(ref _expected))
            {
                _all.TrySetResult();
            }

            return result;
        }
    }

    /// <summary>The probe spans (<see cref="DaneScanTelemetry.TrackProbe"/>: one per connection) of the test's targets, with their ends on the wall clock.</summary>
    private sealed class ProbeSpans : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly ConcurrentDictionary<string, int> _spans = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, DateTimeOffset> _ended = new(StringComparer.Ordinal);

        public ProbeSpans(IEnumerable<ProbeRequest> requests)
        {
            var mine = requests.Select(Key).ToHashSet(StringComparer.Ordinal);
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == DaneScanTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                // The target tag is set just after a span starts: spans are counted when they stop.
                ActivityStopped = a =>
                {
                    if (a.OperationName == "probe" && a.GetTagItem("danescan.target") is string target && mine.Contains(target))
                    {
                        _spans.AddOrUpdate(target, 1, (_, n) => n + 1);
                        _ended[target] = DateTimeOffset.UtcNow;
                    }
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        public int Count(ProbeRequest request) => _spans.GetValueOrDefault(Key(request));

        public DateTimeOffset End(ProbeRequest request) => _ended[Key(request)];

        public void Dispose() => _listener.Dispose();

        private static string Key(ProbeRequest r) => r.Host + "|" + r.Address;
    }

    /// <summary>A mock ServiceBusProcessor: hands due messages to the handler, at most <c>concurrency</c> at once; stop waits for the handlers in flight.</summary>
    private sealed class BoundedProcessor(string queue, int concurrency) : ServiceBusProcessor
    {
        private readonly List<(ServiceBusReceivedMessage Message, DateTimeOffset Due)> _queue = [];
        private readonly List<Task> _inFlight = [];
        private readonly SemaphoreSlim _slots = new(concurrency, concurrency);
        private CancellationTokenSource? _pumpStop;
        private Task? _pump;

        public override string EntityPath => queue;

        public override string FullyQualifiedNamespace => "mock.servicebus.windows.net";

        public override int MaxConcurrentCalls => concurrency;

        /// <summary>Makes the message available from <paramref name="due"/> on (a scheduled message), in arrival order among the due ones.</summary>
        public void EnqueueAt(ServiceBusReceivedMessage message, DateTimeOffset due)
        {
            lock (_queue)
            {
                _queue.Add((message, due));
            }
        }

        public override Task StartProcessingAsync(CancellationToken cancellationToken = default)
        {
            _pumpStop = new CancellationTokenSource();
            var token = _pumpStop.Token;
            _pump = Task.Run(async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    try
                    {
                        await _slots.WaitAsync(token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    ServiceBusReceivedMessage? next = null;
                    while (next is null && !token.IsCancellationRequested)
                    {
                        lock (_queue)
                        {
                            var now = DateTimeOffset.UtcNow;
                            var index = _queue.FindIndex(m => m.Due <= now);
                            if (index >= 0)
                            {
                                next = _queue[index].Message;
                                _queue.RemoveAt(index);
                            }
                        }

                        if (next is null)
                        {
                            try
                            {
                                await Task.Delay(5, token);
                            }
                            catch (OperationCanceledException)
                            {
                                break;
                            }
                        }
                    }

                    if (next is null)
                    {
                        break;
                    }

                    var message = next;
                    lock (_inFlight)
                    {
                        _inFlight.Add(Task.Run(async () =>
                        {
                            try
                            {
                                await OnProcessMessageAsync(new ProcessMessageEventArgs(message, new RecordingReceiver(), CancellationToken.None));
                            }
                            finally
                            {
                                _slots.Release();
                            }
                        }));
                    }
                }
            });
            return Task.CompletedTask;
        }

        public override async Task StopProcessingAsync(CancellationToken cancellationToken = default)
        {
            await _pumpStop!.CancelAsync();
            await _pump!;
            Task[] running;
            lock (_inFlight)
            {
                running = [.. _inFlight];
            }

            await Task.WhenAll(running);
        }
    }

    private sealed class NoResolveStage : IResolveStage
    {
        public Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("this worker consumes the probe queue only");
    }
}
