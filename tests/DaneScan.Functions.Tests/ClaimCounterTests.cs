using System.Net;
using DaneScan.Contracts;
using DaneScan.Fleet;
using DaneScan.Pipeline.Engine;
using DaneScan.Storage;

namespace DaneScan.Functions.Tests;

/// <summary>The claims table's request counters against Azurite (the cost estimate in docs/cost.md adds them up).</summary>
[Trait("Category", "Integration")]
public sealed class ClaimCounterTests
{
    [AzuriteFact]
    public async Task Claims_waiters_and_their_query_count_the_requests_Azure_bills()
    {
        var prefix = "k" + Guid.NewGuid().ToString("N")[..16];
        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString, new TableStoreOptions { MaxRetries = 1 });
        var claims = await ProbeClaims.OpenAsync(service, prefix);
        try
        {
            var target = new ProbeTarget("mx.example", IPAddress.Parse("192.0.2.25"), 25, "mx.example");
            Assert.Equal(1, claims.Counters.Other); // the table was created

            Assert.True(await claims.ClaimAsync("run", target, "batch:0"));
            Assert.Equal((1L, 1L, 0L), (claims.Counters.Transactions, claims.Counters.Entities, claims.Counters.PointReads));

            // A second claimant: the insert is refused (still billed) and the holder is read.
            Assert.False(await claims.ClaimAsync("run", target, "batch:1"));
            Assert.Equal((2L, 1L, 1L), (claims.Counters.Transactions, claims.Counters.Entities, claims.Counters.PointReads));

            foreach (var domain in new[] { "a.example", "b.example", "c.example" })
            {
                await claims.AddWaiterAsync("run", target, domain);
            }

            Assert.Equal((5L, 4L), (claims.Counters.Transactions, claims.Counters.Entities));
            var waiters = new List<string>();
            await foreach (var w in claims.WaitersAsync("run", target))
            {
                waiters.Add(w);
            }

            Assert.Equal(["a.example", "b.example", "c.example"], waiters);
            Assert.Equal((1L, 3L), (claims.Counters.QueryPages, claims.Counters.EntitiesRead));
            Assert.Equal(1 + 5 + 1 + 1, claims.Counters.BilledTransactions);

            // The run's completion markers live in the same table and count into the same counters.
            var before = claims.Counters.BilledTransactions;
            await claims.Progress.RecordEnumerationSentAsync("run", messages: 1, domains: 3);
            await claims.Progress.MarkBatchResolvedAsync("run", 0, 3);
            await claims.Progress.MarkBatchResolvedAsync("run", 0, 3); // a redelivery: refused, still billed
            await claims.Progress.MarkProbedAsync("run", target);
            Assert.Equal(before + 4, claims.Counters.BilledTransactions);
            Assert.Equal(4 + 3, claims.Counters.Entities);

            // A check reads the "sent" row and one page of each marker partition (batches, claims, probed).
            var completion = await claims.Progress.CheckAsync("run");
            Assert.True(completion.IsComplete);
            Assert.Equal((2L, 4L), (claims.Counters.PointReads, claims.Counters.QueryPages));
            Assert.Equal(before + 4 + 1 + 3, claims.Counters.BilledTransactions);
        }
        finally
        {
            await service.GetTableClient(claims.TableName).DeleteAsync();
        }
    }
}
