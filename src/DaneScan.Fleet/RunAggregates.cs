using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DaneScan.Contracts;
using DaneScan.Pipeline.Stages;
using DaneScan.Statistics;

namespace DaneScan.Fleet;

/// <summary>
/// Every statistic the statistics API serves about one run, computed in one pass over its records by the
/// CLI's <see cref="RunSummary"/> (and so by the one statistics module, <see cref="RunStatisticsBuilder"/>):
/// the API counts as <c>danescan scan</c> reports. A running run's answers are computed with this on each
/// request; a completed run's are computed once by <see cref="RunFinaliser"/> and stored (<see cref="AggregateStore"/>).
/// </summary>
public sealed class RunAggregates
{
    private RunAggregates(RunSummary summary, RunTotals totals)
    {
        Summary = summary;
        Totals = totals;
    }

    public RunTotals Totals { get; }

    /// <summary>The CLI's summary of the same pass (its <see cref="RunSummary.ToStatistics"/> is what <c>danescan scan</c> stores).</summary>
    public RunSummary Summary { get; }

    /// <summary>Breakdown rows, ordered by domains (descending) then key (ordinal).</summary>
    public IReadOnlyDictionary<BreakdownDimension, IReadOnlyList<BreakdownRow>> Breakdowns => Summary.Report.Breakdowns;

    /// <summary>Findings, ordered by domains (descending) then code.</summary>
    public IReadOnlyList<FindingTotal> Findings => Summary.Report.Findings;

    /// <summary>Reads the run's records once and computes everything.</summary>
    public static async Task<RunAggregates> ComputeAsync(IResultStore store, RunManifest manifest, DateTimeOffset computedUtc, int pageRows = AggregateStore.DefaultPageRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageRows, 1);
        var summary = await RunSummary.ComputeAsync(store, manifest.RunId, manifest, observe: null, computedUtc, cancellationToken).ConfigureAwait(false);
        return new RunAggregates(summary, summary.Report.Totals with { PageRows = pageRows });
    }
}

/// <summary>
/// Stores a run's <see cref="RunAggregates"/> as documents in the statistics table and reads them back a page
/// at a time: <c>summary</c> (the <see cref="RunTotals"/>), <c>counts|{dimension}|{page}</c> and
/// <c>findings|{page}</c>, each page <see cref="RunTotals.PageRows"/> rows (1,000: a page of the API at its
/// largest spans at most two documents). A page of 1,000 rows is at most about 400 KB of JSON, stored
/// gzip-compressed, well within an entity's 1 MiB. The summary is written after the pages: when it is there,
/// the pages are. Writing the same aggregates again writes the same rows.
/// </summary>
public sealed class AggregateStore(Storage.TableResultStore store)
{
    public const int DefaultPageRows = 1000;
    public const string SummaryKey = "summary";

    internal static readonly JsonSerializerOptions Json = CreateJson();

    public async Task WriteAsync(RunAggregates aggregates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(aggregates);
        var runId = aggregates.Totals.RunId;
        var pageRows = aggregates.Totals.PageRows;
        var pages = new List<KeyValuePair<string, byte[]>>();
        foreach (var (dimension, rows) in aggregates.Breakdowns)
        {
            pages.AddRange(rows.Chunk(pageRows).Select((chunk, i) => Document(CountsKey(dimension, i), chunk)));
        }

        pages.AddRange(aggregates.Findings.Chunk(pageRows).Select((chunk, i) => Document(FindingsKey(i), chunk)));
        await store.WriteAggregateDocumentsAsync(runId, pages, cancellationToken).ConfigureAwait(false);
        await store.WriteAggregateDocumentsAsync(runId, [Document(SummaryKey, aggregates.Totals)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The run's totals, or null when its aggregates were not (completely) written.</summary>
    public async Task<RunTotals?> ReadTotalsAsync(string runId, CancellationToken cancellationToken = default)
    {
        var json = await store.ReadAggregateDocumentAsync(runId, SummaryKey, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Decode<RunTotals>(json, runId, SummaryKey);
    }

    /// <summary>Rows [offset, offset + count) of a breakdown, reading only the pages that hold them.</summary>
    public Task<IReadOnlyList<BreakdownRow>> ReadBreakdownAsync(RunTotals totals, BreakdownDimension dimension, int offset, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(totals);
        return ReadRowsAsync<BreakdownRow>(totals, totals.BreakdownRows.GetValueOrDefault(dimension), i => CountsKey(dimension, i), offset, count, cancellationToken);
    }

    /// <summary>Findings [offset, offset + count).</summary>
    public Task<IReadOnlyList<FindingTotal>> ReadFindingsAsync(RunTotals totals, int offset, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(totals);
        return ReadRowsAsync<FindingTotal>(totals, totals.FindingRows, FindingsKey, offset, count, cancellationToken);
    }

    internal static string CountsKey(BreakdownDimension dimension, int page) => string.Create(CultureInfo.InvariantCulture, $"counts|{dimension}|{page:D6}");

    internal static string FindingsKey(int page) => string.Create(CultureInfo.InvariantCulture, $"findings|{page:D6}");

    private async Task<IReadOnlyList<T>> ReadRowsAsync<T>(RunTotals totals, long rows, Func<int, string> key, int offset, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var end = Math.Min(rows, (long)offset + count);
        var result = new List<T>();
        if (offset >= end)
        {
            return result;
        }

        var pageRows = totals.PageRows;
        for (var page = offset / pageRows; (long)page * pageRows < end; page++)
        {
            var name = key(page);
            var json = await store.ReadAggregateDocumentAsync(totals.RunId, name, cancellationToken).ConfigureAwait(false)
                ?? throw new Storage.StorageException(Storage.StorageFaultKind.Corrupt, $"statistics of run {totals.RunId}: page {name} is missing");
            var items = Decode<List<T>>(json, totals.RunId, name);
            var first = page * pageRows;
            for (var i = Math.Max(offset, first); i < Math.Min(end, first + items.Count); i++)
            {
                result.Add(items[i - first]);
            }
        }

        return result;
    }

    private static KeyValuePair<string, byte[]> Document<T>(string key, T value) => new(key, JsonSerializer.SerializeToUtf8Bytes(value, Json));

    private static T Decode<T>(byte[] json, string runId, string key)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Json) ?? throw new JsonException("null document");
        }
        catch (JsonException e)
        {
            throw new Storage.StorageException(Storage.StorageFaultKind.Corrupt, $"statistics of run {runId}: document {key} is not readable", e);
        }
    }

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        o.Converters.Add(new JsonStringEnumConverter());
        return o;
    }
}
