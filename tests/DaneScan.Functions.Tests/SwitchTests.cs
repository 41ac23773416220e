using System.Text.Json.Nodes;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The MSBuild switch between the offline shim and the official Service Bus extension. Evaluated with
/// `dotnet msbuild -getItem` (no restore: the official package is not served here, so a build with the switch
/// cannot run in this workplace; it needs a registry that serves Microsoft.Azure.Functions.Worker.Extensions.ServiceBus).
/// </summary>
public sealed class SwitchTests
{
    private static (List<string> Packages, List<string> Compile, string Defines) Evaluate(params string[] properties)
    {
        var args = new List<string> { "msbuild", Path.Combine("src", "DaneScan.Functions", "DaneScan.Functions.csproj"), "-getItem:PackageReference", "-getItem:Compile", "-getProperty:DefineConstants" };
        args.AddRange(properties);
        var (code, output, error) = Repo.Run("dotnet", [.. args]);
        Assert.True(code == 0, $"msbuild evaluation failed: {error}{output}");
        var json = JsonNode.Parse(output)!;
        var packages = json["Items"]!["PackageReference"]!.AsArray().Select(i => (string)i!["Identity"]!).ToList();
        var compile = json["Items"]!["Compile"]!.AsArray().Select(i => ((string)i!["Identity"]!).Replace('\\', '/')).ToList();
        return (packages, compile, (string?)json["Properties"]!["DefineConstants"] ?? string.Empty);
    }

    [Fact]
    public void By_default_the_shim_is_compiled_and_the_official_package_is_not_referenced()
    {
        var (packages, compile, defines) = Evaluate();
        Assert.Contains("Shim/ServiceBusTriggerAttribute.cs", compile);
        Assert.DoesNotContain("Microsoft.Azure.Functions.Worker.Extensions.ServiceBus", packages);
        Assert.DoesNotContain("OFFICIAL_SERVICEBUS_EXTENSION", defines, StringComparison.Ordinal);
    }

    [Fact]
    public void The_publish_switch_drops_the_shim_and_references_the_official_extension()
    {
        var (packages, compile, defines) = Evaluate("-p:UseOfficialServiceBusExtension=true");
        Assert.DoesNotContain("Shim/ServiceBusTriggerAttribute.cs", compile);
        Assert.Contains("Microsoft.Azure.Functions.Worker.Extensions.ServiceBus", packages);
        Assert.Contains("OFFICIAL_SERVICEBUS_EXTENSION", defines, StringComparison.Ordinal);
    }
}
