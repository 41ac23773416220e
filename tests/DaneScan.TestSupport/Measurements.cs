using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace DaneScan.Telemetry.Testing;

/// <summary>
/// Records every measurement of one <see cref="Meter"/> (by name) from the moment it is created until it is
/// disposed, through a <see cref="MeterListener"/>. A listener hears the whole process: a test using this must run
/// when no other test emits on the same meter, that is in an xunit collection with
/// <c>DisableParallelization = true</c> (xunit runs those alone, after the parallel ones).
/// </summary>
public sealed class Measurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _seen = new();

    public Measurements(string meterName)
    {
        ArgumentNullException.ThrowIfNull(meterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            _seen.Enqueue(new Measured(instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value?.ToString(), StringComparer.Ordinal))));
        _listener.Start();
    }

    /// <summary>Every measurement so far, in the order they were made.</summary>
    public IReadOnlyList<Measured> All => [.. _seen];

    /// <summary>The sum of an instrument's measurements whose tags include every one given.</summary>
    public long Sum(string instrument, params (string Key, string Value)[] tags) =>
        _seen.Where(m => m.Instrument == instrument && tags.All(t => m.Tags.TryGetValue(t.Key, out var v) && v == t.Value)).Sum(m => m.Value);

    /// <summary>An instrument's sums by the value of one tag (measurements without the tag are left out).</summary>
    public IReadOnlyDictionary<string, long> SumBy(string instrument, string tag) =>
        _seen.Where(m => m.Instrument == instrument && m.Tags.TryGetValue(tag, out var v) && v is not null)
            .GroupBy(m => m.Tags[tag]!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value), StringComparer.Ordinal);

    public void Dispose() => _listener.Dispose();
}

/// <summary>One measurement: the instrument's name, the value and its tags (values as text).</summary>
public sealed record Measured(string Instrument, long Value, IReadOnlyDictionary<string, string?> Tags);
