namespace DaneScan.Api;

/// <summary>One operation of the statistics API: its OpenAPI operation id and its route below <see cref="ApiRoutes.Prefix"/>.</summary>
public sealed record ApiOperation(string OperationId, string Route);

/// <summary>
/// The one list of the statistics API's routes. The Functions app's HTTP functions name these constants in
/// their triggers, <c>danescan serve</c> maps every entry onto Kestrel, and the tests check both, and the
/// OpenAPI document's paths, against this list. Every route is a GET.
/// </summary>
public static class ApiRoutes
{
    /// <summary>The path prefix of every route (the Functions host's <c>routePrefix</c>).</summary>
    public const string Prefix = "api";

    public const string ListRuns = "runs";
    public const string GetRun = "runs/{runId}";
    public const string CountsByTld = "runs/{runId}/counts/tld";
    public const string CountsByMxProvider = "runs/{runId}/counts/mx-provider";
    public const string CountsByTlsaParameters = "runs/{runId}/counts/tlsa-parameters";
    public const string Breakdown = "runs/{runId}/breakdowns/{dimension}";
    public const string ListFindings = "runs/{runId}/findings";
    public const string TimeSeries = "timeseries/{metric}";
    public const string GetDomain = "runs/{runId}/domains/{domain}";
    public const string CompareRuns = "runs/{runId}/compare/{otherRunId}";
    public const string OpenApiDocument = "openapi";

    public static IReadOnlyList<ApiOperation> All { get; } =
    [
        new(nameof(ListRuns), ListRuns),
        new(nameof(GetRun), GetRun),
        new(nameof(CountsByTld), CountsByTld),
        new(nameof(CountsByMxProvider), CountsByMxProvider),
        new(nameof(CountsByTlsaParameters), CountsByTlsaParameters),
        new(nameof(Breakdown), Breakdown),
        new(nameof(ListFindings), ListFindings),
        new(nameof(TimeSeries), TimeSeries),
        new(nameof(GetDomain), GetDomain),
        new(nameof(CompareRuns), CompareRuns),
        new(nameof(OpenApiDocument), OpenApiDocument),
    ];
}
