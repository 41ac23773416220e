using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Benchmarks;

/// <summary>The per-line normaliser every list line goes through: ASCII names as lists carry them, and IDNs.</summary>
[MemoryDiagnoser]
public class NormalizerBenchmarks
{
    private const int Names = 256;
    private string[] _ascii = null!;
    private string[] _idn = null!;

    [GlobalSetup]
    public void Setup()
    {
        string[] tlds = ["com", "net", "org", "de", "nl", "co.uk"];
        string[] idnStems = ["bücher", "müller-shop", "例え", "пример", "café-paris", "straße", "ελληνικά", "日本語"];
        _ascii = [.. Enumerable.Range(0, Names).Select(i => (i % 3) switch
        {
            0 => Invariant($"example-{i}.{tlds[i % tlds.Length]}"),
            1 => Invariant($"  WWW.Mail-Host{i}.{tlds[i % tlds.Length].ToUpperInvariant()}.  "),
            _ => Invariant($"mx{i}.sub.domain{i}.{tlds[i % tlds.Length]}"),
        })];
        _idn = [.. Enumerable.Range(0, Names).Select(i => Invariant($"{idnStems[i % idnStems.Length]}{i}.{tlds[i % tlds.Length]}"))];
        foreach (var n in _ascii.Concat(_idn))
        {
            if (!DomainNameNormalizer.Normalize(n).IsValid)
            {
                throw new InvalidOperationException($"Benchmark input rejected: {n}");
            }
        }
    }

    [Benchmark(Description = "DomainNameNormalizer.Normalize ASCII name", OperationsPerInvoke = Names)]
    public int Ascii() => NormalizeAll(_ascii);

    [Benchmark(Description = "DomainNameNormalizer.Normalize IDN (U-label) name", OperationsPerInvoke = Names)]
    public int Idn() => NormalizeAll(_idn);

    private static int NormalizeAll(string[] names)
    {
        var total = 0;
        foreach (var n in names)
        {
            total += DomainNameNormalizer.Normalize(n).Name!.Length;
        }

        return total;
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// <see cref="DomainListReader"/> streaming a 1,000,000-line list held in memory (a MemoryStream, so no disk
/// I/O is measured). Times and allocations are per input line (OperationsPerInvoke). With duplicates dropped,
/// the allocations include the growth of the duplicate table (about 16 bytes per distinct name, the only
/// state that grows with the list); without, they are the per-line garbage alone, which must stay flat.
/// </summary>
[MemoryDiagnoser]
public class DomainListReaderBenchmarks
{
    private const int Lines = 1_000_000;
    private byte[] _list = null!;

    public enum ListFormat
    {
        PlainText,
        TrancoCsv,
    }

    [Params(ListFormat.PlainText, ListFormat.TrancoCsv)]
    public ListFormat Format { get; set; }

    [Params(true, false)]
    public bool DropDuplicates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // A Tranco-like mix: mostly distinct names, with comments, blank lines, duplicates, IDNs and junk.
        var sb = new StringBuilder(Lines * 24);
        var csv = Format == ListFormat.TrancoCsv;
        for (var i = 1; i <= Lines; i++)
        {
            string line = (i % 1000, i % 97, i % 211, i % 53) switch
            {
                (0, _, _, _) when !csv => "# comment line",
                (_, 0, _, _) => Invariant($"domain{i / 2}.com"),
                (_, _, 0, _) => "not a domain!",
                (_, _, _, 0) => Invariant($"bücher{i}.de"),
                _ => Invariant($"domain{i}.{(i % 5 == 0 ? "net" : "com")}"),
            };
            sb.Append(csv ? Invariant($"{i},{line}") : line).Append('\n');
        }

        _list = Encoding.UTF8.GetBytes(sb.ToString());
        var (lines, accepted) = ReadAll().GetAwaiter().GetResult();
        if (lines != Lines || accepted < Lines * 9 / 10)
        {
            throw new InvalidOperationException($"Benchmark list read wrong: {lines} lines, {accepted} accepted.");
        }
    }

    [Benchmark(Description = "DomainListReader.ReadAsync 1M-line list", OperationsPerInvoke = Lines)]
    public async Task<long> Read() => (await ReadAll().ConfigureAwait(false)).Accepted;

    private async Task<(long Lines, long Accepted)> ReadAll()
    {
        var reader = new DomainListReader(new DomainListOptions { DropDuplicates = DropDuplicates });
        var report = new DomainListReport("bench");
        using var stream = new MemoryStream(_list, writable: false);
        long accepted = 0;
        await foreach (var entry in reader.ReadAsync(stream, report).ConfigureAwait(false))
        {
            accepted++;
        }

        return (report.Lines, accepted);
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
