using Azure.Messaging.ServiceBus;
using DaneScan.Pipeline.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.ServiceBus;

/// <summary>
/// A receive loop over one work queue for the portable worker (`danescan worker`): a
/// <see cref="ServiceBusProcessor"/> in peek-lock mode with auto-completion off, every message decoded and
/// settled by <see cref="WorkItemProcessor"/> (complete, dead-letter with a reason, or abandon).
/// </summary>
public sealed partial class WorkQueueConsumer : IAsyncDisposable
{
    private readonly ServiceBusProcessor _processor;
    private readonly ILogger _logger;
    private long _completed;
    private long _deadLettered;
    private long _abandoned;

    private WorkQueueConsumer(ServiceBusProcessor processor, Func<ProcessMessageEventArgs, Task<ProcessResult>> process, ILogger? logger)
    {
        _processor = processor;
        _logger = logger ?? NullLogger.Instance;
        _processor.ProcessMessageAsync += async args =>
        {
            var result = await process(args).ConfigureAwait(false);
            _ = result.Settlement switch
            {
                Settlement.Completed => Interlocked.Increment(ref _completed),
                Settlement.DeadLettered => Interlocked.Increment(ref _deadLettered),
                _ => Interlocked.Increment(ref _abandoned),
            };
        };
        _processor.ProcessErrorAsync += args =>
        {
            LogReceiveError(_logger, args.Exception, args.EntityPath, args.ErrorSource.ToString());
            return Task.CompletedTask;
        };
    }

    /// <summary>Messages completed, dead-lettered and abandoned so far.</summary>
    public (long Completed, long DeadLettered, long Abandoned) Counts =>
        (Interlocked.Read(ref _completed), Interlocked.Read(ref _deadLettered), Interlocked.Read(ref _abandoned));

    /// <summary>Processor options for a worker: peek-lock, no auto-complete, no prefetch, locks renewed up to 10 minutes.</summary>
    public static ServiceBusProcessorOptions Options(int maxConcurrentCalls) => new()
    {
        ReceiveMode = ServiceBusReceiveMode.PeekLock,
        AutoCompleteMessages = false,
        PrefetchCount = 0,
        MaxConcurrentCalls = maxConcurrentCalls,
        MaxAutoLockRenewalDuration = TimeSpan.FromMinutes(10),
    };

    /// <summary>Consumes the probe queue with a processor made by <paramref name="client"/>.</summary>
    public static WorkQueueConsumer ForProbes(ServiceBusClient client, Func<ProbeRequest, CancellationToken, Task> handler, int maxConcurrentCalls, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return ForProbes(client.CreateProcessor(WorkQueues.Probe, Options(maxConcurrentCalls)), handler, loggers);
    }

    /// <summary>Consumes the resolve queue with a processor made by <paramref name="client"/>.</summary>
    public static WorkQueueConsumer ForResolveBatches(ServiceBusClient client, Func<ResolveBatch, CancellationToken, Task> handler, int maxConcurrentCalls, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        return ForResolveBatches(client.CreateProcessor(WorkQueues.Resolve, Options(maxConcurrentCalls)), handler, loggers);
    }

    public static WorkQueueConsumer ForProbes(ServiceBusProcessor processor, Func<ProbeRequest, CancellationToken, Task> handler, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(handler);
        var items = new WorkItemProcessor(loggers?.CreateLogger<WorkItemProcessor>());
        return new WorkQueueConsumer(processor, args => items.ProcessProbeRequestAsync(args.Message, new ProcessorSettler(args), handler, args.CancellationToken), loggers?.CreateLogger<WorkQueueConsumer>());
    }

    public static WorkQueueConsumer ForResolveBatches(ServiceBusProcessor processor, Func<ResolveBatch, CancellationToken, Task> handler, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(handler);
        var items = new WorkItemProcessor(loggers?.CreateLogger<WorkItemProcessor>());
        return new WorkQueueConsumer(processor, args => items.ProcessResolveBatchAsync(args.Message, new ProcessorSettler(args), handler, args.CancellationToken), loggers?.CreateLogger<WorkQueueConsumer>());
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _processor.StartProcessingAsync(cancellationToken);

    /// <summary>Stops receiving and waits for the messages in hand to be settled.</summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => _processor.StopProcessingAsync(cancellationToken);

    public ValueTask DisposeAsync() => _processor.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service Bus receive error on {Queue} ({Source})")]
    private static partial void LogReceiveError(ILogger logger, Exception exception, string queue, string source);
}
