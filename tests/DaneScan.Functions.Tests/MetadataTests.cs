using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.ServiceBus;

namespace DaneScan.Functions.Tests;

/// <summary>
/// Checks the functions.metadata that the Functions SDK generated when this test project's build built the
/// Functions app: it is what the Functions host reads to wire triggers, so a wrong queue name, connection
/// prefix, schedule setting or auth level here is a broken deployment.
/// </summary>
public sealed class MetadataTests
{
    private static readonly Dictionary<string, JsonObject> Functions = Load();

    private static Dictionary<string, JsonObject> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        Assert.True(File.Exists(path), $"functions.metadata was not generated at {path}");
        var array = JsonNode.Parse(File.ReadAllText(path))!.AsArray();
        return array.Select(n => n!.AsObject()).ToDictionary(o => (string)o["name"]!, o => o);
    }

    private static JsonObject Trigger(string function)
    {
        Assert.True(Functions.ContainsKey(function), $"no function {function}");
        var triggers = Functions[function]["bindings"]!.AsArray().Select(b => b!.AsObject()).Where(b => ((string)b["type"]!).EndsWith("Trigger", StringComparison.Ordinal)).ToList();
        return Assert.Single(triggers);
    }

    [Fact]
    public void The_app_has_exactly_the_expected_functions_all_dotnet_isolated()
    {
        string[] expected = ["Enumerate", "Finalise", "Resolve", "Probe", "ListRuns", "GetRun", "CountsByTld", "CountsByMxProvider", "CountsByTlsaParameters", "Breakdown", "ListFindings", "TimeSeries", "GetDomain", "CompareRuns", "OpenApiDocument"];
        Assert.Equal(expected.Order(), Functions.Keys.Order());
        Assert.All(Functions.Values, f =>
        {
            Assert.Equal("dotnet-isolated", (string?)f["language"]);
            Assert.Equal("DaneScan.Functions.dll", (string?)f["scriptFile"]);
        });
    }

    [Fact]
    public void Enumerate_is_a_timer_whose_schedule_comes_from_the_EnumerateSchedule_setting()
    {
        var t = Trigger("Enumerate");
        Assert.Equal("timerTrigger", (string?)t["type"]);
        Assert.Equal("%EnumerateSchedule%", (string?)t["schedule"]);
        Assert.True((bool?)t["useMonitor"]);
        Assert.Null(t["runOnStartup"]);
    }

    [Fact]
    public void Finalise_is_a_timer_whose_schedule_comes_from_the_FinaliseSchedule_setting()
    {
        var t = Trigger("Finalise");
        Assert.Equal("DaneScan.Functions.FinaliseFunction.RunAsync", (string?)Functions["Finalise"]["entryPoint"]);
        Assert.Equal("timerTrigger", (string?)t["type"]);
        Assert.Equal("%FinaliseSchedule%", (string?)t["schedule"]);
        Assert.True((bool?)t["useMonitor"]);
        Assert.Null(t["runOnStartup"]);
        Assert.Single(Functions["Finalise"]["bindings"]!.AsArray());
    }

    [Theory]
    [InlineData("Resolve", WorkQueues.Resolve, "DaneScan.Functions.ScanFunctions.ResolveAsync")]
    [InlineData("Probe", WorkQueues.Probe, "DaneScan.Functions.ScanFunctions.ProbeAsync")]
    public void Scan_stages_are_service_bus_queue_triggers_on_the_identity_based_connection(string function, string queue, string entryPoint)
    {
        var t = Trigger(function);
        Assert.Equal(entryPoint, (string?)Functions[function]["entryPoint"]);
        Assert.Equal("serviceBusTrigger", (string?)t["type"]);
        Assert.Equal("In", (string?)t["direction"]);
        Assert.Equal(queue, (string?)t["queueName"]);
        Assert.Null(t["topicName"]);
        // The host reads ServiceBusConnection__fullyQualifiedNamespace / __credential / __clientId.
        Assert.Equal("ServiceBusConnection", (string?)t["connection"]);
        Assert.Equal("One", (string?)t["cardinality"]);
        Assert.True((bool?)t["autoCompleteMessages"]);
        Assert.Equal("Binary", (string?)t["dataType"]);
        Assert.Single(Functions[function]["bindings"]!.AsArray());
    }

    [Theory]
    [InlineData("ListRuns", "runs")]
    [InlineData("GetRun", "runs/{runId}")]
    [InlineData("CountsByTld", "runs/{runId}/counts/tld")]
    [InlineData("CountsByMxProvider", "runs/{runId}/counts/mx-provider")]
    [InlineData("CountsByTlsaParameters", "runs/{runId}/counts/tlsa-parameters")]
    [InlineData("Breakdown", "runs/{runId}/breakdowns/{dimension}")]
    [InlineData("CompareRuns", "runs/{runId}/compare/{otherRunId}")]
    [InlineData("ListFindings", "runs/{runId}/findings")]
    [InlineData("TimeSeries", "timeseries/{metric}")]
    [InlineData("GetDomain", "runs/{runId}/domains/{domain}")]
    [InlineData("OpenApiDocument", "openapi")]
    public void Statistics_routes_are_get_only_with_function_level_keys(string function, string route)
    {
        var t = Trigger(function);
        Assert.Equal("httpTrigger", (string?)t["type"]);
        Assert.Equal(route, (string?)t["route"]);
        Assert.Equal(["get"], t["methods"]!.AsArray().Select(m => (string)m!));
        Assert.Equal("Function", (string?)t["authLevel"]);
        var output = Assert.Single(Functions[function]["bindings"]!.AsArray(), b => (string?)b!["direction"] == "Out");
        Assert.Equal("http", (string?)output!["type"]);
    }

    [Fact]
    public void No_http_function_is_anonymous_and_none_accepts_a_write_method()
    {
        var http = Functions.Values.SelectMany(f => f["bindings"]!.AsArray()).Select(b => b!.AsObject()).Where(b => (string?)b["type"] == "httpTrigger").ToList();
        Assert.NotEmpty(http);
        Assert.All(http, b =>
        {
            Assert.NotEqual("Anonymous", (string?)b["authLevel"], StringComparer.OrdinalIgnoreCase);
            Assert.All(b["methods"]!.AsArray(), m => Assert.Equal("get", (string?)m));
        });
    }

    [Fact]
    public void Queue_names_match_the_ones_bicep_deploys()
    {
        var bicep = File.ReadAllText(Path.Combine(Repo.Root, "bicep", "modules", "servicebus.bicep"));
        Assert.Contains($"'{WorkQueues.Resolve}'", bicep, StringComparison.Ordinal);
        Assert.Contains($"'{WorkQueues.Probe}'", bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void Connection_and_schedule_settings_named_by_the_bindings_are_set_by_bicep()
    {
        var bicep = File.ReadAllText(Path.Combine(Repo.Root, "bicep", "modules", "functionapp.bicep"));
        foreach (var setting in new[] { "ServiceBusConnection__fullyQualifiedNamespace", "ServiceBusConnection__credential", "ServiceBusConnection__clientId", "EnumerateSchedule", "FinaliseSchedule" })
        {
            Assert.Contains(setting, bicep, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_probe_app_in_bicep_disables_every_function_but_Probe()
    {
        // main.bicep lists every function so that the probe-only app can disable all but Probe; a function
        // missing from that list would run in the probe app too.
        var bicep = File.ReadAllText(Path.Combine(Repo.Root, "bicep", "main.bicep"));
        var start = bicep.IndexOf("var allFunctions = [", StringComparison.Ordinal);
        Assert.True(start >= 0, "main.bicep has no allFunctions list");
        var end = bicep.IndexOf(']', start);
        var listed = bicep[start..end].Split('\n').Skip(1).Select(l => l.Trim().Trim('\'')).Where(l => l.Length > 0).ToList();
        Assert.Equal(Functions.Keys.Order(), listed.Order());
    }

    [Fact]
    public void The_service_bus_emulator_configuration_has_the_two_queues_with_duplicate_detection()
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Repo.Root, "infra", "deploy", "servicebus-emulator", "Config.json")))!;
        var queues = config["UserConfig"]!["Namespaces"]![0]!["Queues"]!.AsArray().Select(q => q!.AsObject()).ToList();
        Assert.Equal(new[] { WorkQueues.Probe, WorkQueues.Resolve }, queues.Select(q => (string)q["Name"]!).Order());
        Assert.All(queues, q =>
        {
            Assert.True((bool?)q["Properties"]!["RequiresDuplicateDetection"]);
            Assert.True((bool?)q["Properties"]!["DeadLetteringOnMessageExpiration"]);
            Assert.False((bool?)q["Properties"]!["RequiresSession"]);
        });
    }
}
