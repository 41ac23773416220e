using System.Globalization;
using System.Net;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Pipeline.Politeness;

/// <summary>One line of an opt-out file that could not be read.</summary>
public sealed record OptOutError(int LineNumber, string Text, string Problem);

/// <summary>
/// Operators who asked not to be scanned. The file has one entry a line; '#' starts a comment;
/// blank lines are ignored. An entry is one of:
/// <list type="bullet">
/// <item>a domain name ("example.com"): that name and every name under it ("mx1.example.com"), as
/// destination domain or as MX host name; Unicode names are taken in their A-label form;</item>
/// <item>an IPv4 or IPv6 address ("192.0.2.25", "2001:db8::25"): that address;</item>
/// <item>a CIDR range ("192.0.2.0/24", "2001:db8::/32"): every address in it (the base address must
/// have no bits set past the prefix).</item>
/// </list>
/// A leading "*." on a domain is accepted and means the same as the bare domain.
/// </summary>
public sealed class OptOutList
{
    private readonly HashSet<string> _domains = new(StringComparer.Ordinal);
    private readonly HashSet<IPAddress> _addresses = [];
    private readonly List<IPNetwork> _networks = [];

    /// <summary>An empty list.</summary>
    public static OptOutList Empty { get; } = new();

    public int DomainCount => _domains.Count;

    public int AddressCount => _addresses.Count;

    public int NetworkCount => _networks.Count;

    /// <summary>Reads an opt-out file; lines that are not entries are returned as errors (the caller decides whether to refuse to run).</summary>
    public static async Task<(OptOutList List, IReadOnlyList<OptOutError> Errors)> LoadAsync(
        string path, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(path);
        return await ParseAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Parses opt-out entries from text.</summary>
    public static async Task<(OptOutList List, IReadOnlyList<OptOutError> Errors)> ParseAsync(
        TextReader reader, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var list = new OptOutList();
        var errors = new List<OptOutError>();
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            var entry = (hash >= 0 ? line[..hash] : line).Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            if (list.TryAdd(entry) is { } problem)
            {
                errors.Add(new OptOutError(lineNumber, line, problem));
            }
        }

        return (list, errors);
    }

    /// <summary>Adds one entry; returns a description of the problem when it is not an entry.</summary>
    public string? TryAdd(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Contains('/', StringComparison.Ordinal))
        {
            var slash = entry.IndexOf('/', StringComparison.Ordinal);
            if (!IPNetwork.TryParse(entry, out var network) || !IPAddress.TryParse(entry.AsSpan(0, slash), out var written) ||
                !written.Equals(network.BaseAddress))
            {
                return "not a CIDR range with its base address aligned to the prefix";
            }

            _networks.Add(network);
            return null;
        }

        if (entry.Contains(':', StringComparison.Ordinal) || IsDottedQuad(entry))
        {
            if (!IPAddress.TryParse(entry, out var address))
            {
                return "not an IP address";
            }

            _addresses.Add(AddressPolicy.Canonical(address));
            return null;
        }

        var name = entry.StartsWith("*.", StringComparison.Ordinal) ? entry[2..] : entry;
        var normalized = DomainNameNormalizer.Normalize(name);
        if (normalized.Name is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"not a domain name ({normalized.Reason})");
        }

        _domains.Add(normalized.Name);
        return null;
    }

    /// <summary>Whether a normalised name, or a name it is under, is opted out.</summary>
    public bool ContainsDomain(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_domains.Count == 0)
        {
            return false;
        }

        var candidate = DnsName.Normalize(name);
        while (true)
        {
            if (_domains.Contains(candidate))
            {
                return true;
            }

            var dot = candidate.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                return false;
            }

            candidate = candidate[(dot + 1)..];
        }
    }

    /// <summary>Whether an address is opted out, singly or by a range.</summary>
    public bool ContainsAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var judged = AddressPolicy.Canonical(address);
        if (_addresses.Contains(judged))
        {
            return true;
        }

        foreach (var network in _networks)
        {
            if (network.BaseAddress.AddressFamily == judged.AddressFamily && network.Contains(judged))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsDottedQuad(string entry) =>
        entry.Length > 0 && entry.All(c => char.IsAsciiDigit(c) || c == '.') && entry.Count(c => c == '.') == 3;
}
