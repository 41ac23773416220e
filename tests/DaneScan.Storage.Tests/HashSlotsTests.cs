using DaneScan.Contracts;

namespace DaneScan.Storage.Tests;

public class HashSlotsTests
{
    [Fact]
    public void Holds_each_value_once_through_growth_in_at_most_1_6_slots_a_value()
    {
        var table = new HashSlots(keyBits: 64);
        const int n = 400_000;
        for (var i = 0; i < n; i++)
        {
            var v = StableHash.Of($"d{i}.example");
            Assert.True(table.AddIfAbsent((byte)v, v));
        }

        for (var i = 0; i < n; i += 101)
        {
            var v = StableHash.Of($"d{i}.example");
            Assert.False(table.AddIfAbsent((byte)v, v));
        }

        Assert.Equal(n, table.Count);
        // 1.25 to 1.6 slots a value (a segment grows by a quarter past 0.8 full), 8 bytes a slot, give or take
        // each segment's rounding.
        Assert.InRange(table.MemoryBytes, (long)(n * 1.25 * sizeof(ulong)), (long)(n * 1.6 * sizeof(ulong)) + (HashSlots.Segments * 16 * sizeof(ulong)));
    }

    [Fact]
    public void Finds_every_value_sharing_a_home_and_only_those()
    {
        // Top 8 bits the key (keyBits 8), low bits distinct: the values collide on purpose.
        var table = new HashSlots(keyBits: 8);
        const ulong homeA = 0x5AUL << 56;
        const ulong homeB = 0x5BUL << 56;
        for (ulong low = 1; low <= 100; low++)
        {
            table.Add(7, homeA | low);
            table.Add(7, homeB | low);
            table.Add(8, homeA | (low << 8));
        }

        var found = new List<ulong>();
        table.Find(7, homeA, found);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => homeA + (ulong)i).Order(), found.Order());
        found.Clear();
        table.Find(8, homeB, found);
        Assert.Empty(found);
        Assert.Equal(300, table.Count);
    }

    [Fact]
    public void Room_made_up_front_takes_no_more_than_the_bound()
    {
        var table = new HashSlots(keyBits: 64, expected: 1_000_000);
        Assert.InRange(table.MemoryBytes, 1_000_000 * 1.25 * sizeof(ulong), (1_000_000 * 1.3 * sizeof(ulong)) + (HashSlots.Segments * sizeof(ulong)));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Add(0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashSlots(keyBits: 65));
    }
}
