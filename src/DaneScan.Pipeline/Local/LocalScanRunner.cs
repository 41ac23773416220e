using System.Threading.Channels;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Pipeline.Telemetry;

namespace DaneScan.Pipeline.Local;

/// <summary>Settings of one local run.</summary>
public sealed record LocalScanOptions
{
    public required string RunId { get; init; }

    /// <summary>DNS lookups of domains in flight at once (each domain's own host lookups are bounded by the resolver).</summary>
    public int DnsConcurrency { get; init; } = 64;

    /// <summary>SMTP connections open at once; also sizes the probe stage (domains waiting for their probes).</summary>
    public int SmtpConcurrency { get; init; } = 32;

    /// <summary>The capacity of each channel between stages (back-pressure: a full channel makes the stage before it wait).</summary>
    public int ChannelCapacity { get; init; } = 1024;

    /// <summary>Domain records written per store call at most.</summary>
    public int RecordBatch { get; init; } = 100;

    public int SmtpPort { get; init; } = 25;

    /// <summary>How the lists are read (bounds on text bytes and lines, samples kept per rejection reason).</summary>
    public DomainListOptions ListOptions { get; init; } = new();

    /// <summary>Manifest fields: resolver, trust, version, vantage point, settings.</summary>
    public string? Resolver { get; init; }

    public DnsTrustMode TrustMode { get; init; } = DnsTrustMode.ValidatingResolverAd;

    public string? TrustAnchor { get; init; }

    public string? VantagePoint { get; init; }

    public string? ScannerVersion { get; init; }

    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a run attempt did.</summary>
public sealed record LocalScanResult(RunManifest Manifest, RunSummary Summary, IReadOnlyList<DomainListReport> Lists, long Probed, long ProbesReused, long ProbesLoaded);

/// <summary>
/// The local runner: the four stages in one process, joined by bounded channels.
/// <list type="number">
/// <item>enumerate: stream the lists (normalised, deduplicated), drop opted-out names and names an earlier
/// attempt of the run already recorded;</item>
/// <item>resolve: <see cref="LocalScanOptions.DnsConcurrency"/> workers, one <see cref="DomainResolver"/>;</item>
/// <item>probe: each <see cref="ProbeTarget.Key"/> once per run through <see cref="ProbeRegistry"/> and the
/// polite <see cref="HostProber"/> (per-address limiter, global connection cap), then the verdict;</item>
/// <item>record: one writer, batches of domain records.</item>
/// </list>
/// Memory is bounded by the channel capacities, the duplicate tables (about 16 bytes a name) and one probe
/// observation per distinct target; lists are never held in memory.
/// </summary>
public sealed class LocalScanRunner
{
    private readonly DomainResolver _resolver;
    private readonly HostProber _prober;
    private readonly PolitenessPolicy _policy;
    private readonly IResultStore _store;
    private readonly LocalScanOptions _options;
    private readonly TimeProvider _time;

    public LocalScanRunner(DomainResolver resolver, HostProber prober, PolitenessPolicy policy, IResultStore store, LocalScanOptions options, TimeProvider? timeProvider = null)
    {
        _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));
        _prober = prober ?? throw new ArgumentNullException(nameof(prober));
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DnsConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SmtpConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChannelCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RecordBatch, 1);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The live counters (set when <see cref="RunAsync"/> starts).</summary>
    public ScanProgress? Progress { get; private set; }

    /// <summary>Called once the progress counters exist, before any list is read.</summary>
    public Action<ScanProgress>? OnStarted { get; init; }

    public async Task<LocalScanResult> RunAsync(IReadOnlyList<ScanSource> sources, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var runId = _options.RunId;
        var previous = await _store.ReadManifestAsync(runId, cancellationToken).ConfigureAwait(false);
        var started = previous?.StartedUtc ?? _time.GetUtcNow();

        // What earlier attempts recorded: skipped by enumerate (fingerprints, about 16 bytes a name).
        var recorded = new DomainDeduplicator();
        if (previous is not null)
        {
            await foreach (var name in _store.EnumerateDomainNamesAsync(runId, cancellationToken).ConfigureAwait(false))
            {
                recorded.Add(name);
            }
        }

        var manifest = new RunManifest
        {
            RunId = runId,
            State = RunState.Running,
            StartedUtc = started,
            ScannerVersion = _options.ScannerVersion,
            TrustMode = _options.TrustMode,
            TrustAnchor = _options.TrustAnchor,
            Resolver = _options.Resolver,
            VantagePoint = _options.VantagePoint,
            Lists = previous?.Lists ?? [],
            Counts = previous?.Counts ?? new RunCounts(),
            Settings = _options.Settings,
        };
        await _store.WriteManifestAsync(manifest, cancellationToken).ConfigureAwait(false);

        long? totalBytes = sources.All(s => s.Length is not null) ? sources.Sum(s => s.Length!.Value) : null;
        var progress = new ScanProgress(totalBytes, _time);
        Progress = progress;

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = failed.Token;
        var bounded = new BoundedChannelOptions(_options.ChannelCapacity) { FullMode = BoundedChannelFullMode.Wait };
        var toResolve = Channel.CreateBounded<DomainListEntry>(bounded);
        var toProbe = Channel.CreateBounded<(DomainListEntry Entry, DomainObservation Dns)>(bounded);
        var toRecord = Channel.CreateBounded<DomainRecord>(bounded);
        var registry = new ProbeRegistry(_prober.ProbeAsync, _store, runId, reuseStored: previous is not null, token);
        progress.ResolveQueue = () => toResolve.Reader.Count;
        progress.ProbeQueue = () => toProbe.Reader.Count;
        progress.RecordQueue = () => toRecord.Reader.Count;
        progress.ProbesRun = () => registry.Probed;
        progress.ProbesInFlight = () => registry.InFlight;
        using var resolveDepth = DaneScanTelemetry.ObserveQueue("resolve", () => toResolve.Reader.Count);
        using var probeDepth = DaneScanTelemetry.ObserveQueue("probe", () => toProbe.Reader.Count);
        using var recordDepth = DaneScanTelemetry.ObserveQueue("record", () => toRecord.Reader.Count);
        OnStarted?.Invoke(progress);

        var reports = new List<DomainListReport>();
        long optedOut = 0;
        long accepted = 0;

        async Task EnumerateAsync()
        {
            var reader = new DomainListReader(_options.ListOptions);
            try
            {
                foreach (var source in sources)
                {
                    var report = new DomainListReport(source.Name);
                    reports.Add(report);
                    await using var stream = new CountingStream(source.Open(), progress.AddBytes);
                    await foreach (var entry in reader.ReadAsync(stream, report, token).ConfigureAwait(false))
                    {
                        if (!_policy.CheckDomain(entry.Domain).Allowed)
                        {
                            optedOut++;
                            progress.CountOptedOut();
                            continue;
                        }

                        accepted++;
                        if (!recorded.Add(entry.Domain))
                        {
                            progress.CountSkipped();
                            continue;
                        }

                        progress.CountEnumerated();
                        await toResolve.Writer.WriteAsync(entry, token).ConfigureAwait(false);
                    }
                }

                progress.EnumerationDone = true;
            }
            finally
            {
                toResolve.Writer.TryComplete();
            }
        }

        async Task ResolveAsync()
        {
            await foreach (var entry in toResolve.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                DomainObservation dns;
                using (DaneScanTelemetry.TrackLookup(entry.Domain))
                {
                    dns = await _resolver.ResolveAsync(entry.Domain, token).ConfigureAwait(false);
                }

                progress.CountResolved();
                await toProbe.Writer.WriteAsync((entry, dns), token).ConfigureAwait(false);
            }
        }

        async Task ProbeAsync()
        {
            await foreach (var (entry, dns) in toProbe.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                var targets = ProbeTarget.For(dns, _options.SmtpPort);
                var probes = targets.Count == 0 ? [] : await Task.WhenAll(targets.Select(registry.GetAsync)).ConfigureAwait(false);
                var verdict = DaneJudge.Judge(new DomainScan(dns, probes));
                DaneScanTelemetry.CountDomains("probe");
                DaneScanTelemetry.Outcomes.Add(1, new KeyValuePair<string, object?>("status", verdict.All.ToString()));
                var record = new DomainRecord
                {
                    Observation = dns,
                    Source = entry.Source,
                    Rank = entry.Rank,
                    ProbeKeys = [.. probes.Select(p => ProbeKey.Of(p.Host, p.Address))],
                    Verdict = verdict,
                };
                await toRecord.Writer.WriteAsync(record, token).ConfigureAwait(false);
            }
        }

        async Task RecordAsync()
        {
            var batch = new List<DomainRecord>(_options.RecordBatch);
            while (await toRecord.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                while (batch.Count < _options.RecordBatch && toRecord.Reader.TryRead(out var record))
                {
                    batch.Add(record);
                }

                await _store.WriteDomainsAsync(runId, batch, token).ConfigureAwait(false);
                progress.CountRecorded(batch.Count);
                batch.Clear();
            }
        }

        async Task Stage(Func<Task> body, int workers, Action? whenDone)
        {
            try
            {
                await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(body, token))).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (e is not OperationCanceledException)
                {
                    DaneScanTelemetry.CountError("scan", e);
                }

                // A bug or a storage fault in one stage stops the whole run (the next attempt resumes it).
                await failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                whenDone?.Invoke();
            }
        }

        var probeWorkers = Math.Max(_options.SmtpConcurrency * 4, 16);
        var stages = new[]
        {
            Stage(EnumerateAsync, 1, null),
            Stage(ResolveAsync, _options.DnsConcurrency, () => toProbe.Writer.TryComplete()),
            Stage(ProbeAsync, probeWorkers, () => toRecord.Writer.TryComplete()),
            Stage(RecordAsync, 1, null),
        };
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Another stage failed and cancelled the rest: surface that stage's exception, not the cancellation.
            var fault = stages.Where(s => s.IsFaulted).SelectMany(s => s.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
            if (fault is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();
            }

            throw;
        }

        var lists = reports.Select(r => r.ToManifest()).ToList();
        var summaryManifest = manifest with { Lists = lists, Counts = manifest.Counts with { DomainsOptedOut = optedOut } };
        var summary = await RunSummary.ComputeAsync(_store, runId, summaryManifest, cancellationToken).ConfigureAwait(false);
        await _store.WriteStatisticsAsync(summary.ToStatistics(_time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        var complete = summary.Domains >= accepted && summary.Duplicates == 0;
        var final = summaryManifest with
        {
            State = complete ? RunState.Completed : RunState.Running,
            EndedUtc = _time.GetUtcNow(),
            Counts = new RunCounts
            {
                DomainsEnumerated = accepted,
                DomainsOptedOut = optedOut,
                DomainsRecorded = summary.Domains,
                ProbesRecorded = summary.Probes,
            },
        };
        await _store.WriteManifestAsync(final, cancellationToken).ConfigureAwait(false);
        return new LocalScanResult(final, summary, reports, registry.Probed, registry.Reused, registry.Loaded);
    }
}
