using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>One shared part of a run's stored domain records (hosts.jsonl, or the Table store's parts partition) as read: its content address and JSON.</summary>
/// <param name="Ref">The content address (<see cref="SharedHosts.RefOf"/>).</param>
/// <param name="Host">
/// A shared element of domain records (an MX host observation, a host verdict, an MX RRset, a finding) or a
/// record base (format 3), with its per-domain values set to 0: they stay in the domain line.
/// </param>
internal sealed record HostPart(string Ref, JsonObject Host);

/// <summary>
/// The compact stored form of domain records (docs/dataset.md, "Shared parts of domain records"). A stored line is
/// the record's JSON with parts that many domains have in common replaced by references to parts stored once per run:
/// <list type="bullet">
/// <item><b>Format 3</b> (written now): a line holds <c>"$base": ref</c>, the part with the record's run-level values
/// and verdict summary (<see cref="BaseFields"/>); its MX RRset, recipient-domain TLSA lookup, MX host observations,
/// host verdicts and findings are each <c>[ref, ttl, ttl, ...]</c>: the part's reference and the element's TTLs in
/// document order (they count down in the resolver's cache). Within a part, the domain's own name is written
/// <c>%d</c> (and a literal <c>%</c> as <c>%%</c>), so that elements differing only by the domain's name share one part.</item>
/// <item><b>Format 2</b> (read only): no <c>"$base"</c>; only the MX host observations and host verdicts are
/// references, with TTLs and reference identifiers as the per-domain values and no <c>%d</c>.</item>
/// <item><b>Format 1</b> (read only): the record as it is.</item>
/// </list>
/// Joining puts the very same record back. <see cref="RecordSplitter"/> writes the lines and parts.
/// </summary>
internal static class SharedHosts
{
    /// <summary>The property of a format-3 line naming its base part.</summary>
    public const string BaseProperty = "$base";

    /// <summary>Format 2's shared arrays: the DNS side and the verdict of each MX host.</summary>
    private static readonly string[][] Format2Arrays = [["observation", "hosts"], ["verdict", "hosts"]];

    /// <summary>Format 2's per-domain values: TTLs and the verdict's reference identifiers (they hold the domain's name).</summary>
    private static readonly HashSet<string> Format2PerDomain = new(StringComparer.Ordinal) { "ttl", "referenceIdentifiers" };

    /// <summary>Format 3's shared single elements.</summary>
    internal static readonly string[][] SharedObjects = [["observation", "mx"], ["observation", "recipientDomainTlsa"]];

    /// <summary>Format 3's shared array elements.</summary>
    internal static readonly string[][] SharedArrays = [["observation", "hosts"], ["verdict", "hosts"], ["verdict", "findings"]];

    /// <summary>Format 3's per-domain values: TTLs (everything else that names the domain is written %d).</summary>
    internal static readonly HashSet<string> PerDomain = new(StringComparer.Ordinal) { "ttl" };

    /// <summary>
    /// The values a format-3 line keeps in its base part: those of the run (schema and rules version, resolver,
    /// trust mode, source list), the domain's name (as %d), and the verdict's summary, of which a run has few
    /// combinations.
    /// </summary>
    internal static readonly string[][] BaseFields =
    [
        ["observation", "schemaVersion"], ["observation", "domain"], ["observation", "resolver"], ["source"],
        ["verdict", "rulesVersion"], ["verdict", "domain"], ["verdict", "mxStatus"], ["verdict", "mxOutcome"],
        ["verdict", "mxSecure"], ["verdict", "primary"], ["verdict", "all"], ["verdict", "trustMode"],
    ];

    /// <summary>The domain record of a stored line of any format; <paramref name="domain"/> is the line's key.</summary>
    /// <exception cref="StorageException">A referenced part is missing, or the line does not fit it.</exception>
    public static DomainRecord Join(JsonObject line, string domain, Func<string, JsonObject?> partOf)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentException.ThrowIfNullOrEmpty(domain);
        if (line[BaseProperty] is { } baseRef)
        {
            line.Remove(BaseProperty);
            var recordBase = Part(IdOf(baseRef), partOf);
            UntemplateNode(recordBase, domain);
            Merge(line, recordBase);
            foreach (var path in SharedObjects)
            {
                if (line[path[0]] is JsonObject parent && parent[path[1]] is JsonArray reference)
                {
                    parent[path[1]] = Expand(reference, domain, partOf, PerDomain, templated: true);
                }
            }

            ExpandArrays(line, SharedArrays, domain, partOf, PerDomain, templated: true);
        }
        else
        {
            ExpandArrays(line, Format2Arrays, domain, partOf, Format2PerDomain, templated: false);
        }

        try
        {
            return line.Deserialize<DomainRecord>(RecordJson.Options) ?? throw new StorageException(StorageFaultKind.Corrupt, $"{domain}: empty domain record");
        }
        catch (JsonException e)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"{domain}: the stored record is not a readable DomainRecord: {e.Message}", e);
        }
    }

    /// <summary>The part references of a stored line (none in format 1).</summary>
    public static IEnumerable<string> RefsOf(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line[BaseProperty] is { } baseRef)
        {
            yield return IdOf(baseRef);
        }

        foreach (var path in SharedObjects)
        {
            if (line[path[0]]?[path[1]] is JsonArray { Count: > 0 } reference)
            {
                yield return IdOf(reference[0]);
            }
        }

        foreach (var path in SharedArrays)
        {
            if (line[path[0]]?[path[1]] is JsonArray array)
            {
                foreach (var reference in array.OfType<JsonArray>().Where(r => r.Count > 0))
                {
                    yield return IdOf(reference[0]);
                }
            }
        }
    }

    /// <summary>The content address of a part: 20 characters of the base64url SHA-256 of its JSON (120 bits).</summary>
    public static string RefOf(ReadOnlySpan<byte> partJson)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(partJson, hash);
        return Convert.ToBase64String(hash).Replace('+', '-').Replace('/', '_')[..20];
    }

    /// <summary>A text with the domain's name written %d and '%' written %%: reversible (a domain name holds no '%').</summary>
    public static string Template(string text, string domain)
    {
        if (!text.Contains('%', StringComparison.Ordinal) && !text.Contains(domain, StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith(domain, StringComparison.Ordinal))
            {
                sb.Append("%d");
                i += domain.Length - 1;
            }
            else if (text[i] == '%')
            {
                sb.Append("%%");
            }
            else
            {
                sb.Append(text[i]);
            }
        }

        return sb.ToString();
    }

    /// <summary>The text <see cref="Template"/> made <paramref name="text"/> from.</summary>
    /// <exception cref="StorageException">A '%' not followed by '%' or 'd'.</exception>
    public static string Untemplate(string text, string domain)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + domain.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                sb.Append(text[i]);
                continue;
            }

            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            sb.Append(next switch
            {
                '%' => "%",
                'd' => domain,
                _ => throw new StorageException(StorageFaultKind.Corrupt, $"a stored part of {domain} holds '%' not followed by '%' or 'd': {text}"),
            });
            i++;
        }

        return sb.ToString();
    }

    private static void ExpandArrays(JsonObject line, string[][] paths, string domain, Func<string, JsonObject?> partOf, HashSet<string> perDomain, bool templated)
    {
        foreach (var path in paths)
        {
            if (line[path[0]]?[path[1]] is not JsonArray array)
            {
                continue;
            }

            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonArray reference)
                {
                    array[i] = Expand(reference, domain, partOf, perDomain, templated);
                }
            }
        }
    }

    private static JsonObject Expand(JsonArray reference, string domain, Func<string, JsonObject?> partOf, HashSet<string> perDomain, bool templated)
    {
        if (reference.Count == 0)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"{domain}: a part reference without an id");
        }

        var id = IdOf(reference[0]);
        var element = Part(id, partOf);
        if (templated)
        {
            UntemplateNode(element, domain);
        }

        var next = 1;
        RestorePerDomain(element, perDomain, reference, ref next);
        if (next != reference.Count)
        {
            throw new StorageException(StorageFaultKind.Corrupt, $"{domain}: part {id}: {reference.Count - 1} per-domain values stored, {next - 1} expected");
        }

        return element;
    }

    private static JsonObject Part(string id, Func<string, JsonObject?> partOf) =>
        (partOf(id) ?? throw new StorageException(StorageFaultKind.Corrupt, $"part {id} is not stored ({RunDirectoryStore.HostsFile}, or the Table store's parts partition)"))
            .DeepClone().AsObject();

    private static string IdOf(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var id) && id.Length > 0
            ? id
            : throw new StorageException(StorageFaultKind.Corrupt, $"a part reference that is not an id: {node?.ToJsonString() ?? "null"}");

    /// <summary>Adds the base's values to the line; a value in both means the line is not one this format writes.</summary>
    private static void Merge(JsonObject line, JsonObject recordBase)
    {
        foreach (var name in recordBase.Select(p => p.Key).ToList())
        {
            var value = recordBase[name];
            if (!line.TryGetPropertyValue(name, out var existing))
            {
                recordBase.Remove(name);
                line[name] = value;
            }
            else if (existing is JsonObject lineObject && value is JsonObject baseObject)
            {
                Merge(lineObject, baseObject);
            }
            else
            {
                throw new StorageException(StorageFaultKind.Corrupt, $"'{name}' is both in a stored line and in its base part");
            }
        }
    }

    private static void UntemplateNode(JsonNode? node, string domain) => MapStrings(node, s => Untemplate(s, domain));

    private static void MapStrings(JsonNode? node, Func<string, string> map)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (obj[name] is JsonValue value && value.TryGetValue<string>(out var text))
                    {
                        var mapped = map(text);
                        if (!ReferenceEquals(mapped, text))
                        {
                            obj[name] = mapped;
                        }
                    }
                    else
                    {
                        MapStrings(obj[name], map);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue value && value.TryGetValue<string>(out var text))
                    {
                        var mapped = map(text);
                        if (!ReferenceEquals(mapped, text))
                        {
                            array[i] = mapped;
                        }
                    }
                    else
                    {
                        MapStrings(array[i], map);
                    }
                }

                break;
        }
    }

    private static void RestorePerDomain(JsonNode? node, HashSet<string> perDomain, JsonArray reference, ref int next)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (perDomain.Contains(name))
                    {
                        if (next >= reference.Count)
                        {
                            throw new StorageException(StorageFaultKind.Corrupt, "a part reference with too few per-domain values");
                        }

                        obj[name] = reference[next++]?.DeepClone();
                    }
                    else
                    {
                        RestorePerDomain(obj[name], perDomain, reference, ref next);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RestorePerDomain(item, perDomain, reference, ref next);
                }

                break;
        }
    }
}

/// <summary>The parts a store wrote (per run, or per parts partition), so that each is sent once per store; starts over when large.</summary>
internal sealed class WrittenParts
{
    private const int MaxRemembered = 1_000_000;
    private readonly HashSet<(string Scope, string Ref)> _written = [];

    public List<EncodedPart> NotYetWritten(string scope, IEnumerable<EncodedPart> parts)
    {
        lock (_written)
        {
            return [.. parts.Where(p => !_written.Contains((scope, p.Ref))).DistinctBy(p => p.Ref)];
        }
    }

    public void MarkWritten(string scope, IEnumerable<EncodedPart> parts)
    {
        lock (_written)
        {
            if (_written.Count >= MaxRemembered)
            {
                _written.Clear();
            }

            _written.UnionWith(parts.Select(p => (scope, p.Ref)));
        }
    }
}
