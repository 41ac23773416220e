using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>
/// Remembers which names were seen in a run, in about 16 bytes per distinct name: an open-addressing
/// table of 64-bit fingerprints (the first 8 bytes of SHA-256 of the name), grown at a load factor of 1/2.
/// </summary>
/// <remarks>
/// Memory: 8 bytes per slot, 2 to 4 slots per name, so 10 million names take 160 to 320 MiB; no
/// strings are kept. Collision risk: two different names share a fingerprint with probability about
/// n²/2⁶⁵ over n names: 3·10⁻⁶ for 10 million names, 3·10⁻⁴ for 100 million. When it happens, the later
/// name is reported as a <see cref="DomainRejectReason.Duplicate"/> (counted and sampled, not silently
/// lost). SHA-256 makes the fingerprints uniform whatever the names look like, and not steerable by a
/// list author without a 64-bit preimage search.
/// </remarks>
public sealed class DomainDeduplicator
{
    private ulong[] _slots = new ulong[1 << 16];
    private int _count;

    /// <summary>The number of distinct names seen.</summary>
    public int Count => _count;

    /// <summary>The bytes the table takes now.</summary>
    public long MemoryBytes => (long)_slots.Length * sizeof(ulong);

    /// <summary>Adds a normalised name; false when it (or a name with the same fingerprint) was already added.</summary>
    public bool Add(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return AddFingerprint(Fingerprint(name));
    }

    /// <summary>The 64-bit fingerprint of a name (never 0, the empty-slot marker).</summary>
    public static ulong Fingerprint(string name) => StableHash.Of(name);

    private bool AddFingerprint(ulong fingerprint)
    {
        if ((_count + 1) * 2 > _slots.Length)
        {
            Grow();
        }

        if (!Insert(_slots, fingerprint))
        {
            return false;
        }

        _count++;
        return true;
    }

    private static bool Insert(ulong[] slots, ulong fingerprint)
    {
        var mask = slots.Length - 1;
        var i = (int)(fingerprint >> 32) & mask;
        while (true)
        {
            var existing = slots[i];
            if (existing == 0)
            {
                slots[i] = fingerprint;
                return true;
            }

            if (existing == fingerprint)
            {
                return false;
            }

            i = (i + 1) & mask;
        }
    }

    private void Grow()
    {
        var bigger = new ulong[_slots.Length * 2];
        foreach (var f in _slots)
        {
            if (f != 0)
            {
                Insert(bigger, f);
            }
        }

        _slots = bigger;
    }
}
