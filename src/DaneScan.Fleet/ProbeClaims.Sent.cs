using System.Net;
using Azure.Data.Tables;
using DaneScan.Contracts;
using DaneScan.Pipeline.Engine;
using DaneScan.Storage;

namespace DaneScan.Fleet;

public sealed partial class ProbeClaims
{
    /// <summary>The claim property that records that the claimant's probe request went onto the probe queue.</summary>
    public const string SentProperty = "Sent";

    /// <summary>
    /// Records on each claim that its probe request was sent, so that a redelivery of the claiming batch
    /// (its lock lost after the send, say) does not send it again (<see cref="ClaimAsync"/> then answers false).
    /// The claims of one run share a partition: one transaction per 100 claims.
    /// </summary>
    public async Task MarkSentAsync(string runId, IReadOnlyList<ProbeRequest> sent, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(sent);
        var keys = sent.Select(KeyOf).Distinct(StringComparer.Ordinal).ToList();
        foreach (var chunk in keys.Chunk(100))
        {
            var actions = chunk.Select(key => new TableTransactionAction(
                TableTransactionActionType.UpdateMerge,
                new TableEntity(runId + "|claims", key) { [SentProperty] = true })).ToList();
            await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            Counters.RecordWrite(actions.Count, actions.Sum(a => TableEntitySize.BilledBytes((TableEntity)a.Entity)));
        }
    }

    /// <summary>The claim's row key for a probe request: its <see cref="ProbeTarget.Key"/>.</summary>
    private static string KeyOf(ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IPAddress.TryParse(request.Address, out var address))
        {
            throw new ArgumentException($"probe request for {request.Host} has no IP address ('{request.Address}')", nameof(request));
        }

        return new ProbeTarget(request.Host, address, request.Port, request.Sni).Key;
    }
}
