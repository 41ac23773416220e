using DaneScan.Pipeline.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DaneScan.Functions.Tests;

/// <summary>The Functions app exports to Application Insights with its identity, only when bicep's settings are there.</summary>
public sealed class TelemetryRegistrationTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void With_the_bicep_settings_the_exporter_subscribes_to_danescans_meter_and_source()
    {
        var services = new ServiceCollection();
        services.AddDaneScanAzureMonitor(Settings(
            (FunctionsTelemetry.ConnectionStringSetting, "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/"),
            (FunctionsTelemetry.ClientIdSetting, "11111111-1111-1111-1111-111111111111")));
        using var provider = services.BuildServiceProvider();

        var meters = provider.GetService<MeterProvider>();
        var tracers = provider.GetService<TracerProvider>();
        Assert.NotNull(meters);
        Assert.NotNull(tracers);
        // The tracer provider samples DaneScan's source: a span started now is recorded.
        using var span = DaneScanTelemetry.Source.StartActivity("probe");
        Assert.NotNull(span);
    }

    [Fact]
    public void Without_a_connection_string_nothing_is_registered()
    {
        var services = new ServiceCollection();
        services.AddDaneScanAzureMonitor(Settings());
        using var provider = services.BuildServiceProvider();
        Assert.Null(provider.GetService<MeterProvider>());
    }

    [Fact]
    public void The_bicep_template_gives_the_connection_string_and_the_identity_not_a_key()
    {
        var bicep = File.ReadAllText(Path.Combine(Repo.Root, "bicep", "modules", "functionapp.bicep"));
        Assert.Contains("name: '" + FunctionsTelemetry.ConnectionStringSetting + "'", bicep, StringComparison.Ordinal);
        Assert.Contains("name: '" + FunctionsTelemetry.ClientIdSetting + "'", bicep, StringComparison.Ordinal);
        Assert.Contains("Authorization=AAD", bicep, StringComparison.Ordinal);
        var main = File.ReadAllText(Path.Combine(Repo.Root, "bicep", "main.bicep")) + string.Join('\n', Directory.GetFiles(Path.Combine(Repo.Root, "bicep", "modules"), "*.bicep").Select(File.ReadAllText));
        Assert.Contains("3913510d-42f4-4e42-8a64-420c390055eb", main, StringComparison.Ordinal); // Monitoring Metrics Publisher
    }
}
