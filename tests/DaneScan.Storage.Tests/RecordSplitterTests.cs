using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Storage.Tests;

/// <summary>
/// Stored lines are written by one forward pass over a record's JSON (no JSON tree): whatever a record's strings
/// hold (characters JSON escapes, '%' signs, the domain's name any number of times, non-ASCII) it reads back exactly,
/// parts hold the name as %d (docs/dataset.md), and a part has one address however often it is seen.
/// </summary>
public sealed class RecordSplitterTests : IDisposable
{
    private static readonly string[] Details =
    [
        "100% of {0} and mx.{0}: %d is literal here",
        "a+b <c> & 'd' \"e\" \\ {0}+{0}{0}",
        "ünïcode {0} \u2028 tab\tend",
        "{0}",
        "",
    ];

    private readonly string _root = Samples.TempDirectory();

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("d1.example")]
    [InlineData("under_score-1.example")]
    [InlineData("x+y.example")]
    [InlineData("quote\"d.example")]
    public async Task Strings_with_escapes_percent_signs_and_the_domain_read_back_exactly(string domain)
    {
        var records = new[] { WithFindings(domain), WithFindings("other." + domain) };
        await using (var store = new RunDirectoryStore(_root))
        {
            await store.WriteDomainsAsync("run", records);
        }

        await using var reader = new RunDirectoryStore(_root);
        var read = new List<DomainRecord>();
        await foreach (var r in reader.EnumerateDomainsAsync("run"))
        {
            read.Add(r);
        }

        Assert.Equal(records.Select(Json), read.Select(Json));

        // Both domains' findings differ only by the domain's name: each finding is one part, written with %d.
        var parts = PartsOf("run");
        foreach (var template in Details)
        {
            var expected = string.Format(System.Globalization.CultureInfo.InvariantCulture, template.Replace("%", "%%", StringComparison.Ordinal), "%d");
            Assert.Single(parts, p => p["detail"]?.GetValue<string>() == expected);
        }

        Assert.DoesNotContain(parts.SelectMany(Strings), s => s.Contains(domain, StringComparison.Ordinal));
    }

    [Fact]
    public void A_part_keeps_its_address_after_the_splitter_forgets_what_it_has_seen()
    {
        var splitter = new RecordSplitter(maxRemembered: 3);
        var first = splitter.Split(WithFindings("a.example"));
        foreach (var i in Enumerable.Range(0, 10))
        {
            splitter.Split(Samples.Domain($"d{i}.example", mxHost: $"mx{i}.example.net", address: $"192.0.2.{i + 1}"));
            Assert.InRange(splitter.Remembered, 1, 3);
        }

        var again = splitter.Split(WithFindings("a.example"));
        Assert.Equal(Encoding.UTF8.GetString(first.Line), Encoding.UTF8.GetString(again.Line));
        Assert.Equal(first.Parts.Select(p => (p.Ref, Encoding.UTF8.GetString(p.Json))), again.Parts.Select(p => (p.Ref, Encoding.UTF8.GetString(p.Json))));
    }

    [Fact]
    public void A_part_is_addressed_by_the_sha256_of_the_bytes_stored_for_it()
    {
        var (_, parts) = new RecordSplitter().Split(WithFindings("a.example"));
        foreach (var part in parts)
        {
            var hash = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(part.Json)).Replace('+', '-').Replace('/', '_');
            Assert.Equal(hash[..20], part.Ref);
        }
    }

    [Fact]
    public async Task A_record_after_a_larger_one_reads_back_with_nothing_of_the_first_left_in_it()
    {
        // Splitting reuses each thread's buffers: a record with a verdict and long findings, then records with
        // no verdict at all, then a record on another MX host, in one batch (one thread) and in a batch large
        // enough to be split in parallel; every one reads back as it was written.
        var large = WithFindings("large.example");
        var bare = Samples.Domain("bare.example") with { Verdict = null };
        var other = Samples.Domain("other.example", mxHost: "mx.other.example.org", address: "192.0.2.99");
        DomainRecord[] small = [large, bare, other, WithFindings("again.example"), Samples.Domain("bare2.example") with { Verdict = null }];
        var many = Enumerable.Range(0, 600).Select(i => (i % 3) switch
        {
            0 => WithFindings($"l{i}.example"),
            1 => Samples.Domain($"b{i}.example") with { Verdict = null },
            _ => Samples.Domain($"o{i}.example", mxHost: $"mx{i % 7}.example.org", address: $"192.0.2.{i % 200}"),
        }).ToArray();

        foreach (var (run, records) in new[] { ("small", small), ("many", many) })
        {
            await using (var store = new RunDirectoryStore(_root))
            {
                await store.WriteDomainsAsync(run, records);
            }

            await using var reader = new RunDirectoryStore(_root);
            var read = new Dictionary<string, string>();
            await foreach (var r in reader.EnumerateDomainsAsync(run))
            {
                read[r.Domain] = Json(r);
            }

            Assert.Equal(records.Length, read.Count);
            Assert.All(records, r => Assert.Equal(Json(r), read[r.Domain]));
        }
    }

    private static DomainRecord WithFindings(string domain)
    {
        var record = Samples.Domain(domain);
        var verdict = DaneJudge.Judge(record.Observation, []) with
        {
            Findings = [.. Details.Select(d => new Finding(FindingCode.RecipientDomainUnsigned, null, string.Format(System.Globalization.CultureInfo.InvariantCulture, d, domain)))],
        };
        return record with { Verdict = verdict };
    }

    private List<JsonObject> PartsOf(string run) =>
        [.. File.ReadAllLines(Path.Combine(_root, run, RunDirectoryStore.HostsFile)).Select(l => JsonNode.Parse(l)!["record"]!["host"]!.AsObject())];

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static string Json(DomainRecord record) => JsonSerializer.Serialize(record, RecordJson.Options);
}
