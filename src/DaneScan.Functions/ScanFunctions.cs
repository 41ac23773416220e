using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Functions.Stages;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace DaneScan.Functions;

/// <summary>
/// The resolve and probe stages, triggered by their Service Bus queues. A resolve batch goes through the same
/// <see cref="ResolveBatchHandler"/> as in <c>danescan worker</c> (normalised names or poison; claimed probe
/// requests sent, then marked sent on their claims); a probe request through the same <see cref="ProbeRequestHandler"/>
/// (a deferred one scheduled back onto the probe queue before the invocation returns and the host completes the
/// message, so no invocation sleeps out a polite interval). A poison message is handled as <see cref="PoisonMessages"/>
/// defines for every host: logged with its reason and thrown back, so the host abandons it and Service Bus
/// dead-letters it after the queue's max delivery count.
/// </summary>
public sealed partial class ScanFunctions(ResolveBatchHandler resolveBatches, ProbeRequestHandler probes, ILogger<ScanFunctions> logger)
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
        ResolveBatchResult result;
        try
        {
            result = await resolveBatches.HandleAsync(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Counted("resolve", e))
        {
            throw; // not reached: Counted only counts
        }
        catch (PoisonMessageException poison)
        {
            throw Poison(context, poison, body);
        }

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

        ArgumentNullException.ThrowIfNull(context);
        var deferrals = Deferrals(context);
        ProbeStageResult result;
        try
        {
            result = await probes.HandleAsync(decoded.Message!, deferrals, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (Counted("probe", e))
        {
            throw; // not reached: Counted only counts
        }
        catch (PoisonMessageException poison)
        {
            throw Poison(context, poison, body);
        }

        if (result.Deferred is { } wait)
        {
            LogDeferred(logger, decoded.Message!.RunId, decoded.Message.Host, decoded.Message.Address, result.Reason.ToString(), wait, deferrals + 1);
        }
    }

    /// <summary>
    /// The message's deferral count (<see cref="ProbeDeferrals.CountProperty"/>), from the application properties the
    /// host puts in the trigger's binding data as a JSON object (<c>ApplicationProperties</c>); 0 when absent.
    /// </summary>
    private static int Deferrals(FunctionContext context)
    {
        var data = context.BindingContext.BindingData;
        return data.TryGetValue("ApplicationProperties", out var properties) && properties is not null
            ? ProbeDeferrals.CountFromJson(properties as string ?? properties.ToString())
            : 0;
    }

    /// <summary>
    /// Counts a stage's failure in telemetry as an exception filter (false, so nothing is caught): an error
    /// (<c>danescan.errors</c>) and, since the host abandons the message for redelivery (or dead-letters it after
    /// the queue's maximum delivery count), a retry (<c>danescan.retries</c>), as the worker counts an abandoned message.
    /// </summary>
    private static bool Counted(string stage, Exception error)
    {
        DaneScanTelemetry.CountError(stage, error);
        DaneScanTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("stage", stage));
        return false;
    }

    private PoisonMessageException Poison(FunctionContext context, DecodeFailure failure, string? detail, byte[] body)
    {
        var poison = PoisonMessages.Undecodable(failure, detail);
        return Poison(context, poison, poison.Reason!, detail ?? poison.Reason!, body);
    }

    private PoisonMessageException Poison(FunctionContext context, PoisonMessageException poison, byte[] body)
    {
        var decision = PoisonMessages.Classify(poison)!;
        return Poison(context, poison, decision.Reason, decision.Description, body);
    }

    /// <summary>Logs a poison message as every host does (<see cref="PoisonMessages"/>); the host then abandons it.</summary>
    private PoisonMessageException Poison(FunctionContext context, PoisonMessageException poison, string reason, string description, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(context);
        var data = context.BindingContext.BindingData;
        var messageId = data.TryGetValue("MessageId", out var id) ? id?.ToString() : null;
        int? deliveryCount = data.TryGetValue("DeliveryCount", out var dc) && int.TryParse(dc?.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        PoisonLog.Abandoning(logger, messageId, deliveryCount, reason, description, WorkMessageCodec.Preview(body));
        return poison;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Run {RunId} probe {Host} {Address}: deferred ({Reason}) for {Wait}, sent back as scheduled message (deferral {Deferrals})")]
    private static partial void LogDeferred(ILogger logger, string runId, string host, string address, string reason, TimeSpan wait, int deferrals);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} batch {Batch}: {Domains} domains resolved, {Claimed} probes claimed and sent in {SendCalls} calls")]
    private static partial void LogResolved(ILogger logger, string runId, int batch, int domains, int claimed, int sendCalls);
}
