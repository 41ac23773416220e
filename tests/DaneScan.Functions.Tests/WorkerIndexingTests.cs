using System.Text.Json.Nodes;

namespace DaneScan.Functions.Tests;

/// <summary>
/// With worker indexing the host asks the worker for its functions, and the worker answers from the
/// source-generated GeneratedFunctionMetadataProvider rather than from functions.metadata. Both must carry the
/// same triggers, or the app would behave differently depending on the host's indexing mode.
/// </summary>
public sealed class WorkerIndexingTests
{
    private static readonly string[] Keys = ["type", "direction", "queueName", "connection", "cardinality", "autoCompleteMessages", "dataType", "schedule", "useMonitor", "route", "authLevel", "methods"];

    [Fact]
    public async Task The_generated_metadata_provider_agrees_with_functions_metadata()
    {
        var generated = await new GeneratedFunctionMetadataProvider().GetFunctionMetadataAsync(AppContext.BaseDirectory);
        var file = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "functions.metadata")))!.AsArray()
            .ToDictionary(f => (string)f!["name"]!, f => f!["bindings"]!.AsArray().Select(b => b!.AsObject()).ToList());

        Assert.Equal(file.Keys.Order(), generated.Select(f => f.Name!).Order());
        foreach (var function in generated)
        {
            var fromProvider = function.RawBindings!.Select(b => JsonNode.Parse(b)!.AsObject()).ToList();
            var fromFile = file[function.Name!];
            Assert.Equal(fromFile.Count, fromProvider.Count);
            foreach (var binding in fromFile)
            {
                var name = (string)binding["name"]!;
                var other = Assert.Single(fromProvider, b => (string?)b["name"] == name);
                foreach (var key in Keys)
                {
                    Assert.True(
                        JsonNode.DeepEquals(Normalise(binding[key]), Normalise(other[key])),
                        $"{function.Name}.{name}.{key}: functions.metadata has {binding[key]?.ToJsonString()}, the generated provider {other[key]?.ToJsonString()}");
                }
            }
        }

        var resolve = generated.Single(f => f.Name == "Resolve").RawBindings!.Select(b => JsonNode.Parse(b)!).Single();
        Assert.Equal("serviceBusTrigger", (string?)resolve["type"]);
        Assert.Equal("resolve", (string?)resolve["queueName"]);
    }

    // The two writers differ only in the letter case of enum-like values ("In"/"in").
    private static JsonNode? Normalise(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? JsonValue.Create(s.ToUpperInvariant()) : node?.DeepClone();
}
