using DaneScan.Api;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Stages;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DaneScan.Functions.Tests;

/// <summary>What Program.cs registers: the stage services over the Table store, built from the app settings.</summary>
[Trait("Category", "Integration")]
public sealed class StageRegistrationTests
{
    // The valid app settings of SettingsTests, with Azurite in place of the managed identity and the resolver on loopback.
    private static readonly Dictionary<string, string?> Settings = new(SettingsTests.Valid)
    {
        ["Storage:TableConnectionString"] = Azurite.ConnectionString,
        ["Storage:BlobConnectionString"] = Azurite.ConnectionString,
        ["Scan:ResolverEndpoint"] = "127.0.0.53:53",
    };

    [Fact]
    public void With_the_stages_registered_no_port_is_missing()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDaneScanFunctions(new ConfigurationBuilder().AddInMemoryCollection(Settings).Build());
        services.AddDaneScanStages();
        using var sp = services.BuildServiceProvider();

        Assert.Empty(StageRegistrationCheck.MissingPorts(sp));
    }

    [AzuriteFact]
    public async Task The_registered_services_are_the_table_stages_and_answer_from_the_store()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddDaneScanFunctions(new ConfigurationBuilder().AddInMemoryCollection(Settings).Build());
        services.AddDaneScanStages();
        await using var sp = services.BuildServiceProvider();

        // The resolve and probe stages wait for the resolver self-check: ResolverCheckTests builds them against the lab.
        Assert.IsType<BlobRunEnumerator>(sp.GetRequiredService<IRunEnumerator>());
        Assert.NotNull(sp.GetRequiredService<RunFinaliser>());
        Assert.Equal(sp.GetRequiredService<ProbeClaims>().TableName, sp.GetRequiredService<RunProgress>().TableName);
        var queries = Assert.IsType<StatisticsQueries>(sp.GetRequiredService<IStatisticsQueries>());
        Assert.Null(await queries.GetRunAsync("run-never-started"));
    }
}
