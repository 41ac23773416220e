using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DaneScan.Contracts;

namespace DaneScan.Storage;

/// <summary>One shared host observation of a run directory's hosts.jsonl: its content address and the observation's JSON.</summary>
/// <param name="Ref">The content address (<see cref="SharedHosts.RefOf"/>).</param>
/// <param name="Host">The MX host observation with every "ttl" value set to 0 (the TTLs stay in the domain line).</param>
internal sealed record HostPart(string Ref, JsonObject Host);

/// <summary>
/// The run directory's compact domain lines (format 2, see docs/dataset.md "Shared host observations"): each MX host
/// observation of a domain (<c>observation.hosts[i]</c>) is stored once per run in hosts.jsonl under the SHA-256 of
/// its JSON with the TTLs zeroed, and the domain line keeps <c>[ref, ttl, ttl, ...]</c> in its place: the
/// reference and the TTLs in document order (TTLs count down in the resolver's cache, so they differ from domain to
/// domain while the rest of a host's observation does not). Joining puts the very same JSON back.
/// A line whose hosts are objects (format 1, older runs) is read as it is.
/// </summary>
internal static class SharedHosts
{
    private const string TtlProperty = "ttl";

    /// <summary>The domain record as a stored line, with its hosts replaced by references, and the parts referred to.</summary>
    public static (JsonObject Line, IReadOnlyList<HostPart> Parts) Split(DomainRecord record)
    {
        var line = JsonSerializer.SerializeToNode(record, RecordJson.Options)!.AsObject();
        var parts = new List<HostPart>();
        if (line["observation"]?["hosts"] is JsonArray hosts)
        {
            for (var i = 0; i < hosts.Count; i++)
            {
                if (hosts[i] is not JsonObject host)
                {
                    continue;
                }

                var reference = new JsonArray();
                var ttls = new List<JsonNode?>();
                ZeroTtls(host, ttls);
                var part = new HostPart(RefOf(host), host);
                reference.Add(part.Ref);
                foreach (var ttl in ttls)
                {
                    reference.Add(ttl);
                }

                hosts[i] = reference;
                parts.Add(part);
            }
        }

        return (line, parts);
    }

    /// <summary>The domain record of a stored line: references replaced by the shared host observations and their TTLs.</summary>
    /// <exception cref="StorageException">A referenced host observation is missing, or the TTLs do not fit it.</exception>
    public static DomainRecord Join(JsonObject line, Func<string, JsonObject?> partOf)
    {
        if (line["observation"]?["hosts"] is JsonArray hosts)
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
                RestoreTtls(host, reference, ref next);
                if (next != reference.Count)
                {
                    throw new StorageException(StorageFaultKind.Corrupt, $"host observation {id}: {reference.Count - 1} TTLs stored, {next - 1} expected");
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
        line["observation"]?["hosts"] is JsonArray hosts
            ? hosts.OfType<JsonArray>().Where(r => r.Count > 0).Select(r => r[0]!.GetValue<string>())
            : [];

    /// <summary>The content address of a host observation: 20 characters of the base64url SHA-256 of its JSON (120 bits).</summary>
    public static string RefOf(JsonObject host)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(host.ToJsonString(RecordJson.Options)));
        return Convert.ToBase64String(hash).Replace('+', '-').Replace('/', '_')[..20];
    }

    private static void ZeroTtls(JsonNode? node, List<JsonNode?> ttls)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (name == TtlProperty)
                    {
                        ttls.Add(obj[name]?.DeepClone());
                        obj[name] = 0;
                    }
                    else
                    {
                        ZeroTtls(obj[name], ttls);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    ZeroTtls(item, ttls);
                }

                break;
        }
    }

    private static void RestoreTtls(JsonNode? node, JsonArray reference, ref int next)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    if (name == TtlProperty)
                    {
                        if (next >= reference.Count)
                        {
                            throw new StorageException(StorageFaultKind.Corrupt, "a host reference with too few TTLs");
                        }

                        obj[name] = reference[next++]?.DeepClone();
                    }
                    else
                    {
                        RestoreTtls(obj[name], reference, ref next);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    RestoreTtls(item, reference, ref next);
                }

                break;
        }
    }
}
