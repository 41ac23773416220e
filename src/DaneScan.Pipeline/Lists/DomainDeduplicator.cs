using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>
/// Remembers which names were seen in a run, in 10 to 13 bytes per distinct name: a <see cref="HashSlots"/>
/// table of 64-bit fingerprints (the first 8 bytes of SHA-256 of the name), grown a segment at a time.
/// </summary>
/// <remarks>
/// Memory: 8 bytes per slot, 1.25 to 1.6 slots per name, so 1 million names take 10 to 13 MiB and 10 million
/// 100 to 130 MiB; no strings are kept, and growing copies 1/256 of the table at a time (no doubling through
/// the large-object heap). Collision risk: two different names share a fingerprint with probability about
/// n²/2⁶⁵ over n names: 3·10⁻⁶ for 10 million names, 3·10⁻⁴ for 100 million. When it happens, the later
/// name is reported as a <see cref="DomainRejectReason.Duplicate"/> (counted and sampled, not silently
/// lost). SHA-256 makes the fingerprints uniform whatever the names look like, and not steerable by a
/// list author without a 64-bit preimage search.
/// </remarks>
public sealed class DomainDeduplicator
{
    // The fingerprint's low 8 bits choose the segment, its top 32 bits the home: the whole fingerprint is the value and its key.
    private readonly HashSlots _slots = new(keyBits: 64);

    /// <summary>The number of distinct names seen.</summary>
    public int Count => (int)_slots.Count;

    /// <summary>The bytes the table takes now.</summary>
    public long MemoryBytes => _slots.MemoryBytes;

    /// <summary>Adds a normalised name; false when it (or a name with the same fingerprint) was already added.</summary>
    public bool Add(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var fingerprint = Fingerprint(name);
        return _slots.AddIfAbsent((byte)fingerprint, fingerprint);
    }

    /// <summary>The 64-bit fingerprint of a name (never 0, the empty-slot marker).</summary>
    public static ulong Fingerprint(string name) => StableHash.Of(name);
}
