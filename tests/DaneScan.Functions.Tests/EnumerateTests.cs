using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Fleet;
using DaneScan.Functions.Settings;
using DaneScan.Pipeline.Lists;
using DaneScan.ServiceBus;
using DaneScan.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The enumerate stage: <see cref="EnumerateFunction"/> with <see cref="BlobRunEnumerator"/> reading lists from
/// Azurite's blob service and writing the manifest to Azurite's tables. Service Bus is mocked
/// (<see cref="RecordingQueue"/>) and so is the Functions host (the function is called directly with a
/// <see cref="TimerInfo"/>); neither can run here.
/// </summary>
[Trait("Category", "Integration")]
public sealed class EnumerateTests : IAsyncLifetime
{
    private const string Schedule = "0 0 3 * * 0"; // Sundays 03:00 UTC
    private static readonly DateTimeOffset Sunday0300 = new(2026, 11, 29, 3, 0, 0, TimeSpan.Zero);

    private static readonly string Plain = string.Join('\n',
        "# top sites",
        "Example.COM.",
        "bücher.example",
        "foo..bar",
        "under_score.example",
        "localhost",
        "shared.example",
        "192.0.2.1",
        string.Empty,
        "optout.example",
        "mx.optout.example");

    private static readonly string Csv = string.Join("\r\n",
        "rank,domain",
        "1,shared.example",
        "2,csv-only.example",
        "x,bad-rank.example",
        "3,\"quoted.example\"",
        "4,example.com") + "\r\n";

    private static readonly string[] GzNames = [.. Enumerable.Range(0, 300).Select(i => $"n{i}.gz.example")];

    private static readonly string GzText = string.Join('\n', GzNames.Take(150).Append(new string('a', 2000) + ".example").Append("-bad.example").Concat(GzNames.Skip(150))) + "\n";

    private readonly BlobServiceClient _blobs = new(Azurite.ConnectionString);
    private readonly string _container = "enum-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _optOutContainer = "optout-" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _prefix = "e" + Guid.NewGuid().ToString("N")[..16];
    private TableResultStore _store = null!;
    private RunProgress _progress = null!;

    public async Task InitializeAsync()
    {
        if (!Azurite.Required && !Azurite.Listening())
        {
            return;
        }

        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString);
        _store = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = _prefix });
        _progress = (await ProbeClaims.OpenAsync(service, _prefix)).Progress;
    }

    public async Task DisposeAsync()
    {
        if (_store is null)
        {
            return;
        }

        await _store.DeleteTablesAsync();
        await TableResultStore.CreateServiceClient(Azurite.ConnectionString).DeleteTableAsync(_progress.TableName);
        await _blobs.GetBlobContainerClient(_container).DeleteIfExistsAsync();
        await _blobs.GetBlobContainerClient(_optOutContainer).DeleteIfExistsAsync();
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private static readonly byte[] Png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x01, 0x00];

    private async Task<Dictionary<string, byte[]>> UploadListsAsync()
    {
        var lists = new Dictionary<string, byte[]>
        {
            ["a-plain.txt"] = Encoding.UTF8.GetBytes(Plain),
            ["b-tranco.csv"] = Encoding.UTF8.GetBytes(Csv),
            ["c-names.txt.gz"] = Gzip(GzText),
            ["d-logo.png"] = Png,
            ["e-lists.zip"] = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00],
        };
        var container = _blobs.GetBlobContainerClient(_container);
        await container.CreateIfNotExistsAsync();
        foreach (var (name, bytes) in lists)
        {
            await container.GetBlobClient(name).UploadAsync(new BinaryData(bytes), overwrite: true);
        }

        return lists;
    }

    private async Task UploadOptOutAsync(string text)
    {
        var container = _blobs.GetBlobContainerClient(_optOutContainer);
        await container.CreateIfNotExistsAsync();
        await container.GetBlobClient("optout.txt").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(text)), overwrite: true);
    }

    private BlobRunEnumerator Enumerator(FakeTimeProvider time, bool optOut = true, DnsTrustMode trust = DnsTrustMode.ValidatingResolverAd) =>
        new(_blobs, _store, new RunEnumeratorOptions
        {
            OptOutBlob = optOut ? _optOutContainer + "/optout.txt" : null,
            ScannerVersion = "test-version",
            Resolver = "127.61.0.2:53",
            VantagePoint = "test",
            TrustMode = _ => Task.FromResult(trust),
        }, time);

    private EnumerateFunction Function(IRunEnumerator enumerator, RecordingQueue resolve, FakeTimeProvider time, int budget = WorkQueues.DefaultBodyBudgetBytes, string? container = null) =>
        new(enumerator, new QueueSenders(new WorkQueueSender(resolve), new WorkQueueSender(new RecordingQueue(WorkQueues.Probe))), _progress,
            Options.Create(new EnumerateOptions { Schedule = Schedule, ListsContainer = container ?? _container, BatchBodyBudgetBytes = budget }),
            time, NullLogger<EnumerateFunction>.Instance);

    private static readonly string[] Expected =
        [.. new[] { "example.com", "xn--bcher-kva.example", "shared.example", "csv-only.example", "quoted.example" }.Concat(GzNames)];

    [AzuriteFact]
    public async Task Plain_csv_and_gzip_lists_are_read_in_order_with_every_line_accounted_for_in_the_manifest()
    {
        var uploaded = await UploadListsAsync();
        await UploadOptOutAsync("# operators who asked\noptout.example\n192.0.2.0/24\n");
        var time = new FakeTimeProvider(Sunday0300.AddSeconds(2));
        var queue = new RecordingQueue(WorkQueues.Resolve);

        await Function(Enumerator(time), queue, time).RunAsync(new TimerInfo(), CancellationToken.None);

        // The names sent: normalised, each once across the lists, opted-out names dropped, in list order.
        Assert.Equal(Expected, queue.ResolveBatches().SelectMany(b => b.Domains));

        var manifest = await _store.ReadManifestAsync("fleet-20261129T030000Z");
        Assert.NotNull(manifest);
        Assert.Equal(Sunday0300, manifest.ScheduledUtc);
        Assert.NotNull(manifest.EnumeratedUtc);
        Assert.Equal(DnsTrustMode.ValidatingResolverAd, manifest.TrustMode);
        Assert.Equal("test-version", manifest.ScannerVersion);
        Assert.Equal(_optOutContainer + "/optout.txt", manifest.Settings["optOutBlob"]);
        Assert.Equal(Expected.Length, manifest.Counts.DomainsEnumerated);
        Assert.Equal(2, manifest.Counts.DomainsOptedOut);
        Assert.Equal(queue.Sent, manifest.Counts.ResolveMessages);
        var progress = await _progress.CheckAsync(manifest.RunId);
        Assert.Equal((queue.Sent, Expected.Length), (progress.BatchesSent, progress.DomainsSent));

        Assert.Equal(uploaded.Keys.Order(StringComparer.Ordinal), manifest.Lists.Select(l => l.Source));
        var byName = manifest.Lists.ToDictionary(l => l.Source);
        foreach (var name in new[] { "a-plain.txt", "b-tranco.csv", "c-names.txt.gz" })
        {
            var list = byName[name];
            Assert.Null(list.Skipped);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(uploaded[name])), list.Sha256);
            Assert.Equal(uploaded[name].Length, list.Bytes);
            Assert.Equal(list.Lines, list.Accepted + list.BlankLines + list.CommentLines + list.HeaderLines + list.Rejected.Values.Sum());
        }

        var plain = byName["a-plain.txt"];
        Assert.Equal((DomainListFormat.PlainText, false, 11L, 1L, 1L), (plain.Format, plain.Gzip, plain.Lines, plain.CommentLines, plain.BlankLines));
        Assert.Equal(5, plain.Accepted); // opted-out names are accepted by the reader, then dropped and counted by the run
        Assert.Equal(
            new Dictionary<DomainRejectReason, long> { [DomainRejectReason.EmptyLabel] = 1, [DomainRejectReason.InvalidCharacter] = 1, [DomainRejectReason.SingleLabel] = 1, [DomainRejectReason.NumericTopLevelLabel] = 1 },
            plain.Rejected);
        Assert.Equal(new RejectedLineSample(5, "under_score.example"), Assert.Single(plain.RejectedSamples![DomainRejectReason.InvalidCharacter]));

        var csv = byName["b-tranco.csv"];
        Assert.Equal((DomainListFormat.RankCsv, 6L, 1L, 2L), (csv.Format, csv.Lines, csv.HeaderLines, csv.Accepted));
        Assert.Equal(new Dictionary<DomainRejectReason, long> { [DomainRejectReason.Duplicate] = 2, [DomainRejectReason.MalformedCsv] = 1 }, csv.Rejected);

        var gz = byName["c-names.txt.gz"];
        Assert.True(gz.Gzip);
        Assert.Equal((302L, 300L), (gz.Lines, gz.Accepted));
        Assert.Equal(new Dictionary<DomainRejectReason, long> { [DomainRejectReason.LineTooLong] = 1, [DomainRejectReason.HyphenAtLabelEdge] = 1 }, gz.Rejected);

        Assert.Contains("not UTF-8 text", byName["d-logo.png"].Skipped, StringComparison.Ordinal);
        Assert.Contains("zip", byName["e-lists.zip"].Skipped, StringComparison.Ordinal);
        Assert.Equal(0, byName["d-logo.png"].Lines);
    }

    [AzuriteFact]
    public async Task Batches_stay_within_the_body_budget_and_lose_no_name()
    {
        await UploadListsAsync();
        await UploadOptOutAsync("optout.example\n");
        var time = new FakeTimeProvider(Sunday0300.AddMinutes(1));
        var queue = new RecordingQueue(WorkQueues.Resolve);

        await Function(Enumerator(time), queue, time, budget: 1024).RunAsync(new TimerInfo(), CancellationToken.None);

        var batches = queue.ResolveBatches();
        Assert.True(batches.Count > 5, $"{batches.Count} batches");
        Assert.All(queue.Messages, m => Assert.True(m.Body.ToMemory().Length <= 1024, $"{m.MessageId}: {m.Body.ToMemory().Length} bytes"));
        Assert.Equal(Enumerable.Range(0, batches.Count), batches.Select(b => b.BatchIndex));
        Assert.Equal(Expected, batches.SelectMany(b => b.Domains));
        Assert.Equal(batches.Count, queue.Messages.Select(m => m.MessageId).Distinct().Count());
    }

    [AzuriteFact]
    public async Task A_retried_timer_resumes_the_same_run_with_the_same_MessageIds_and_a_finished_run_sends_nothing()
    {
        await UploadListsAsync();
        await UploadOptOutAsync("optout.example\n");
        var time = new FakeTimeProvider(Sunday0300.AddSeconds(1));

        // A clean run of the occurrence gives the reference MessageIds.
        var reference = new RecordingQueue(WorkQueues.Resolve);
        var referenceStore = _store;
        await Function(Enumerator(time), reference, time, budget: 1024).RunAsync(new TimerInfo(), CancellationToken.None);
        var referenceIds = reference.Messages.Select(m => m.MessageId).ToList();
        await _store.DeleteTablesAsync();
        _store = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(Azurite.ConnectionString), new TableStoreOptions { TablePrefix = _prefix + "r" });

        // The first attempt dies after two send calls (the queue drops the connection).
        var first = new RecordingQueue(WorkQueues.Resolve) { FailAfterSendCalls = 2, BatchBytes = 4096 };
        var queueLimitedBudget = 1024;
        await Assert.ThrowsAsync<Azure.Messaging.ServiceBus.ServiceBusException>(() => Function(Enumerator(time), first, time, queueLimitedBudget).RunAsync(new TimerInfo(), CancellationToken.None));
        var afterFirst = await _store.ReadManifestAsync("fleet-20261129T030000Z");
        Assert.NotNull(afterFirst);
        Assert.Null(afterFirst.EnumeratedUtc);
        Assert.Equal(2, first.SendCalls);
        Assert.True(first.Sent > 2 && first.Sent < referenceIds.Count, $"{first.Sent} of {referenceIds.Count} messages sent before the failure");

        // The retry runs four minutes later: same occurrence, same run, same batches and MessageIds.
        time.Advance(TimeSpan.FromMinutes(4));
        var retry = new RecordingQueue(WorkQueues.Resolve) { BatchBytes = 4096 };
        await Function(Enumerator(time), retry, time, queueLimitedBudget).RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal(referenceIds, retry.Messages.Select(m => m.MessageId));
        Assert.Subset(referenceIds.ToHashSet(), first.Messages.Select(m => m.MessageId).ToHashSet());
        var afterRetry = await _store.ReadManifestAsync("fleet-20261129T030000Z");
        Assert.Equal(afterFirst.StartedUtc, afterRetry!.StartedUtc);
        Assert.Equal(Expected.Length, afterRetry.Counts.DomainsEnumerated);
        var runs = new List<string>();
        await foreach (var m in _store.EnumerateManifestsAsync())
        {
            runs.Add(m.RunId);
        }

        Assert.Equal(["fleet-20261129T030000Z"], runs);

        // Fired again for the same occurrence after it finished: nothing is sent, the manifest is unchanged.
        time.Advance(TimeSpan.FromMinutes(10));
        var late = new RecordingQueue(WorkQueues.Resolve);
        await Function(Enumerator(time), late, time, queueLimitedBudget).RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal(0, late.Sent);
        Assert.Equal(afterRetry.EnumeratedUtc, (await _store.ReadManifestAsync("fleet-20261129T030000Z"))!.EnumeratedUtc);

        // The next Sunday is a new run.
        time.Advance(TimeSpan.FromDays(7));
        var next = new RecordingQueue(WorkQueues.Resolve);
        await Function(Enumerator(time), next, time, queueLimitedBudget).RunAsync(new TimerInfo(), CancellationToken.None);
        Assert.Equal(Expected, next.ResolveBatches().SelectMany(b => b.Domains));
        Assert.All(next.ResolveBatches(), b => Assert.Equal("fleet-20261206T030000Z", b.RunId));
        Assert.Empty(next.Messages.Select(m => m.MessageId).Intersect(referenceIds));
        Assert.NotSame(referenceStore, _store);
    }

    [AzuriteFact]
    public async Task A_retry_after_the_run_was_completed_neither_sends_nor_reopens_it()
    {
        await UploadListsAsync();
        await UploadOptOutAsync("optout.example\n");
        var completed = new Contracts.RunManifest
        {
            RunId = "fleet-20261129T030000Z",
            State = Contracts.RunState.Completed,
            StartedUtc = Sunday0300,
            EndedUtc = Sunday0300.AddMinutes(20),
        };
        await _store.WriteManifestAsync(completed);
        var time = new FakeTimeProvider(Sunday0300.AddMinutes(30));
        var queue = new RecordingQueue(WorkQueues.Resolve);

        await Function(Enumerator(time), queue, time).RunAsync(new TimerInfo(), CancellationToken.None);

        Assert.Equal(0, queue.Sent);
        Assert.Equal(Contracts.RunState.Completed, (await _store.ReadManifestAsync(completed.RunId))!.State);
    }

    [AzuriteFact]
    public async Task A_missing_container_fails_with_a_message_naming_it_and_writes_no_run()
    {
        var time = new FakeTimeProvider(Sunday0300);
        var queue = new RecordingQueue(WorkQueues.Resolve);

        var ex = await Assert.ThrowsAsync<EnumerationException>(() => Function(Enumerator(time, optOut: false), queue, time, container: "no-such-lists").RunAsync(new TimerInfo(), CancellationToken.None));

        Assert.Contains("The lists container 'no-such-lists' does not exist", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Enumerate__ListsContainer", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, queue.Sent);
        Assert.Null(await _store.ReadManifestAsync("fleet-20261129T030000Z"));
    }

    [AzuriteFact]
    public async Task A_missing_or_unreadable_opt_out_list_stops_the_run_before_anything_is_sent()
    {
        await UploadListsAsync();
        var time = new FakeTimeProvider(Sunday0300);
        var queue = new RecordingQueue(WorkQueues.Resolve);

        var missing = await Assert.ThrowsAsync<EnumerationException>(() => Function(Enumerator(time), queue, time).RunAsync(new TimerInfo(), CancellationToken.None));
        Assert.Contains($"The opt-out list {_optOutContainer}/optout.txt (Enumerate__OptOutBlob) does not exist", missing.Message, StringComparison.Ordinal);

        await UploadOptOutAsync("optout.example\nnot a name!\n");
        var bad = await Assert.ThrowsAsync<EnumerationException>(() => Function(Enumerator(time), queue, time).RunAsync(new TimerInfo(), CancellationToken.None));
        Assert.Contains("line 2", bad.Message, StringComparison.Ordinal);
        Assert.Contains("not a name!", bad.Message, StringComparison.Ordinal);
        Assert.Equal(0, queue.Sent);
    }

    [AzuriteFact]
    public async Task A_cut_gzip_list_fails_the_run_before_any_name_of_any_list_is_sent()
    {
        await UploadListsAsync();
        await UploadOptOutAsync("optout.example\n");
        var whole = Gzip(string.Join('\n', Enumerable.Range(0, 5000).Select(i => $"cut{i}.example")) + "\n");
        var cutAt = whole.Length * 2 / 3;
        await _blobs.GetBlobContainerClient(_container).GetBlobClient("f-partial.txt.gz").UploadAsync(new BinaryData(whole[..cutAt]), overwrite: true);
        var time = new FakeTimeProvider(Sunday0300);
        var queue = new RecordingQueue(WorkQueues.Resolve);

        var ex = await Assert.ThrowsAsync<EnumerationException>(() => Function(Enumerator(time), queue, time).RunAsync(new TimerInfo(), CancellationToken.None));

        Assert.Contains($"list f-partial.txt.gz: is truncated: the gzip data ends at byte {cutAt}", ex.Message, StringComparison.Ordinal);
        // The lists before it were whole, but nothing of any list was sent: the run's denominators would be wrong.
        Assert.Equal(0, queue.Sent);
        var manifest = (await _store.ReadManifestAsync("fleet-20261129T030000Z"))!;
        Assert.Equal(Contracts.RunState.Failed, manifest.State);
        Assert.Contains("is truncated", manifest.Failure, StringComparison.Ordinal);
        Assert.Contains(manifest.Lists, l => l.Source == "f-partial.txt.gz" && l.Skipped!.Contains("is truncated", StringComparison.Ordinal));
    }

    [AzuriteFact]
    public async Task An_insecure_resolver_is_recorded_in_the_manifest()
    {
        await UploadListsAsync();
        await UploadOptOutAsync("optout.example\n");
        var time = new FakeTimeProvider(Sunday0300);

        await Function(Enumerator(time, trust: DnsTrustMode.UnverifiedResolver), new RecordingQueue(WorkQueues.Resolve), time).RunAsync(new TimerInfo(), CancellationToken.None);

        Assert.Equal(DnsTrustMode.UnverifiedResolver, (await _store.ReadManifestAsync("fleet-20261129T030000Z"))!.TrustMode);
    }
}
