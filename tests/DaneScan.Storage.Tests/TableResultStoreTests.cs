using Azure.Data.Tables;
using DaneScan.Contracts;

namespace DaneScan.Storage.Tests;

/// <summary>Against Azurite: real HTTP, real entity-group transactions, real limits.</summary>
[Trait("Category", "Integration")]
public sealed class TableResultStoreTests : IAsyncLifetime
{
    private readonly AzuriteStores _tables = new("t");

    private Task<TableResultStore> OpenAsync(int? buckets = null) => _tables.OpenAsync(buckets);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _tables.DisposeAsync().AsTask();

    private static async Task<List<T>> ListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    [AzuriteFact]
    public async Task Records_manifest_and_statistics_round_trip_with_spread_partitions()
    {
        var store = await OpenAsync();
        await store.WriteManifestAsync(Samples.Manifest("run1"));
        var domains = Enumerable.Range(0, 40).Select(i => Samples.Domain($"d{i}.example", rank: i + 1)).ToList();
        await store.WriteDomainsAsync("run1", domains);
        await store.WriteProbesAsync("run1", [Samples.Probe("mx.example.net", "192.0.2.25"), Samples.Probe("mx.example.net", "2001:db8::25")]);
        await store.WriteDomainsAsync("run2", [Samples.Domain("other.example")]);

        Assert.Equal("lab", (await store.ReadManifestAsync("run1"))!.VantagePoint);
        Assert.Null(await store.ReadManifestAsync("nope"));
        var d7 = await store.ReadDomainAsync("run1", "d7.example");
        Assert.Equal(8, d7!.Rank);
        Assert.Equal(Samples.Domain("d7.example").Observation.Hosts[0].Tlsa!.Records[0], d7.Observation.Hosts[0].Tlsa!.Records[0]);
        Assert.Null(await store.ReadDomainAsync("run1", "other.example"));
        var probe = await store.ReadProbeAsync("run1", "mx.example.net", "2001:db8::25");
        Assert.Equal(Samples.Probe("a", "b").Observation.PresentedChain[0], probe!.Observation.PresentedChain[0]);

        var names = await ListAsync(store.EnumerateDomainNamesAsync("run1"));
        Assert.Equal(domains.Select(d => d.Domain).Order(), names.Order());
        Assert.Equal(40, (await ListAsync(store.EnumerateDomainsAsync("run1"))).Count);
        Assert.Equal(["other.example"], await ListAsync(store.EnumerateDomainNamesAsync("run2")));
        Assert.True(domains.Select(d => store.PartitionFor("run1", d.Domain)).Distinct().Count() > 10, "domains of a run spread over partitions");

        await store.WriteStatisticsAsync(new RunStatistics { RunId = "run1", ComputedUtc = Samples.When, Counts = new Dictionary<string, long> { ["domains|total"] = 40, ["old|x"] = 1 } });
        await store.WriteStatisticsAsync(new RunStatistics { RunId = "run1", ComputedUtc = Samples.When, Counts = new Dictionary<string, long> { ["domains|total"] = 41 } });
        var stats = await store.ReadStatisticsAsync("run1");
        Assert.Equal(new Dictionary<string, long> { ["domains|total"] = 41 }, stats!.Counts);
        Assert.Equal(Samples.When, stats.ComputedUtc);
    }

    [AzuriteFact]
    public async Task Statistics_keys_with_characters_a_RowKey_forbids_are_stored_and_read_back_unchanged()
    {
        // An MX host name with an escaped non-LDH byte brings a backslash; '/', '#', '?' and control characters are
        // also forbidden in a RowKey, and '%' is the escape itself.
        var store = await OpenAsync();
        var counts = new Dictionary<string, long>
        {
            ["mxhost.domains|mx\\027.non-ldh-mx.lab"] = 3,
            ["odd|a/b#c?d%41e\u0007"] = 2,
            ["domains|total"] = 5,
        };
        await store.WriteStatisticsAsync(new RunStatistics { RunId = "run-esc", ComputedUtc = Samples.When, Counts = counts });
        await store.WriteStatisticsAsync(new RunStatistics { RunId = "run-esc", ComputedUtc = Samples.When, Counts = counts });

        Assert.Equal(counts, (await store.ReadStatisticsAsync("run-esc"))!.Counts);
    }

    [AzuriteFact]
    public async Task Writing_the_same_records_twice_leaves_one_copy()
    {
        var store = await OpenAsync();
        var records = Enumerable.Range(0, 30).Select(i => Samples.Domain($"d{i}.example")).ToList();
        await store.WriteDomainsAsync("run", records);
        await store.WriteDomainsAsync("run", records);
        await store.WriteDomainsAsync("run", [records[3], records[3]]);
        await store.WriteProbesAsync("run", [Samples.Probe("mx", "192.0.2.1"), Samples.Probe("mx", "192.0.2.1", seed: 2)]);
        await store.WriteProbesAsync("run", [Samples.Probe("mx", "192.0.2.1", seed: 2)]);

        Assert.Equal(30, (await ListAsync(store.EnumerateDomainsAsync("run"))).Count);

        // A key repeated far apart within one call (in a partition of more than 100 rows): the last version wins.
        var one = await OpenAsync(buckets: 1);
        var first = Samples.Domain("dup.example", rank: 1);
        var last = Samples.Domain("dup.example", rank: 2);
        await one.WriteDomainsAsync("run-b", [first, .. Enumerable.Range(0, 150).Select(i => Samples.Domain($"f{i}.example")), last]);
        Assert.Equal(2, (await one.ReadDomainAsync("run-b", "dup.example"))!.Rank);
        Assert.Equal(151, (await ListAsync(one.EnumerateDomainNamesAsync("run-b"))).Count);
        var probe = Assert.Single(await ListAsync(store.EnumerateProbesAsync("run")));
        Assert.Equal(Samples.Probe("mx", "192.0.2.1", seed: 2).Observation.PresentedChain[0], probe.Observation.PresentedChain[0]);
    }

    [AzuriteFact]
    public async Task A_batch_over_100_entities_of_one_partition_is_split_into_transactions()
    {
        var store = await OpenAsync(buckets: 1);
        var records = Enumerable.Range(0, 250).Select(i => Samples.Domain($"d{i}.example")).ToList();
        await store.WriteDomainsAsync("run", records);

        // Three transactions of domains, and one of the three parts they share (base, MX RRset, host observation).
        Assert.Equal(3 + 1, store.Counters.Transactions);
        Assert.Equal(250 + 3, store.Counters.Entities);
        Assert.Equal(250, (await ListAsync(store.EnumerateDomainNamesAsync("run"))).Distinct().Count());

        // The service itself refuses a transaction of 101 (Azurite answers in a form the SDK cannot even
        // parse) and stores none of it: the split is needed, not cosmetic.
        var table = _tables.Table("Domains");
        var tooMany = Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity("p", $"r{i}"))).ToList();
        await Assert.ThrowsAnyAsync<Exception>(() => table.SubmitTransactionAsync(tooMany));
        Assert.Empty(await ListAsync(table.QueryAsync<TableEntity>(e => e.PartitionKey == "p")));
    }

    [AzuriteFact]
    public async Task Oversized_observations_are_compressed_split_and_round_trip()
    {
        var store = await OpenAsync(buckets: 1);
        // 600 kB of incompressible chain: base64 JSON of ~800 kB, gzip ~610 kB, so 10 chunks of 64 KiB.
        // Five of them travel as ~815 kB of base64 each: over 4 MiB together, so two transactions.
        var big = Enumerable.Range(0, 5).Select(i => Samples.Probe("mx", $"192.0.2.{i}", chainBytes: 600_000, seed: i)).ToList();
        await store.WriteProbesAsync("run", big);
        Assert.Equal(2, store.Counters.Transactions);

        foreach (var expected in big)
        {
            var read = await store.ReadProbeAsync("run", expected.Host, expected.Address);
            Assert.Equal(expected.Observation.PresentedChain[0], read!.Observation.PresentedChain[0]);
        }

        // Compressible but large JSON (many hosts) is kept too.
        var wide = Samples.Domain("wide.example") with { Source = new string('s', 100_000) };
        await store.WriteDomainsAsync("run", [wide]);
        Assert.Equal(100_000, (await store.ReadDomainAsync("run", "wide.example"))!.Source!.Length);

        // Beyond what an entity can hold, even compressed: a classified error, nothing half-written.
        var huge = Samples.Probe("mx", "192.0.2.99", chainBytes: 1_200_000);
        var e = await Assert.ThrowsAsync<StorageException>(() => store.WriteProbesAsync("run", [huge]));
        Assert.Equal(StorageFaultKind.RecordTooLarge, e.Kind);
        Assert.Null(await store.ReadProbeAsync("run", "mx", "192.0.2.99"));
    }
}

[Trait("Category", "Integration")]
public class TableFaultTests
{
    [Fact]
    public async Task An_unreachable_service_is_a_classified_unavailable_fault_after_retries()
    {
        const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        var cs = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};TableEndpoint=http://127.0.0.1:9/devstoreaccount1;";
        var options = new TableStoreOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(10), NetworkTimeout = TimeSpan.FromSeconds(5) };
        var e = await Assert.ThrowsAsync<StorageException>(() => TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(cs, options), options));
        Assert.Equal(StorageFaultKind.Unavailable, e.Kind);
        Assert.True(e.IsTransient);
    }

    [Theory]
    [InlineData(429, null, StorageFaultKind.Throttled)]
    [InlineData(503, "ServerBusy", StorageFaultKind.Throttled)]
    [InlineData(500, "InternalError", StorageFaultKind.Transient)]
    [InlineData(403, "AuthorizationFailure", StorageFaultKind.Unauthorized)]
    [InlineData(400, "EntityTooLarge", StorageFaultKind.RecordTooLarge)]
    [InlineData(400, "InvalidInput", StorageFaultKind.InvalidRequest)]
    [InlineData(409, "EntityAlreadyExists", StorageFaultKind.Conflict)]
    public void Service_errors_are_classified(int status, string? code, StorageFaultKind kind) =>
        Assert.Equal(kind, TableResultStore.Classify(new Azure.RequestFailedException(status, "x", code, null), "op").Kind);
}
