using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using DaneScan.Contracts;

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
        ArgumentNullException.ThrowIfNull(domains);
        return Split(runId, domains.Select(d => new ListedDomain(d, null)), bodyBudgetBytes, maxDomainsPerBatch);
    }

    /// <summary>As the names-only overload, carrying each domain's list rank in <see cref="ResolveBatch.Ranks"/>.</summary>
    public static IEnumerable<ResolveBatch> Split(string runId, IEnumerable<ListedDomain> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, int maxDomainsPerBatch = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDomainsPerBatch, 1);
        return SplitIterator(runId, domains, bodyBudgetBytes, maxDomainsPerBatch);
    }

    /// <summary>
    /// As <see cref="Split"/>, for names that arrive as a stream (an enumeration reading lists of millions of
    /// names): only the batch being filled is held in memory, and each batch is yielded as soon as it is full.
    /// </summary>
    public static IAsyncEnumerable<ResolveBatch> SplitAsync(string runId, IAsyncEnumerable<string> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, int maxDomainsPerBatch = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(domains);
        return SplitAsync(runId, domains.Select(d => new ListedDomain(d, null)), bodyBudgetBytes, maxDomainsPerBatch, cancellationToken);
    }

    /// <summary>As the names-only overload, carrying each domain's list rank in <see cref="ResolveBatch.Ranks"/>.</summary>
    public static IAsyncEnumerable<ResolveBatch> SplitAsync(string runId, IAsyncEnumerable<ListedDomain> domains, int bodyBudgetBytes = WorkQueues.DefaultBodyBudgetBytes, int maxDomainsPerBatch = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        ArgumentNullException.ThrowIfNull(domains);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDomainsPerBatch, 1);
        return SplitAsyncIterator(runId, domains, bodyBudgetBytes, maxDomainsPerBatch, cancellationToken);
    }

    private static IEnumerable<ResolveBatch> SplitIterator(string runId, IEnumerable<ListedDomain> domains, int bodyBudgetBytes, int maxDomainsPerBatch)
    {
        var packer = new Packer(runId, bodyBudgetBytes, maxDomainsPerBatch);
        foreach (var domain in domains)
        {
            if (packer.Add(domain) is { } full)
            {
                yield return full;
            }
        }

        if (packer.Flush() is { } last)
        {
            yield return last;
        }
    }

    private static async IAsyncEnumerable<ResolveBatch> SplitAsyncIterator(string runId, IAsyncEnumerable<ListedDomain> domains, int bodyBudgetBytes, int maxDomainsPerBatch, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var packer = new Packer(runId, bodyBudgetBytes, maxDomainsPerBatch);
        await foreach (var domain in domains.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (packer.Add(domain) is { } full)
            {
                yield return full;
            }
        }

        if (packer.Flush() is { } last)
        {
            yield return last;
        }
    }

    /// <summary>Fills one batch at a time; <see cref="Add"/> returns the previous batch when the name starts a new one.</summary>
    private sealed class Packer(string runId, int bodyBudgetBytes, int maxDomainsPerBatch)
    {
        private int _batchIndex;
        private List<ListedDomain> _current = [];
        private int _currentBytes;
        private int _overhead = -1;
        private bool _ranked;

        public ResolveBatch? Add(ListedDomain entry)
        {
            var domain = entry.Name;
            ArgumentException.ThrowIfNullOrWhiteSpace(domain, "domains");
            ResolveBatch? full = null;
            if (_overhead < 0)
            {
                _overhead = EnvelopeBytes(runId, _batchIndex, _ranked);
            }

            // The first ranked name of a batch adds the (empty) ranks array to the envelope.
            var ranked = _ranked || entry.Rank is not null;
            var overhead = ranked == _ranked ? _overhead : EnvelopeBytes(runId, _batchIndex, ranked: true);
            var cost = Cost(entry, first: _current.Count == 0, ranked);

            // Ranks already packed were not costed while the batch was unranked: one "null" and a comma each.
            var backlog = ranked && !_ranked ? _current.Count * 5 : 0;
            if (overhead + cost > bodyBudgetBytes && _current.Count == 0)
            {
                throw new ArgumentOutOfRangeException(nameof(bodyBudgetBytes), $"a budget of {bodyBudgetBytes} bytes cannot hold even the single name '{domain}'");
            }

            if (_current.Count >= maxDomainsPerBatch || overhead + _currentBytes + backlog + cost > bodyBudgetBytes)
            {
                full = Make(runId, _batchIndex, _current);
                _batchIndex++;
                _current = [];
                _currentBytes = 0;
                _ranked = entry.Rank is not null;
                _overhead = EnvelopeBytes(runId, _batchIndex, _ranked);
                _current.Add(entry);
                _currentBytes = Cost(entry, first: true, _ranked);
                return full;
            }

            _ranked = ranked;
            _overhead = overhead;
            _current.Add(entry);
            _currentBytes += cost + backlog;
            return full;
        }

        public ResolveBatch? Flush() => _current.Count > 0 ? Make(runId, _batchIndex, _current) : null;

        // Each element costs its JSON string form plus a comma before every element but the first; in a ranked
        // batch also its rank's digits (or "null") plus a comma.
        private static int Cost(ListedDomain entry, bool first, bool ranked) =>
            JsonStringBytes(entry.Name) + (first ? 0 : 1) +
            (ranked ? (entry.Rank is { } r ? r.ToString(System.Globalization.CultureInfo.InvariantCulture).Length : 4) + (first ? 0 : 1) : 0);
    }

    private static ResolveBatch Make(string runId, int batchIndex, List<ListedDomain> domains) => new()
    {
        RunId = runId,
        BatchIndex = batchIndex,
        Domains = [.. domains.Select(d => d.Name)],
        Ranks = domains.Any(d => d.Rank is not null) ? [.. domains.Select(d => d.Rank)] : null,
    };

    private static int EnvelopeBytes(string runId, int batchIndex, bool ranked) =>
        WorkMessageCodec.Encode(new ResolveBatch { RunId = runId, BatchIndex = batchIndex, Domains = [], Ranks = ranked ? [] : null }).Length;

    private static int JsonStringBytes(string value) =>
        JsonSerializer.SerializeToUtf8Bytes(value, WorkMessageCodec.JsonOptions).Length;

    /// <summary>The exact size of a batch's body as it is sent, for checks.</summary>
    public static int MeasuredBytes(ResolveBatch batch) => WorkMessageCodec.Encode(batch).Length;

    internal static string Describe(ResolveBatch batch) =>
        new StringBuilder().Append("batch ").Append(batch.BatchIndex).Append(" of run ").Append(batch.RunId)
            .Append(" (").Append(batch.Domains.Count).Append(" domains)").ToString();
}
