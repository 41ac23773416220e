using DaneScan.Contracts;
using DaneScan.Pipeline.Politeness;

namespace DaneScan.Fleet;

// The ports through which the function shells and `danescan worker` call the stage code: BlobRunEnumerator,
// TableResolveStage and TableProbeStage in this project, over the CLI's resolver and prober. The Functions app
// registers them in StageRegistration and refuses to start (StageRegistrationCheck) if one is missing.

/// <summary>
/// The enumerate stage: reads the lists, normalises and filters names, writes the run manifest. Names are
/// streamed, never collected: a run of millions of names holds only the duplicate table in memory.
/// </summary>
public interface IRunEnumerator
{
    /// <summary>
    /// Starts the run of one scheduled occurrence, or resumes it when an earlier attempt of the same occurrence
    /// (a retried timer) started it: the run id is derived from <paramref name="scheduledUtc"/> alone. Writes
    /// the manifest (state Running) and returns the run with its accepted names as a stream; reading the
    /// stream to its end reads every list once. Throws <see cref="EnumerationException"/> when the lists
    /// cannot be read at all (a missing container, an unreadable opt-out list).
    /// </summary>
    Task<EnumeratedRun> StartRunAsync(string listsContainer, DateTimeOffset scheduledUtc, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records in the run manifest the lists read (hashes, line counts, rejections by reason), the names
    /// accepted and opted out, and what was sent to the resolve queue. Call after <see cref="EnumeratedRun.Domains"/>
    /// was read to its end.
    /// </summary>
    Task RecordEnumerationSentAsync(EnumeratedRun run, int messages, CancellationToken cancellationToken = default);
}

/// <summary>A run as the enumerate stage started it.</summary>
public abstract class EnumeratedRun
{
    public required string RunId { get; init; }

    /// <summary>The scheduled occurrence the run belongs to.</summary>
    public DateTimeOffset ScheduledUtc { get; init; }

    /// <summary>
    /// True when an earlier attempt of this occurrence already sent every name and recorded it: a retried
    /// timer then sends nothing (<see cref="Domains"/> is empty).
    /// </summary>
    public bool AlreadyEnumerated { get; init; }

    /// <summary>The accepted names with their list ranks, in list order, each once; streamed from the lists as it is read.</summary>
    public abstract IAsyncEnumerable<ListedDomain> Entries { get; }

    /// <summary>The names of <see cref="Entries"/>.</summary>
    public IAsyncEnumerable<string> Domains => Entries.Select(e => e.Name);

    /// <summary>Names yielded so far by <see cref="Domains"/>.</summary>
    public abstract long DomainsAccepted { get; }
}

/// <summary>The lists of a run cannot be read (a missing container, an opt-out blob that is missing or has bad lines).</summary>
public sealed class EnumerationException : Exception
{
    public EnumerationException()
    {
    }

    public EnumerationException(string message)
        : base(message)
    {
    }

    public EnumerationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The resolve stage for one batch: stores each domain's DNS observation and claims the run's new hosts.</summary>
public interface IResolveStage
{
    /// <summary>
    /// Resolves and stores the batch's domains; returns the (host, address) probes that this call claimed
    /// first in the run. Idempotent: a redelivered batch overwrites the same rows and claims nothing new.
    /// </summary>
    Task<IReadOnlyList<ProbeRequest>> ResolveAsync(ResolveBatch batch, CancellationToken cancellationToken = default);
}

/// <summary>The probe stage for one (host, address): SMTP, STARTTLS, chain capture and TLSA judgement, stored.</summary>
public interface IProbeStage
{
    /// <summary>
    /// Probes and stores; probe failures are stored as outcomes, not thrown. Idempotent per (run, host, address).
    /// When the address's turn is not free now (politeness), nothing is probed, stored, judged or marked, and the
    /// result says how long to wait: the host sends the request back to the probe queue as a scheduled message
    /// (<see cref="ProbeRequestHandler"/>) rather than holding the execution while it waits.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="deferrals">How many times this request was deferred before (<see cref="ProbeDeferrals.CountProperty"/>).</param>
    /// <param name="cancellationToken">Cancels the stage.</param>
    Task<ProbeStageResult> ProbeAsync(ProbeRequest request, int deferrals, CancellationToken cancellationToken = default);
}

/// <summary>What the probe stage did with one request: done (probed and stored, or stored already), or deferred.</summary>
/// <param name="Deferred">When deferred, how long from now the request should come back; null when done.</param>
/// <param name="Reason">Why it was deferred (the limiter's answer); <see cref="DeferralReason.None"/> when done.</param>
/// <param name="WaitedInProcess">True when the request had been deferred as often as the stage allows and so waited for its turn in the execution.</param>
public sealed record ProbeStageResult(TimeSpan? Deferred, DeferralReason Reason = DeferralReason.None, bool WaitedInProcess = false)
{
    /// <summary>Done without waiting in the execution.</summary>
    public static ProbeStageResult Done { get; } = new(Deferred: null);

    /// <summary>True when nothing was probed: the request should come back after <see cref="Deferred"/>.</summary>
    public bool IsDeferred => Deferred is not null;
}
