using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using DaneScan.Contracts;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Pipeline.Tests.Lists;

public class DomainListReaderTests
{
    private static async Task<(List<DomainListEntry> Entries, DomainListReport Report)> ReadAsync(
        byte[] bytes, DomainListReader? reader = null, string source = "list")
    {
        reader ??= new DomainListReader();
        var report = new DomainListReport(source);
        var entries = new List<DomainListEntry>();
        using var stream = new MemoryStream(bytes);
        await foreach (var e in reader.ReadAsync(stream, report))
        {
            entries.Add(e);
        }

        return (entries, report);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }

    private const string PlainList = """
        # a comment line
        example.com
        Example.COM.

        bad_name.example
        mail.example.org   # trailing comment
        com
        bücher.de
        xn--bcher-kva.de
        """;

    [Fact]
    public async Task Plain_text_list_accepts_normalises_and_accounts_for_every_line()
    {
        var (entries, report) = await ReadAsync(Encoding.UTF8.GetBytes(PlainList));

        Assert.Equal(["example.com", "mail.example.org", "xn--bcher-kva.de"], entries.Select(e => e.Domain));
        Assert.Equal([2L, 6, 8], entries.Select(e => e.LineNumber));
        Assert.Equal(DomainListFormat.PlainText, report.Format);
        Assert.False(report.Gzip);
        Assert.Equal(9, report.Lines);
        Assert.Equal(3, report.Accepted);
        Assert.Equal(1, report.CommentLines);
        Assert.Equal(1, report.BlankLines);
        Assert.Equal(4, report.Rejected);
        Assert.True(report.IsBalanced);
        Assert.Equal(2, report.Rejections[DomainRejectReason.Duplicate].Count);
        Assert.Equal([3L, 9], report.Rejections[DomainRejectReason.Duplicate].Samples.Select(s => s.LineNumber));
        Assert.Equal(5, Assert.Single(report.Rejections[DomainRejectReason.InvalidCharacter].Samples).LineNumber);
        Assert.Equal("bad_name.example", report.Rejections[DomainRejectReason.InvalidCharacter].Samples[0].Text);
        Assert.Equal(7, Assert.Single(report.Rejections[DomainRejectReason.SingleLabel].Samples).LineNumber);
        Assert.Contains("Duplicate: 2 (lines 3, 9)", report.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tranco_csv_keeps_ranks_skips_the_header_and_rejects_malformed_lines()
    {
        const string csv = "rank,domain\r\n1,google.com\r\n2,Facebook.com\r\nthree,bad.example\r\n4\r\n5,\r\n6,\"quoted.example\"\r\n7,under_score.example\r\n";
        var (entries, report) = await ReadAsync(Encoding.UTF8.GetBytes(csv));

        Assert.Equal(DomainListFormat.RankCsv, report.Format);
        Assert.Equal(["google.com", "facebook.com", "quoted.example"], entries.Select(e => e.Domain));
        Assert.Equal([1L, 2, 6], entries.Select(e => e.Rank!.Value));
        Assert.Equal(1, report.HeaderLines);
        Assert.Equal(3, report.Rejections[DomainRejectReason.MalformedCsv].Count);
        Assert.Equal([4L, 5, 6], report.Rejections[DomainRejectReason.MalformedCsv].Samples.Select(s => s.LineNumber));
        Assert.Equal(1, report.Rejections[DomainRejectReason.InvalidCharacter].Count);
        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task Gzip_is_detected_by_magic_bytes_and_hashed_as_stored()
    {
        var raw = Encoding.UTF8.GetBytes("1,a.example\n2,b.example\n3,a.example\n");
        var gz = Gzip(raw);
        var (entries, report) = await ReadAsync(gz);

        Assert.True(report.Gzip);
        Assert.Equal(DomainListFormat.RankCsv, report.Format);
        Assert.Equal(["a.example", "b.example"], entries.Select(e => e.Domain));
        Assert.Equal(1, report.Rejections[DomainRejectReason.Duplicate].Count);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(gz)), report.Sha256);
        Assert.True(report.Complete);

        var (plainEntries, plainReport) = await ReadAsync(Encoding.UTF8.GetBytes(PlainList));
        Assert.Equal(3, plainEntries.Count);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PlainList))), plainReport.Sha256);
    }

    [Fact]
    public async Task One_reader_drops_duplicates_across_lists()
    {
        var reader = new DomainListReader();
        var (first, _) = await ReadAsync(Encoding.UTF8.GetBytes("a.example\nb.example\n"), reader, "one");
        var (second, report) = await ReadAsync(Encoding.UTF8.GetBytes("B.example.\nc.example\n"), reader, "two");

        Assert.Equal(2, first.Count);
        Assert.Equal(["c.example"], second.Select(e => e.Domain));
        Assert.Equal("two", second[0].Source);
        Assert.Equal(1, report.Rejections[DomainRejectReason.Duplicate].Count);
        Assert.Equal(3, reader.Seen.Count);
    }

    [Fact]
    public async Task An_overlong_line_is_rejected_without_losing_its_neighbours()
    {
        var text = "a.example\n" + new string('x', 100_000) + ".example\nb.example";
        var (entries, report) = await ReadAsync(Encoding.UTF8.GetBytes(text), new DomainListReader(new DomainListOptions { MaxLineLength = 300 }));

        Assert.Equal(["a.example", "b.example"], entries.Select(e => e.Domain));
        var tally = report.Rejections[DomainRejectReason.LineTooLong];
        Assert.Equal(1, tally.Count);
        Assert.Equal(2, tally.Samples[0].LineNumber);
        Assert.True(tally.Samples[0].Text.Length <= 121);
        Assert.True(report.IsBalanced);
    }

    [Fact]
    public async Task A_large_list_streams_with_every_line_accounted_for()
    {
        var path = Path.Combine(Path.GetTempPath(), $"danescan-list-{Guid.NewGuid():N}.txt.gz");
        try
        {
            await using (var file = File.Create(path))
            await using (var gz = new GZipStream(file, CompressionLevel.Fastest))
            await using (var writer = new StreamWriter(gz))
            {
                for (var i = 0; i < 200_000; i++)
                {
                    await writer.WriteLineAsync($"{i + 1},d{i % 150_000}.example");
                }
            }

            var reader = new DomainListReader();
            var report = new DomainListReport(path);
            long count = 0;
            await foreach (var entry in reader.ReadFileAsync(path, report))
            {
                count++;
            }

            Assert.Equal(150_000, count);
            Assert.Equal(200_000, report.Lines);
            Assert.Equal(50_000, report.Rejections[DomainRejectReason.Duplicate].Count);
            Assert.Equal(5, report.Rejections[DomainRejectReason.Duplicate].Samples.Count);
            Assert.True(report.IsBalanced);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Cancellation_stops_the_enumeration()
    {
        using var cts = new CancellationTokenSource();
        var report = new DomainListReport("c");
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes("a.example\nb.example\nc.example\n"));
        var seen = new List<string>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var e in new DomainListReader().ReadAsync(stream, report, cts.Token))
            {
                seen.Add(e.Domain);
                await cts.CancelAsync();
            }
        });
        Assert.Equal(["a.example"], seen);
        Assert.False(report.Complete);
    }
}

public class DomainDeduplicatorTests
{
    [Fact]
    public void Keeps_each_name_once_through_growth()
    {
        var set = new DomainDeduplicator();
        for (var i = 0; i < 300_000; i++)
        {
            Assert.True(set.Add($"d{i}.example"));
        }

        for (var i = 0; i < 300_000; i += 997)
        {
            Assert.False(set.Add($"d{i}.example"));
        }

        Assert.Equal(300_000, set.Count);
        // At most 1.6 slots of 8 bytes a name (HashSlots: a segment grows by a quarter past 0.8 full), give or
        // take the 256 segments' rounding; a doubling table would be at 2 to 4.
        Assert.InRange(set.MemoryBytes, 300_000 * 1.25 * sizeof(ulong), (300_000 * 1.6 * sizeof(ulong)) + (HashSlots.Segments * 16 * sizeof(ulong)));
    }

    [Fact]
    public void Names_sharing_a_segment_and_a_home_are_told_apart()
    {
        // Fingerprints that agree in the low 8 bits (the segment) and the top 8 (one home in a small table) but differ
        // elsewhere: each is its own name, and each is a duplicate the second time.
        var names = new List<string>();
        var want = (byte)DomainDeduplicator.Fingerprint("d0.example");
        var top = DomainDeduplicator.Fingerprint("d0.example") >> 56;
        for (var i = 0; names.Count < 3; i++)
        {
            var f = DomainDeduplicator.Fingerprint($"d{i}.example");
            if ((byte)f == want && f >> 56 == top)
            {
                names.Add($"d{i}.example");
            }
        }

        var set = new DomainDeduplicator();
        Assert.All(names, n => Assert.True(set.Add(n)));
        Assert.All(names, n => Assert.False(set.Add(n)));
        Assert.Equal(3, set.Count);
    }
}
