namespace DaneScan.Contracts;

/// <summary>
/// A compact table of nonzero 64-bit values, each placed by its own top bits: the one per-name structure of
/// a run (the list de-duplication table, a result log's key index), 8 bytes a slot.
/// </summary>
/// <remarks>
/// <para>Memory: the slots are split into <see cref="Segments"/> open-addressing segments (the caller names
/// the segment, from hash bits the value does not hold; linear probing inside), and a segment grows by a
/// quarter when it is <see cref="MaxLoad"/> full. So the table takes 1.25 to 1.6 slots (10 to 13 bytes) a
/// value however many there are, and growing copies one segment, about 1/256 of the table, at a time. A
/// table that doubles takes 2 to 4 slots a value and holds its old and new arrays (1.5 times its size)
/// while it grows, both large objects that wait for a full collection.</para>
/// <para>A value's top <c>keyBits</c> bits are its key: its home in its segment comes from them alone (their
/// top 32 at most), so a value is found again by its key, and moved when its segment grows, without its hash.
/// A key index keeps a tag of the key's hash there and an offset below it.</para>
/// </remarks>
public sealed class HashSlots
{
    /// <summary>The number of segments.</summary>
    public const int Segments = 256;

    /// <summary>A segment grows when more than this share of its slots is taken.</summary>
    public const double MaxLoad = 0.8;

    private const int MinSegmentSlots = 16;

    private readonly ulong[][] _segments = new ulong[Segments][];
    private readonly int[] _counts = new int[Segments];
    private readonly int _keyShift;
    private readonly int _homeShift;
    private readonly int _homeBits;
    private long _slots;

    /// <summary>An empty table whose values' top <paramref name="keyBits"/> bits are their keys (1 to 64).</summary>
    /// <param name="keyBits">How many of a value's top bits are its key (what <see cref="Find"/> matches and the home comes from).</param>
    /// <param name="expected">Values to make room for now (growing costs no memory beyond the bound, only copies).</param>
    public HashSlots(int keyBits = 64, long expected = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keyBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyBits, 64);
        ArgumentOutOfRangeException.ThrowIfNegative(expected);
        _keyShift = 64 - keyBits;
        _homeBits = Math.Min(keyBits, 32);
        _homeShift = 64 - _homeBits;
        var perSegment = (int)Math.Min(Array.MaxLength, Math.Max(MinSegmentSlots, (long)Math.Ceiling(expected / (double)Segments / MaxLoad) + 1));
        for (var s = 0; s < Segments; s++)
        {
            _segments[s] = NewSegment(perSegment);
        }

        _slots = (long)perSegment * Segments;
    }

    /// <summary>The number of values held.</summary>
    public long Count { get; private set; }

    /// <summary>The bytes the slots take now.</summary>
    public long MemoryBytes => _slots * sizeof(ulong);

    /// <summary>Adds <paramref name="value"/> to segment <paramref name="segment"/> unless it is there; true when added.</summary>
    public bool AddIfAbsent(byte segment, ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        var slots = _segments[segment];
        var i = Home(value, slots.Length);
        while (true)
        {
            var existing = slots[i];
            if (existing == 0)
            {
                break;
            }

            if (existing == value)
            {
                return false;
            }

            i = Next(i, slots.Length);
        }

        slots[i] = value;
        Added(segment);
        return true;
    }

    /// <summary>Adds <paramref name="value"/> to segment <paramref name="segment"/> (the caller knows it is not there).</summary>
    public void Add(byte segment, ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfZero(value);
        Place(_segments[segment], value);
        Added(segment);
    }

    /// <summary>
    /// Appends to <paramref name="found"/> (in probe order) every value of segment <paramref name="segment"/>
    /// whose key (top <c>keyBits</c> bits) is that of <paramref name="value"/>.
    /// </summary>
    public void Find(byte segment, ulong value, List<ulong> found)
    {
        ArgumentNullException.ThrowIfNull(found);
        var slots = _segments[segment];
        var key = value >> _keyShift;
        var i = Home(value, slots.Length);
        while (slots[i] is var existing && existing != 0)
        {
            if (existing >> _keyShift == key)
            {
                found.Add(existing);
            }

            i = Next(i, slots.Length);
        }
    }

    private void Added(byte segment)
    {
        Count++;
        var slots = _segments[segment];
        if (++_counts[segment] <= slots.Length * MaxLoad)
        {
            return;
        }

        var bigger = NewSegment(checked(slots.Length + (slots.Length / 4)));
        foreach (var value in slots)
        {
            if (value != 0)
            {
                Place(bigger, value);
            }
        }

        _slots += bigger.Length - slots.Length;
        _segments[segment] = bigger;
    }

    /// <summary>
    /// A segment on the pinned-object heap: outside gen 2, so the collector's gen-2 budget (which grows with
    /// what gen 2 holds) does not grow with the table, and no compaction copies it.
    /// </summary>
    private static ulong[] NewSegment(int length) => GC.AllocateArray<ulong>(length, pinned: true);

    private void Place(ulong[] slots, ulong value)
    {
        var i = Home(value, slots.Length);
        while (slots[i] != 0)
        {
            i = Next(i, slots.Length);
        }

        slots[i] = value;
    }

    /// <summary>The value's top (at most 32) key bits scaled to the segment's length (no modulo: any length works).</summary>
    private int Home(ulong value, int length) => (int)(((value >> _homeShift) * (ulong)length) >> _homeBits);

    private static int Next(int i, int length) => i + 1 == length ? 0 : i + 1;
}
