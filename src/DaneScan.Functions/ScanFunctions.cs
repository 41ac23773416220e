using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Functions.Stages;
using DaneScan.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DaneScan.Functions;

/// <summary>
/// The resolve and probe stages, triggered by their Service Bus queues. A resolve batch goes through the same
/// <see cref="ResolveBatchHandler"/> as in <c>danescan worker</c> (normalised names or poison; claimed probe
/// requests sent, then marked sent on their claims).
/// </summary>
public sealed partial class ScanFunctions(ResolveBatchHandler resolveBatches, IProbeStage probe, ILogger<ScanFunctions> logger)
{
    public const string ResolveName = "Resolve";
    public const string ProbeName = "Probe";

    /// <summary>The app-setting prefix of the identity-based Service Bus connection.</summary>
    public const string Connection = ServiceBusConnectionOptions.DefaultSectionName;

    [Function(ResolveName)]
    public async Task ResolveAsync(
        [ServiceBusTrigger(WorkQueues.Resolve, Connection = Connection, AutoCompleteMessages = true, IsBatched = false)] byte[] body,
        FunctionContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var decoded = WorkMessageCodec.DecodeResolveBatch(body);
        if (!decoded.Succeeded)
        {
            throw Poison(context, decoded.Failure, decoded.Detail, body);
        }

        var batch = decoded.Message!;
        var result = await resolveBatches.HandleAsync(batch, cancellationToken).ConfigureAwait(false);
        LogResolved(logger, batch.RunId, batch.BatchIndex, batch.Domains.Count, result.Claimed, result.Sent.SendCalls);
    }

    [Function(ProbeName)]
    public async Task ProbeAsync(
        [ServiceBusTrigger(WorkQueues.Probe, Connection = Connection, AutoCompleteMessages = true, IsBatched = false)] byte[] body,
        FunctionContext context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var decoded = WorkMessageCodec.DecodeProbeRequest(body);
        if (!decoded.Succeeded)
        {
            throw Poison(context, decoded.Failure, decoded.Detail, body);
        }

        await probe.ProbeAsync(decoded.Message!, cancellationToken).ConfigureAwait(false);
    }

    private PoisonMessageException Poison(FunctionContext context, DecodeFailure failure, string? detail, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.BindingContext.BindingData;
        var messageId = data.TryGetValue("MessageId", out var id) ? id?.ToString() : null;
        var deliveryCount = data.TryGetValue("DeliveryCount", out var dc) ? dc?.ToString() : null;
        var reason = DeadLetterReasons.For(failure);
        LogPoison(logger, messageId, deliveryCount, reason, detail, WorkMessageCodec.Preview(body));
        return new PoisonMessageException(reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} batch {Batch}: {Domains} domains resolved, {Claimed} probes claimed and sent in {SendCalls} calls")]
    private static partial void LogResolved(ILogger logger, string runId, int batch, int domains, int claimed, int sendCalls);

    [LoggerMessage(Level = LogLevel.Error, Message = "Poison message {MessageId} (delivery {DeliveryCount}): {Reason}: {Detail}; body starts {Preview}. It dead-letters after the queue's max delivery count.")]
    private static partial void LogPoison(ILogger logger, string? messageId, string? deliveryCount, string reason, string? detail, string preview);
}
