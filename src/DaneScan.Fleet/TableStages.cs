using System.Net;
using Azure;
using Azure.Data.Tables;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Telemetry;
using DaneScan.Storage;

namespace DaneScan.Fleet;

/// <summary>
/// The per-run coordination the Functions stages keep in Table Storage next to the results: which
/// <see cref="ProbeTarget"/>s are claimed (so each is probed once per run across all function instances)
/// and which domains wait on which target (so the probe stage can judge them once their last probe lands).
/// One table, <c>{prefix}Claims</c>. Claims: partition <c>{run}|claims</c>, row = the target key, with the
/// claiming batch. Waits: partition <c>{run}|wait|{target key}</c>, row = the domain. The same table holds
/// the run's completion markers (<see cref="Progress"/>).
/// </summary>
public sealed partial class ProbeClaims
{
    private readonly TableClient _table;

    private ProbeClaims(TableClient table)
    {
        _table = table;
        Progress = new RunProgress(table, Counters);
    }

    public string TableName => _table.Name;

    /// <summary>The run completion markers, in the same table.</summary>
    public RunProgress Progress { get; }

    /// <summary>Every request sent to the claims table, as Azure bills them.</summary>
    public TableOperationCounters Counters { get; } = new();

    public static async Task<ProbeClaims> OpenAsync(TableServiceClient service, string tablePrefix = "danescan", CancellationToken cancellationToken = default)
    {
        var claims = Attach(service, tablePrefix);
        await claims.CreateTableAsync(cancellationToken).ConfigureAwait(false);
        return claims;
    }

    /// <summary>The claims over a table that exists already (Bicep creates it in Azure), without a request.</summary>
    public static ProbeClaims Attach(TableServiceClient service, string tablePrefix = "danescan")
    {
        ArgumentNullException.ThrowIfNull(service);
        return new ProbeClaims(service.GetTableClient(tablePrefix + "Claims"));
    }

    /// <summary>Creates the claims table if it is missing (idempotent).</summary>
    public async Task CreateTableAsync(CancellationToken cancellationToken = default)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
        Counters.RecordOther();
    }

    /// <summary>
    /// Claims the target for the claimant (a resolve batch). True when this claimant holds the claim and its
    /// probe request is not recorded as sent: it made the claim now, or made it in an earlier delivery of the
    /// same batch that died before its probe request was sent (and, where the sender calls
    /// <see cref="MarkSentAsync"/>, before that was recorded; Service Bus duplicate detection drops a second
    /// send of the same MessageId within its window).
    /// </summary>
    public async Task<bool> ClaimAsync(string runId, ProbeTarget target, string claimant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var entity = new TableEntity(runId + "|claims", target.Key) { ["Claimant"] = claimant };
        try
        {
            await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            Counters.RecordWrite(1, TableEntitySize.BilledBytes(entity));
            return true;
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Conflict)
        {
            // The refused insert is a billed transaction too.
            Counters.RecordWrite(0, 0);
            var existing = await _table.GetEntityAsync<TableEntity>(entity.PartitionKey, entity.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            Counters.RecordPointRead();
            return string.Equals(existing.Value.GetString("Claimant"), claimant, StringComparison.Ordinal)
                && existing.Value.GetBoolean(SentProperty) != true;
        }
    }

    /// <summary>Records that the domain waits on the target (idempotent).</summary>
    public async Task AddWaiterAsync(string runId, ProbeTarget target, string domain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var entity = new TableEntity(WaitPartition(runId, target), domain);
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        Counters.RecordWrite(1, TableEntitySize.BilledBytes(entity));
    }

    /// <summary>The domains that wait on the target.</summary>
    public async IAsyncEnumerable<string> WaitersAsync(string runId, ProbeTarget target, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {WaitPartition(runId, target)}");
        await foreach (var page in _table.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            Counters.RecordQueryPage(page.Values.Count);
            foreach (var e in page.Values)
            {
                yield return e.RowKey;
            }
        }
    }

    private static string WaitPartition(string runId, ProbeTarget target) => $"{runId}|wait|{target.Key}";
}

/// <summary>
/// Judges a stored domain once every probe it calls for is stored: reads the probes, runs
/// <see cref="DaneJudge"/> (the same as the local runner) and rewrites the record with its verdict.
/// Both stages call it (resolve after claiming, probe after storing), so whichever finishes last judges;
/// when both see everything, both write the same verdict.
/// </summary>
public sealed class DomainJudgement(IResultStore store, int smtpPort = 25)
{
    public int SmtpPort { get; } = smtpPort;

    /// <summary>True when the domain is judged (now or before); false while a probe is missing or the domain is unknown.</summary>
    public async Task<bool> TryJudgeAsync(string runId, string domain, CancellationToken cancellationToken = default) =>
        await JudgeAsync(runId, domain, cancellationToken).ConfigureAwait(false) != Judgement.Pending;

    /// <summary>Judges the domain if every probe it needs is stored: whether it was judged by this call, before, or not yet.</summary>
    public async Task<Judgement> JudgeAsync(string runId, string domain, CancellationToken cancellationToken = default)
    {
        var record = await store.ReadDomainAsync(runId, domain, cancellationToken).ConfigureAwait(false);
        if (record is null)
        {
            return Judgement.Pending;
        }

        if (record.Verdict is not null)
        {
            return Judgement.Before;
        }

        var targets = ProbeTarget.For(record.Observation, SmtpPort);
        var probes = new List<ProbeObservation>(targets.Count);
        foreach (var target in targets)
        {
            var probe = await store.ReadProbeAsync(runId, target.Host, target.Address.ToString(), cancellationToken).ConfigureAwait(false);
            if (probe is null)
            {
                return Judgement.Pending;
            }

            probes.Add(probe.Observation);
        }

        var verdict = DaneJudge.Judge(new DomainScan(record.Observation, probes));
        await store.WriteDomainsAsync(runId, [record with { Verdict = verdict }], cancellationToken).ConfigureAwait(false);
        DaneScanTelemetry.CountOutcome(verdict);
        return Judgement.Now;
    }
}

/// <summary>What <see cref="DomainJudgement.JudgeAsync"/> found.</summary>
public enum Judgement
{
    /// <summary>A probe the domain needs is not stored yet (or the domain is not).</summary>
    Pending,

    /// <summary>Judged by this call.</summary>
    Now,

    /// <summary>Judged before (a redelivery).</summary>
    Before,
}

/// <summary>
/// The resolve stage over Table Storage: resolves each domain of the batch (the CLI's
/// <c>DomainResolver.ResolveAsync</c>), stores its observation, records it as waiting on its probe targets,
/// claims the targets no other batch of the run claimed, and judges the domains whose probes are all stored.
/// A domain whose probes are missing is stored without a verdict; the probe stage judges it. Last, it marks
/// the batch resolved (<see cref="RunProgress"/>). Up to <c>concurrency</c> domains of a batch are resolved at
/// once (<see cref="DefaultConcurrency"/>). A domain that <c>domainAllowed</c> refuses (the opt-out
/// list, as <c>danescan scan</c> applies it) is neither resolved nor stored, but counts as handled in the mark.
/// </summary>
/// <remarks>
/// <c>resolve</c> gets the run id with each domain, so that a stage instance can share host lookups within a run
/// (<see cref="RunHostCaches"/>): every domain of every batch of the run that names a host reuses its one lookup.
/// </remarks>
public sealed class TableResolveStage(
    Func<string, string, CancellationToken, Task<DomainObservation>> resolve,
    IResultStore store,
    ProbeClaims claims,
    int smtpPort = 25,
    Func<string, bool>? domainAllowed = null,
    int concurrency = TableResolveStage.DefaultConcurrency) : IResolveStage
{
    /// <summary>A stage whose resolver does not care which run a domain belongs to (no shared host lookups).</summary>
    public TableResolveStage(
        Func<string, CancellationToken, Task<DomainObservation>> resolve,
        IResultStore store,
        ProbeClaims claims,
        int smtpPort = 25,
        Func<string, bool>? domainAllowed = null,
        int concurrency = DefaultConcurrency)
        : this((_, domain, cancellationToken) => resolve(domain, cancellationToken), store, claims, smtpPort, domainAllowed, concurrency)
    {
        ArgumentNullException.ThrowIfNull(resolve);
    }

    /// <summary>
    /// Domains of one batch resolved at once. DNS is latency-bound (a cold internet lookup of MX, addresses and
    /// TLSA takes about half a second), so a batch of hundreds resolved one after another would outlast a
    /// function's timeout; the validating resolver, not this process, is the limit.
    /// </summary>
    public const int DefaultConcurrency = 16;

    private readonly DomainJudgement _judge = new(store, smtpPort);
    private readonly int _concurrency = concurrency >= 1 ? concurrency : throw new ArgumentOutOfRangeException(nameof(concurrency), concurrency, "at least 1");

    public async Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var claimant = $"batch:{batch.BatchIndex}";
        var claimed = new List<ProbeRequest>();

        // A redelivery of a batch an earlier delivery finished (its completion was lost, or it died before
        // sending its probe requests) replays the stored observations instead of resolving again: new DNS
        // answers could add claims or undo verdicts after the run was counted complete.
        var replay = await claims.Progress.IsBatchResolvedAsync(batch.RunId, batch.BatchIndex, cancellationToken).ConfigureAwait(false);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _concurrency, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(Enumerable.Range(0, batch.Domains.Count), options, async (index, ct) =>
        {
            var domain = batch.Domains[index];
            if (domainAllowed is not null && !domainAllowed(domain))
            {
                return;
            }

            var stored = replay ? await store.ReadDomainAsync(batch.RunId, domain, ct).ConfigureAwait(false) : null;
            var dns = stored?.Observation ?? await resolve(batch.RunId, domain, ct).ConfigureAwait(false);
            var targets = ProbeTarget.For(dns, smtpPort);
            if (targets.Count == 0)
            {
                // DNS alone decides: judge now, as the local runner does.
                if (stored is null)
                {
                    var record = new DomainRecord { Observation = dns, Rank = batch.RankOf(index), Verdict = DaneJudge.Judge(new DomainScan(dns, [])) };
                    await store.WriteDomainsAsync(batch.RunId, [record], ct).ConfigureAwait(false);
                    DaneScanTelemetry.CountOutcome(record.Verdict);
                }

                return;
            }

            if (stored is null)
            {
                var pending = new DomainRecord { Observation = dns, Rank = batch.RankOf(index), ProbeKeys = [.. targets.Select(t => t.Key)] };
                await store.WriteDomainsAsync(batch.RunId, [pending], ct).ConfigureAwait(false);
            }

            foreach (var target in targets)
            {
                // The wait is written before the probe is looked for, and the probe stage stores the probe
                // before it reads the waits: one of the two always sees both.
                await claims.AddWaiterAsync(batch.RunId, target, dns.Domain, ct).ConfigureAwait(false);
                if (await claims.ClaimAsync(batch.RunId, target, claimant, ct).ConfigureAwait(false))
                {
                    // Two domains of this batch may need the same target: both hold the batch's claim, one request goes out.
                    lock (claimed)
                    {
                        if (!claimed.Any(c => c.Host == target.Host && c.Address == target.Address.ToString() && c.Port == target.Port))
                        {
                            claimed.Add(new ProbeRequest { RunId = batch.RunId, Host = target.Host, Address = target.Address.ToString(), Sni = target.ServerName, Port = target.Port });
                        }
                    }
                }
            }

            await _judge.TryJudgeAsync(batch.RunId, dns.Domain, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);

        // Every domain is stored and every target claimed: the batch counts as done. The probe requests are
        // sent by the caller after this; completion also waits for every claimed target to be probed, so a
        // delivery that dies before sending them (and is redelivered) cannot complete the run early.
        await claims.Progress.MarkBatchResolvedAsync(batch.RunId, batch.BatchIndex, batch.Domains.Count, cancellationToken).ConfigureAwait(false);

        // In a stable order, whatever order the concurrent lookups finished in.
        return [.. claimed.OrderBy(c => c.Host, StringComparer.Ordinal).ThenBy(c => c.Address, StringComparer.Ordinal).ThenBy(c => c.Port)];
    }
}

/// <summary>
/// The probe stage over Table Storage: probes one target unless the run already stored it (a redelivery), stores
/// the observation, then judges every domain that waits on the target and now has all its probes. Over a
/// <see cref="HostProber"/> it never waits for a polite interval in the execution: it probes through
/// <see cref="HostProber.TryProbeAsync"/>, and when the target's address is not free now it stores nothing,
/// judges nothing, does not mark the target probed, and returns the deferral for the host to send the request
/// back as a scheduled message. A request deferred <see cref="MaxDeferrals"/> times already is probed through the
/// waiting <see cref="HostProber.ProbeAsync"/> instead, so that it makes progress however the slots it was told
/// turned out (<see cref="ProbeStageResult.WaitedInProcess"/>).
/// </summary>
public sealed class TableProbeStage : IProbeStage
{
    /// <summary>
    /// The default of <see cref="MaxDeferrals"/>: 5. The limiter books deferred requests into successive slots, so a
    /// request is deferred about once (twice when the connections before it outlast their estimate); five leaves
    /// room for that several times over, while a request that keeps losing its turn (to the CLI's waiters on a
    /// shared limiter, or to new requests that find the address free first) waits for it after five round trips
    /// through the queue, in one execution, as every request did before deferral.
    /// </summary>
    public const int DefaultMaxDeferrals = 5;

    private readonly Func<ProbeTarget, int, CancellationToken, Task<(ProbeTry Try, bool Waited)>> _probe;
    private readonly IResultStore _store;
    private readonly ProbeClaims _claims;
    private readonly DomainJudgement _judge;

    /// <summary>A stage over a prober function that always probes (it never defers).</summary>
    public TableProbeStage(Func<ProbeTarget, CancellationToken, Task<ProbeObservation>> probe, IResultStore store, ProbeClaims claims, int smtpPort = 25)
        : this(store, claims, smtpPort, DefaultMaxDeferrals, Always(probe))
    {
    }

    /// <summary>A stage over the polite prober: deferred while the address's turn is not free, up to <paramref name="maxDeferrals"/> times.</summary>
    public TableProbeStage(HostProber prober, IResultStore store, ProbeClaims claims, int smtpPort = 25, int maxDeferrals = DefaultMaxDeferrals)
        : this(store, claims, smtpPort, maxDeferrals, Polite(prober, maxDeferrals))
    {
    }

    private TableProbeStage(IResultStore store, ProbeClaims claims, int smtpPort, int maxDeferrals, Func<ProbeTarget, int, CancellationToken, Task<(ProbeTry Try, bool Waited)>> probe)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(claims);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDeferrals);
        _store = store;
        _claims = claims;
        _judge = new DomainJudgement(store, smtpPort);
        MaxDeferrals = maxDeferrals;
        _probe = probe;
    }

    /// <summary>Deferrals after which a request waits for its turn in the execution (0: never deferred).</summary>
    public int MaxDeferrals { get; }

    /// <summary>As <see cref="ProbeAsync(ProbeRequest, int, CancellationToken)"/> for a request never deferred before.</summary>
    public Task<ProbeStageResult> ProbeAsync(ProbeRequest request, CancellationToken cancellationToken = default) => ProbeAsync(request, 0, cancellationToken);

    public async Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfNegative(deferrals);
        if (!IPAddress.TryParse(request.Address, out var address))
        {
            throw new PoisonMessageException("InvalidAddress", $"'{request.Address}' is not an IP address");
        }

        var target = new ProbeTarget(request.Host, address, request.Port, request.Sni);
        var stored = await _store.ReadProbeAsync(request.RunId, target.Host, address.ToString(), cancellationToken).ConfigureAwait(false);
        var waited = false;
        if (stored is null)
        {
            var (attempt, inProcess) = await _probe(target, deferrals, cancellationToken).ConfigureAwait(false);
            if (attempt.Observation is not { } observation)
            {
                // Not this target's turn: nothing stored, judged or marked; the host sends the request back.
                return new ProbeStageResult(attempt.RetryAfter ?? TimeSpan.Zero, attempt.Reason);
            }

            waited = inProcess;
            await _store.WriteProbesAsync(request.RunId, [new ProbeRecord { Observation = observation }], cancellationToken).ConfigureAwait(false);
        }

        var judged = 0;
        await foreach (var domain in _claims.WaitersAsync(request.RunId, target, cancellationToken).ConfigureAwait(false))
        {
            if (await _judge.JudgeAsync(request.RunId, domain, cancellationToken).ConfigureAwait(false) == Judgement.Now)
            {
                judged++;
            }
        }

        // Domains that finished the probe stage: those this probe's delivery judged (danescan.domains, stage=probe).
        DaneScanTelemetry.CountDomains("probe", judged);

        // Stored and every waiting domain judged: the claimed target counts as done.
        await _claims.Progress.MarkProbedAsync(request.RunId, target, cancellationToken).ConfigureAwait(false);
        return waited ? new ProbeStageResult(null, WaitedInProcess: true) : ProbeStageResult.Done;
    }

    private static Func<ProbeTarget, int, CancellationToken, Task<(ProbeTry Try, bool Waited)>> Always(Func<ProbeTarget, CancellationToken, Task<ProbeObservation>> probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return async (target, _, ct) => (new ProbeTry(await probe(target, ct).ConfigureAwait(false), null), false);
    }

    private static Func<ProbeTarget, int, CancellationToken, Task<(ProbeTry Try, bool Waited)>> Polite(HostProber prober, int maxDeferrals)
    {
        ArgumentNullException.ThrowIfNull(prober);
        return async (target, deferrals, ct) =>
        {
            if (deferrals >= maxDeferrals)
            {
                DaneScanTelemetry.CountProbeWaitedInProcess();
                return (new ProbeTry(await prober.ProbeAsync(target, ct).ConfigureAwait(false), null), true);
            }

            return (await prober.TryProbeAsync(target, deferredBefore: deferrals > 0, ct).ConfigureAwait(false), false);
        };
    }
}
