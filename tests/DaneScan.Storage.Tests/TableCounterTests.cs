using Azure.Data.Tables;

using DaneScan.Contracts;

namespace DaneScan.Storage.Tests;

/// <summary>The store's request counters against Azurite: each counts the requests Azure bills as transactions.</summary>
[Trait("Category", "Integration")]
public sealed class TableCounterTests : IAsyncLifetime
{
    private readonly AzuriteStores _tables = new("c");
    private TableResultStore _store = null!;

    public async Task InitializeAsync() => _store = await _tables.OpenAsync(buckets: 1);

    public Task DisposeAsync() => _tables.DisposeAsync().AsTask();

    [AzuriteFact]
    public async Task Opening_counts_one_request_per_table_created()
    {
        Assert.Equal(4, _store.Counters.Other);
        Assert.Equal(4, _store.Counters.BilledTransactions);
        await Task.CompletedTask;
    }

    [AzuriteFact]
    public async Task Reads_count_one_transaction_each_found_or_not_and_queries_one_per_page()
    {
        // 2,500 domains in one partition: 25 write transactions, and one for the three parts they share (their
        // base, MX RRset and host observation) in the run's parts partition; a full scan pages 1,000 at a time: 3 pages.
        await _store.WriteDomainsAsync("run", [.. Enumerable.Range(0, 2_500).Select(i => Samples.Domain($"d{i}.example"))]);
        var before = _store.Counters.BilledTransactions;
        Assert.Equal(25 + 1, _store.Counters.Transactions);
        Assert.Equal(2_500 + 3, _store.Counters.Entities);

        // A single domain read is its entity and, the first time, each of its three parts.
        Assert.NotNull(await _store.ReadDomainAsync("run", "d7.example"));
        Assert.NotNull(await _store.ReadDomainAsync("run", "d8.example"));
        Assert.Null(await _store.ReadDomainAsync("run", "missing.example"));
        Assert.Null(await _store.ReadProbeAsync("run", "mx.example", "192.0.2.1"));
        Assert.Equal(1 + 3 + 1 + 1 + 1, _store.Counters.PointReads);

        var names = 0;
        await foreach (var _ in _store.EnumerateDomainNamesAsync("run"))
        {
            names++;
        }

        Assert.Equal(2_500, names);
        Assert.Equal(3, _store.Counters.QueryPages);
        Assert.Equal(2_500, _store.Counters.EntitiesRead);
        Assert.Equal(before + 7 + 3, _store.Counters.BilledTransactions);
    }

    [AzuriteFact]
    public async Task Statistics_count_their_query_their_deletes_and_their_writes()
    {
        var counts = Enumerable.Range(0, 150).ToDictionary(i => $"d|v{i}", i => (long)i, StringComparer.Ordinal);
        await _store.WriteStatisticsAsync(new RunStatistics { RunId = "run", ComputedUtc = DateTimeOffset.UtcNow, Counts = counts });
        // 151 rows (150 + the computed marker) in one partition: 2 transactions, after one (empty) query page.
        Assert.Equal(2, _store.Counters.Transactions);
        Assert.Equal(1, _store.Counters.QueryPages);

        // Recomputed with 40 rows fewer: the stale ones are deleted in one transaction.
        var fewer = counts.Take(110).ToDictionary(StringComparer.Ordinal);
        await _store.WriteStatisticsAsync(new RunStatistics { RunId = "run", ComputedUtc = DateTimeOffset.UtcNow, Counts = fewer });
        Assert.Equal(1, _store.Counters.Deletes);
        Assert.Equal(2 + 2, _store.Counters.Transactions);
        Assert.Equal(1 + 1, _store.Counters.QueryPages);
    }

    [AzuriteFact]
    public async Task The_billed_size_of_what_was_written_matches_what_is_stored()
    {
        await _store.WriteDomainsAsync("run", [.. Enumerable.Range(0, 20).Select(i => Samples.Domain($"d{i}.example"))]);

        long stored = 0;
        var entities = 0;
        var table = _tables.Table("Domains");
        await foreach (var entity in table.QueryAsync<TableEntity>())
        {
            stored += TableEntitySize.BilledBytes(entity);
            entities++;
        }

        // The 20 domain entities and the three parts they share.
        Assert.Equal(20 + 3, entities);
        Assert.True(stored > 0);
        Assert.Equal(stored, _store.Counters.EntityBytesWritten);
    }

    [Fact]
    public void An_entity_bills_keys_names_and_values_by_the_published_formula()
    {
        var entity = new TableEntity("pk", "rk") { ["S"] = "abc", ["I"] = 5, ["L"] = 5L, ["B"] = new byte[] { 1, 2, 3 }, ["F"] = true };
        // 4 + 2×(2+2) + S: 8+2+(4+6) + I: 8+2+4 + L: 8+2+8 + B: 8+2+(4+3) + F: 8+2+1
        Assert.Equal(4 + 8 + 20 + 14 + 18 + 17 + 11, TableEntitySize.BilledBytes(entity));
    }
}
