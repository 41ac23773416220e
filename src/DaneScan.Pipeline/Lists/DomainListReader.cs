using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;

using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>One accepted name of a list.</summary>
/// <param name="Domain">The normalised name (A-labels, lower case, no trailing dot).</param>
/// <param name="Source">The list it came from.</param>
/// <param name="LineNumber">Its 1-based line in the (decompressed) list.</param>
/// <param name="Rank">The rank from a CSV list, if any.</param>
public sealed record DomainListEntry(string Domain, string Source, long LineNumber, long? Rank);

/// <summary>Options for reading domain lists.</summary>
public sealed record DomainListOptions
{
    public DomainListFormat Format { get; init; } = DomainListFormat.Auto;

    /// <summary>Lines longer than this many characters are rejected as <see cref="DomainRejectReason.LineTooLong"/>.</summary>
    public int MaxLineLength { get; init; } = 1024;

    /// <summary>How many example lines to keep per rejection reason.</summary>
    public int SamplesPerReason { get; init; } = 5;

    /// <summary>Drop names already read by this reader (across all the lists it reads).</summary>
    public bool DropDuplicates { get; init; } = true;
}

/// <summary>
/// Streams domain lists (plain text, rank CSV, either gzip-compressed, detected by its magic bytes)
/// line by line: only the current line and the duplicate table are in memory. One reader drops
/// duplicates across every list it reads, so a run uses one reader for all of its lists.
/// </summary>
public sealed class DomainListReader(DomainListOptions? options = null)
{
    private readonly DomainListOptions _options = options ?? new DomainListOptions();

    /// <summary>The duplicate table shared by all lists read through this reader.</summary>
    public DomainDeduplicator Seen { get; } = new();

    /// <summary>Reads a list file; see <see cref="ReadAsync(Stream, DomainListReport, CancellationToken)"/>.</summary>
    public async IAsyncEnumerable<DomainListEntry> ReadFileAsync(
        string path, DomainListReport report, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 65536, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            await foreach (var entry in ReadAsync(file, report, cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Reads a list from a stream, yielding each accepted name and counting every other line in
    /// <paramref name="report"/>. The stream is read, not disposed.
    /// </summary>
    public async IAsyncEnumerable<DomainListEntry> ReadAsync(
        Stream stream, DomainListReport report, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        report.SampleLimit = _options.SamplesPerReason;

        using var hashing = new HashingReadStream(stream);
        var magic = new byte[2];
        var got = 0;
        while (got < 2)
        {
            var n = await hashing.ReadAsync(magic.AsMemory(got), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            got += n;
        }

        report.Gzip = got == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
        Stream content = new PrefixedReadStream(magic, got, hashing);
        if (report.Gzip)
        {
            content = new GZipStream(content, CompressionMode.Decompress, leaveOpen: false);
        }

        using var text = new StreamReader(content, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: true, bufferSize: 65536);
        var lines = new BoundedLineReader(text, _options.MaxLineLength);
        var format = _options.Format;
        report.Format = format;
        long lineNumber = 0;
        var firstSignificant = true;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (line, tooLong) = await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
            {
                break;
            }

            lineNumber++;
            report.Lines = lineNumber;
            if (tooLong)
            {
                report.Reject(DomainRejectReason.LineTooLong, lineNumber, line);
                continue;
            }

            var span = line.AsSpan();
            var hash = span.IndexOf('#');
            var content0 = (hash >= 0 ? span[..hash] : span).Trim();
            if (content0.IsEmpty)
            {
                if (hash >= 0)
                {
                    report.CommentLines++;
                }
                else
                {
                    report.BlankLines++;
                }

                continue;
            }

            if (firstSignificant)
            {
                firstSignificant = false;
                if (format == DomainListFormat.Auto)
                {
                    format = content0.Contains(',') ? DomainListFormat.RankCsv : DomainListFormat.PlainText;
                    report.Format = format;
                }

                if (format == DomainListFormat.RankCsv && IsHeader(content0))
                {
                    report.HeaderLines++;
                    continue;
                }
            }

            long? rank = null;
            var nameSpan = content0;
            if (format == DomainListFormat.RankCsv)
            {
                var comma = content0.IndexOf(',');
                if (comma < 0)
                {
                    report.Reject(DomainRejectReason.MalformedCsv, lineNumber, line);
                    continue;
                }

                var rankText = Unquote(content0[..comma]);
                if (!long.TryParse(rankText, NumberStyles.None, CultureInfo.InvariantCulture, out var r) || r < 1)
                {
                    report.Reject(DomainRejectReason.MalformedCsv, lineNumber, line);
                    continue;
                }

                rank = r;
                nameSpan = Unquote(content0[(comma + 1)..]);
                if (nameSpan.IsEmpty)
                {
                    report.Reject(DomainRejectReason.MalformedCsv, lineNumber, line);
                    continue;
                }
            }

            var normalized = DomainNameNormalizer.Normalize(nameSpan);
            if (normalized.Reason is { } reason)
            {
                report.Reject(reason, lineNumber, line);
                continue;
            }

            if (_options.DropDuplicates && !Seen.Add(normalized.Name!))
            {
                report.Reject(DomainRejectReason.Duplicate, lineNumber, line);
                continue;
            }

            report.Accepted++;
            yield return new DomainListEntry(normalized.Name!, report.Source, lineNumber, rank);
        }

        await hashing.DrainAsync(cancellationToken).ConfigureAwait(false);
        report.Sha256 = hashing.HashHex();
        report.Complete = true;
    }

    private static bool IsHeader(ReadOnlySpan<char> line)
    {
        var comma = line.IndexOf(',');
        var first = Unquote(comma < 0 ? line : line[..comma]);
        return first.Equals("rank", StringComparison.OrdinalIgnoreCase);
    }

    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> field)
    {
        field = field.Trim();
        return field.Length >= 2 && field[0] == '"' && field[^1] == '"' ? field[1..^1].Trim() : field;
    }
}
