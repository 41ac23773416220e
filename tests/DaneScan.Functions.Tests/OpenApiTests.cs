using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Api;
using DaneScan.Functions.Api;

namespace DaneScan.Functions.Tests;

/// <summary>The OpenAPI document the API serves must describe exactly the routes and JSON shapes the app has.</summary>
public sealed class OpenApiTests
{
    private static readonly JsonNode Doc = JsonNode.Parse(StatisticsHandlers.OpenApiBytes())!;

    private static List<(string Name, string Route, string AuthLevel)> HttpFunctions() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray().Where(b => (string?)b!["type"] == "httpTrigger").Select(b => ((string)f!["name"]!, (string)b!["route"]!, (string)b["authLevel"]!)))
            .Where(f => f.Item1 != "OpenApiDocument")
            .ToList();

    [Fact]
    public void Every_statistics_route_is_documented_as_a_get_with_its_function_name_and_nothing_else_is()
    {
        var paths = Doc["paths"]!.AsObject();
        var routes = HttpFunctions();
        Assert.Equal(routes.Select(r => "/api/" + r.Route).Order(), paths.Select(p => p.Key).Order());
        foreach (var (name, route, _) in routes)
        {
            var item = paths["/api/" + route]!.AsObject();
            Assert.Equal(["get"], item.Select(p => p.Key));
            Assert.Equal(name, (string?)item["get"]!["operationId"]);
            var pathParams = item["get"]!["parameters"]!.AsArray().Where(p => (string?)p!["in"] == "path").Select(p => (string)p!["name"]!);
            var routeParams = route.Split('/').Where(s => s.StartsWith('{')).Select(s => s.Trim('{', '}'));
            Assert.Equal(routeParams.Order(), pathParams.Order());
        }
    }

    [Fact]
    public void The_http_functions_are_exactly_the_shared_route_table()
    {
        var functions = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray().Where(b => (string?)b!["type"] == "httpTrigger").Select(b => ((string)f!["name"]!, (string)b!["route"]!)));
        Assert.Equal(ApiRoutes.All.Select(o => (o.OperationId, o.Route)).Order(), functions.Order());
    }

    [Fact]
    public void The_document_requires_a_function_key_as_the_routes_do()
    {
        Assert.All(HttpFunctions(), f => Assert.Equal("Function", f.AuthLevel));
        var schemes = Doc["components"]!["securitySchemes"]!;
        Assert.Equal("x-functions-key", (string?)schemes["functionKey"]!["name"]);
        Assert.Equal("code", (string?)schemes["functionKeyQuery"]!["name"]);
        Assert.Equal(2, Doc["security"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("RunListItem", typeof(RunListItem))]
    [InlineData("RunSummary", typeof(RunSummary))]
    [InlineData("CountRow", typeof(CountRow))]
    [InlineData("FindingCount", typeof(FindingCount))]
    [InlineData("TimeSeries", typeof(TimeSeries))]
    [InlineData("TimeSeriesPoint", typeof(TimeSeriesPoint))]
    [InlineData("DomainRecord", typeof(DomainRecord))]
    [InlineData("Problem", typeof(Problem))]
    [InlineData("RunPage", typeof(Page<RunListItem>))]
    public void Schemas_list_exactly_the_members_the_API_serialises(string schema, Type type)
    {
        var documented = Doc["components"]!["schemas"]![schema]!["properties"]!.AsObject().Select(p => p.Key).Order().ToList();
        var serialised = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0)
            .Select(p => StatisticsHandlers.Json.PropertyNamingPolicy!.ConvertName(p.Name)).Order().ToList();
        Assert.Equal(serialised, documented);
    }

    [Fact]
    public void Run_states_in_the_document_are_the_serialised_enum_names()
    {
        var documented = Doc["components"]!["schemas"]!["RunState"]!["enum"]!.AsArray().Select(v => (string)v!);
        var serialised = Enum.GetValues<RunState>().Select(v => JsonSerializer.Serialize(v, StatisticsHandlers.Json).Trim('"'));
        Assert.Equal(serialised, documented);
    }
}
