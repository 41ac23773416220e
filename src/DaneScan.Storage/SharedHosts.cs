using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>One shared host observation of a run directory's hosts.jsonl: its content address and the observation's JSON.</summary>
/// <param name="Ref">The content address (<see cref="SharedHosts.RefOf"/>).</param>
/// <param name="Host">An MX host observation, or a host verdict, with its per-domain values (TTLs, reference identifiers) set to 0: they stay in the domain line.</param>
internal sealed record HostPart(string Ref, JsonObject Host);

/// <summary>
/// The run directory's compact domain lines (format 2, see docs/dataset.md "Shared host observations"): each MX host
/// observation of a domain (<c>observation.hosts[i]</c>) and each host verdict (<c>verdict.hosts[i]</c>) is stored
/// once per run in hosts.jsonl under the SHA-256 of its JSON with the per-domain values zeroed, and the domain line
/// keeps <c>[ref, value, value, ...]</c> in its place: the reference and those values in document order (TTLs count
/// down in the resolver's cache; reference identifiers name the domain). Joining puts the very same JSON back.
/// A line whose hosts are objects (format 1, older runs) is read as it is.
/// </summary>
internal static class SharedHosts
{
    /// <summary>The arrays whose elements are stored once per run: the DNS side and the verdict of each MX host.</summary>
    private static readonly string[][] SharedArrays = [["observation", "hosts"], ["verdict", "hosts"]];

    /// <summary>
    /// Values that differ from domain to domain within one host's JSON, kept in the domain line: TTLs (they count
    /// down in the resolver's cache) and the verdict's reference identifiers (they hold the domain's own name).
    /// </summary>
    private static readonly HashSet<string> PerDomain = new(StringComparer.Ordinal) { "ttl", "referenceIdentifiers" };

    /// <summary>The domain record as a stored line, with its hosts replaced by references, and the parts referred to.</summary>
    public static (JsonObject Line, IReadOnlyList<HostPart> Parts) Split(DomainRecord record)
    {
        var line = JsonSerializer.SerializeToNode(record, RecordJson.Options)!.AsObject();
        var parts = new List<HostPart>();
        foreach (var hosts in ArraysOf(line))
        {
            for (var i = 0; i < hosts.Count; i++)
            {
                if (hosts[i] is not JsonObject host)
                {
                    continue;
                }

                var reference = new JsonArray();
                var values = new List<JsonNode?>();
                ExtractPerDomain(host, values);
                var part = new HostPart(RefOf(host), host);
                reference.Add(part.Ref);
                foreach (var value in values)
                {
                    reference.Add(value);
                }

                hosts[i] = reference;
                parts.Add(part);
            }
        }

        return (line, parts);
    }

    /// <summary>The domain record of a stored line: references replaced by the shared host JSON and its per-domain values.</summary>
    /// <exception cref="StorageException">A referenced host observation is missing, or the per-domain values do not fit it.</exception>
    public static DomainRecord Join(JsonObject line, Func<string, JsonObject?> partOf)
    {
        foreach (var hosts in ArraysOf(line))
        {
            for (var i = 0; i < hosts.Count; i++)
            {
                if (hosts[i] is not JsonArray { Count: > 0 } reference)
                {
                    continue;
                }

                var id = reference[0]?.GetValue<string>() ?? throw new StorageException(StorageFaultKind.Corrupt, "a host reference without an id");
                var host = (partOf(id) ?? throw new StorageException(StorageFaultKind.Corrupt, $"host observation {id} is not in {RunDirectoryStore.HostsFile}"))
                    .DeepClone().AsObject();
                var next = 1;
                RestorePerDomain(host, reference, ref next);
                if (next != reference.Count)
                {
                    throw new StorageException(StorageFaultKind.Corrupt, $"host observation {id}: {reference.Count - 1} per-domain values stored, {next - 1} expected");
                }

                hosts[i] = host;
            }
        }

        return line.Deserialize<DomainRecord>(RecordJson.Options) ?? throw new StorageException(StorageFaultKind.Corrupt, "empty domain record");
    }

    /// <summary>The key of a stored domain line: its domain.</summary>
    public static string KeyOf(JsonObject line) =>
        RecordJson.DomainKey(line["observation"]?["domain"]?.GetValue<string>() ?? throw new StorageException(StorageFaultKind.Corrupt, "a domain line without a domain"));

    /// <summary>The host references of a stored domain line (none in format 1).</summary>
    public static IEnumerable<string> RefsOf(JsonObject line) =>
        ArraysOf(line).SelectMany(hosts => hosts.OfType<JsonArray>().Where(r => r.Count > 0).Select(r => r[0]!.GetValue<string>()));

    private static IEnumerable<JsonArray> ArraysOf(JsonObject line)
    {
        foreach (var path in SharedArrays)
        {
            if (line[path[0]]?[path[1]] is JsonArray array)
            {
                yield return array;
            }
        }
    }

    /// <summary>The content address of a host observation: 20 characters of the base64url SHA-256 of its JSON (120 bits).</summary>
    public static string RefOf(JsonObject host)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(host.ToJsonString(RecordJson.Options)));
        return Convert.ToBase64String(hash).Replace('+', '-').Replace('/', '_')[..20];
    }

    private static void ExtractPerDomain(JsonNode? node, List<JsonNode?> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (PerDomain.Contains(name))
                    {
                        values.Add(obj[name]?.DeepClone());
                        obj[name] = 0;
                    }
                    else
                    {
                        ExtractPerDomain(obj[name], values);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    ExtractPerDomain(item, values);
                }

                break;
        }
    }

    private static void RestorePerDomain(JsonNode? node, JsonArray reference, ref int next)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (PerDomain.Contains(name))
                    {
                        if (next >= reference.Count)
                        {
                            throw new StorageException(StorageFaultKind.Corrupt, "a host reference with too few per-domain values");
                        }

                        obj[name] = reference[next++]?.DeepClone();
                    }
                    else
                    {
                        RestorePerDomain(obj[name], reference, ref next);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RestorePerDomain(item, reference, ref next);
                }

                break;
        }
    }
}
