using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Politeness;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DaneScan.Fleet;

/// <summary>Settings of <see cref="BlobRunEnumerator"/> and the manifest fields it writes.</summary>
public sealed record RunEnumeratorOptions
{
    /// <summary>
    /// The opt-out list, as <c>container/blob name</c> (optional). Every blob of the lists container is read as
    /// a list, so keep the opt-out list in another container; if it is in the lists container it is not read as a list.
    /// </summary>
    public string? OptOutBlob { get; init; }

    public string? ScannerVersion { get; init; }

    /// <summary>The resolver the stages query, as the manifest names it.</summary>
    public string? Resolver { get; init; }

    public string? TrustAnchor { get; init; }

    public string? VantagePoint { get; init; }

    /// <summary>The trust mode the run's DNS answers carry (the resolver self-check decides it).</summary>
    public Func<CancellationToken, Task<DnsTrustMode>> TrustMode { get; init; } = static _ => Task.FromResult(DnsTrustMode.ValidatingResolverAd);

    /// <summary>Settings that shaped the run, recorded in the manifest.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>How the lists are read (line bound, samples kept per rejection reason).</summary>
    public DomainListOptions ListOptions { get; init; } = new();
}

/// <summary>
/// The enumerate stage over Blob Storage. Every blob of the lists container is a list, read in name order:
/// plain text (one name a line), <c>rank,domain</c> CSV (Tranco), either optionally gzip-compressed, decided
/// by content, not by name. A blob that is none of these is recorded in the manifest as skipped, with why.
/// Each list streams through the same <see cref="DomainListReader"/> as <c>danescan scan</c> (normalised,
/// duplicates across all lists dropped, every other line counted under its rejection reason, SHA-256 of the
/// stored bytes); names on the opt-out list are dropped and counted. Memory: one list block, the duplicate
/// table (about 16 bytes a name) and the opt-out list; names are never collected.
/// </summary>
public sealed partial class BlobRunEnumerator : IRunEnumerator
{
    private readonly BlobServiceClient _blobs;
    private readonly IResultStore _store;
    private readonly RunEnumeratorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public BlobRunEnumerator(BlobServiceClient blobs, IResultStore store, RunEnumeratorOptions? options = null, TimeProvider? timeProvider = null, ILogger<BlobRunEnumerator>? logger = null)
    {
        _blobs = blobs ?? throw new ArgumentNullException(nameof(blobs));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new RunEnumeratorOptions();
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (_options.OptOutBlob is { } optOut && ParseBlobPath(optOut) is null)
        {
            throw new ArgumentException($"the opt-out blob must be written 'container/blob name'; it is '{optOut}'", nameof(options));
        }
    }

    /// <summary>Splits <c>container/blob name</c>; null when it is not of that form.</summary>
    public static (string Container, string Blob)? ParseBlobPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        if (slash < 3 || slash == path.Length - 1)
        {
            return null;
        }

        var container = path[..slash];
        if (container.Length > 63 || !container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            return null;
        }

        return (container, path[(slash + 1)..]);
    }

    public async Task<EnumeratedRun> StartRunAsync(string listsContainer, DateTimeOffset scheduledUtc, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(listsContainer);
        var runId = RunIds.ForOccurrence(scheduledUtc);
        var container = _blobs.GetBlobContainerClient(listsContainer);
        if (!await Guard(() => container.ExistsAsync(cancellationToken), $"look for the lists container '{listsContainer}'").ConfigureAwait(false))
        {
            throw new EnumerationException(
                $"The lists container '{listsContainer}' does not exist in {_blobs.Uri}: create it and upload the domain lists " +
                "(plain text, rank,domain CSV, or either gzip-compressed), or set Enumerate__ListsContainer to the container that holds them.");
        }

        var previous = await _store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        // Enumerated, or already completed by the finaliser (an attempt that recorded its batches for the
        // finaliser but died before the manifest said so): a retry must neither re-send nor reopen the run.
        if (previous is not null && (previous.EnumeratedUtc is not null || previous.State == RunState.Completed))
        {
            LogAlreadyEnumerated(_logger, runId, previous.EnumeratedUtc ?? previous.EndedUtc ?? previous.StartedUtc);
            return new BlobEnumeratedRun(this, runId, container, OptOutList.Empty, null) { RunId = runId, ScheduledUtc = scheduledUtc, AlreadyEnumerated = true };
        }

        var optOut = await LoadOptOutAsync(cancellationToken).ConfigureAwait(false);
        var trust = await _options.TrustMode(cancellationToken).ConfigureAwait(false);
        var manifest = new RunManifest
        {
            RunId = runId,
            State = RunState.Running,
            StartedUtc = previous?.StartedUtc ?? _time.GetUtcNow(),
            ScheduledUtc = scheduledUtc.ToUniversalTime(),
            ScannerVersion = _options.ScannerVersion,
            TrustMode = trust,
            TrustAnchor = _options.TrustAnchor,
            Resolver = _options.Resolver,
            VantagePoint = _options.VantagePoint,
            Lists = previous?.Lists ?? [],
            Counts = previous?.Counts ?? new RunCounts(),
            Settings = new Dictionary<string, string>(_options.Settings)
            {
                ["listsContainer"] = listsContainer,
                ["optOutBlob"] = _options.OptOutBlob ?? string.Empty,
            },
        };
        await _store.WriteManifestAsync(manifest, cancellationToken).ConfigureAwait(false);
        LogStarted(_logger, runId, previous is null ? "started" : "resumed", listsContainer);
        return new BlobEnumeratedRun(this, runId, container, optOut, manifest) { RunId = runId, ScheduledUtc = scheduledUtc };
    }

    public async Task RecordEnumerationSentAsync(EnumeratedRun run, int messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run is not BlobEnumeratedRun blobRun || blobRun.Owner != this)
        {
            throw new ArgumentException("the run was not started by this enumerator", nameof(run));
        }

        if (run.AlreadyEnumerated)
        {
            return;
        }

        if (!blobRun.Finished)
        {
            throw new InvalidOperationException($"run {run.RunId}: the names were not read to their end, so the lists' counts are incomplete");
        }

        // Read again: the stages may have updated the manifest (recorded counts, completion) meanwhile.
        var current = await _store.ReadManifestAsync(run.RunId, cancellationToken).ConfigureAwait(false) ?? blobRun.Manifest!;
        var final = current with
        {
            Lists = blobRun.Lists,
            EnumeratedUtc = _time.GetUtcNow(),
            Counts = current.Counts with
            {
                DomainsEnumerated = blobRun.DomainsAccepted,
                DomainsOptedOut = blobRun.OptedOut,
                ResolveMessages = messages,
            },
        };
        await _store.WriteManifestAsync(final, cancellationToken).ConfigureAwait(false);
    }

    private Task<OptOutList> LoadOptOutAsync(CancellationToken cancellationToken) =>
        _options.OptOutBlob is { } path ? LoadOptOutAsync(_blobs, path, _logger, cancellationToken) : Task.FromResult(OptOutList.Empty);

    /// <summary>
    /// Reads an opt-out list from a blob (<c>container/blob name</c>). Throws <see cref="EnumerationException"/>
    /// when the blob is missing or has a line that is not an entry: a scan does not start with an opt-out list
    /// it cannot fully honour.
    /// </summary>
    public static async Task<OptOutList> LoadOptOutAsync(BlobServiceClient blobs, string path, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(path);
        var (containerName, blobName) = ParseBlobPath(path) ?? throw new ArgumentException($"the opt-out blob must be written 'container/blob name'; it is '{path}'", nameof(path));
        var blob = blobs.GetBlobContainerClient(containerName).GetBlobClient(blobName);
        Stream stream;
        try
        {
            stream = await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new EnumerationException($"The opt-out list {path} (Enumerate__OptOutBlob) does not exist in {blobs.Uri}: upload it, or remove the setting to scan without one.", e);
        }

        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream);
            var (list, errors) = await OptOutList.ParseAsync(reader, cancellationToken).ConfigureAwait(false);
            if (errors.Count > 0)
            {
                var first = errors[0];
                throw new EnumerationException(
                    $"The opt-out list {path} line {first.LineNumber}: {first.Problem} ('{first.Text}'){(errors.Count > 1 ? $", and {errors.Count - 1} more bad lines" : "")}. " +
                    "Fix the list: a run does not start with an opt-out list it cannot fully read.");
            }

            LogOptOut(logger ?? NullLogger.Instance, path, list.DomainCount, list.AddressCount, list.NetworkCount);
            return list;
        }
    }

    private static async Task<T> Guard<T>(Func<Task<Response<T>>> call, string what)
    {
        try
        {
            return (await call().ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e)
        {
            throw new EnumerationException($"Blob Storage refused to {what}: {e.Status} {e.ErrorCode}", e);
        }
    }

    /// <summary>One run's streaming read of the lists.</summary>
    private sealed class BlobEnumeratedRun(BlobRunEnumerator owner, string runId, BlobContainerClient container, OptOutList optOut, RunManifest? manifest) : EnumeratedRun
    {
        private readonly List<ListManifest> _lists = [];
        private long _accepted;
        private int _started;

        public BlobRunEnumerator Owner => owner;

        public RunManifest? Manifest => manifest;

        public bool Finished { get; private set; }

        public long OptedOut { get; private set; }

        public IReadOnlyList<ListManifest> Lists => _lists;

        public override long DomainsAccepted => Interlocked.Read(ref _accepted);

        public override IAsyncEnumerable<ListedDomain> Entries => AlreadyEnumerated ? AsyncEnumerable.Empty<ListedDomain>() : ReadAsync();

        private async IAsyncEnumerable<ListedDomain> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            if (Interlocked.Exchange(ref _started, 1) != 0)
            {
                throw new InvalidOperationException($"run {runId}: the names can be read once");
            }

            var reader = new DomainListReader(owner._options.ListOptions);
            var optOutPath = owner._options.OptOutBlob is { } p ? ParseBlobPath(p) : null;
            var blobs = new List<BlobItem>();
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions(), cancellationToken).ConfigureAwait(false))
            {
                if (optOutPath is { } o && o.Container == container.Name && o.Blob == item.Name)
                {
                    continue;
                }

                blobs.Add(item);
            }

            // First pass: every list is read whole (gzip proved complete, text throughout, within the bounds)
            // before a single name is sent, so that a cut or damaged list stops the run with nothing of it scanned.
            // Blobs that are not lists at all (an image, an archive) are skipped and recorded, as before.
            var notLists = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in blobs)
            {
                var stream = await OpenAsync(item, cancellationToken).ConfigureAwait(false);
                await using (stream.ConfigureAwait(false))
                {
                    var head = new byte[ListContent.HeadBytes];
                    var got = 0;
                    while (got < head.Length && await stream.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false) is var n and > 0)
                    {
                        got += n;
                    }

                    var (kind, why) = ListContent.Classify(head.AsSpan(0, got), whole: got < head.Length);
                    if (kind == ListContentKind.NotAList)
                    {
                        notLists[item.Name] = why!;
                        continue;
                    }

                    try
                    {
                        using var replay = new PrefixedReadStream(head, got, stream);
                        await reader.VerifyAsync(replay, item.Name, cancellationToken).ConfigureAwait(false);
                    }
                    catch (ListReadException e)
                    {
                        throw await FailAsync(e, item, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RequestFailedException e)
                    {
                        throw new EnumerationException($"Blob Storage refused to read the list {item.Name}: {e.Status} {e.ErrorCode}", e);
                    }
                }
            }

            foreach (var item in blobs)
            {
                var report = new DomainListReport(item.Name);
                notLists.TryGetValue(item.Name, out var skipped);
                if (skipped is null)
                {
                    var stream = await OpenAsync(item, cancellationToken).ConfigureAwait(false);
                    await using (stream.ConfigureAwait(false))
                    {
                        await using var entries = reader.ReadAsync(stream, report, cancellationToken).GetAsyncEnumerator(cancellationToken);
                        while (true)
                        {
                            DomainListEntry entry;
                            try
                            {
                                if (!await entries.MoveNextAsync().ConfigureAwait(false))
                                {
                                    break;
                                }

                                entry = entries.Current;
                            }
                            catch (ListReadException e)
                            {
                                // Whole when checked, broken now (the blob is read at the ETag checked, so a read fault).
                                throw await FailAsync(e, item, cancellationToken).ConfigureAwait(false);
                            }
                            catch (RequestFailedException e)
                            {
                                throw new EnumerationException($"Blob Storage refused to read the list {item.Name}: {e.Status} {e.ErrorCode}", e);
                            }

                            if (optOut.ContainsDomain(entry.Domain))
                            {
                                OptedOut++;
                                continue;
                            }

                            Interlocked.Increment(ref _accepted);
                            yield return new ListedDomain(entry.Domain, entry.Rank);
                        }
                    }
                }

                var list = report.ToManifest() with
                {
                    Bytes = item.Properties.ContentLength,
                    Skipped = skipped,
                    RejectedSamples = report.Rejections.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<RejectedLineSample>)[.. kv.Value.Samples]),
                };
                _lists.Add(list);
                if (skipped is not null)
                {
                    LogSkipped(owner._logger, runId, item.Name, skipped);
                }
                else
                {
                    LogList(owner._logger, runId, report.Describe());
                }
            }

            Finished = true;
        }

        /// <summary>Opens a list blob at the version listed, so both passes read the same bytes (a change fails the read).</summary>
        private Task<Stream> OpenAsync(BlobItem item, CancellationToken cancellationToken) =>
            container.GetBlobClient(item.Name).OpenReadAsync(
                new BlobOpenReadOptions(allowModifications: false) { Conditions = new BlobRequestConditions { IfMatch = item.Properties.ETag } },
                cancellationToken);

        /// <summary>Marks the run Failed with the list's fault (nothing was sent for it) and returns the exception to throw.</summary>
        private async Task<EnumerationException> FailAsync(ListReadException fault, BlobItem item, CancellationToken cancellationToken)
        {
            var current = await owner._store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false) ?? manifest!;
            var failed = current with
            {
                State = RunState.Failed,
                Failure = fault.Message,
                EndedUtc = owner._time.GetUtcNow(),
                Lists = [.. _lists, new ListManifest { Source = item.Name, Bytes = item.Properties.ContentLength, Skipped = fault.Detail }],
            };
            await owner._store.WriteManifestAsync(failed, cancellationToken).ConfigureAwait(false);
            LogFailed(owner._logger, runId, fault.Message);
            return new EnumerationException($"Run {runId} failed: {fault.Message}. Nothing of the lists was sent; replace the list and run the occurrence again.", fault);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} {What}: reading the lists of container {Container}")]
    private static partial void LogStarted(ILogger logger, string runId, string what, string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was enumerated (or completed) at {EnumeratedUtc} by an earlier attempt of the same occurrence: nothing to send")]
    private static partial void LogAlreadyEnumerated(ILogger logger, string runId, DateTimeOffset enumeratedUtc);

    [LoggerMessage(Level = LogLevel.Information, Message = "Opt-out list {Path}: {Domains} domains, {Addresses} addresses, {Networks} ranges")]
    private static partial void LogOptOut(ILogger logger, string path, int domains, int addresses, int networks);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed: {Failure}")]
    private static partial void LogFailed(ILogger logger, string runId, string failure);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: list {List} skipped: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string runId, string list, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId}: {Report}")]
    private static partial void LogList(ILogger logger, string runId, string report);
}
