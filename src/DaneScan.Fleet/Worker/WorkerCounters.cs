using System.Globalization;
using DaneScan.Pipeline.Telemetry;
using DaneScan.ServiceBus;

namespace DaneScan.Fleet.Worker;

/// <summary>Settlement counts of one queue since the worker started (thread-safe).</summary>
public sealed class QueueCounters(string queue)
{
    private long _completed;
    private long _deadLettered;
    private long _abandoned;
    private long _inHand;

    public string Queue { get; } = queue;

    public long Completed => Interlocked.Read(ref _completed);

    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    public long Abandoned => Interlocked.Read(ref _abandoned);

    /// <summary>Messages received and not yet settled.</summary>
    public long InHand => Interlocked.Read(ref _inHand);

    internal void Received() => Interlocked.Increment(ref _inHand);

    internal void Settled(Settlement settlement)
    {
        Interlocked.Decrement(ref _inHand);
        _ = settlement switch
        {
            Settlement.Completed => Interlocked.Increment(ref _completed),
            Settlement.DeadLettered => Interlocked.Increment(ref _deadLettered),
            _ => Interlocked.Increment(ref _abandoned),
        };
        if (settlement == Settlement.Abandoned)
        {
            // Handed back to Service Bus for another delivery.
            DaneScanTelemetry.Retries.Add(1, new KeyValuePair<string, object?>("stage", Queue));
        }
    }

    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Queue}: {Completed} completed, {DeadLettered} dead-lettered, {Abandoned} abandoned, {InHand} in hand");
}

/// <summary>What the worker has done since it started: per queue settlements, domains and probe requests.</summary>
public sealed class WorkerCounters
{
    private long _domains;
    private long _domainsOptedOut;
    private long _probesSent;
    private long _probesDeferred;
    private long _probesWaited;

    public QueueCounters Resolve { get; } = new(WorkQueues.Resolve);

    public QueueCounters Probe { get; } = new(WorkQueues.Probe);

    /// <summary>Domains resolved and stored (a redelivered batch counts again).</summary>
    public long Domains => Interlocked.Read(ref _domains);

    /// <summary>Domains of received batches that the opt-out list refused: neither resolved nor stored.</summary>
    public long DomainsOptedOut => Interlocked.Read(ref _domainsOptedOut);

    /// <summary>Probe requests this worker put on the probe queue (each claimed target once per run).</summary>
    public long ProbesSent => Interlocked.Read(ref _probesSent);

    /// <summary>Probe requests this worker deferred: sent back to the probe queue as scheduled messages because their address's turn was not free.</summary>
    public long ProbesDeferred => Interlocked.Read(ref _probesDeferred);

    /// <summary>Probe requests deferred as often as the stage allows that then waited for their turn in the handler.</summary>
    public long ProbesWaited => Interlocked.Read(ref _probesWaited);

    internal void AddProbeResult(Fleet.ProbeStageResult result)
    {
        if (result.IsDeferred)
        {
            Interlocked.Increment(ref _probesDeferred);
        }
        else if (result.WaitedInProcess)
        {
            Interlocked.Increment(ref _probesWaited);
        }
    }

    internal void AddDomains(int resolved, int optedOut)
    {
        Interlocked.Add(ref _domains, resolved);
        Interlocked.Add(ref _domainsOptedOut, optedOut);
    }

    internal void AddProbesSent(int count) => Interlocked.Add(ref _probesSent, count);

    /// <summary>One status line: the consumed queues' settlements, domains resolved and probe requests sent.</summary>
    public string Describe(bool resolve = true, bool probe = true)
    {
        var parts = new List<string>(2);
        if (resolve)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Resolve.Describe()} ({Domains} domains, {DomainsOptedOut} opted out, {ProbesSent} probe requests sent)"));
        }

        if (probe)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{Probe.Describe()} ({ProbesDeferred} deferred, {ProbesWaited} waited for their turn)"));
        }

        return string.Join("; ", parts);
    }
}
