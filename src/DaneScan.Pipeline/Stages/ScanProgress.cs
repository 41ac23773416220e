using System.Globalization;

namespace DaneScan.Pipeline.Stages;

/// <summary>Live counters of a running scan, read by the progress display (thread-safe snapshots).</summary>
public sealed class ScanProgress
{
    private readonly DateTimeOffset _started;
    private long _listBytesRead;
    private long _enumerated;
    private long _skippedRecorded;
    private long _optedOut;
    private long _resolved;
    private long _recorded;

    public ScanProgress(long? listBytes, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        ListBytes = listBytes;
        Time = time;
        _started = time.GetUtcNow();
    }

    public TimeProvider Time { get; }

    /// <summary>The lists' total size in bytes, when known.</summary>
    public long? ListBytes { get; }

    public long ListBytesRead => Interlocked.Read(ref _listBytesRead);

    /// <summary>Domains sent to resolve in this attempt.</summary>
    public long Enumerated => Interlocked.Read(ref _enumerated);

    /// <summary>Domains skipped because an earlier attempt of the run recorded them.</summary>
    public long SkippedRecorded => Interlocked.Read(ref _skippedRecorded);

    public long OptedOut => Interlocked.Read(ref _optedOut);

    public long Resolved => Interlocked.Read(ref _resolved);

    /// <summary>Domains recorded in this attempt.</summary>
    public long Recorded => Interlocked.Read(ref _recorded);

    public bool EnumerationDone { get; internal set; }

    internal Func<int> ResolveQueue { get; set; } = () => 0;

    internal Func<int> ProbeQueue { get; set; } = () => 0;

    internal Func<int> RecordQueue { get; set; } = () => 0;

    internal Func<long> ProbesRun { get; set; } = () => 0;

    internal Func<int> ProbesInFlight { get; set; } = () => 0;

    public TimeSpan Elapsed => Time.GetUtcNow() - _started;

    internal void AddBytes(long n) => Interlocked.Add(ref _listBytesRead, n);

    internal void CountEnumerated()
    {
        Interlocked.Increment(ref _enumerated);
        Telemetry.DaneScanTelemetry.CountDomains("enumerate");
    }

    internal void CountSkipped() => Interlocked.Increment(ref _skippedRecorded);

    internal void CountOptedOut() => Interlocked.Increment(ref _optedOut);

    internal void CountResolved()
    {
        Interlocked.Increment(ref _resolved);
        Telemetry.DaneScanTelemetry.CountDomains("resolve");
    }

    internal void CountRecorded(int n)
    {
        Interlocked.Add(ref _recorded, n);
        Telemetry.DaneScanTelemetry.CountDomains("record", n);
    }

    /// <summary>Domains recorded per second in this attempt.</summary>
    public double DomainsPerSecond => Elapsed.TotalSeconds > 0 ? Recorded / Elapsed.TotalSeconds : 0;

    /// <summary>
    /// Time left: the domains still to record, where the total is known when enumeration ended, or else
    /// estimated from the share of the lists' bytes read so far. Null while there is no rate yet.
    /// </summary>
    public TimeSpan? Eta
    {
        get
        {
            var rate = DomainsPerSecond;
            if (rate <= 0)
            {
                return null;
            }

            double total;
            if (EnumerationDone)
            {
                total = Enumerated;
            }
            else if (ListBytes is > 0 && ListBytesRead > 0)
            {
                total = Enumerated * (double)ListBytes.Value / ListBytesRead;
            }
            else
            {
                return null;
            }

            return TimeSpan.FromSeconds(Math.Max(0, total - Recorded) / rate);
        }
    }

    /// <summary>One line: rates, stage counters, queue depths, ETA.</summary>
    public string Describe()
    {
        var eta = Eta is { } e ? e.ToString(e.TotalHours >= 1 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "?";
        var listShare = ListBytes is > 0 ? $" lists {100.0 * ListBytesRead / ListBytes.Value:0}%" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{Elapsed:hh\\:mm\\:ss} {DomainsPerSecond:0.0} domains/s | enumerated {Enumerated}{(SkippedRecorded > 0 ? $" (+{SkippedRecorded} already recorded)" : "")} resolved {Resolved} recorded {Recorded} probes {ProbesRun()} ({ProbesInFlight()} running) | queues resolve {ResolveQueue()} probe {ProbeQueue()} record {RecordQueue()} |{listShare} ETA {eta}");
    }
}
