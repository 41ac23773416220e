using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;

using DaneScan.Contracts;
using DaneScan.Core;

namespace DaneScan.Pipeline.Lists;

/// <summary>One accepted name of a list.</summary>
/// <param name="Name">The name, normalised where it entered (A-labels, lower case, no trailing dot).</param>
/// <param name="Source">The list it came from.</param>
/// <param name="LineNumber">Its 1-based line in the (decompressed) list.</param>
/// <param name="Rank">The rank from a CSV list, if any.</param>
public sealed record DomainListEntry(DnsName Name, string Source, long LineNumber, long? Rank)
{
    /// <summary>The name as text, as work items and records carry it.</summary>
    public string Domain => Name.Value;
}

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

    /// <summary>The default of <see cref="MaxDecompressedBytes"/>: 4 GiB (the Tranco top million is about 22 MB).</summary>
    public const long DefaultMaxDecompressedBytes = 4L << 30;

    /// <summary>The default of <see cref="MaxLines"/>: 100 million (the Tranco top million has 1 million).</summary>
    public const long DefaultMaxLines = 100_000_000;

    /// <summary>
    /// A list whose text (after decompression) is longer than this is refused (<see cref="ListFailure.TooLarge"/>):
    /// a few kilobytes of gzip can expand to gigabytes.
    /// </summary>
    public long MaxDecompressedBytes { get; init; } = DefaultMaxDecompressedBytes;

    /// <summary>A list with more lines than this is refused (<see cref="ListFailure.TooManyLines"/>).</summary>
    public long MaxLines { get; init; } = DefaultMaxLines;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when a bound is not positive.</summary>
    public DomainListOptions Validated()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 1, nameof(MaxLineLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDecompressedBytes, 1, nameof(MaxDecompressedBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLines, 1, nameof(MaxLines));
        return this;
    }
}

/// <summary>What checking a list whole found (<see cref="DomainListReader.VerifyAsync"/>).</summary>
/// <param name="Source">The list's name.</param>
/// <param name="Sha256">SHA-256 of the list's bytes as stored, lower-case hex.</param>
/// <param name="StoredBytes">Bytes as stored (compressed if gzip).</param>
/// <param name="Lines">Lines of (decompressed) text.</param>
/// <param name="Gzip">Whether the list is gzip-compressed.</param>
public sealed record ListCheck(string Source, string Sha256, long StoredBytes, long Lines, bool Gzip);

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
        var file = ListFiles.Open(path);
        await using (file.ConfigureAwait(false))
        {
            await foreach (var entry in ReadAsync(file, report, cancellationToken).ConfigureAwait(false))
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Reads a list to its end without normalising a name, to prove that it can be read whole before any of
    /// its names is scanned: the gzip data complete and intact, text throughout, within the bounds. Throws
    /// <see cref="ListReadException"/> (one line naming the list, what and where) when it is not. Memory: one
    /// line and the read buffers.
    /// </summary>
    public async Task<ListCheck> VerifyAsync(Stream stream, string source, CancellationToken cancellationToken = default)
    {
        var report = new DomainListReport(source);
        long stored = 0;
        var counting = new CountingReadStream(stream ?? throw new ArgumentNullException(nameof(stream)), n => stored += n);
        await foreach (var _ in LinesAsync(counting, report, cancellationToken).ConfigureAwait(false))
        {
        }

        return new ListCheck(source, report.Sha256!, stored, report.Lines, report.Gzip);
    }

    /// <summary>
    /// Reads a list from a stream, yielding each accepted name and counting every other line in
    /// <paramref name="report"/>. The stream is read, not disposed. Throws <see cref="ListReadException"/>
    /// when the list cannot be read to its end; the names yielded before that came from whole lines, but the
    /// list as a whole is not to be trusted, so callers that must not scan part of a list call
    /// <see cref="VerifyAsync"/> first.
    /// </summary>
    public async IAsyncEnumerable<DomainListEntry> ReadAsync(
        Stream stream, DomainListReport report, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(report);
        report.SampleLimit = _options.SamplesPerReason;
        var format = _options.Format;
        report.Format = format;
        var firstSignificant = true;
        await foreach (var (line, tooLong, lineNumber) in LinesAsync(stream, report, cancellationToken).ConfigureAwait(false))
        {
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

            if (SpecialUseNames.Match(normalized.Name!) is not null)
            {
                report.Reject(DomainRejectReason.SpecialUseName, lineNumber, line);
                continue;
            }

            if (_options.DropDuplicates && !Seen.Add(normalized.Name!))
            {
                report.Reject(DomainRejectReason.Duplicate, lineNumber, line);
                continue;
            }

            report.Accepted++;
            // The normaliser enforced the limits (LDH labels of at most 63, 253 in all): typed without checking them twice.
            yield return new DomainListEntry(DnsName.Unchecked(normalized.Name!), report.Source, lineNumber, rank);
        }
    }

    /// <summary>
    /// The lines of a list, with every check that a list is whole: gzip (detected by its magic bytes) proved
    /// complete member by member, other compression and archive formats refused, strict UTF-8 (or UTF-16 with a
    /// byte-order mark), no control characters other than tab, form feed and vertical tab, at most
    /// <see cref="DomainListOptions.MaxDecompressedBytes"/> and <see cref="DomainListOptions.MaxLines"/>. Sets
    /// <see cref="DomainListReport.Gzip"/>, <see cref="DomainListReport.Lines"/> and, at the end,
    /// <see cref="DomainListReport.Sha256"/> and <see cref="DomainListReport.Complete"/>.
    /// </summary>
    private async IAsyncEnumerable<(string Line, bool TooLong, long LineNumber)> LinesAsync(
        Stream stream, DomainListReport report, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var source = report.Source;
        using var hashing = new HashingReadStream(stream);
        var head = new byte[ListMagic.HeadBytes];
        var got = 0;
        try
        {
            while (got < head.Length)
            {
                var n = await hashing.ReadAsync(head.AsMemory(got), cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                got += n;
            }
        }
        catch (Exception e) when (ListFiles.Classify(source, e, hashing.BytesRead) is { } failure)
        {
            throw failure;
        }

        if (ListMagic.OtherFormat(head.AsSpan(0, got)) is { } other)
        {
            throw new ListReadException(source, ListFailure.NotText, $"is {other}-compressed or archived, not a list: lists must be text or gzip-compressed text");
        }

        report.Gzip = got >= 2 && head[0] == 0x1F && head[1] == 0x8B;
        Stream content = new PrefixedReadStream(head, got, hashing);
        if (report.Gzip)
        {
            content = new GzipMemberStream(content);
        }

        var bounded = new BoundedReadStream(content, _options.MaxDecompressedBytes);
        using var text = new StreamReader(bounded, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: true, bufferSize: 65536);
        var lines = new BoundedLineReader(text, _options.MaxLineLength);
        long lineNumber = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (string? Line, bool TooLong) next;
            try
            {
                next = await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ListDataException e)
            {
                throw new ListReadException(source, e.Failure, AtLine(e.Message, e.Failure, lineNumber, report.Gzip), e);
            }
            catch (DecoderFallbackException e)
            {
                throw new ListReadException(source, ListFailure.NotText,
                    $"is not UTF-8 text: an invalid byte sequence in line {lineNumber + 1}{(report.Gzip ? " of the decompressed text (the gzip data is corrupt, or holds a binary file)" : string.Empty)}", e);
            }
            catch (Exception e) when (ListFiles.Classify(source, e, hashing.BytesRead) is { } failure)
            {
                throw failure;
            }

            if (next.Line is null)
            {
                break;
            }

            lineNumber++;
            if (lineNumber > _options.MaxLines)
            {
                throw new ListReadException(source, ListFailure.TooManyLines,
                    string.Create(CultureInfo.InvariantCulture, $"has more than {_options.MaxLines} lines (the bound; raise it to read longer lists)"));
            }

            report.Lines = lineNumber;
            yield return (next.Line, next.TooLong, lineNumber);
        }

        try
        {
            await hashing.DrainAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ListFiles.Classify(source, e, hashing.BytesRead) is { } failure)
        {
            throw failure;
        }

        report.Sha256 = hashing.HashHex();
        report.Complete = true;
    }

    private static string AtLine(string detail, ListFailure failure, long linesRead, bool gzip) => failure switch
    {
        ListFailure.TooLarge => detail,
        ListFailure.NotText => string.Create(CultureInfo.InvariantCulture,
            $"{detail} of line {linesRead + 1}{(gzip ? " of the decompressed text (the gzip data is corrupt, or holds a binary file)" : string.Empty)}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{detail}; {linesRead} whole lines{(gzip ? " of decompressed text" : string.Empty)} came before it"),
    };

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
