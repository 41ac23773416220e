using Azure.Messaging.ServiceBus;
using DaneScan.Contracts;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Fleet.Worker;

/// <summary>
/// The portable worker's message handlers (`danescan worker`): one received Service Bus message in, settled
/// out. A resolve batch is resolved and stored by the <see cref="IResolveStage"/>; the probe requests it
/// claimed first in the run go to the probe queue, and are then marked as sent on their claims so that a
/// redelivery of the batch does not send them again. A probe request is probed, stored and its waiting domains
/// judged by the <see cref="IProbeStage"/>. A batch holding a name that is not a normalised domain name is
/// poison (<see cref="InvalidDomainReason"/>): nothing of it is resolved. Settlement: complete on success;
/// a poison message is handled as <see cref="PoisonMessages"/> defines for every host (logged with its reason,
/// abandoned, dead-lettered by Service Bus after the queue's max delivery count); any other failure, such as a
/// storage fault, is abandoned for redelivery.
/// </summary>
public sealed partial class WorkerHandlers
{
    /// <summary>The dead-letter reason of a <see cref="PoisonMessageException"/> thrown without one.</summary>
    public const string PoisonReason = PoisonMessages.DefaultReason;

    /// <summary>The dead-letter reason of a resolve batch holding a name that is not a normalised domain name.</summary>
    public const string InvalidDomainReason = ResolveBatchHandler.InvalidDomainReason;

    private readonly ResolveBatchHandler _batches;
    private readonly ProbeRequestHandler _probes;
    private readonly Func<string, bool> _domainAllowed;
    private readonly WorkItemProcessor _items;
    private readonly ILogger _logger;

    /// <param name="resolve">The resolve stage.</param>
    /// <param name="probe">The probe stage.</param>
    /// <param name="probeSender">The probe queue's sender.</param>
    /// <param name="claims">The run's claims, on which sent probe requests are recorded (null: rely on duplicate detection alone).</param>
    /// <param name="domainAllowed">The opt-out check for destination domains (the scanner's politeness policy), for the counts; the resolve stage applies the same check. Null allows all.</param>
    /// <param name="loggers">Loggers.</param>
    public WorkerHandlers(IResolveStage resolve, IProbeStage probe, WorkQueueSender probeSender, ProbeClaims? claims = null, Func<string, bool>? domainAllowed = null, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(probeSender);
        _batches = new ResolveBatchHandler(resolve, probeSender, claims);
        _probes = new ProbeRequestHandler(probe, probeSender);
        _domainAllowed = domainAllowed ?? (static _ => true);
        _items = new WorkItemProcessor(loggers?.CreateLogger<WorkItemProcessor>()) { PoisonClassifier = Classify, PoisonSettlement = PoisonMessages.Settlement };
        _logger = (ILogger?)loggers?.CreateLogger<WorkerHandlers>() ?? NullLogger.Instance;
    }

    public WorkerCounters Counters { get; } = new();

    /// <summary>Handles and settles one message of the resolve queue.</summary>
    public Task<ProcessResult> HandleResolveAsync(ServiceBusReceivedMessage message, IMessageSettler settler, CancellationToken cancellationToken = default) =>
        Counted(Counters.Resolve, () => _items.ProcessResolveBatchAsync(message, settler, (batch, ct) => Stage("resolve", () => ResolveAsync(batch, ct), ct), cancellationToken));

    /// <summary>
    /// Handles and settles one message of the probe queue. A request the stage defers is scheduled back onto the
    /// probe queue (<see cref="ProbeRequestHandler"/>) and then this message is completed: the handler never waits
    /// for an address's turn, except for a request deferred <see cref="TableProbeStage.MaxDeferrals"/> times already.
    /// </summary>
    public Task<ProcessResult> HandleProbeAsync(ServiceBusReceivedMessage message, IMessageSettler settler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var deferrals = ProbeDeferrals.Count(message.ApplicationProperties);
        return Counted(Counters.Probe, () => _items.ProcessProbeRequestAsync(message, settler, (request, ct) => Stage("probe", () => ProbeAsync(request, deferrals, ct), ct), cancellationToken));
    }

    private async Task ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken)
    {
        var result = await _probes.HandleAsync(request, deferrals, cancellationToken).ConfigureAwait(false);
        Counters.AddProbeResult(result);
    }

    /// <summary>The dead-letter decision for a handler's exception: a <see cref="PoisonMessageException"/> is poison, anything else is retried.</summary>
    public static DeadLetterDecision? Classify(Exception exception) => PoisonMessages.Classify(exception);

    /// <summary>
    /// Runs a stage, counting its failure in telemetry (<c>danescan.errors</c>, tagged with the stage as the Functions
    /// app tags it) before the processor settles the message. Cancellation at shutdown is not a failure.
    /// </summary>
    private static async Task Stage(string stage, Func<Task> run, CancellationToken cancellationToken)
    {
        try
        {
            await run().ConfigureAwait(false);
        }
        catch (Exception e) when (Counted(stage, e, cancellationToken))
        {
            throw; // not reached: Counted only counts
        }
    }

    /// <summary>Counts a stage's failure as an exception filter: false, so nothing is caught.</summary>
    private static bool Counted(string stage, Exception error, CancellationToken cancellationToken)
    {
        if (!(error is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            DaneScanTelemetry.CountError(stage, error);
        }

        return false;
    }

    private static async Task<ProcessResult> Counted(QueueCounters counters, Func<Task<ProcessResult>> processing)
    {
        counters.Received();
        ProcessResult? result = null;
        try
        {
            result = await processing().ConfigureAwait(false);
            return result;
        }
        finally
        {
            // A settlement that threw (cancelled at the drain deadline, lock lost) left the message to Service Bus: abandoned.
            counters.Settled(result?.Settlement ?? Settlement.Abandoned);
        }
    }

    private async Task ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken)
    {
        // The stage itself skips opted-out domains (it was built with the same check), so that the batch's
        // completion mark still counts every domain of it; here they are only counted.
        var optedOut = batch.Domains.Count(d => !_domainAllowed(d));
        var result = await _batches.HandleAsync(batch, cancellationToken).ConfigureAwait(false);
        Counters.AddProbesSent(result.Sent.Messages);

        Counters.AddDomains(batch.Domains.Count - optedOut, optedOut);
        LogResolved(_logger, batch.RunId, batch.BatchIndex, batch.Domains.Count - optedOut, optedOut, result.Claimed);
    }

    [LoggerMessage(EventId = 20, Level = LogLevel.Debug, Message = "Run {RunId} batch {Batch}: {Domains} domains resolved, {OptedOut} opted out, {Claimed} probe requests sent")]
    private static partial void LogResolved(ILogger logger, string runId, int batch, int domains, int optedOut, int claimed);
}
