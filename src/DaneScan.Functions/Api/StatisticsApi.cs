using System.Net;
using System.Web;
using DaneScan.Api;
using DaneScan.Statistics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace DaneScan.Functions.Api;

/// <summary>
/// The read-only statistics API as HTTP functions: each binds its request, calls the shared
/// <see cref="StatisticsHandlers"/> (the same ones <c>danescan serve</c> uses) and maps the answer onto the
/// response. Routes are <see cref="ApiRoutes"/>'s; every one is GET with function-level authorisation (a
/// function or host key in <c>x-functions-key</c> or <c>?code=</c>).
/// </summary>
public sealed class StatisticsApi(IStatisticsQueries queries)
{
    private readonly StatisticsHandlers _handlers = new(queries);

    [Function(nameof(ApiRoutes.ListRuns))]
    public async Task<HttpResponseData> ListRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.ListRuns)] HttpRequestData req, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.ListRunsAsync(Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.GetRun))]
    public async Task<HttpResponseData> GetRunAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.GetRun)] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.GetRunAsync(runId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.CountsByTld))]
    public async Task<HttpResponseData> CountsByTldAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.CountsByTld)] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.CountsAsync(runId, BreakdownDimension.Tld, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.CountsByMxProvider))]
    public async Task<HttpResponseData> CountsByMxProviderAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.CountsByMxProvider)] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.CountsAsync(runId, BreakdownDimension.MxProvider, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.CountsByTlsaParameters))]
    public async Task<HttpResponseData> CountsByTlsaParametersAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.CountsByTlsaParameters)] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.CountsAsync(runId, BreakdownDimension.TlsaParameters, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.Breakdown))]
    public async Task<HttpResponseData> BreakdownAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.Breakdown)] HttpRequestData req, string runId, string dimension, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.BreakdownAsync(runId, dimension, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.ListFindings))]
    public async Task<HttpResponseData> ListFindingsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.ListFindings)] HttpRequestData req, string runId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.ListFindingsAsync(runId, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.TimeSeries))]
    public async Task<HttpResponseData> TimeSeriesAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.TimeSeries)] HttpRequestData req, string metric, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.TimeSeriesAsync(metric, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.GetDomain))]
    public async Task<HttpResponseData> GetDomainAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.GetDomain)] HttpRequestData req, string runId, string domain, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.GetDomainAsync(runId, domain, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    [Function(nameof(ApiRoutes.CompareRuns))]
    public async Task<HttpResponseData> CompareRunsAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.CompareRuns)] HttpRequestData req, string runId, string otherRunId, CancellationToken cancellationToken) =>
        await MapAsync(req, await _handlers.CompareRunsAsync(runId, otherRunId, Query(req), cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);

    /// <summary>The OpenAPI 3.1 document describing these routes and their JSON shapes.</summary>
    [Function(nameof(ApiRoutes.OpenApiDocument))]
    public static Task<HttpResponseData> OpenApiDocumentAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = ApiRoutes.OpenApiDocument)] HttpRequestData req) =>
        MapAsync(req, StatisticsHandlers.OpenApiDocument());

    internal static QueryValue Query(HttpRequestData req)
    {
        ArgumentNullException.ThrowIfNull(req);
        var query = HttpUtility.ParseQueryString(req.Url.Query);
        return name => query[name];
    }

    private static async Task<HttpResponseData> MapAsync(HttpRequestData req, ApiResponse answer)
    {
        ArgumentNullException.ThrowIfNull(req);
        var response = req.CreateResponse((HttpStatusCode)answer.Status);
        response.Headers.Add("Content-Type", answer.ContentType);
        response.Headers.Add("Cache-Control", answer.CacheControl);
        if (answer.StatisticsSource is not null)
        {
            response.Headers.Add(StatisticsHandlers.SourceHeader, answer.StatisticsSource);
        }

        await response.Body.WriteAsync(answer.Body).ConfigureAwait(false);
        return response;
    }
}
