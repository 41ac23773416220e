using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Web;
using DaneScan.Contracts;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace DaneScan.Functions.Api;

/// <summary>
/// The read-only statistics API. Every route is GET with function-level authorisation (a function or host
/// key in <c>x-functions-key</c> or <c>?code=</c>); there are no write routes. Answers are JSON with cache
/// headers. A completed run's numbers never change: its summary, counts and findings are served from its
/// pre-aggregated statistics with <c>Cache-Control: public, max-age=31536000, immutable</c>; a running
/// run's are computed from its records with <c>public, max-age=60</c>. <c>X-DaneScan-Statistics</c> says
/// which (<c>pre-aggregated</c> or <c>computed</c>).
/// </summary>
public sealed partial class StatisticsApi(IStatisticsQueries queries)
{
    public static readonly JsonSerializerOptions Json = CreateJson();

    private static JsonSerializerOptions CreateJson()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = false };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        return o;
    }

    [Function("ListRuns")]
    public async Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequestData req, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!TryPage(req, out var page, out var bad))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, bad).ConfigureAwait(false);
        }

        var runs = await queries.ListRunsAsync(page, cancellationToken).ConfigureAwait(false);
        return await OkAsync(req, runs, ShortCache).ConfigureAwait(false);
    }

    [Function("GetRun")]
    public async Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequestData req, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!ValidRunId(runId))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, RunIdRule).ConfigureAwait(false);
        }

        var run = await queries.GetRunAsync(runId, cancellationToken).ConfigureAwait(false);
        return run is null
            ? await ProblemAsync(req, HttpStatusCode.NotFound, $"no run '{runId}'").ConfigureAwait(false)
            : await OkAsync(req, run).ConfigureAwait(false);
    }

    [Function("CountsByTld")]
    public Task<HttpResponseData> CountsByTldAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/counts/tld")] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        CountsAsync(req, runId, CountDimension.Tld, cancellationToken);

    [Function("CountsByMxProvider")]
    public Task<HttpResponseData> CountsByMxProviderAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/counts/mx-provider")] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        CountsAsync(req, runId, CountDimension.MxProvider, cancellationToken);

    [Function("CountsByTlsaParameters")]
    public Task<HttpResponseData> CountsByTlsaParametersAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/counts/tlsa-parameters")] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        CountsAsync(req, runId, CountDimension.TlsaParameters, cancellationToken);

    [Function("ListFindings")]
    public async Task<HttpResponseData> ListFindingsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/findings")] HttpRequestData req, string runId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!ValidRunId(runId))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, RunIdRule).ConfigureAwait(false);
        }

        if (!TryPage(req, out var page, out var bad))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, bad).ConfigureAwait(false);
        }

        var findings = await queries.ListFindingsAsync(runId, page, cancellationToken).ConfigureAwait(false);
        return findings is null
            ? await ProblemAsync(req, HttpStatusCode.NotFound, $"no run '{runId}'").ConfigureAwait(false)
            : await OkAsync(req, findings).ConfigureAwait(false);
    }

    [Function("TimeSeries")]
    public async Task<HttpResponseData> TimeSeriesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "timeseries/{metric}")] HttpRequestData req, string metric, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (metric is null || !MetricPattern().IsMatch(metric))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "metric must be 1-64 lower-case letters, digits and hyphens").ConfigureAwait(false);
        }

        var query = HttpUtility.ParseQueryString(req.Url.Query);
        if (!TryDate(query["from"], out var from) || !TryDate(query["to"], out var to))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "from and to must be ISO 8601 dates or date-times").ConfigureAwait(false);
        }

        if (from is not null && to is not null && from > to)
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "from is after to").ConfigureAwait(false);
        }

        var series = await queries.GetTimeSeriesAsync(metric, from, to, cancellationToken).ConfigureAwait(false);
        return series is null
            ? await ProblemAsync(req, HttpStatusCode.NotFound, $"no metric '{metric}'").ConfigureAwait(false)
            : await OkAsync(req, series, ShortCache).ConfigureAwait(false);
    }

    [Function("GetDomain")]
    public async Task<HttpResponseData> GetDomainAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/domains/{domain}")] HttpRequestData req, string runId, string domain, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!ValidRunId(runId))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, RunIdRule).ConfigureAwait(false);
        }

        var name = domain?.Trim().TrimEnd('.').ToLowerInvariant();
        if (string.IsNullOrEmpty(name) || !DomainPattern().IsMatch(name))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, "domain must be a DNS name in A-label form").ConfigureAwait(false);
        }

        var record = await queries.GetDomainAsync(runId, name, cancellationToken).ConfigureAwait(false);
        return record is null
            ? await ProblemAsync(req, HttpStatusCode.NotFound, $"no domain '{name}' in run '{runId}'").ConfigureAwait(false)
            : await OkAsync(req, record.Value, record.Completed ? ImmutableCache : ShortCache).ConfigureAwait(false);
    }

    /// <summary>The OpenAPI 3.1 document describing these routes and their JSON shapes.</summary>
    [Function("OpenApiDocument")]
    public static async Task<HttpResponseData> OpenApiDocumentAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "openapi")] HttpRequestData req)
    {
        ArgumentNullException.ThrowIfNull(req);
        var response = req.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        response.Headers.Add("Cache-Control", LongCache);
        await response.Body.WriteAsync(OpenApiBytes()).ConfigureAwait(false);
        return response;
    }

    internal static byte[] OpenApiBytes()
    {
        using var stream = typeof(StatisticsApi).Assembly.GetManifestResourceStream("DaneScan.Functions.openapi.json")
            ?? throw new InvalidOperationException("the OpenAPI document is not embedded in the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private async Task<HttpResponseData> CountsAsync(HttpRequestData req, string runId, CountDimension dimension, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(req);
        if (!ValidRunId(runId))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, RunIdRule).ConfigureAwait(false);
        }

        if (!TryPage(req, out var page, out var bad))
        {
            return await ProblemAsync(req, HttpStatusCode.BadRequest, bad).ConfigureAwait(false);
        }

        var counts = await queries.GetCountsAsync(runId, dimension, page, cancellationToken).ConfigureAwait(false);
        return counts is null
            ? await ProblemAsync(req, HttpStatusCode.NotFound, $"no run '{runId}'").ConfigureAwait(false)
            : await OkAsync(req, counts).ConfigureAwait(false);
    }

    internal const string ShortCache = "public, max-age=60";
    internal const string LongCache = "public, max-age=3600";

    /// <summary>A completed run's numbers: they never change.</summary>
    internal const string ImmutableCache = "public, max-age=31536000, immutable";

    /// <summary>The header that says where a run's numbers came from.</summary>
    internal const string SourceHeader = "X-DaneScan-Statistics";
    private const string RunIdRule = "runId: " + RunIds.Rule;

    /// <summary>LDH labels of 1-63 characters, at most 253 in all: IDNs must be sent in A-label (xn--) form.</summary>
    [GeneratedRegex("^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$")]
    private static partial Regex DomainPattern();

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex MetricPattern();

    internal static bool ValidRunId(string? runId) => RunIds.IsValid(runId);

    internal static bool TryPage(HttpRequestData req, out PageRequest page, out string problem)
    {
        var query = HttpUtility.ParseQueryString(req.Url.Query);
        var top = PageRequest.DefaultTop;
        page = new PageRequest(top, null);
        problem = string.Empty;
        var topText = query["top"];
        if (topText is not null && (!int.TryParse(topText, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top < 1 || top > PageRequest.MaxTop))
        {
            problem = $"top must be an integer from 1 to {PageRequest.MaxTop}";
            return false;
        }

        var continuation = query["continuation"];
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

    /// <summary>A per-run answer: immutable once the run is completed, short-lived while it runs; the source header says which.</summary>
    internal static async Task<HttpResponseData> OkAsync<T>(HttpRequestData req, RunAnswer<T> answer)
    {
        var response = await OkAsync(req, answer.Value, answer.Completed ? ImmutableCache : ShortCache).ConfigureAwait(false);
        response.Headers.Add(SourceHeader, answer.PreAggregated ? "pre-aggregated" : "computed");
        return response;
    }

    private static async Task<HttpResponseData> OkAsync<T>(HttpRequestData req, T body, string cacheControl)
    {
        var response = req.CreateResponse(HttpStatusCode.OK);
        response.Headers.Add("Content-Type", "application/json; charset=utf-8");
        response.Headers.Add("Cache-Control", cacheControl);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body, Json)).ConfigureAwait(false);
        return response;
    }

    private static async Task<HttpResponseData> ProblemAsync(HttpRequestData req, HttpStatusCode status, string detail)
    {
        var response = req.CreateResponse(status);
        response.Headers.Add("Content-Type", "application/problem+json; charset=utf-8");
        response.Headers.Add("Cache-Control", "no-store");
        var problem = new Problem(status == HttpStatusCode.NotFound ? "Not found" : "Bad request", (int)status, detail);
        await response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(problem, Json)).ConfigureAwait(false);
        return response;
    }
}
