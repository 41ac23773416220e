using System.Text;
using DaneScan.Contracts;

namespace DaneScan.ServiceBus.Tests;

public sealed class BatchingTests
{
    private static List<string> Domains(int count, int labelLength, string tld = "example") =>
        Enumerable.Range(0, count).Select(i => $"{i:D6}{new string('a', Math.Max(0, labelLength - 6))}.{tld}").ToList();

    [Fact]
    public void Every_batch_body_fits_the_budget_and_no_domain_is_lost_or_reordered()
    {
        var domains = Domains(20_000, 40);
        var batches = ResolveBatchSplitter.Split("run-1", domains, 16 * 1024).ToList();

        Assert.True(batches.Count > 1);
        Assert.All(batches, b => Assert.True(ResolveBatchSplitter.MeasuredBytes(b) <= 16 * 1024, $"batch {b.BatchIndex} is {ResolveBatchSplitter.MeasuredBytes(b)} bytes"));
        Assert.Equal(domains, batches.SelectMany(b => b.Domains));
        Assert.Equal(Enumerable.Range(0, batches.Count), batches.Select(b => b.BatchIndex));
    }

    [Fact]
    public void Batches_are_filled_so_the_next_name_would_not_have_fitted()
    {
        var domains = Domains(5_000, 30);
        const int budget = 8 * 1024;
        var batches = ResolveBatchSplitter.Split("run-1", domains, budget).ToList();
        for (var i = 0; i < batches.Count - 1; i++)
        {
            var next = batches[i + 1].Domains[0];
            var grown = batches[i] with { Domains = [.. batches[i].Domains, next] };
            Assert.True(ResolveBatchSplitter.MeasuredBytes(grown) > budget, $"batch {i} had room for {next}");
        }
    }

    [Fact]
    public void The_split_follows_size_not_count_long_names_make_smaller_batches()
    {
        var shortNames = ResolveBatchSplitter.Split("run-1", Domains(3_000, 8), 8 * 1024).ToList();
        var longNames = ResolveBatchSplitter.Split("run-1", Domains(3_000, 120), 8 * 1024).ToList();

        Assert.True(shortNames[0].Domains.Count > 3 * longNames[0].Domains.Count,
            $"short names: {shortNames[0].Domains.Count} a batch, long names: {longNames[0].Domains.Count} a batch");
    }

    [Fact]
    public void A_full_size_run_stays_under_the_256_KB_limit_with_the_default_budget()
    {
        // 253-character names: the longest a domain can be.
        var label = new string('x', 63);
        var longest = Enumerable.Range(0, 4_000).Select(i => $"{i:D4}{label[4..]}.{label}.{label}.{label[..61]}").ToList();
        Assert.All(longest, d => Assert.Equal(253, d.Length));

        var batches = ResolveBatchSplitter.Split("2026-11-28T12:00:00Z-abcdef", longest).ToList();

        Assert.All(batches, b => Assert.True(ResolveBatchSplitter.MeasuredBytes(b) <= WorkQueues.DefaultBodyBudgetBytes));
        Assert.True(WorkQueues.DefaultBodyBudgetBytes < 256 * 1024);
        Assert.Equal(4_000, batches.Sum(b => b.Domains.Count));
    }

    [Fact]
    public void A_count_cap_applies_as_well_as_the_byte_budget()
    {
        var batches = ResolveBatchSplitter.Split("run-1", Domains(1_001, 10), maxDomainsPerBatch: 100).ToList();
        Assert.Equal(11, batches.Count);
        Assert.All(batches.Take(10), b => Assert.Equal(100, b.Domains.Count));
        Assert.Single(batches[^1].Domains);
    }

    [Fact]
    public void A_budget_that_cannot_hold_one_name_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ResolveBatchSplitter.Split("run-1", ["example.com"], 40).ToList());
    }

    [Fact]
    public void MessageId_is_the_same_for_the_same_run_and_content_and_differs_otherwise()
    {
        var a = new ResolveBatch { RunId = "run-1", Domains = ["a.example", "b.example"] };
        var same = new ResolveBatch { RunId = "run-1", BatchIndex = 7, Domains = ["a.example", "b.example"] };
        var otherRun = a with { RunId = "run-2" };
        var otherContent = a with { Domains = ["a.example", "c.example"] };

        Assert.Equal(MessageIds.For(a), MessageIds.For(same));
        Assert.NotEqual(MessageIds.For(a), MessageIds.For(otherRun));
        Assert.NotEqual(MessageIds.For(a), MessageIds.For(otherContent));
        Assert.True(MessageIds.For(a).Length <= 128, "Service Bus MessageIds are at most 128 characters");
    }

    [Fact]
    public void Probe_request_ids_deduplicate_one_host_address_per_run()
    {
        var p = new ProbeRequest { RunId = "run-1", Host = "mx.example.net", Address = "127.0.0.1", Sni = "mx.example.net" };
        Assert.Equal(MessageIds.For(p), MessageIds.For(p with { }));
        Assert.NotEqual(MessageIds.For(p), MessageIds.For(p with { Address = "127.0.0.2" }));
        Assert.NotEqual(MessageIds.For(p), MessageIds.For(p with { RunId = "run-2" }));
        Assert.NotEqual(MessageIds.For(p), MessageIds.For(p with { Sni = "other.example" }));
    }

    [Fact]
    public async Task Streamed_names_are_cut_at_the_domain_cap_as_well_as_the_byte_budget()
    {
        var sender = new RecordingSender(WorkQueues.Resolve);
        var domains = Domains(1_200, 10);

        var summary = await new WorkQueueSender(sender).SendResolveBatchesAsync("run-cap", Stream(domains), WorkQueues.DefaultBodyBudgetBytes, maxDomainsPerBatch: 500, CancellationToken.None);

        var batches = sender.SentBatches.SelectMany(b => b).Select(m => WorkMessageCodec.DecodeResolveBatch(m.Body.ToMemory().Span).Message!).ToList();
        Assert.Equal([500, 500, 200], batches.Select(b => b.Domains.Count));
        Assert.Equal(3, summary.Messages);
        Assert.Equal(domains, batches.SelectMany(b => b.Domains));

        static async IAsyncEnumerable<string> Stream(IEnumerable<string> names)
        {
            foreach (var name in names)
            {
                await Task.Yield();
                yield return name;
            }
        }
    }

    [Fact]
    public async Task The_sender_packs_messages_into_size_bounded_send_calls_with_decodable_bodies()
    {
        var sender = new RecordingSender(WorkQueues.Resolve);
        var queue = new WorkQueueSender(sender);
        var domains = Domains(30_000, 30);

        var summary = await queue.SendResolveBatchesAsync("run-9", domains, bodyBudgetBytes: 64 * 1024, cancellationToken: CancellationToken.None);

        var sent = sender.SentBatches.SelectMany(b => b).ToList();
        Assert.Equal(summary.Messages, sent.Count);
        Assert.Equal(summary.SendCalls, sender.SentBatches.Count);
        // Several 64 KiB messages ride in one 256 KB send call, and no call exceeds the limit.
        Assert.True(sender.SentBatches.Count < sent.Count);
        Assert.All(sender.SentBatches, b => Assert.True(b.Sum(m => m.Body.ToMemory().Length) <= WorkQueues.StandardMaxMessageBytes));

        var decoded = sent.Select(m => WorkMessageCodec.DecodeResolveBatch(m.Body.ToMemory().Span)).ToList();
        Assert.All(decoded, d => Assert.True(d.Succeeded, d.Detail));
        Assert.Equal(domains, decoded.SelectMany(d => d.Message!.Domains));
        Assert.All(sent, m => Assert.Equal("application/json", m.ContentType));
        Assert.All(sent.Zip(decoded), p => Assert.Equal(MessageIds.For(p.Second.Message!), p.First.MessageId));
        Assert.Equal(sent.Count, sent.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(sent.Sum(m => (long)m.Body.ToMemory().Length), summary.BodyBytes);
    }

    [Fact]
    public async Task Sending_the_same_run_twice_produces_the_same_MessageIds_for_duplicate_detection()
    {
        var domains = Domains(2_000, 20);
        var first = new RecordingSender(WorkQueues.Resolve);
        var second = new RecordingSender(WorkQueues.Resolve);
        await new WorkQueueSender(first).SendResolveBatchesAsync("run-3", domains, 4 * 1024, CancellationToken.None);
        await new WorkQueueSender(second).SendResolveBatchesAsync("run-3", domains, 4 * 1024, CancellationToken.None);

        Assert.Equal(first.SentBatches.SelectMany(b => b).Select(m => m.MessageId), second.SentBatches.SelectMany(b => b).Select(m => m.MessageId));
    }

    [Fact]
    public void Encoded_bodies_are_the_documented_versioned_JSON()
    {
        var body = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ResolveBatch { RunId = "r", BatchIndex = 2, Domains = ["a.example"] }));
        Assert.Equal("""{"kind":"danescan.resolve-batch","v":1,"runId":"r","batch":2,"domains":["a.example"]}""", body);

        var probe = Encoding.UTF8.GetString(WorkMessageCodec.Encode(new ProbeRequest { RunId = "r", Host = "mx.a.example", Address = "127.0.0.1", Sni = "mx.a.example" }));
        Assert.Equal("""{"kind":"danescan.probe-request","v":1,"runId":"r","host":"mx.a.example","address":"127.0.0.1","sni":"mx.a.example","port":25}""", probe);
    }
}
