using Azure.Messaging.ServiceBus;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Fleet.Worker;

/// <summary>How the worker receives: which queues, how many messages of each at once, how it reports and stops.</summary>
public sealed record FleetWorkerOptions
{
    public bool ConsumeResolve { get; init; } = true;

    public bool ConsumeProbe { get; init; } = true;

    /// <summary>Resolve batches handled at once (each resolves its domains one after another).</summary>
    public int ResolveConcurrency { get; init; } = 4;

    /// <summary>Probe requests handled at once (also the cap on SMTP connections open at once).</summary>
    public int ProbeConcurrency { get; init; } = 16;

    /// <summary>How often a status line with the counts is logged.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// On stop, how long messages in hand may take to finish and be settled; after it they are cancelled and
    /// abandoned, so that Service Bus redelivers them at once instead of after their lock expires.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the processor renews a message's lock while it is handled.</summary>
    public TimeSpan MaxLockRenewal { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>How a worker run ended.</summary>
public sealed record WorkerStopReport(string Counts, string? FatalError);

/// <summary>
/// The portable worker's host: a <see cref="ServiceBusProcessor"/> per consumed queue (peek-lock, explicit
/// settlement, no prefetch, lock renewal) feeding <see cref="WorkerHandlers"/>. It logs a status line with the
/// counts every <see cref="FleetWorkerOptions.StatusInterval"/>. When the stop token fires it stops receiving,
/// lets the messages in hand finish and settle for up to <see cref="FleetWorkerOptions.DrainTimeout"/>, then
/// cancels and abandons the rest. A receive error that retrying cannot cure (no permission, no such queue)
/// stops it with that error.
/// </summary>
public sealed partial class FleetWorker : IAsyncDisposable
{
    private readonly WorkerHandlers _handlers;
    private readonly List<(string Queue, ServiceBusProcessor Processor)> _processors = [];
    private readonly FleetWorkerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<string> _fatal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ErrorLogThrottle _errors = new(TimeSpan.FromMinutes(1));

    /// <summary>A worker over the given processors (null: that queue is not consumed); the processors are made with <see cref="ProcessorOptions"/>.</summary>
    public FleetWorker(WorkerHandlers handlers, ServiceBusProcessor? resolve, ServiceBusProcessor? probe, FleetWorkerOptions options, ILogger<FleetWorker>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        ArgumentNullException.ThrowIfNull(options);
        if (resolve is null && probe is null)
        {
            throw new ArgumentException("the worker needs at least one queue to consume");
        }

        _handlers = handlers;
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (resolve is not null)
        {
            Wire(WorkQueues.Resolve, resolve, _handlers.HandleResolveAsync);
        }

        if (probe is not null)
        {
            Wire(WorkQueues.Probe, probe, _handlers.HandleProbeAsync);
        }
    }

    public WorkerCounters Counters => _handlers.Counters;

    /// <summary>Creates the processors for the queues the options name on <paramref name="client"/>.</summary>
    public static FleetWorker Create(ServiceBusClient client, WorkerHandlers handlers, FleetWorkerOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        var resolve = options.ConsumeResolve ? client.CreateProcessor(WorkQueues.Resolve, ProcessorOptions(options.ResolveConcurrency, options.MaxLockRenewal)) : null;
        var probe = options.ConsumeProbe ? client.CreateProcessor(WorkQueues.Probe, ProcessorOptions(options.ProbeConcurrency, options.MaxLockRenewal)) : null;
        return new FleetWorker(handlers, resolve, probe, options, loggers?.CreateLogger<FleetWorker>());
    }

    /// <summary>Peek-lock, explicit settlement, no prefetch (a worker takes only what it is about to handle), lock renewal.</summary>
    public static ServiceBusProcessorOptions ProcessorOptions(int maxConcurrentCalls, TimeSpan maxLockRenewal) => new()
    {
        ReceiveMode = ServiceBusReceiveMode.PeekLock,
        AutoCompleteMessages = false,
        PrefetchCount = 0,
        MaxConcurrentCalls = maxConcurrentCalls,
        MaxAutoLockRenewalDuration = maxLockRenewal,
    };

    /// <summary>Receives until <paramref name="stoppingToken"/> fires (or a fatal receive error), then drains.</summary>
    public async Task<WorkerStopReport> RunAsync(CancellationToken stoppingToken)
    {
        foreach (var (queue, processor) in _processors)
        {
            await processor.StartProcessingAsync(CancellationToken.None).ConfigureAwait(false);
            LogStarted(_logger, queue, processor.MaxConcurrentCalls);
        }

        string? fatal = null;
        using (var timer = new PeriodicTimer(_options.StatusInterval))
        {
            using var stopped = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            _ = _fatal.Task.ContinueWith(_ => stopped.Cancel(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            try
            {
                while (await timer.WaitForNextTickAsync(stopped.Token).ConfigureAwait(false))
                {
                    LogStatus(_logger, Counters.Describe(Consumes(WorkQueues.Resolve), Consumes(WorkQueues.Probe)));
                }
            }
            catch (OperationCanceledException)
            {
                // Stop requested, or a fatal receive error.
            }

            if (_fatal.Task.IsCompleted)
            {
                fatal = await _fatal.Task.ConfigureAwait(false);
            }
        }

        await DrainAsync().ConfigureAwait(false);
        var counts = Counters.Describe(Consumes(WorkQueues.Resolve), Consumes(WorkQueues.Probe));
        LogStopped(_logger, counts);
        return new WorkerStopReport(counts, fatal);
    }

    /// <summary>Stops receiving and waits for the messages in hand; past the drain timeout they are cancelled and abandoned.</summary>
    private async Task DrainAsync()
    {
        var inHand = Counters.Resolve.InHand + Counters.Probe.InHand;
        LogDraining(_logger, inHand, _options.DrainTimeout);
        _abort.CancelAfter(_options.DrainTimeout);

        // StopProcessingAsync returns once every handler in flight has returned.
        await Task.WhenAll(_processors.Select(p => p.Processor.StopProcessingAsync(CancellationToken.None))).ConfigureAwait(false);
    }

    private void Wire(string queue, ServiceBusProcessor processor, Func<ServiceBusReceivedMessage, IMessageSettler, CancellationToken, Task<ProcessResult>> handle)
    {
        _processors.Add((queue, processor));
        processor.ProcessMessageAsync += async args =>
        {
            // The handler's token is the worker's own: stopping does not cancel messages in hand, the drain deadline does.
            try
            {
                await handle(args.Message, new ProcessorSettler(args), _abort.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                await AbandonAtDeadlineAsync(queue, args).ConfigureAwait(false);
            }
        };
        processor.ProcessErrorAsync += args =>
        {
            var error = $"{args.Exception.GetType().Name}: {FirstLine(args.Exception.Message)}";
            if (_errors.ShouldLog(queue, error, out var repeats))
            {
                LogReceiveError(_logger, queue, args.ErrorSource.ToString(), error, repeats);
            }

            if (FatalReceiveError(args.Exception) is { } fatal)
            {
                _fatal.TrySetResult($"queue '{queue}' on {args.FullyQualifiedNamespace}: {fatal}");
            }

            return Task.CompletedTask;
        };
    }

    private async Task AbandonAtDeadlineAsync(string queue, ProcessMessageEventArgs args)
    {
        LogAbandonedAtDeadline(_logger, args.Message.MessageId, queue);
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await args.AbandonMessageAsync(args.Message, propertiesToModify: null, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ServiceBusException or OperationCanceledException or InvalidOperationException)
        {
            // The lock expires by itself; Service Bus redelivers then.
            LogAbandonFailed(_logger, e, args.Message.MessageId, queue);
        }
    }

    /// <summary>Receive errors that retrying will not cure: the worker stops and says which.</summary>
    public static string? FatalReceiveError(Exception exception) => exception switch
    {
        UnauthorizedAccessException e => $"not authorised ({e.Message}); the worker's identity needs the 'Azure Service Bus Data Receiver' and 'Azure Service Bus Data Sender' roles",
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityNotFound } e => $"no such queue ({e.Message})",
        ServiceBusException { Reason: ServiceBusFailureReason.MessagingEntityDisabled } e => $"the queue is disabled ({e.Message})",
        Azure.Identity.AuthenticationFailedException e => $"no credential could sign in ({e.Message})",
        _ => null,
    };

    private bool Consumes(string queue) => _processors.Any(p => p.Queue == queue);

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (_, processor) in _processors)
        {
            await processor.DisposeAsync().ConfigureAwait(false);
        }

        _abort.Dispose();
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Receiving from queue {Queue}, up to {Concurrency} messages at once")]
    private static partial void LogStarted(ILogger logger, string queue, int concurrency);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Status: {Counts}")]
    private static partial void LogStatus(ILogger logger, string counts);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Stopping: no new messages; settling the {InHand} in hand (up to {DrainTimeout})")]
    private static partial void LogDraining(ILogger logger, long inHand, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Stopped: {Counts}")]
    private static partial void LogStopped(ILogger logger, string counts);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Service Bus error on queue {Queue} ({Source}): {Error}; retrying ({Repeats} more like it since the last such line)")]
    private static partial void LogReceiveError(ILogger logger, string queue, string source, string error, int repeats);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "Message {MessageId} on queue {Queue} was still in hand at the drain deadline: cancelled and abandoned for redelivery")]
    private static partial void LogAbandonedAtDeadline(ILogger logger, string messageId, string queue);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Could not abandon message {MessageId} on queue {Queue}; it is redelivered when its lock expires")]
    private static partial void LogAbandonFailed(ILogger logger, Exception exception, string messageId, string queue);
}

/// <summary>
/// Keeps a receive loop that cannot reach Service Bus from writing the same error many times a second (every
/// concurrent receive call reports it): an error is logged when it differs from the queue's last one or a
/// minute has passed, with the count of the repeats left out.
/// </summary>
internal sealed class ErrorLogThrottle(TimeSpan interval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<string, (string Error, DateTimeOffset At, int Repeats)> _last = new(StringComparer.Ordinal);

    public bool ShouldLog(string queue, string error, out int repeats)
    {
        var now = _time.GetUtcNow();
        lock (_last)
        {
            if (_last.TryGetValue(queue, out var last) && last.Error == error && now - last.At < interval)
            {
                _last[queue] = last with { Repeats = last.Repeats + 1 };
                repeats = 0;
                return false;
            }

            repeats = last.Error == error ? last.Repeats : 0;
            _last[queue] = (error, now, 0);
            return true;
        }
    }
}
