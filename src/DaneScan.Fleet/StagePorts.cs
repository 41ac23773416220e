using DaneScan.Pipeline.Messages;

namespace DaneScan.Fleet;

// The ports through which the function shells call the stage code that the CLI runs too. Their
// implementations live in DaneScan.Pipeline and DaneScan.Storage and are registered in Program.cs when
// those are integrated; until then the app refuses to start (StageRegistrationCheck) instead of running
// with stand-ins.

/// <summary>The enumerate stage: reads the lists, normalises and filters names, writes the run manifest.</summary>
public interface IRunEnumerator
{
    /// <summary>Starts a run from the lists in the container: returns its id and the accepted names, in order.</summary>
    Task<EnumeratedRun> StartRunAsync(string listsContainer, DateTimeOffset scheduledUtc, CancellationToken cancellationToken = default);

    /// <summary>Records in the run manifest what was sent to the resolve queue.</summary>
    Task RecordEnumerationSentAsync(string runId, int messages, int domains, CancellationToken cancellationToken = default);
}

/// <summary>A run as the enumerate stage started it.</summary>
public sealed record EnumeratedRun(string RunId, IReadOnlyList<string> Domains);

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
    /// <summary>Probes and stores; probe failures are stored as outcomes, not thrown. Idempotent per (run, host, address).</summary>
    Task ProbeAsync(ProbeRequest request, CancellationToken cancellationToken = default);
}
