using System.Text.Json.Nodes;
using DaneScan.Contracts;

namespace DaneScan.Storage.Tests;

/// <summary>The key index of a result log (<see cref="JsonlLog{T}"/>): one 8-byte slot a line, a tag of the key's hash beside its offset.</summary>
public sealed class JsonlLogIndexTests : IDisposable
{
    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static JsonObject Record(string key) => new() { ["name"] = key };

    private static async Task<string?> NameAsync(JsonlLog<JsonObject> log, string key) =>
        (await log.ReadAsync(key, CancellationToken.None))?["name"]?.GetValue<string>();

    /// <summary>Two keys whose hashes agree in the low 8 bits (the segment) and the top 64 - offsetBits bits (the tag).</summary>
    private static (string, string) KeysSharingASlotKey(int offsetBits)
    {
        var seen = new Dictionary<ulong, string>();
        for (var i = 0; ; i++)
        {
            var key = $"k{i}.example";
            var hash = StableHash.Of(key);
            var slotKey = (hash >> offsetBits << 8) | (byte)hash;
            if (seen.TryGetValue(slotKey, out var other))
            {
                return (other, key);
            }

            seen.Add(slotKey, key);
        }
    }

    [Fact]
    public async Task Keys_sharing_a_tag_are_each_written_once_and_read_back_also_after_reopening()
    {
        var (a, b) = KeysSharingASlotKey(JsonlLog<JsonObject>.DefaultOffsetBits);
        Assert.NotEqual(a, b);
        var path = Path.Combine(_root, "log.jsonl");
        await using (var log = await JsonlLog<JsonObject>.OpenAsync(path, keyOf: null, CancellationToken.None))
        {
            Assert.Equal(2, await log.AppendAsync([(a, Record(a)), (b, Record(b))], CancellationToken.None));
            Assert.Equal(0, await log.AppendAsync([(b, Record(b)), (a, Record(a))], CancellationToken.None));
            Assert.Equal(a, await NameAsync(log, a));
            Assert.Equal(b, await NameAsync(log, b));
            Assert.Null(await NameAsync(log, "absent.example"));
        }

        await using (var again = await JsonlLog<JsonObject>.OpenAsync(path, keyOf: null, CancellationToken.None))
        {
            Assert.Equal(2, again.Count);
            Assert.Equal(0, await again.AppendAsync([(a, Record(a)), (b, Record(b))], CancellationToken.None));
            Assert.Equal(b, await NameAsync(again, b));
            Assert.Equal(a, await NameAsync(again, a));
        }

        Assert.Equal(2, (await File.ReadAllLinesAsync(path)).Length);
    }

    [Fact]
    public async Task Lines_past_the_offsets_a_slot_holds_are_found_by_their_keys()
    {
        // 8 offset bits: offsets up to 254 in slots, the lines after them (about 40 bytes each) by key.
        var keys = Enumerable.Range(0, 30).Select(i => $"d{i}.example").ToList();
        var path = Path.Combine(_root, "far.jsonl");
        await using (var log = await JsonlLog<JsonObject>.OpenAsync(path, keyOf: null, CancellationToken.None, offsetBits: 8))
        {
            Assert.Equal(30, await log.AppendAsync(keys.Select(k => (k, Record(k))), CancellationToken.None));
            Assert.True(new FileInfo(path).Length > 4 * 255);
            Assert.Equal(0, await log.AppendAsync(keys.Select(k => (k, Record(k))), CancellationToken.None));
            foreach (var k in keys)
            {
                Assert.Equal(k, await NameAsync(log, k));
            }
        }

        await using (var again = await JsonlLog<JsonObject>.OpenAsync(path, keyOf: null, CancellationToken.None, offsetBits: 8))
        {
            Assert.Equal(30, again.Count);
            Assert.Equal(1, await again.AppendAsync(keys.Select(k => (k, Record(k))).Append(("new.example", Record("new.example"))), CancellationToken.None));
            Assert.Equal("d29.example", await NameAsync(again, "d29.example"));
            Assert.Equal("new.example", await NameAsync(again, "new.example"));
        }

        Assert.Equal(31, (await File.ReadAllLinesAsync(path)).Length);
    }

    [Fact]
    public async Task A_file_holding_a_key_twice_answers_with_its_first_line()
    {
        var path = Path.Combine(_root, "twice.jsonl");
        await File.WriteAllTextAsync(path,
            "{\"key\":\"a.example\",\"record\":{\"name\":\"first\"}}\n{\"key\":\"a.example\",\"record\":{\"name\":\"second\"}}\n");
        await using var log = await JsonlLog<JsonObject>.OpenAsync(path, keyOf: null, CancellationToken.None);
        Assert.Equal(1, log.Count);
        Assert.Equal("first", await NameAsync(log, "a.example"));
        Assert.Equal(0, await log.AppendAsync([("a.example", Record("a.example"))], CancellationToken.None));
    }
}
