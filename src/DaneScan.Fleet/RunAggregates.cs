using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Stages;

namespace DaneScan.Fleet;

/// <summary>The breakdowns of a run's domains the statistics API serves.</summary>
public enum BreakdownDimension
{
    /// <summary>The domain's top-level domain.</summary>
    Tld,

    /// <summary>The last two labels of the domain's most preferred MX host, "(no mx)" without one.</summary>
    MxProvider,

    /// <summary>Each TLSA "usage selector matching-type" its MX hosts publish, "(no tlsa)" without any.</summary>
    TlsaParameters,
}

/// <summary>One row of a breakdown: its key and the domains it counts, by primary DANE status.</summary>
public sealed record BreakdownRow(string Key, long Domains, IReadOnlyDictionary<DomainDaneStatus, long> ByStatus);

/// <summary>A best-practice finding: how many domains it concerns and how many distinct MX hosts it names.</summary>
public sealed record FindingTotal(string Code, long Domains, long Hosts);

/// <summary>A run's totals (the pre-aggregated "summary" document); the run's descriptive fields stay in its manifest.</summary>
public sealed record RunTotals
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string RunId { get; init; }

    public DateTimeOffset ComputedUtc { get; init; }

    public long Domains { get; init; }

    public long Probes { get; init; }

    /// <summary>Rejected list lines (all reasons).</summary>
    public long DomainsRejected { get; init; }

    /// <summary>Domains counted without a stored verdict (judged on DNS alone); 0 for a complete run.</summary>
    public long Recomputed { get; init; }

    /// <summary>Domains by primary-MX DANE status.</summary>
    public IReadOnlyDictionary<DomainDaneStatus, long> DomainsByStatus { get; init; } = new SortedDictionary<DomainDaneStatus, long>();

    /// <summary>Distinct MX hosts by outcome.</summary>
    public IReadOnlyDictionary<HostOutcome, long> HostsByOutcome { get; init; } = new SortedDictionary<HostOutcome, long>();

    /// <summary>Rows per breakdown.</summary>
    public IReadOnlyDictionary<BreakdownDimension, long> BreakdownRows { get; init; } = new SortedDictionary<BreakdownDimension, long>();

    public long FindingRows { get; init; }

    /// <summary>Rows per stored page document.</summary>
    public int PageRows { get; init; }
}

/// <summary>
/// Every statistic the statistics API serves about one run, computed in one pass over its records with the
/// CLI's <see cref="RunSummary"/> (so the API counts as <c>danescan scan</c> reports): totals, domains by
/// TLD, MX provider and TLSA parameters (each by status), and findings. Breakdown rows are ordered by
/// domains (descending) then key (ordinal); findings likewise by code. A running run's answers are computed
/// with this on each request; a completed run's are computed once by <see cref="RunFinaliser"/> and stored
/// (<see cref="AggregateStore"/>).
/// </summary>
public sealed class RunAggregates
{
    private RunAggregates(RunTotals totals, RunSummary summary, IReadOnlyDictionary<BreakdownDimension, IReadOnlyList<BreakdownRow>> breakdowns, IReadOnlyList<FindingTotal> findings)
    {
        Totals = totals;
        Summary = summary;
        Breakdowns = breakdowns;
        Findings = findings;
    }

    public RunTotals Totals { get; }

    /// <summary>The CLI's summary of the same pass (its <see cref="RunSummary.ToStatistics"/> is what <c>danescan scan</c> stores).</summary>
    public RunSummary Summary { get; }

    public IReadOnlyDictionary<BreakdownDimension, IReadOnlyList<BreakdownRow>> Breakdowns { get; }

    public IReadOnlyList<FindingTotal> Findings { get; }

    /// <summary>Reads the run's records once and computes everything.</summary>
    public static async Task<RunAggregates> ComputeAsync(IResultStore store, RunManifest manifest, DateTimeOffset computedUtc, int pageRows = AggregateStore.DefaultPageRows, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(manifest);
        var rows = Enum.GetValues<BreakdownDimension>().ToDictionary(d => d, _ => new Dictionary<string, SortedDictionary<DomainDaneStatus, long>>(StringComparer.Ordinal));
        var findingDomains = new Dictionary<string, long>(StringComparer.Ordinal);
        var findingHosts = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);

        void Observe(DomainRecord record, DomainVerdict verdict)
        {
            var status = verdict.Primary;
            foreach (var (dimension, table) in rows)
            {
                foreach (var key in Keys(record.Observation, dimension))
                {
                    var row = table.TryGetValue(key, out var r) ? r : table[key] = [];
                    row[status] = row.GetValueOrDefault(status) + 1;
                }
            }

            foreach (var code in verdict.Findings.Select(f => f.Code.ToString()).Distinct(StringComparer.Ordinal))
            {
                findingDomains[code] = findingDomains.GetValueOrDefault(code) + 1;
            }

            foreach (var f in verdict.Findings.Where(f => f.Host is not null))
            {
                var set = findingHosts.TryGetValue(f.Code.ToString(), out var s) ? s : findingHosts[f.Code.ToString()] = new HashSet<string>(StringComparer.Ordinal);
                set.Add(f.Host!);
            }
        }

        var summary = await RunSummary.ComputeAsync(store, manifest.RunId, manifest, Observe, cancellationToken).ConfigureAwait(false);
        var breakdowns = rows.ToDictionary(
            kv => kv.Key,
            kv => (IReadOnlyList<BreakdownRow>)[.. kv.Value
                .Select(r => new BreakdownRow(r.Key, r.Value.Values.Sum(), r.Value))
                .OrderByDescending(r => r.Domains).ThenBy(r => r.Key, StringComparer.Ordinal)]);
        List<FindingTotal> findings = [.. findingDomains
            .Select(kv => new FindingTotal(kv.Key, kv.Value, findingHosts.TryGetValue(kv.Key, out var h) ? h.Count : 0))
            .OrderByDescending(f => f.Domains).ThenBy(f => f.Code, StringComparer.Ordinal)];
        var totals = new RunTotals
        {
            RunId = manifest.RunId,
            ComputedUtc = computedUtc,
            Domains = summary.Domains,
            Probes = summary.Probes,
            DomainsRejected = summary.Rejected.Values.Sum(),
            Recomputed = summary.Recomputed,
            DomainsByStatus = Parsed<DomainDaneStatus>(summary.DomainsBy("primary")),
            HostsByOutcome = Parsed<HostOutcome>(summary.HostsByOutcome),
            BreakdownRows = new SortedDictionary<BreakdownDimension, long>(breakdowns.ToDictionary(kv => kv.Key, kv => (long)kv.Value.Count)),
            FindingRows = findings.Count,
            PageRows = pageRows,
        };
        return new RunAggregates(totals, summary, breakdowns, findings);
    }

    /// <summary>The breakdown keys of a domain (see <see cref="BreakdownDimension"/>); no public-suffix list, so "example.co.uk" hosts count as "co.uk".</summary>
    public static IEnumerable<string> Keys(DomainObservation dns, BreakdownDimension dimension)
    {
        ArgumentNullException.ThrowIfNull(dns);
        switch (dimension)
        {
            case BreakdownDimension.Tld:
                return [dns.Domain[(dns.Domain.LastIndexOf('.') + 1)..]];
            case BreakdownDimension.MxProvider:
                var mx = dns.Hosts.OrderBy(h => h.Preference).FirstOrDefault();
                return [mx is null ? "(no mx)" : string.Join('.', mx.Name.Split('.').TakeLast(2))];
            default:
                var triples = dns.Hosts
                    .SelectMany(h => h.Tlsa?.Records ?? [])
                    .Select(r => string.Create(CultureInfo.InvariantCulture, $"{(byte)r.Usage} {(byte)r.Selector} {(byte)r.MatchingType}"))
                    .Distinct(StringComparer.Ordinal)
                    .ToList();
                return triples.Count == 0 ? ["(no tlsa)"] : triples;
        }
    }

    private static SortedDictionary<T, long> Parsed<T>(IReadOnlyDictionary<string, long> counts)
        where T : struct, Enum =>
        new(counts.Where(kv => Enum.TryParse<T>(kv.Key, out _)).ToDictionary(kv => Enum.Parse<T>(kv.Key), kv => kv.Value));
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
