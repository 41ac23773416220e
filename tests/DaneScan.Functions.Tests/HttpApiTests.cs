using System.Net;
using System.Security.Claims;
using System.Text.Json;
using DaneScan.Api;
using DaneScan.Functions.Api;
using DaneScan.Statistics;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Http;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The API's request validation, answered before any query reaches the result store. The Functions host is
/// mocked (HttpRequestData/HttpResponseData/FunctionContext subclasses): it cannot run here. The statistics
/// queries themselves are DaneScan.Storage's and are not exercised: the port below fails the test if called.
/// </summary>
public sealed class HttpApiTests
{
    private static readonly StatisticsApi Api = new(new UnreachableQueries());

    [Theory]
    [InlineData("?top=0", "top must be an integer from 1 to 1000")]
    [InlineData("?top=1001", "top must be an integer from 1 to 1000")]
    [InlineData("?top=-5", "top must be an integer from 1 to 1000")]
    [InlineData("?top=ten", "top must be an integer from 1 to 1000")]
    public async Task Bad_paging_is_a_400_problem_that_is_not_cached(string query, string detail)
    {
        var response = await Api.ListRunsAsync(Request(query), CancellationToken.None);
        var problem = await ReadProblem(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(detail, problem.Detail);
        Assert.Equal(400, problem.Status);
        Assert.Equal("no-store", Header(response, "Cache-Control"));
        Assert.StartsWith("application/problem+json", Header(response, "Content-Type"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run id with spaces")]
    [InlineData("run/../../secrets")]
    [InlineData("")]
    [InlineData("a:b")]
    [InlineData(".hidden")]
    [InlineData("r12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678")]
    public async Task A_bad_run_id_is_refused_on_every_run_route(string runId)
    {
        var answers = new[]
        {
            await Api.GetRunAsync(Request(string.Empty), runId, CancellationToken.None),
            await Api.CountsByTldAsync(Request(string.Empty), runId, CancellationToken.None),
            await Api.CountsByMxProviderAsync(Request(string.Empty), runId, CancellationToken.None),
            await Api.CountsByTlsaParametersAsync(Request(string.Empty), runId, CancellationToken.None),
            await Api.ListFindingsAsync(Request(string.Empty), runId, CancellationToken.None),
            await Api.GetDomainAsync(Request(string.Empty), runId, "example.com", CancellationToken.None),
        };
        Assert.All(answers, r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
    }

    [Theory]
    [InlineData("exa mple.com")]
    [InlineData("bücher.example")]
    [InlineData("-leading-hyphen.example")]
    [InlineData("a..b.example")]
    public async Task A_domain_that_is_not_an_A_label_name_is_refused(string domain)
    {
        var response = await Api.GetDomainAsync(Request(string.Empty), "run-1", domain, CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("domain must be a DNS name in A-label form", (await ReadProblem(response)).Detail);
    }

    [Theory]
    [InlineData("dane-protected", "?from=yesterday", "from and to must be ISO 8601 dates or date-times")]
    [InlineData("dane-protected", "?from=2026-11-01&to=2026-10-01", "from is after to")]
    [InlineData("DANE_protected", "", "metric must be 1-64 lower-case letters, digits and hyphens")]
    public async Task Time_series_arguments_are_checked(string metric, string query, string detail)
    {
        var response = await Api.TimeSeriesAsync(Request(query), metric, CancellationToken.None);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(detail, (await ReadProblem(response)).Detail);
    }

    [Fact]
    public void Paging_defaults_to_100_and_passes_the_continuation_through()
    {
        Assert.True(StatisticsHandlers.TryPage(StatisticsApi.Query(Request(string.Empty)), out var page, out _));
        Assert.Equal(new PageRequest(100, null), page);
        Assert.True(StatisticsHandlers.TryPage(StatisticsApi.Query(Request("?top=250&continuation=abc%3D%3D")), out page, out _));
        Assert.Equal(new PageRequest(250, "abc=="), page);
    }

    private static async Task<Problem> ReadProblem(HttpResponseData response)
    {
        response.Body.Position = 0;
        return (await JsonSerializer.DeserializeAsync<Problem>(response.Body, StatisticsHandlers.Json))!;
    }

    internal static string Header(HttpResponseData response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : string.Empty;

    internal static TestRequest Request(string query) => new(new Uri("https://danescan-func.azurewebsites.net/api/runs" + query));

    private sealed class UnreachableQueries : IStatisticsQueries
    {
        private static InvalidOperationException Reached() => new("validation should have answered before the result store was queried");

        public Task<Page<RunListItem>> ListRunsAsync(PageRequest page, CancellationToken cancellationToken = default) => throw Reached();

        public Task<RunAnswer<RunSummary>?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => throw Reached();

        public Task<RunAnswer<Page<CountRow>>?> GetCountsAsync(string runId, BreakdownDimension dimension, PageRequest page, CancellationToken cancellationToken = default) => throw Reached();

        public Task<RunAnswer<Page<FindingCount>>?> ListFindingsAsync(string runId, PageRequest page, CancellationToken cancellationToken = default) => throw Reached();

        public Task<TimeSeries?> GetTimeSeriesAsync(string metric, DateTimeOffset? fromUtc, DateTimeOffset? toUtc, CancellationToken cancellationToken = default) => throw Reached();

        public Task<RunAnswer<DomainRecord>?> GetDomainAsync(string runId, string domain, CancellationToken cancellationToken = default) => throw Reached();

        public Task<RunAnswer<RunComparisonAnswer>?> CompareRunsAsync(string runA, string runB, string? transition, PageRequest page, CancellationToken cancellationToken = default) => throw Reached();
    }

    // Mocks of the Functions host's HTTP types.
    internal sealed class TestRequest(Uri url) : HttpRequestData(new TestContext())
    {
        public override Stream Body { get; } = new MemoryStream();

        public override HttpHeadersCollection Headers { get; } = [];

        public override IReadOnlyCollection<IHttpCookie> Cookies { get; } = [];

        public override Uri Url { get; } = url;

        public override IEnumerable<ClaimsIdentity> Identities { get; } = [];

        public override string Method => "GET";

        public override HttpResponseData CreateResponse() => new TestResponse(FunctionContext);
    }

    internal sealed class TestResponse(FunctionContext context) : HttpResponseData(context)
    {
        public override HttpStatusCode StatusCode { get; set; }

        public override HttpHeadersCollection Headers { get; set; } = [];

        public override Stream Body { get; set; } = new MemoryStream();

        public override HttpCookies Cookies => throw new NotSupportedException();
    }

    internal sealed class TestContext : FunctionContext
    {
        public override string InvocationId => "test";

        public override string FunctionId => "test";

        public override TraceContext TraceContext => throw new NotSupportedException();

        public override BindingContext BindingContext => throw new NotSupportedException();

        public override RetryContext RetryContext => throw new NotSupportedException();

        public override IServiceProvider InstanceServices { get; set; } = new NoServices();

        public override FunctionDefinition FunctionDefinition => throw new NotSupportedException();

        public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

        public override IInvocationFeatures Features => throw new NotSupportedException();
    }

    internal sealed class NoServices : IServiceProvider
    {
        public object? GetService(Type serviceType) => null;
    }

}
