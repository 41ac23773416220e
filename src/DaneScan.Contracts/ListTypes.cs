namespace DaneScan.Contracts;

/// <summary>The layout of a domain list.</summary>
public enum DomainListFormat
{
    /// <summary>Decide from the first line that is neither blank nor a comment: a comma means CSV.</summary>
    Auto,

    /// <summary>One name a line; '#' starts a comment; blank lines are skipped.</summary>
    PlainText,

    /// <summary>Tranco-style "rank,domain" lines; an optional "rank,domain" header; '#' comments.</summary>
    RankCsv,
}

/// <summary>One rejected line kept as an example.</summary>
/// <param name="LineNumber">1-based line number in the (decompressed) list.</param>
/// <param name="Text">The line, cut to 120 characters.</param>
public sealed record RejectedLineSample(long LineNumber, string Text);
