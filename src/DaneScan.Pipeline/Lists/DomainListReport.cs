using System.Globalization;
using System.Text;

using DaneScan.Contracts;

namespace DaneScan.Pipeline.Lists;

/// <summary>How many lines a reason rejected, and the first few of them.</summary>
public sealed class RejectionTally
{
    private readonly List<RejectedLineSample> _samples = [];

    public long Count { get; private set; }

    public IReadOnlyList<RejectedLineSample> Samples => _samples;

    internal void Add(long lineNumber, ReadOnlySpan<char> text, int sampleLimit)
    {
        Count++;
        if (_samples.Count < sampleLimit)
        {
            var cut = text.Length > 120 ? string.Concat(text[..120], "…") : text.ToString();
            _samples.Add(new RejectedLineSample(lineNumber, cut));
        }
    }
}

/// <summary>
/// What reading one list found: every line is accounted for as accepted, blank, comment, header or
/// rejected under exactly one reason (<see cref="IsBalanced"/>).
/// </summary>
public sealed class DomainListReport
{
    private readonly SortedDictionary<DomainRejectReason, RejectionTally> _rejections = [];

    public DomainListReport(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        Source = source;
    }

    /// <summary>The list's name (a file path or blob name).</summary>
    public string Source { get; }

    /// <summary>The format used (after auto-detection).</summary>
    public DomainListFormat Format { get; internal set; }

    /// <summary>Whether the list was gzip-compressed.</summary>
    public bool Gzip { get; internal set; }

    /// <summary>SHA-256 of the list's bytes as stored (compressed if gzip), lower-case hex; set when the list was read to its end.</summary>
    public string? Sha256 { get; internal set; }

    /// <summary>Whether the whole list was read (false when enumeration stopped early).</summary>
    public bool Complete { get; internal set; }

    public long Lines { get; internal set; }

    public long Accepted { get; internal set; }

    public long BlankLines { get; internal set; }

    public long CommentLines { get; internal set; }

    public long HeaderLines { get; internal set; }

    public long Rejected => _rejections.Values.Sum(t => t.Count);

    public IReadOnlyDictionary<DomainRejectReason, RejectionTally> Rejections => _rejections;

    /// <summary>True when every line read is counted exactly once.</summary>
    public bool IsBalanced => Lines == Accepted + BlankLines + CommentLines + HeaderLines + Rejected;

    internal int SampleLimit { get; set; } = 5;

    internal void Reject(DomainRejectReason reason, long lineNumber, ReadOnlySpan<char> text)
    {
        if (!_rejections.TryGetValue(reason, out var tally))
        {
            tally = new RejectionTally();
            _rejections.Add(reason, tally);
        }

        tally.Add(lineNumber, text, SampleLimit);
    }

    /// <summary>A human-readable summary, one line per rejection reason with sample line numbers.</summary>
    public string Describe()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"{Source}: {Lines} lines, {Accepted} accepted, {Rejected} rejected, {BlankLines} blank, {CommentLines} comments, {HeaderLines} header ({Format}{(Gzip ? ", gzip" : "")})");
        foreach (var (reason, tally) in _rejections)
        {
            sb.AppendLine();
            sb.Append(CultureInfo.InvariantCulture, $"  {reason}: {tally.Count} (lines {string.Join(", ", tally.Samples.Select(s => s.LineNumber))})");
        }

        return sb.ToString();
    }

    /// <summary>The manifest entry for this list: its hash, format and the fate of every line.</summary>
    public ListManifest ToManifest() => new()
    {
        Source = Source,
        Sha256 = Sha256,
        Format = Format,
        Gzip = Gzip,
        Lines = Lines,
        Accepted = Accepted,
        BlankLines = BlankLines,
        CommentLines = CommentLines,
        HeaderLines = HeaderLines,
        Rejected = Rejections.ToDictionary(kv => kv.Key, kv => kv.Value.Count),
    };
}
