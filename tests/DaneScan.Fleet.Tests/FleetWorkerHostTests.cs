using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Fleet.Worker;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Logging;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// The worker host's receive loop, stop and drain. Service Bus cannot run here, so the processor is mocked by
/// a <see cref="ServiceBusProcessor"/> subclass that hands queued messages to the registered handler
/// concurrently and, on stop, stops handing out and waits for the handlers in flight, as the SDK documents.
/// The probe stage here is a test double that holds a message until the test releases it: what is under test
/// is the host (its tokens, settlement and counts), not the stage, which the handler tests run for real.
/// </summary>
public sealed class FleetWorkerHostTests
{
    [Fact]
    public async Task Stopping_takes_no_new_messages_and_lets_the_one_in_hand_finish_and_complete()
    {
        var stage = new HeldProbeStage();
        var (worker, processor, settled) = Worker(stage, TimeSpan.FromMinutes(5));
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        await processor.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        processor.Enqueue(Probe("a"));
        await stage.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        stop.Cancel();
        await processor.Stopping.Task.WaitAsync(TimeSpan.FromSeconds(30));
        processor.Enqueue(Probe("b"));

        // The stop did not cancel the message in hand: the stage still holds it, uncancelled, and the run waits.
        Assert.False(stage.Cancelled);
        Assert.False(run.IsCompleted);
        stage.Release.SetResult();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Null(report.FatalError);
        Assert.Equal([("complete", Id("a"))], settled.Calls.Select(c => (c.Operation, c.MessageId)));
        Assert.Equal(["a.example"], stage.Probed);
        Assert.Equal((1L, 0L, 0L), (worker.Counters.Probe.Completed, worker.Counters.Probe.Abandoned, worker.Counters.Probe.InHand));
        Assert.Contains("probe: 1 completed, 0 dead-lettered, 0 abandoned, 0 in hand", report.Counts, StringComparison.Ordinal);
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_message_still_in_hand_at_the_drain_deadline_is_cancelled_and_abandoned()
    {
        var stage = new HeldProbeStage();
        var (worker, processor, settled) = Worker(stage, TimeSpan.FromMilliseconds(200));
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        await processor.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        processor.Enqueue(Probe("slow"));
        await stage.Entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        stop.Cancel();
        var report = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(stage.Cancelled);
        Assert.Equal([("abandon", Id("slow"))], settled.Calls.Select(c => (c.Operation, c.MessageId)));
        Assert.Equal((0L, 1L, 0L), (worker.Counters.Probe.Completed, worker.Counters.Probe.Abandoned, worker.Counters.Probe.InHand));
        Assert.Null(report.FatalError);
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_receive_error_retrying_cannot_cure_stops_the_worker_with_the_role_it_needs()
    {
        var (worker, processor, _) = Worker(new HeldProbeStage(), TimeSpan.FromSeconds(5));
        var run = worker.RunAsync(CancellationToken.None);
        await processor.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // A transient error is logged and receiving goes on; a refused claim ends the run.
        await processor.FailAsync(new ServiceBusException("connection reset", ServiceBusFailureReason.ServiceCommunicationProblem));
        await Task.Delay(100);
        Assert.False(run.IsCompleted);
        await processor.FailAsync(new UnauthorizedAccessException("Unauthorized access. 'Listen' claim(s) are required to perform this operation."));
        var report = await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.NotNull(report.FatalError);
        Assert.Contains("queue 'probe'", report.FatalError, StringComparison.Ordinal);
        Assert.Contains("Azure Service Bus Data Receiver", report.FatalError, StringComparison.Ordinal);
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task Status_lines_report_the_counts_per_queue()
    {
        var logs = new ListLogger();
        var stage = new HeldProbeStage();
        stage.Release.SetResult();
        var processor = new ScriptedProcessor(WorkQueues.Probe);
        var settled = new RecordingReceiver();
        processor.Receiver = settled;
        var handlers = new WorkerHandlers(new UnusedResolveStage(), stage, new WorkQueueSender(new RecordingSender(WorkQueues.Probe)));
        var worker = new FleetWorker(handlers, null, processor, new FleetWorkerOptions { StatusInterval = TimeSpan.FromMilliseconds(50) }, logs);
        using var stop = new CancellationTokenSource();
        var run = worker.RunAsync(stop.Token);
        processor.Enqueue(Probe("a"));
        processor.Enqueue(ServiceBusModelFactory.ServiceBusReceivedMessage(body: BinaryData.FromString("not json"), messageId: "junk"));

        // The junk body is poison: handed back (abandoned), as the functions do (PoisonMessages).
        await logs.Seen("probe: 1 completed, 0 dead-lettered, 1 abandoned, 0 in hand").WaitAsync(TimeSpan.FromSeconds(30));
        stop.Cancel();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Contains(logs.Lines, l => l.StartsWith("Status: probe: ", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains("resolve:", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.StartsWith("Stopped: ", StringComparison.Ordinal));
        await worker.DisposeAsync();
    }

    [Fact]
    public void A_repeated_receive_error_is_logged_once_a_minute_with_the_count_of_repeats()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var throttle = new ErrorLogThrottle(TimeSpan.FromMinutes(1), time);

        Assert.True(throttle.ShouldLog("probe", "refused", out _));
        Assert.False(throttle.ShouldLog("probe", "refused", out _));
        Assert.False(throttle.ShouldLog("probe", "refused", out _));
        Assert.True(throttle.ShouldLog("resolve", "refused", out _));
        Assert.True(throttle.ShouldLog("probe", "unauthorised", out _));
        Assert.True(throttle.ShouldLog("probe", "refused", out _));
        Assert.False(throttle.ShouldLog("probe", "refused", out _));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(throttle.ShouldLog("probe", "refused", out var repeats));
        Assert.Equal(1, repeats);
    }

    [Fact]
    public void Worker_processors_settle_explicitly_do_not_prefetch_and_renew_locks()
    {
        var options = FleetWorker.ProcessorOptions(16, TimeSpan.FromMinutes(10));
        Assert.Equal((ServiceBusReceiveMode.PeekLock, false, 0, 16, TimeSpan.FromMinutes(10)), (options.ReceiveMode, options.AutoCompleteMessages, options.PrefetchCount, options.MaxConcurrentCalls, options.MaxAutoLockRenewalDuration));
    }

    private static (FleetWorker Worker, ScriptedProcessor Processor, RecordingReceiver Settled) Worker(IProbeStage stage, TimeSpan drain)
    {
        var processor = new ScriptedProcessor(WorkQueues.Probe);
        var settled = new RecordingReceiver();
        processor.Receiver = settled;
        var handlers = new WorkerHandlers(new UnusedResolveStage(), stage, new WorkQueueSender(new RecordingSender(WorkQueues.Probe)));
        var worker = new FleetWorker(handlers, null, processor, new FleetWorkerOptions { ConsumeResolve = false, DrainTimeout = drain, StatusInterval = TimeSpan.FromHours(1) });
        return (worker, processor, settled);
    }

    private static string Id(string host) => MessageIds.For(Request(host));

    private static ProbeRequest Request(string host) => new() { RunId = "r1", Host = host + ".example", Address = "192.0.2.1", Sni = host + ".example" };

    private static ServiceBusReceivedMessage Probe(string host) => Delivered.From(WorkQueueSender.ToMessage(Request(host)));

    /// <summary>A mock ServiceBusProcessor: hands queued messages to the handler concurrently; stop waits for them.</summary>
    private sealed class ScriptedProcessor(string queue) : ServiceBusProcessor
    {
        private readonly ConcurrentQueue<ServiceBusReceivedMessage> _queue = new();
        private readonly List<Task> _inFlight = [];
        private CancellationTokenSource? _pumpStop;
        private Task? _pump;

        public RecordingReceiver Receiver { get; set; } = new();

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Stopping { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override string EntityPath => queue;

        public override string FullyQualifiedNamespace => "mock.servicebus.windows.net";

        public override int MaxConcurrentCalls => 4;

        public void Enqueue(ServiceBusReceivedMessage message) => _queue.Enqueue(message);

        public Task FailAsync(Exception exception) =>
            OnProcessErrorAsync(new ProcessErrorEventArgs(exception, ServiceBusErrorSource.Receive, FullyQualifiedNamespace, EntityPath, CancellationToken.None));

        public override Task StartProcessingAsync(CancellationToken cancellationToken = default)
        {
            _pumpStop = new CancellationTokenSource();
            var token = _pumpStop.Token;
            _pump = Task.Run(async () =>
            {
                while (!token.IsCancellationRequested)
                {
                    if (_queue.TryDequeue(out var message))
                    {
                        lock (_inFlight)
                        {
                            _inFlight.Add(Task.Run(() => OnProcessMessageAsync(new ProcessMessageEventArgs(message, Receiver, token))));
                        }

                        continue;
                    }

                    try
                    {
                        await Task.Delay(10, token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            });
            Started.TrySetResult();
            return Task.CompletedTask;
        }

        public override async Task StopProcessingAsync(CancellationToken cancellationToken = default)
        {
            await _pumpStop!.CancelAsync();
            await _pump!;
            Stopping.TrySetResult();
            Task[] running;
            lock (_inFlight)
            {
                running = [.. _inFlight];
            }

            await Task.WhenAll(running);
        }
    }

    /// <summary>Holds each probe until released; records what it probed and whether its token was cancelled.</summary>
    private sealed class HeldProbeStage : IProbeStage
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Probed { get; } = new();

        public bool Cancelled { get; private set; }

        public async Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default)
        {
            Entered.TrySetResult();
            try
            {
                await Release.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled = true;
                throw;
            }

            Probed.Enqueue(request.Host);
            return ProbeStageResult.Done;
        }
    }

    private sealed class UnusedResolveStage : IResolveStage
    {
        public Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("this worker consumes the probe queue only");
    }

    private sealed class ListLogger : ILogger<FleetWorker>
    {
        private readonly List<(string Text, TaskCompletionSource Seen)> _waits = [];

        public ConcurrentQueue<string> Lines { get; } = new();

        public Task Seen(string text)
        {
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waits)
            {
                if (Lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
                {
                    tcs.SetResult();
                }
                else
                {
                    _waits.Add((text, tcs));
                }
            }

            return tcs.Task;
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = formatter(state, exception);
            lock (_waits)
            {
                Lines.Enqueue(line);
                foreach (var (text, seen) in _waits.Where(w => line.Contains(w.Text, StringComparison.Ordinal)))
                {
                    seen.TrySetResult();
                }
            }
        }
    }
}
