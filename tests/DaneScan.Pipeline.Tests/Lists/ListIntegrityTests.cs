using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using DaneScan.Contracts;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Pipeline.Tests.Lists;

/// <summary>
/// Lists that cannot be read to their end are refused whole, with the byte offset: gzip files made by the
/// system's gzip(1), cut or damaged as a broken download would be. Expected sizes and hashes come from the
/// files and sha256sum-equivalent hashing of the bytes, not from the reader.
/// </summary>
public sealed class ListIntegrityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("danescan-lists-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Names = [.. Enumerable.Range(1, 50_000).Select(i => $"d{i}.example.org")];

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>gzip(1) -9 of the text: the compressor a user's lists come from.</summary>
    private string Gzip(string name, string text)
    {
        var plain = Write(name, Encoding.UTF8.GetBytes(text));
        using var p = Process.Start(new ProcessStartInfo("gzip", ["-9", "-n", plain]) { UseShellExecute = false })!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return plain + ".gz";
    }

    private static string Lines(IEnumerable<string> names) => string.Join('\n', names) + "\n";

    private static async Task<ListCheck> VerifyAsync(string path, DomainListOptions? options = null)
    {
        await using var file = ListFiles.Open(path);
        return await new DomainListReader(options).VerifyAsync(file, path);
    }

    private static async Task<(List<string> Names, ListReadException? Fault)> ReadAsync(string path)
    {
        var names = new List<string>();
        try
        {
            await foreach (var e in new DomainListReader().ReadFileAsync(path, new DomainListReport(path)))
            {
                names.Add(e.Domain);
            }
        }
        catch (ListReadException e)
        {
            return (names, e);
        }

        return (names, null);
    }

    [Fact]
    public async Task A_whole_gzip_list_verifies_with_its_lines_size_and_hash()
    {
        var path = Gzip("whole.txt", Lines(Names));
        var bytes = await File.ReadAllBytesAsync(path);

        var check = await VerifyAsync(path);

        Assert.True(check.Gzip);
        Assert.Equal(Names.Length, check.Lines);
        Assert.Equal(bytes.Length, check.StoredBytes);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), check.Sha256);
        var (read, fault) = await ReadAsync(path);
        Assert.Null(fault);
        Assert.Equal(Names, read);
    }

    [Fact]
    public async Task Concatenated_gzip_members_read_as_one_list()
    {
        var first = await File.ReadAllBytesAsync(Gzip("a.txt", Lines(Names.Take(30_000))));
        var second = await File.ReadAllBytesAsync(Gzip("b.txt", Lines(Names.Skip(30_000))));
        var path = Write("both.gz", [.. first, .. second]);

        var check = await VerifyAsync(path);
        var (read, fault) = await ReadAsync(path);

        Assert.Equal(Names.Length, check.Lines);
        Assert.Null(fault);
        Assert.Equal(Names, read);
    }

    [Theory]
    [InlineData(5)] // inside the 10-byte header
    [InlineData(2)] // the magic bytes only
    [InlineData(-1)] // one byte of the trailer missing
    [InlineData(-7)]
    [InlineData(-4)] // the length missing
    [InlineData(-8)] // the whole trailer missing: the deflate data is complete
    [InlineData(-9)] // into the deflate data's end
    [InlineData(0)] // half way (0 = half)
    public async Task A_cut_gzip_list_is_truncated_at_the_byte_it_ends(int cut)
    {
        var whole = await File.ReadAllBytesAsync(Gzip("cut.txt", Lines(Names)));
        var length = cut switch { 0 => whole.Length / 2, < 0 => whole.Length + cut, _ => cut };
        var path = Write("cut.gz", whole[..length]);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.Truncated, fault.Failure);
        Assert.Contains(path, fault.Message, StringComparison.Ordinal);
        Assert.Contains($"ends at byte {length}", fault.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', fault.Message);
    }

    [Fact]
    public async Task Reading_a_cut_gzip_list_never_yields_the_half_name_at_the_cut()
    {
        var whole = await File.ReadAllBytesAsync(Gzip("half.txt", Lines(Names)));
        var path = Write("half.gz", whole[..(whole.Length / 2)]);

        var (read, fault) = await ReadAsync(path);

        Assert.NotNull(fault);
        Assert.Equal(ListFailure.Truncated, fault.Failure);
        // Every name read is a whole name of the list, in order: none is the fragment at the cut.
        Assert.Equal(Names.Take(read.Count), read);
    }

    [Fact]
    public async Task A_damaged_byte_in_the_deflate_data_is_corrupt_compression()
    {
        var bytes = await File.ReadAllBytesAsync(Gzip("flip.txt", Lines(Names)));
        bytes[bytes.Length / 2] ^= 0xFF;
        var path = Write("flip.gz", bytes);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        // A damaged deflate stream either fails to decode or decodes to garbage that is not text, whichever comes first.
        Assert.True(fault.Failure is ListFailure.CorruptCompression or ListFailure.NotText, fault.Message);
        Assert.Contains("gzip data is corrupt", fault.Message, StringComparison.Ordinal);
        Assert.Contains(path, fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_crc_of_a_member_followed_by_another_is_corrupt()
    {
        var first = await File.ReadAllBytesAsync(Gzip("c1.txt", Lines(Names.Take(30_000))));
        var second = await File.ReadAllBytesAsync(Gzip("c2.txt", Lines(Names.Skip(100).Take(100))));
        Assert.True(first.Length > 40_000, "the first member must be longer than the pieces the inflater is fed");
        first[^6] ^= 0x01; // a CRC-32 byte of the first member's trailer
        var path = Write("crc.gz", [.. first, .. second]);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.CorruptCompression, fault.Failure);
    }

    [Fact]
    public async Task Garbage_after_the_gzip_data_is_corrupt()
    {
        var bytes = await File.ReadAllBytesAsync(Gzip("tail.txt", Lines(Names.Take(10))));
        var path = Write("tail.gz", [.. bytes, .. "not gzip"u8]);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.CorruptCompression, fault.Failure);
        Assert.Contains($"at byte {bytes.Length}", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Random_binary_is_not_text_not_csv()
    {
        var random = new byte[4096];
        new Random(11).NextBytes(random);
        random[0] = (byte)'a'; // not a magic number of any format
        var path = Write("random.bin", random);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.NotText, fault.Failure);
    }

    [Fact]
    public async Task A_nul_byte_in_a_text_list_names_its_line_and_column()
    {
        var path = Write("nul.txt", "a.org\nb.org\n\0\0\0\0\nc.org\n"u8.ToArray());

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.NotText, fault.Failure);
        Assert.Contains("U+0000 at column 1 of line 3", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_xz_file_is_named_as_such()
    {
        var path = Write("list.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04]);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        Assert.Equal(ListFailure.NotText, fault.Failure);
        Assert.Contains("xz", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gzip_of_newlines_stops_at_the_line_bound_in_well_under_a_second()
    {
        // 64 MiB of newlines is 64 KiB of gzip; the bound of 1 million lines stops it after 1 MiB of text.
        var path = Gzip("newlines.txt", new string('\n', 64 << 20));
        var clock = Stopwatch.StartNew();

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path, new DomainListOptions { MaxLines = 1_000_000 }));

        Assert.Equal(ListFailure.TooManyLines, fault.Failure);
        Assert.Contains("more than 1000000 lines", fault.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Text_beyond_the_byte_bound_is_too_large()
    {
        var path = Gzip("long.txt", Lines(Names));
        var size = Encoding.UTF8.GetByteCount(Lines(Names));

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path, new DomainListOptions { MaxDecompressedBytes = size - 1 }));
        var fits = await VerifyAsync(path, new DomainListOptions { MaxDecompressedBytes = size });

        Assert.Equal(ListFailure.TooLarge, fault.Failure);
        Assert.Equal(Names.Length, fits.Lines);
    }

    [Fact]
    public async Task A_dangling_symbolic_link_and_a_directory_are_named()
    {
        var link = Path.Combine(_dir, "dangling.txt");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "gone.txt"));

        var dangling = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(link));
        var directory = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(_dir));

        Assert.Equal(ListFailure.NotFound, dangling.Failure);
        Assert.Contains("symbolic link to", dangling.Message, StringComparison.Ordinal);
        Assert.Equal(ListFailure.NotAFile, directory.Failure);
    }

    [Theory]
    [InlineData("mail.localhost")]
    [InlineData("localhost.")]
    [InlineData("foo.invalid")]
    [InlineData("a.b.test")]
    [InlineData("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad.onion")]
    [InlineData("printer.local")]
    [InlineData("x.alt")]
    [InlineData("nas.home.arpa")]
    public async Task Special_use_names_are_rejected_with_their_own_reason(string name)
    {
        var path = Write("special.txt", Encoding.UTF8.GetBytes($"{name}\nexample.com\nexample\nlatest.org\n"));
        var report = new DomainListReport(path);
        var read = new List<string>();
        await foreach (var e in new DomainListReader().ReadFileAsync(path, report))
        {
            read.Add(e.Domain);
        }

        // example.com is a real delegated domain (RFC 6761 §6.5: not special to applications); "test" inside a label is not a suffix.
        Assert.Equal(["example.com", "latest.org"], read);
        Assert.Equal(name == "localhost." ? DomainRejectReason.SingleLabel : DomainRejectReason.SpecialUseName,
            report.Rejections.Keys.Single(k => k != DomainRejectReason.SingleLabel || name == "localhost."));
    }

    [Fact]
    public async Task A_damaged_crc_of_the_last_member_is_not_read_as_whole()
    {
        var bytes = await File.ReadAllBytesAsync(Gzip("last.txt", Lines(Names)));
        bytes[^6] ^= 0x01;
        var path = Write("last.gz", bytes);

        var fault = await Assert.ThrowsAsync<ListReadException>(() => VerifyAsync(path));

        // Without a byte after it, a bad trailer cannot be told from a cut one: either way the list is refused.
        Assert.True(fault.Failure is ListFailure.Truncated or ListFailure.CorruptCompression, fault.Message);
    }
}
