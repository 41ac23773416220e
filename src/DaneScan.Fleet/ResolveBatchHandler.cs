using DaneScan.Contracts;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;

namespace DaneScan.Fleet;

/// <summary>What handling one resolve batch did.</summary>
/// <param name="Claimed">Probe requests this batch claimed first in the run (and sent).</param>
/// <param name="Sent">What was sent to the probe queue (zeros when nothing was claimed).</param>
public sealed record ResolveBatchResult(int Claimed, SendSummary Sent);

/// <summary>
/// One resolve batch, from message to probe requests, the same in the Resolve function and in
/// <c>danescan worker</c>: the batch's names must be normalised domain names (otherwise it is poison:
/// <see cref="InvalidDomainReason"/>, and nothing of it is resolved); the <see cref="IResolveStage"/> resolves
/// and stores them and returns the probe requests it claimed first; those go to the probe queue and are then
/// marked sent on their claims, so that a redelivery of the batch (its lock lost after the send, say) does not
/// send them again.
/// </summary>
public sealed class ResolveBatchHandler
{
    /// <summary>The dead-letter reason of a resolve batch holding a name that is not a normalised domain name.</summary>
    public const string InvalidDomainReason = "InvalidDomainName";

    private static readonly SendSummary NothingSent = new(0, 0, 0);

    private readonly IResolveStage _resolve;
    private readonly WorkQueueSender _probeSender;
    private readonly ProbeClaims? _claims;

    /// <param name="resolve">The resolve stage.</param>
    /// <param name="probeSender">The probe queue's sender.</param>
    /// <param name="claims">The run's claims, on which sent probe requests are recorded (null: rely on Service Bus duplicate detection alone).</param>
    public ResolveBatchHandler(IResolveStage resolve, WorkQueueSender probeSender, ProbeClaims? claims)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentNullException.ThrowIfNull(probeSender);
        _resolve = resolve;
        _probeSender = probeSender;
        _claims = claims;
    }

    /// <summary>Throws <see cref="PoisonMessageException"/> (<see cref="InvalidDomainReason"/>) naming the first name that is not normalised.</summary>
    public static void EnsureNormalised(ResolveBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);

        // The enumerator sends normalised names only: a batch with any other is not ours to guess at.
        for (var i = 0; i < batch.Domains.Count; i++)
        {
            var name = DomainNameNormalizer.Normalize(batch.Domains[i]);
            if (name.Name != batch.Domains[i])
            {
                var why = name.Reason is { } reason ? reason.ToString() : $"its normal form is '{name.Name}'";
                throw new PoisonMessageException(InvalidDomainReason, $"domains[{i}] '{batch.Domains[i]}' is not a normalised domain name ({why})");
            }
        }
    }

    public async Task<ResolveBatchResult> HandleAsync(ResolveBatch batch, CancellationToken cancellationToken = default)
    {
        EnsureNormalised(batch);
        var claimed = await _resolve.ResolveAsync(batch, cancellationToken).ConfigureAwait(false);
        DaneScanTelemetry.CountDomains("resolve", batch.Domains.Count);
        if (claimed.Count == 0)
        {
            return new ResolveBatchResult(0, NothingSent);
        }

        var sent = await _probeSender.SendProbeRequestsAsync(claimed, cancellationToken).ConfigureAwait(false);
        if (_claims is not null)
        {
            await _claims.MarkSentAsync(batch.RunId, claimed, cancellationToken).ConfigureAwait(false);
        }

        return new ResolveBatchResult(claimed.Count, sent);
    }
}
