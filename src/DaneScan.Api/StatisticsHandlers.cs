using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Statistics;
using DaneScan.Storage;

namespace DaneScan.Api;

/// <summary>A query-string value by name (null when absent); each host reads its own request.</summary>
public delegate string? QueryValue(string name);

/// <summary>An answer of the API, independent of the host that sends it.</summary>
public sealed record ApiResponse(int Status, string ContentType, string CacheControl, byte[] Body, string? StatisticsSource = null);

/// <summary>
/// The read-only statistics API's handlers, shared by the Functions app's HTTP functions and
/// <c>danescan serve</c>: each validates its arguments, asks <see cref="IStatisticsQueries"/> and shapes the
/// answer (status, JSON body, cache headers). A completed run's numbers never change: its summary, counts
/// and findings are sent with <c>Cache-Control: public, max-age=31536000, immutable</c>; a running run's with
/// <c>public, max-age=60</c>. <c>X-DaneScan-Statistics</c> says whether they were read pre-aggregated or
/// computed from the run's records. Errors are RFC 9457 problem documents, never cached.
/// </summary>
public sealed partial class StatisticsHandlers(IStatisticsQueries queries)
{
    public static readonly JsonSerializerOptions Json = CreateJson();

    public const string ShortCache = "public, max-age=60";
    public const string LongCache = "public, max-age=3600";

    /// <summary>A completed run's numbers: they never change.</summary>
    public const string ImmutableCache = "public, max-age=31536000, immutable";

    /// <summary>The header that says where a run's numbers came from.</summary>
    public const string SourceHeader = "X-DaneScan-Statistics";

    private const string JsonType = "application/json; charset=utf-8";
    private const string RunIdRule = "runId: " + RunIds.Rule;

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = false };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return o;
    }

    /// <summary>Answers the operation named by <paramref name="operationId"/> (one of <see cref="ApiRoutes.All"/>).</summary>
    public Task<ApiResponse> HandleAsync(string operationId, Func<string, string?> routeValue, QueryValue query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(routeValue);
        return operationId switch
        {
            nameof(ApiRoutes.ListRuns) => ListRunsAsync(query, cancellationToken),
            nameof(ApiRoutes.GetRun) => GetRunAsync(routeValue("runId"), cancellationToken),
            nameof(ApiRoutes.CountsByTld) => CountsAsync(routeValue("runId"), BreakdownDimension.Tld, query, cancellationToken),
            nameof(ApiRoutes.CountsByMxProvider) => CountsAsync(routeValue("runId"), BreakdownDimension.MxProvider, query, cancellationToken),
            nameof(ApiRoutes.CountsByTlsaParameters) => CountsAsync(routeValue("runId"), BreakdownDimension.TlsaParameters, query, cancellationToken),
            nameof(ApiRoutes.Breakdown) => BreakdownAsync(routeValue("runId"), routeValue("dimension"), query, cancellationToken),
            nameof(ApiRoutes.ListFindings) => ListFindingsAsync(routeValue("runId"), query, cancellationToken),
            nameof(ApiRoutes.TimeSeries) => TimeSeriesAsync(routeValue("metric"), query, cancellationToken),
            nameof(ApiRoutes.GetDomain) => GetDomainAsync(routeValue("runId"), routeValue("domain"), cancellationToken),
            nameof(ApiRoutes.CompareRuns) => CompareRunsAsync(routeValue("runId"), routeValue("otherRunId"), query, cancellationToken),
            nameof(ApiRoutes.OpenApiDocument) => Task.FromResult(OpenApiDocument()),
            _ => throw new ArgumentOutOfRangeException(nameof(operationId), operationId, "not an operation of the statistics API"),
        };
    }

    public Task<ApiResponse> ListRunsAsync(QueryValue query, CancellationToken cancellationToken = default) =>
        GuardAsync(async () => TryPage(query, out var page, out var bad)
            ? Ok(await queries.ListRunsAsync(page, cancellationToken).ConfigureAwait(false), ShortCache)
            : Problem(400, bad));

    public Task<ApiResponse> GetRunAsync(string? runId, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            if (!ValidRunId(runId))
            {
                return Problem(400, RunIdRule);
            }

            var run = await queries.GetRunAsync(runId!, cancellationToken).ConfigureAwait(false);
            return run is null ? Problem(404, $"no run '{runId}'") : Ok(run);
        });

    public Task<ApiResponse> CountsAsync(string? runId, BreakdownDimension dimension, QueryValue query, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            if (!ValidRunId(runId))
            {
                return Problem(400, RunIdRule);
            }

            if (!TryPage(query, out var page, out var bad))
            {
                return Problem(400, bad);
            }

            var counts = await queries.GetCountsAsync(runId!, dimension, page, cancellationToken).ConfigureAwait(false);
            return counts is null ? Problem(404, $"no run '{runId}'") : Ok(counts);
        });

    /// <summary>The breakdown names of <c>GET runs/{runId}/breakdowns/{dimension}</c>: "tld", "mx-provider", ..., "rank-bucket".</summary>
    public static IReadOnlyList<string> BreakdownNames { get; } = [.. Enum.GetValues<BreakdownDimension>().Select(d => StatisticsQueries.MetricName(d.ToString()))];

    /// <summary>Any breakdown by its name (<see cref="BreakdownNames"/>); an unknown name is a 404 that lists the known ones.</summary>
    public Task<ApiResponse> BreakdownAsync(string? runId, string? dimension, QueryValue query, CancellationToken cancellationToken = default)
    {
        var index = dimension is null ? -1 : BreakdownNames.ToList().IndexOf(dimension);
        return index < 0
            ? Task.FromResult(Problem(404, $"no breakdown '{dimension}': one of {string.Join(", ", BreakdownNames)}"))
            : CountsAsync(runId, Enum.GetValues<BreakdownDimension>()[index], query, cancellationToken);
    }

    public Task<ApiResponse> ListFindingsAsync(string? runId, QueryValue query, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            if (!ValidRunId(runId))
            {
                return Problem(400, RunIdRule);
            }

            if (!TryPage(query, out var page, out var bad))
            {
                return Problem(400, bad);
            }

            var findings = await queries.ListFindingsAsync(runId!, page, cancellationToken).ConfigureAwait(false);
            return findings is null ? Problem(404, $"no run '{runId}'") : Ok(findings);
        });

    public Task<ApiResponse> TimeSeriesAsync(string? metric, QueryValue query, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(query);
            if (metric is null || !MetricPattern().IsMatch(metric))
            {
                return Problem(400, "metric must be 1-64 lower-case letters, digits and hyphens");
            }

            if (!TryDate(query("from"), out var from) || !TryDate(query("to"), out var to))
            {
                return Problem(400, "from and to must be ISO 8601 dates or date-times");
            }

            if (from is not null && to is not null && from > to)
            {
                return Problem(400, "from is after to");
            }

            var series = await queries.GetTimeSeriesAsync(metric, from, to, cancellationToken).ConfigureAwait(false);
            return series is null ? Problem(404, $"no metric '{metric}'") : Ok(series, ShortCache);
        });

    public Task<ApiResponse> GetDomainAsync(string? runId, string? domain, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            if (!ValidRunId(runId))
            {
                return Problem(400, RunIdRule);
            }

            var name = DnsName.TryParse(domain, out var parsed) ? parsed.Value : null;
            if (string.IsNullOrEmpty(name) || !DomainPattern().IsMatch(name))
            {
                return Problem(400, "domain must be a DNS name in A-label form");
            }

            var record = await queries.GetDomainAsync(runId!, name, cancellationToken).ConfigureAwait(false);
            return record is null
                ? Problem(404, $"no domain '{name}' in run '{runId}'")
                : Ok(record.Value, record.Completed ? ImmutableCache : ShortCache);
        });

    /// <summary>Two runs compared: transitions between them; with <c>?transition=FROM-&gt;TO</c> a page of the domains that made it.</summary>
    public Task<ApiResponse> CompareRunsAsync(string? runId, string? otherRunId, QueryValue query, CancellationToken cancellationToken = default) =>
        GuardAsync(async () =>
        {
            ArgumentNullException.ThrowIfNull(query);
            if (!ValidRunId(runId) || !ValidRunId(otherRunId))
            {
                return Problem(400, RunIdRule);
            }

            if (!TryPage(query, out var page, out var bad))
            {
                return Problem(400, bad);
            }

            string? transition = null;
            if (query("transition") is { Length: > 0 } text)
            {
                transition = RunComparison.ParseTransition(text, out var problem);
                if (transition is null)
                {
                    return Problem(400, problem!);
                }
            }

            var answer = await queries.CompareRunsAsync(runId!, otherRunId!, transition, page, cancellationToken).ConfigureAwait(false);
            return answer is null ? Problem(404, $"no run '{runId}' or no run '{otherRunId}'") : Ok(answer);
        });

    /// <summary>The OpenAPI 3.1 document describing these routes and their JSON shapes.</summary>
    public static ApiResponse OpenApiDocument() => new(200, JsonType, LongCache, OpenApiBytes());

    /// <summary>The embedded OpenAPI document (src/DaneScan.Api/openapi.json).</summary>
    public static byte[] OpenApiBytes()
    {
        using var stream = typeof(StatisticsHandlers).Assembly.GetManifestResourceStream("DaneScan.Api.openapi.json")
            ?? throw new InvalidOperationException("the OpenAPI document is not embedded in the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>LDH labels of 1-63 characters, at most 253 in all: IDNs must be sent in A-label (xn--) form.</summary>
    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex MetricPattern();

    internal static bool ValidRunId(string? runId) => RunIds.IsValid(runId);

    /// <summary><c>?top=</c> (1..1000, default 100) and <c>?continuation=</c> (at most 2048 characters).</summary>
    public static bool TryPage(QueryValue query, out PageRequest page, out string problem)
    {
        ArgumentNullException.ThrowIfNull(query);
        var top = PageRequest.DefaultTop;
        page = new PageRequest(top, null);
        problem = string.Empty;
        var topText = query("top");
        if (topText is not null && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > PageRequest.MaxTop))
        {
            problem = $"top must be an integer from 1 to {PageRequest.MaxTop}";
            return false;
        }

        var continuation = query("continuation");
        if (continuation is { Length: > 2048 })
        {
            problem = "continuation is longer than 2048 characters";
            return false;
        }

        page = new PageRequest(top, string.IsNullOrEmpty(continuation) ? null : continuation);
        return true;
    }

    private static bool TryDate(string? text, out DateTimeOffset? value)
    {
        value = null;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }

        return false;
    }

    /// <summary>A storage fault is the store's, not the request's: a 503 problem naming it (a bug still throws).</summary>
    private static async Task<ApiResponse> GuardAsync(Func<Task<ApiResponse>> handle)
    {
        try
        {
            return await handle().ConfigureAwait(false);
        }
        catch (StorageException e)
        {
            return Problem(503, $"storage fault: {e.Message}");
        }
    }

    /// <summary>A per-run answer: immutable once the run is completed, short-lived while it runs; the source header says which.</summary>
    private static ApiResponse Ok<T>(RunAnswer<T> answer) =>
        Ok(answer.Value, answer.Completed ? ImmutableCache : ShortCache) with { StatisticsSource = answer.PreAggregated ? "pre-aggregated" : "computed" };

    private static ApiResponse Ok<T>(T body, string cacheControl) =>
        new(200, JsonType, cacheControl, JsonSerializer.SerializeToUtf8Bytes(body, Json));

    private static ApiResponse Problem(int status, string detail)
    {
        var title = status switch
        {
            404 => "Not found",
            503 => "Storage unavailable",
            _ => "Bad request",
        };
        return new(status, "application/problem+json; charset=utf-8", "no-store", JsonSerializer.SerializeToUtf8Bytes(new Problem(title, status, detail), Json));
    }
}
