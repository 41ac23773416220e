using System.Globalization;
using DaneScan.Core;

namespace DaneScan.Statistics;

/// <summary>The public suffix list could not be loaded.</summary>
public sealed class PublicSuffixListException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The Mozilla public suffix list (https://publicsuffix.org/list/), read from the copy Debian's
/// <c>publicsuffix</c> package keeps at <see cref="DebianPath"/> (or <c>$DANESCAN_PUBLIC_SUFFIX_LIST</c>), never
/// hand-maintained. Implements the list's algorithm: the longest matching rule wins, exception rules
/// (<c>!</c>) beat it and drop their leftmost label, wildcards (<c>*.</c>) match one label, and an unlisted
/// TLD is its own suffix (the implicit rule <c>*</c>). Names are compared in A-label form, lower case.
/// </summary>
public sealed class PublicSuffixList
{
    public const string DebianPath = "/usr/share/publicsuffix/public_suffix_list.dat";
    public const string PathVariable = "DANESCAN_PUBLIC_SUFFIX_LIST";

    private static readonly Lazy<PublicSuffixList> LazyDefault = new(() => Load(DefaultPath()));

    // rule (without "!" or "*.") -> kind; wildcard and exception rules are kept apart from plain ones.
    private readonly Dictionary<string, bool> _rules = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _wildcards = new(StringComparer.Ordinal);
    private readonly Dictionary<string, bool> _exceptions = new(StringComparer.Ordinal);

    private PublicSuffixList()
    {
    }

    /// <summary>The rules read (plain, wildcard and exception), for both sections.</summary>
    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>The list at <c>$DANESCAN_PUBLIC_SUFFIX_LIST</c> or <see cref="DebianPath"/>, loaded once on first use; throws <see cref="PublicSuffixListException"/> when absent.</summary>
    public static PublicSuffixList Default => LazyDefault.Value;

    public static string DefaultPath() =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } p ? p : DebianPath;

    /// <summary>Reads a list file; a missing or empty file is a <see cref="PublicSuffixListException"/> that says how to install it.</summary>
    public static PublicSuffixList Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        try
        {
            using var reader = new StreamReader(path);
            var list = Parse(reader);
            return list.RuleCount == 0
                ? throw new PublicSuffixListException($"the public suffix list {path} holds no rules")
                : list;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PublicSuffixListException(
                $"cannot read the public suffix list {path}: {e.Message} (install Debian's publicsuffix package: apt-get install publicsuffix, or set {PathVariable})", e);
        }
    }

    /// <summary>Parses the list's text format: one rule a line, "//" comments, the PRIVATE section between its BEGIN and END markers.</summary>
    public static PublicSuffixList Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var list = new PublicSuffixList();
        var inPrivate = false;
        var idn = new IdnMapping();
        while (reader.ReadLine() is { } raw)
        {
            var line = raw.Trim();
            if (line.StartsWith("//", StringComparison.Ordinal))
            {
                if (line.Contains("===BEGIN PRIVATE DOMAINS===", StringComparison.Ordinal))
                {
                    inPrivate = true;
                }
                else if (line.Contains("===END PRIVATE DOMAINS===", StringComparison.Ordinal))
                {
                    inPrivate = false;
                }

                continue;
            }

            var space = line.IndexOfAny([' ', '\t']);
            var rule = (space < 0 ? line : line[..space]).TrimEnd('.');
            if (rule.Length == 0)
            {
                continue;
            }

            var table = list._rules;
            if (rule.StartsWith('!'))
            {
                table = list._exceptions;
                rule = rule[1..];
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                table = list._wildcards;
                rule = rule[2..];
            }
            else if (rule == "*")
            {
                continue;
            }

            string ascii;
            try
            {
                ascii = idn.GetAscii(rule).ToLowerInvariant();
            }
            catch (ArgumentException)
            {
                continue; // not a valid name: the list's own rules never are, but a local copy might be damaged
            }

            table.TryAdd(ascii, inPrivate);
        }

        return list;
    }

    /// <summary>
    /// The public suffix of a name (for example "co.uk" for "mail.example.co.uk"); with
    /// <paramref name="icannOnly"/> the list's PRIVATE section is ignored (so "x.github.io" has suffix "io").
    /// </summary>
    public string PublicSuffix(string name, bool icannOnly = false)
    {
        var labels = Labels(name);
        return string.Join('.', labels[^SuffixLabels(labels, icannOnly)..]);
    }

    /// <summary>The registrable domain (the public suffix and one more label), or null when the name is itself a public suffix.</summary>
    public string? RegistrableDomain(string name, bool icannOnly = false)
    {
        var labels = Labels(name);
        var suffix = SuffixLabels(labels, icannOnly);
        return labels.Length <= suffix ? null : string.Join('.', labels[^(suffix + 1)..]);
    }

    private static string[] Labels(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = DnsName.Normalize(name);
        return trimmed == "." ? throw new ArgumentException("an empty name has no public suffix", nameof(name)) : trimmed.Split('.');
    }

    /// <summary>How many trailing labels form the public suffix.</summary>
    private int SuffixLabels(string[] labels, bool icannOnly)
    {
        bool Has(Dictionary<string, bool> table, string key) => table.TryGetValue(key, out var isPrivate) && !(icannOnly && isPrivate);

        var best = 1; // the implicit rule "*"
        for (var n = 1; n <= labels.Length; n++)
        {
            var candidate = string.Join('.', labels[^n..]);
            if (Has(_exceptions, candidate))
            {
                return n - 1; // an exception rule wins, minus its leftmost label
            }

            if (Has(_rules, candidate))
            {
                best = Math.Max(best, n);
            }

            // "*.candidate" matches names with one more label.
            if (n < labels.Length && Has(_wildcards, candidate))
            {
                var wider = string.Join('.', labels[^(n + 1)..]);
                if (!Has(_exceptions, wider))
                {
                    best = Math.Max(best, n + 1);
                }
            }
        }

        return best;
    }
}
