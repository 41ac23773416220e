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

    /// <summary>The default of <see cref="DnsConcurrency"/>.</summary>
    public const int DefaultDnsConcurrency = 1000;

    /// <summary>The default of <see cref="MaxParkedDomains"/>.</summary>
    public const int DefaultMaxParkedDomains = 10_000;

    /// <summary>The default of <see cref="DomainDeadline"/>.</summary>
    public static TimeSpan DefaultDomainDeadline { get; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Domains being resolved at once. With the run's host cache most domains need one new query (MX), so this
    /// is about the number of DNS queries in flight: by Little's law the rate is this divided by the round-trip
    /// time (1,000 in flight at 200 ms is 5,000 domains/s). Keep it under what the resolver accepts
    /// (unbound: <c>num-queries-per-thread</c> × threads; docs/survey-tuning.md).
    /// </summary>
    public int DnsConcurrency { get; init; } = DefaultDnsConcurrency;

    /// <summary>
    /// Where the number of domains resolved at once starts: it grows by one per domain resolved without a
    /// timeout up to <see cref="DnsConcurrency"/> and halves on timeouts (<see cref="AdaptiveLimit"/>).
    /// </summary>
    public int InitialDnsConcurrency { get; init; } = 64;

    /// <summary>SMTP connections open at once, over all addresses.</summary>
    public int SmtpConcurrency { get; init; } = 32;

    /// <summary>
    /// Domains resolved and waiting for their probes at most (parked: no worker holds them). Only when this many
    /// wait does the resolve stage wait too. Memory: one DNS observation per parked domain (a few KB).
    /// </summary>
    public int MaxParkedDomains { get; init; } = DefaultMaxParkedDomains;

    /// <summary>
    /// How long one domain may take, resolution and probes: past it the domain is recorded with the probes that
    /// finished (the others' addresses judged <see cref="HostReason.ProbeMissing"/>, their keys in
    /// <see cref="DomainRecord.PendingProbeKeys"/>). The probes themselves go on for the other domains that need them.
    /// </summary>
    public TimeSpan DomainDeadline { get; init; } = DefaultDomainDeadline;

    /// <summary>MX host names whose lookups the run keeps at most (<see cref="HostLookupCache"/>).</summary>
    public int HostCacheCapacity { get; init; } = HostLookupCache.DefaultCapacity;

    /// <summary>MX hosts resolved and judged per domain at most (<see cref="DomainResolver.MaxMxHosts"/>); the cut is a finding.</summary>
    public int MaxMxHosts { get; init; } = DomainResolver.DefaultMaxMxHosts;

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
public sealed record LocalScanResult(RunManifest Manifest, RunSummary Summary, IReadOnlyList<DomainListReport> Lists, long Probed, long ProbesReused, long ProbesLoaded)
{
    /// <summary>How long the attempt took, first list line to last record.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>DNS queries (RRset lookups) sent in this attempt.</summary>
    public long QueriesSent { get; init; }

    /// <summary>Distinct MX host lookups made (A, AAAA and TLSA once per host) and the times domains shared one.</summary>
    public long HostLookups { get; init; }

    /// <summary>Times a domain used a host lookup another domain had made.</summary>
    public long HostLookupsShared { get; init; }

    /// <summary>Chain judgements computed, and answered from the run's memo.</summary>
    public long ChainJudgements { get; init; }

    /// <summary>Chain judgements answered from the run's memo.</summary>
    public long ChainJudgementsShared { get; init; }

    /// <summary>The address that needed the most probes, and how many.</summary>
    public string? BusiestAddress { get; init; }

    /// <summary>Probes the busiest address needed.</summary>
    public int BusiestAddressProbes { get; init; }

    /// <summary>The shortest this attempt could have been under the politeness limits (busiest address's probes × interval).</summary>
    public TimeSpan PoliteLowerBound { get; init; }

    /// <summary>Domains recorded because their deadline passed before all their probes finished.</summary>
    public long DomainsPastDeadline { get; init; }

    /// <summary>The most domains parked at once.</summary>
    public int PeakParked { get; init; }

    /// <summary>The adaptive DNS concurrency at the end of the attempt, and how often timeouts cut it.</summary>
    public int DnsConcurrencyAtEnd { get; init; }

    /// <summary>How often lookup timeouts halved the DNS concurrency.</summary>
    public int DnsConcurrencyCuts { get; init; }
}

/// <summary>
/// The local runner: the four stages in one process, joined by bounded channels.
/// <list type="number">
/// <item>enumerate: stream the lists (normalised, deduplicated), drop opted-out names and names an earlier
/// attempt of the run already recorded;</item>
/// <item>resolve: <see cref="LocalScanOptions.DnsConcurrency"/> workers over one <see cref="DomainResolver"/>
/// with the run's <see cref="HostLookupCache"/> (each MX host's A, AAAA and TLSA looked up once per run);</item>
/// <item>probe: each <see cref="ProbeTarget.Key"/> once per run through <see cref="ProbeRegistry"/> and the
/// polite <see cref="HostProber"/> (per-address limiter, global connection cap). A domain whose probes are
/// not done is parked: a continuation on the probes' tasks, holding no worker, at most
/// <see cref="LocalScanOptions.MaxParkedDomains"/> at once and each at most
/// <see cref="LocalScanOptions.DomainDeadline"/>; then the verdict, with the run's <see cref="JudgementMemo"/>;</item>
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
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxParkedDomains, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.InitialDnsConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.HostCacheCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxMxHosts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.DomainDeadline, TimeSpan.Zero);
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

        // What earlier attempts recorded: skipped by enumerate (fingerprints, about 16 bytes a name) and counted
        // into the run's statistics now, so that the end of the run need not read its records back.
        var recorded = new DomainDeduplicator();
        var statistics = new RunSummary.Builder(runId);
        if (previous is not null)
        {
            await foreach (var record in _store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
            {
                if (recorded.Add(record.Domain))
                {
                    statistics.Add(record);
                }
                else
                {
                    statistics.CountDuplicate();
                }
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
        // Probes no recorded domain waits for any more are cancelled when the last domain is recorded.
        using var probesNeeded = CancellationTokenSource.CreateLinkedTokenSource(token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var resolver = _resolver.ForRun(_options.HostCacheCapacity, _options.MaxMxHosts);
        var memo = new JudgementMemo();
        var bounded = new BoundedChannelOptions(_options.ChannelCapacity) { FullMode = BoundedChannelFullMode.Wait };
        var toResolve = Channel.CreateBounded<DomainListEntry>(bounded);
        var toRecord = Channel.CreateBounded<DomainRecord>(bounded);
        var registry = new ProbeRegistry(_prober.ProbeAsync, _store, runId, reuseStored: previous is not null, probesNeeded.Token);
        using var parkingSpaces = new SemaphoreSlim(_options.MaxParkedDomains, _options.MaxParkedDomains);
        using var inFlight = new AdaptiveLimit(_options.DnsConcurrency, Math.Min(_options.DnsConcurrency, _options.InitialDnsConcurrency), timeProvider: _time);
        var parked = 0;
        var peakParked = 0;
        long pastDeadline = 0;
        // Open work: one for the resolve stage plus one per parked domain; the record channel closes at zero.
        var open = 1;
        Exception? parkedFault = null;
        progress.ResolveQueue = () => toResolve.Reader.Count;
        progress.ProbeQueue = () => Volatile.Read(ref parked);
        progress.RecordQueue = () => toRecord.Reader.Count;
        progress.ProbesRun = () => registry.Probed;
        progress.ProbesInFlight = () => registry.InFlight;
        using var resolveDepth = DaneScanTelemetry.ObserveQueue("resolve", () => toResolve.Reader.Count);
        using var probeDepth = DaneScanTelemetry.ObserveQueue("probe", () => Volatile.Read(ref parked));
        using var recordDepth = DaneScanTelemetry.ObserveQueue("record", () => toRecord.Reader.Count);
        OnStarted?.Invoke(progress);

        var reports = new List<DomainListReport>();
        long optedOut = 0;
        long accepted = 0;

        void Close()
        {
            if (Interlocked.Decrement(ref open) == 0)
            {
                toRecord.Writer.TryComplete();
            }
        }

        DomainRecord Record(DomainListEntry entry, DomainObservation dns, IReadOnlyList<ProbeObservation> probes, IReadOnlyList<string>? pending)
        {
            var verdict = DaneJudge.Judge(dns, probes, memo);
            DaneScanTelemetry.CountDomains("probe");
            DaneScanTelemetry.CountOutcome(verdict);
            return new DomainRecord
            {
                Observation = dns,
                Source = entry.Source,
                Rank = entry.Rank,
                ProbeKeys = [.. probes.Select(p => ProbeKey.Of(p.Host, p.Address))],
                PendingProbeKeys = pending is { Count: > 0 } ? pending : null,
                Verdict = verdict,
            };
        }

        async Task EnumerateAsync()
        {
            var reader = new DomainListReader(_options.ListOptions);
            try
            {
                foreach (var source in sources)
                {
                    var report = new DomainListReport(source.Name);
                    reports.Add(report);
                    await using var stream = new CountingReadStream(source.Open(), n => progress.AddBytes(n), leaveOpen: false);
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

        // Resolve, then claim the probes; a domain whose probes are all done is judged at once, any other is
        // parked: a continuation on the probes' tasks, holding no worker. Only a full parking bound makes a
        // resolve worker wait.
        async Task ResolveAsync()
        {
            await foreach (var entry in toResolve.Reader.ReadAllAsync(token).ConfigureAwait(false))
            {
                var began = clock.Elapsed;
                await inFlight.WaitAsync(token).ConfigureAwait(false);
                DomainObservation dns;
                try
                {
                    using (DaneScanTelemetry.TrackLookup(entry.Domain))
                    {
                        dns = await resolver.ResolveAsync(entry.Domain, token).ConfigureAwait(false);
                    }
                }
                catch
                {
                    inFlight.Release(timedOut: false);
                    throw;
                }

                inFlight.Release(TimedOut(dns));
                progress.CountResolved();
                var targets = ProbeTarget.For(dns, _options.SmtpPort);
                var tasks = new Task<ProbeObservation>[targets.Count];
                var done = true;
                for (var i = 0; i < targets.Count; i++)
                {
                    tasks[i] = registry.GetAsync(targets[i]);
                    done &= tasks[i].IsCompletedSuccessfully;
                }

                if (done)
                {
                    await toRecord.Writer.WriteAsync(Record(entry, dns, [.. tasks.Select(t => t.Result)], null), token).ConfigureAwait(false);
                    continue;
                }

                await parkingSpaces.WaitAsync(token).ConfigureAwait(false);
                Interlocked.Increment(ref open);
                var now = Interlocked.Increment(ref parked);
                InterlockedMax(ref peakParked, now);
                _ = ParkAsync(entry, dns, targets, tasks, began);
            }
        }

        async Task ParkAsync(DomainListEntry entry, DomainObservation dns, IReadOnlyList<ProbeTarget> targets, Task<ProbeObservation>[] tasks, TimeSpan began)
        {
            try
            {
                var (probes, pending) = await ProbeDeadline.HarvestAsync(tasks, targets, _options.DomainDeadline - (clock.Elapsed - began), _time, token).ConfigureAwait(false);
                if (pending.Count > 0)
                {
                    Interlocked.Increment(ref pastDeadline);
                }

                await toRecord.Writer.WriteAsync(Record(entry, dns, probes, pending), token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A parked domain's fault (a bug or a storage fault) stops the run; it is rethrown below.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (e is not OperationCanceledException)
                {
                    Interlocked.CompareExchange(ref parkedFault, e, null);
                }

                await failed.CancelAsync().ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref parked);
                parkingSpaces.Release();
                Close();
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
                foreach (var stored in batch)
                {
                    statistics.Add(stored);
                }

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

        var stages = new[]
        {
            Stage(EnumerateAsync, 1, null),
            Stage(ResolveAsync, _options.DnsConcurrency, Close),
            Stage(RecordAsync, 1, null),
        };
        try
        {
            await Task.WhenAll(stages).ConfigureAwait(false);
            if (parkedFault is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(parkedFault).Throw();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Another stage failed and cancelled the rest: surface that stage's exception, not the cancellation.
            var fault = parkedFault ?? stages.Where(s => s.IsFaulted).SelectMany(s => s.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException);
            if (fault is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(fault).Throw();
            }

            throw;
        }
        finally
        {
            // Every domain is recorded (or the run failed): probes still queued serve no domain of this attempt.
            await probesNeeded.CancelAsync().ConfigureAwait(false);
        }

        var elapsed = clock.Elapsed;
        var busiest = registry.BusiestAddress;
        var lists = reports.Select(r => r.ToManifest()).ToList();
        var summaryManifest = manifest with { Lists = lists, Counts = manifest.Counts with { DomainsOptedOut = optedOut } };
        var summary = await statistics.BuildAsync(_store, summaryManifest, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
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
        return new LocalScanResult(final, summary, reports, registry.Probed, registry.Reused, registry.Loaded)
        {
            Elapsed = elapsed,
            QueriesSent = resolver.QueriesSent,
            HostLookups = resolver.HostCache?.Misses ?? 0,
            HostLookupsShared = resolver.HostCache?.Hits ?? 0,
            ChainJudgements = memo.Misses,
            ChainJudgementsShared = memo.Hits,
            BusiestAddress = busiest.Address?.ToString(),
            BusiestAddressProbes = busiest.Probes,
            PoliteLowerBound = _prober.Limiter.Limits.PoliteLowerBound(busiest.Probes),
            DomainsPastDeadline = Interlocked.Read(ref pastDeadline),
            PeakParked = Volatile.Read(ref peakParked),
            DnsConcurrencyAtEnd = inFlight.Current,
            DnsConcurrencyCuts = inFlight.Cuts,
        };
    }

    /// <summary>Whether a lookup of the domain's timed out (the resolver fell behind).</summary>
    private static bool TimedOut(DomainObservation dns) =>
        dns.Mx.Failure == LookupFailureKind.Timeout ||
        dns.Hosts.Any(h => h.A.Failure == LookupFailureKind.Timeout || h.Aaaa.Failure == LookupFailureKind.Timeout || h.TlsaLookups.Any(t => t.Failure == LookupFailureKind.Timeout));

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
