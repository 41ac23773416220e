using System.Text;
using System.Text.Json;
using DaneScan.Pipeline.Messages;

namespace DaneScan.ServiceBus;

/// <summary>
/// Splits a run's domains into <see cref="ResolveBatch"/> messages whose serialised bodies stay within a
/// byte budget. The split is by measured size, not by count: a batch of long IDNA names holds fewer names
/// than a batch of short ones, and every body is within the budget whatever the names are.
/// </summary>
public static class ResolveBatchSplitter
{
    /// <summary>Splits <paramref name="domains"/> in order into batches of at most <paramref name="bodyBudgetBytes"/> bytes each.</summary>
    /// <param name="maxDomainsPerBatch">An optional cap on names per batch (a work unit size), applied as well as the byte budget.</param>
    public static IEnumerable<ResolveBatch> Split(string runId, IEnumerable<string> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, int maxDomainsPerBatch = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDomainsPerBatch, 1);
        return SplitIterator(runId, domains, bodyBudgetBytes, maxDomainsPerBatch);
    }

    private static IEnumerable<ResolveBatch> SplitIterator(string runId, IEnumerable<string> domains, int bodyBudgetBytes, int maxDomainsPerBatch)
    {
        var batchIndex = 0;
        var current = new List<string>();
        var currentBytes = 0;
        var overhead = -1;

        foreach (var domain in domains)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(domain, nameof(domains));
            if (overhead < 0)
            {
                overhead = EnvelopeBytes(runId, batchIndex);
            }

            // Each element costs its JSON string form plus a comma before every element but the first.
            var cost = JsonStringBytes(domain) + (current.Count == 0 ? 0 : 1);
            if (overhead + cost > bodyBudgetBytes && current.Count == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(bodyBudgetBytes), $"a budget of {bodyBudgetBytes} bytes cannot hold even the single name '{domain}'");
            }

            if (current.Count >= maxDomainsPerBatch || overhead + currentBytes + cost > bodyBudgetBytes)
            {
                yield return Make(runId, batchIndex, current);
                batchIndex++;
                current = [];
                currentBytes = 0;
                overhead = EnvelopeBytes(runId, batchIndex);
                cost = JsonStringBytes(domain);
            }

            current.Add(domain);
            currentBytes += cost;
        }

        if (current.Count > 0)
        {
            yield return Make(runId, batchIndex, current);
        }
    }

    private static ResolveBatch Make(string runId, int batchIndex, List<string> domains) =>
        new() { RunId = runId, BatchIndex = batchIndex, Domains = domains.ToArray() };

    /// <summary>Bytes of the message with an empty domain list: everything but the names and their commas.</summary>
    private static int EnvelopeBytes(string runId, int batchIndex) =>
        WorkMessageCodec.Encode(new ResolveBatch { RunId = runId, BatchIndex = batchIndex, Domains = [] }).Length;

    private static int JsonStringBytes(string value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, WorkMessageCodec.JsonOptions).Length;

    /// <summary>The exact size of a batch's body as it is sent, for checks.</summary>
    public static int MeasuredBytes(ResolveBatch batch) => WorkMessageCodec.Encode(batch).Length;

    internal static string Describe(ResolveBatch batch) =>
        new StringBuilder().Append("batch ").Append(batch.BatchIndex).Append(" of run ").Append(batch.RunId)
            .Append(" (").Append(batch.Domains.Count).Append(" domains)").ToString();
}
