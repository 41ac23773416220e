using DaneScan.Contracts;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Storage;
using DaneScan.Storage.Tests;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>The same run stored in a run directory and through Azurite (Table Storage) gives the same results.</summary>
[Trait("Category", "Integration")]
[Collection(PipelineLabCollection.Name)]
public sealed class StoreParityTests(PipelineLab fixture) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"danescan-parity-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [AzuriteFact]
    public async Task Run_directory_and_table_store_hold_the_same_verdicts_probes_and_statistics()
    {
        var runId = $"parity-{Guid.NewGuid():N}"[..22];
        var sources = new[] { ScanSource.Names("lab:cases", LabCatalogue.All.Select(c => c.Domain)) };
        await using var directory = new RunDirectoryStore(_root);
        var table = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(Azurite.ConnectionString));
        using var limiter1 = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero });
        using var limiter2 = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero });

        var inDirectory = await fixture.NewRunner(directory, runId, limiter1).RunAsync(sources);
        var inTable = await fixture.NewRunner(table, runId, limiter2).RunAsync(sources);

        Assert.Equal(LabCatalogue.All.Count, inDirectory.Summary.Domains);
        Assert.Equal(inDirectory.Summary.Domains, inTable.Summary.Domains);
        Assert.Equal(inDirectory.Summary.Probes, inTable.Summary.Probes);
        foreach (var labCase in LabCatalogue.All)
        {
            var a = await directory.ReadDomainAsync(runId, labCase.Domain);
            var b = await table.ReadDomainAsync(runId, labCase.Domain);
            Assert.NotNull(a);
            Assert.NotNull(b);
            var va = a.Verdict!;
            var vb = b.Verdict!;
            Assert.True(
                (va.MxStatus, va.MxSecure, va.All, va.Primary) == (vb.MxStatus, vb.MxSecure, vb.All, vb.Primary),
                $"{labCase.Domain}: directory {va.All}/{va.Primary}, table {vb.All}/{vb.Primary}");
            Assert.Equal(va.Hosts.Select(h => (h.Name, h.Outcome, h.Reason)), vb.Hosts.Select(h => (h.Name, h.Outcome, h.Reason)));
            Assert.Equal(a.ProbeKeys.Order(StringComparer.Ordinal), b.ProbeKeys.Order(StringComparer.Ordinal));
        }

        var sa = (await directory.ReadStatisticsAsync(runId))!.Counts;
        var sb = (await table.ReadStatisticsAsync(runId))!.Counts;
        foreach (var key in sa.Keys.Where(k => k.StartsWith("domains.", StringComparison.Ordinal) || k.StartsWith("hosts.outcome|", StringComparison.Ordinal)))
        {
            Assert.True(sb.TryGetValue(key, out var v) && v == sa[key], $"statistic {key}: directory {sa[key]}, table {(sb.TryGetValue(key, out var w) ? w : null)}");
        }

        Assert.Equal(RunState.Completed, inDirectory.Manifest.State);
        Assert.Equal(RunState.Completed, inTable.Manifest.State);
    }
}
