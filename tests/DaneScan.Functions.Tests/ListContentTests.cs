using System.IO.Compression;
using System.Text;
using DaneScan.Fleet;

namespace DaneScan.Functions.Tests;

/// <summary>Which blobs the enumerate stage reads as lists, decided by their first bytes, not their names.</summary>
public sealed class ListContentTests
{
    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }

    [Theory]
    [InlineData("example.com\nexample.org\n")]
    [InlineData("rank,domain\n1,example.com\n")]
    [InlineData("bücher.example\r\n")]
    [InlineData("")]
    public void Text_and_gzip_compressed_text_are_lists(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Assert.Equal(ListContentKind.Text, ListContent.Classify(bytes, whole: true).Kind);
        var gz = Gzip(bytes);
        Assert.Equal(bytes.Length == 0 ? ListContentKind.Text : ListContentKind.Gzip, ListContent.Classify(gz, whole: true).Kind); // nothing written: an empty file
    }

    [Fact]
    public void A_sample_cut_inside_a_character_or_a_gzip_stream_is_still_text()
    {
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("bücher.example\n", 2000)));
        var cut = text.AsSpan(0, Array.IndexOf(text, (byte)0xC3) + 1); // ends in the middle of 'ü'
        Assert.Equal(ListContentKind.Text, ListContent.Classify(cut, whole: false).Kind);
        Assert.Equal(ListContentKind.NotAList, ListContent.Classify(cut, whole: true).Kind);

        var random = new byte[100_000];
        new Random(7).NextBytes(random);
        var names = Encoding.UTF8.GetBytes(string.Join('\n', random.Select((b, i) => $"{b}x{i}.example")));
        var gz = Gzip(names);
        Assert.True(gz.Length > ListContent.HeadBytes);
        Assert.Equal(ListContentKind.Gzip, ListContent.Classify(gz.AsSpan(0, ListContent.HeadBytes), whole: false).Kind);
    }

    [Theory]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, "not UTF-8")]
    [InlineData(new byte[] { 0x50, 0x4B, 0x03, 0x04, 0x14, 0x00 }, "zip")]
    [InlineData(new byte[] { 0x42, 0x5A, 0x68, 0x39, 0x31 }, "bzip2")]
    [InlineData(new byte[] { 0x65, 0x78, 0x00, 0x01, 0x0A }, "control byte")]
    [InlineData(new byte[] { 0x1F, 0x8B, 0x00, 0x00, 0x00 }, "not gzip data")]
    public void Binary_archives_and_broken_gzip_are_skipped_with_the_reason(byte[] head, string reason)
    {
        var (kind, why) = ListContent.Classify(head, whole: true);
        Assert.Equal(ListContentKind.NotAList, kind);
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    [Fact]
    public void Gzip_that_holds_binary_data_is_skipped()
    {
        var (kind, why) = ListContent.Classify(Gzip([0x89, 0x50, 0x4E, 0x47, 0x00, 0x01, 0x02]), whole: true);
        Assert.Equal(ListContentKind.NotAList, kind);
        Assert.StartsWith("gzip-compressed, but", why, StringComparison.Ordinal);
    }
}
