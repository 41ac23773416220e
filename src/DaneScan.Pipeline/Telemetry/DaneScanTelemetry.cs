using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DaneScan.Pipeline.Telemetry;

/// <summary>
/// DaneScan's OpenTelemetry instruments, defined once for every host (CLI, worker, Functions): one
/// <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named <see cref="Name"/>. Nothing is
/// exported unless a host registers an exporter (<see cref="TelemetryRegistration"/>); unobserved
/// instruments cost a branch.
/// </summary>
public static class DaneScanTelemetry
{
    /// <summary>The meter's and the activity source's name: what an exporter subscribes to.</summary>
    public const string Name = "DaneScan";

    private static readonly string? Version = typeof(DaneScanTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ConcurrentDictionary<long, (string Queue, Func<long> Depth)> Queues = new();
    private static long _nextQueue;

    public static ActivitySource Source { get; } = new(Name, Version);

    public static Meter Meter { get; } = new(Name, Version);

    /// <summary>Domains that finished a stage; tag <c>stage</c> (enumerate, resolve, probe, record). Rate = domains/s per stage.</summary>
    public static Counter<long> Domains { get; } = Meter.CreateCounter<long>("danescan.domains", "{domain}", "Domains that finished a stage (tag stage).");

    /// <summary>Domains judged, by all-MX DANE status; tag <c>status</c>.</summary>
    public static Counter<long> Outcomes { get; } = Meter.CreateCounter<long>("danescan.outcomes", "{domain}", "Domains judged, by all-MX DANE status (tag status).");

    /// <summary>Probes finished, by outcome; tag <c>outcome</c>.</summary>
    public static Counter<long> Probes { get; } = Meter.CreateCounter<long>("danescan.probes", "{probe}", "SMTP probes finished, by outcome (tag outcome).");

    /// <summary>Domain resolutions (MX, address and TLSA lookups of one domain) in flight.</summary>
    public static UpDownCounter<long> LookupsInFlight { get; } = Meter.CreateUpDownCounter<long>("danescan.lookups.in_flight", "{domain}", "Domain resolutions in flight.");

    /// <summary>SMTP probes in flight (connected or waiting for their address's turn).</summary>
    public static UpDownCounter<long> ProbesInFlight { get; } = Meter.CreateUpDownCounter<long>("danescan.probes.in_flight", "{probe}", "SMTP probes in flight.");

    /// <summary>
    /// Probe requests sent back to the probe queue as scheduled messages because their address's turn was not
    /// free (the fleet's probe stage never waits for it in an execution); tag <c>reason</c> (Interval, AddressBusy, GlobalCap).
    /// </summary>
    public static Counter<long> ProbeDeferrals { get; } = Meter.CreateCounter<long>("danescan.probes.deferred", "{request}", "Probe requests deferred to a scheduled message because their address's turn was not free (tag reason).");

    /// <summary>Probe requests deferred as often as the stage allows, which then waited for their address's turn in the execution.</summary>
    public static Counter<long> ProbesWaitedInProcess { get; } = Meter.CreateCounter<long>("danescan.probes.waited", "{request}", "Probe requests deferred as often as allowed that then waited for their turn in the execution.");

    /// <summary>Work given back for another attempt (an abandoned message); tag <c>stage</c>.</summary>
    public static Counter<long> Retries { get; } = Meter.CreateCounter<long>("danescan.retries", "{attempt}", "Work handed back for another attempt (tag stage).");

    /// <summary>Failures that stopped a stage or a message (storage faults, bugs); tags <c>stage</c> and <c>error</c>.</summary>
    public static Counter<long> Errors { get; } = Meter.CreateCounter<long>("danescan.errors", "{error}", "Failures that stopped a stage or a message (tags stage, error).");

    /// <summary>Items waiting between stages; tag <c>queue</c>. Sources register with <see cref="ObserveQueue"/>.</summary>
    public static ObservableGauge<long> QueueDepth { get; } = Meter.CreateObservableGauge(
        "danescan.queue.depth",
        () => Queues.Values.Select(q => new Measurement<long>(q.Depth(), new KeyValuePair<string, object?>("queue", q.Queue))),
        "{item}",
        "Items waiting in a queue between stages (tag queue).");

    /// <summary>Reports <paramref name="depth"/> as the depth of <paramref name="queue"/> until the result is disposed.</summary>
    public static IDisposable ObserveQueue(string queue, Func<long> depth)
    {
        ArgumentNullException.ThrowIfNull(queue);
        ArgumentNullException.ThrowIfNull(depth);
        var id = Interlocked.Increment(ref _nextQueue);
        Queues[id] = (queue, depth);
        return new Registration(() => Queues.TryRemove(id, out _));
    }

    /// <summary>Counts a domain that finished <paramref name="stage"/>.</summary>
    public static void CountDomains(string stage, long n = 1)
    {
        if (n > 0)
        {
            Domains.Add(n, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    /// <summary>Counts a judged domain by its all-MX status (<see cref="Outcomes"/>), in every host the same way.</summary>
    public static void CountOutcome(Core.DomainVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        Outcomes.Add(1, new KeyValuePair<string, object?>("status", verdict.All.ToString()));
    }

    /// <summary>Counts a probe request deferred to a scheduled message (<see cref="ProbeDeferrals"/>).</summary>
    public static void CountProbeDeferral(Politeness.DeferralReason reason) =>
        ProbeDeferrals.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));

    /// <summary>Counts a probe request that waited for its turn in the execution after its last allowed deferral (<see cref="ProbesWaitedInProcess"/>).</summary>
    public static void CountProbeWaitedInProcess() => ProbesWaitedInProcess.Add(1);

    /// <summary>Counts a failure of <paramref name="stage"/>, tagged with the exception's type.</summary>
    public static void CountError(string stage, Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Errors.Add(1, new KeyValuePair<string, object?>("stage", stage), new KeyValuePair<string, object?>("error", error.GetType().Name));
    }

    /// <summary>Marks one domain resolution in flight, with its span, until disposed.</summary>
    public static InFlight TrackLookup(string domain) => new(LookupsInFlight, Source.StartActivity("resolve"), "danescan.domain", domain);

    /// <summary>Marks one probe in flight, with its span, until disposed.</summary>
    public static InFlight TrackProbe(string host, string address) => new(ProbesInFlight, Source.StartActivity("probe"), "danescan.target", host + "|" + address);

    /// <summary>An operation in flight: the up-down counter is decremented and the span ended on dispose.</summary>
    public readonly struct InFlight : IDisposable
    {
        private readonly UpDownCounter<long> _counter;
        private readonly Activity? _activity;

        internal InFlight(UpDownCounter<long> counter, Activity? activity, string tag, string value)
        {
            _counter = counter;
            _activity = activity?.SetTag(tag, value);
            _counter.Add(1);
        }

        public Activity? Activity => _activity;

        public void Dispose()
        {
            _counter?.Add(-1);
            _activity?.Dispose();
        }
    }

    private sealed class Registration(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
