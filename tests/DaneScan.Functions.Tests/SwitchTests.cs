using System.Text.Json.Nodes;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The MSBuild switch between the offline shim and the official Service Bus extension. Evaluated with
/// `dotnet msbuild -getItem` (no restore: the official package is not served here, so a build with the switch
/// needs a NuGet source that serves Microsoft.Azure.Functions.Worker.Extensions.ServiceBus, which the test build's
/// source need not), and the publish guard through a real `dotnet publish`.
/// </summary>
[Trait("Category", "Integration")]
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

    [Fact]
    public void Publishing_the_shim_build_fails_and_names_the_switch()
    {
        var output = Path.Combine(Path.GetTempPath(), "danescan-shim-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, stdout, stderr) = Repo.Run("dotnet", "publish", Path.Combine("src", "DaneScan.Functions"), "-c", "Release", "-o", output, "-nologo");
            var all = stdout + stderr;
            Assert.NotEqual(0, code);
            Assert.Contains("error DANESCAN001", all, StringComparison.Ordinal);
            Assert.Contains("-p:UseOfficialServiceBusExtension=true", all, StringComparison.Ordinal);
            Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any(), "a refused publish must leave no package behind");
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Theory]
    [InlineData("DaneScanRefuseShimPublishEarly", "-p:_IsPublishing=true")]
    [InlineData("DaneScanRefuseShimPublish", "-p:_IsPublishing=false")]
    public void The_publish_guard_stands_aside_with_the_switch(string target, string publishing)
    {
        var project = Path.Combine("src", "DaneScan.Functions", "DaneScan.Functions.csproj");
        var (shimCode, shimOut, _) = Repo.Run("dotnet", "msbuild", project, "-t:" + target, publishing, "-nologo");
        Assert.NotEqual(0, shimCode);
        Assert.Contains("DANESCAN001", shimOut, StringComparison.Ordinal);

        var (code, stdout, stderr) = Repo.Run("dotnet", "msbuild", project, "-t:" + target, publishing, "-p:UseOfficialServiceBusExtension=true", "-nologo");
        Assert.True(code == 0, $"the guard refused a build with the official extension: {stdout}{stderr}");
        Assert.DoesNotContain("DANESCAN001", stdout + stderr, StringComparison.Ordinal);
    }
}
