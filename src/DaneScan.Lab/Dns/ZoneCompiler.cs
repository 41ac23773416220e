using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Dns;

/// <summary>The signed zones of a lab, ready for nsd, and the root's trust anchor for unbound.</summary>
/// <param name="Served">Zone origins (no trailing dot, "" for the root) and their signed or plain zone files.</param>
/// <param name="RootAnchor">The root's DS record in presentation form, for unbound's trust-anchor-file.</param>
public sealed record CompiledZones(IReadOnlyList<(string Origin, string File)> Served, string RootAnchor);

/// <summary>
/// Writes, keys and signs the lab's zones with ldns-keygen and ldns-signzone: the root, the <c>lab.</c> TLD and
/// the given zones, each delegated from its closest enclosing zone with NS (and DS when signed) records.
/// </summary>
public static class ZoneCompiler
{
    /// <summary>The name server name of every served zone.</summary>
    public const string NameServer = "ns.lab";

    public static async Task<CompiledZones> CompileAsync(
        string directory,
        LabAddresses addresses,
        IReadOnlyList<ZoneSpec> zones,
        Func<ZoneRecord, string> resolveData,
        DateTimeOffset now,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(zones);
        ArgumentNullException.ThrowIfNull(resolveData);
        Directory.CreateDirectory(directory);
        var all = new List<ZoneSpec>
        {
            new() { Origin = string.Empty, Records = [] },
            new() { Origin = CaseBuilder.Tld, Records = [new ZoneRecord { Owner = NameServer, Type = "A", Data = addresses.Nsd.ToString() }] },
        };
        all.AddRange(zones);
        var byOrigin = new Dictionary<string, ZoneSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var zone in all)
        {
            if (!byOrigin.TryAdd(zone.Origin, zone))
            {
                throw new LabException($"zone {zone.Origin} is defined twice");
            }
        }

        var parents = all.Where(z => z.Origin.Length > 0).ToDictionary(z => z.Origin, z => ParentOf(z.Origin, byOrigin), StringComparer.OrdinalIgnoreCase);

        // 1. Keys (and decoy keys for a DS that does not match), in parallel.
        var keys = new ConcurrentDictionary<string, (string Base, string Ds)>(StringComparer.OrdinalIgnoreCase);
        var decoys = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(all.Where(z => z.Signing != ZoneSigning.Unsigned), parallel, async (zone, ct) =>
        {
            var dir = ZoneDir(directory, zone.Origin);
            keys[zone.Origin] = await KeygenAsync(dir, zone.Origin, zone.Signing, ct).ConfigureAwait(false);
            if (zone.Fault == ZoneFault.DsMismatch)
            {
                var decoyDir = Path.Combine(dir, "decoy");
                decoys[zone.Origin] = (await KeygenAsync(decoyDir, zone.Origin, zone.Signing, ct).ConfigureAwait(false)).Ds;
            }
        }).ConfigureAwait(false);

        // 2. Zone texts with delegations, 3. signing, in parallel.
        var children = all.Where(z => z.Origin.Length > 0).ToLookup(z => parents[z.Origin], StringComparer.OrdinalIgnoreCase);
        var serial = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var served = new ConcurrentBag<(string, string)>();
        await Parallel.ForEachAsync(all.Where(z => z.Fault != ZoneFault.Unreachable), parallel, async (zone, ct) =>
        {
            var dir = ZoneDir(directory, zone.Origin);
            Directory.CreateDirectory(dir);
            var text = new StringBuilder(4096);
            var origin = Fqdn(zone.Origin);
            text.Append("$TTL 300\n");
            text.Append(CultureInfo.InvariantCulture, $"{origin} 300 IN SOA {NameServer}. hostmaster.{CaseBuilder.Tld}. {serial} 3600 600 86400 300\n");
            text.Append(CultureInfo.InvariantCulture, $"{origin} 300 IN NS {NameServer}.\n");
            foreach (var record in zone.Records)
            {
                var data = record.Data ?? resolveData(record);
                text.Append(CultureInfo.InvariantCulture, $"{Fqdn(record.Owner)} {record.Ttl ?? DefaultTtl(record.Type)} IN {record.Type} {data}\n");
            }

            var glueDone = false;
            foreach (var child in children[zone.Origin])
            {
                var cut = Fqdn(child.Origin);
                if (child.Fault == ZoneFault.Unreachable)
                {
                    text.Append(CultureInfo.InvariantCulture, $"{cut} 300 IN NS ns.{cut}\n");
                    text.Append(CultureInfo.InvariantCulture, $"ns.{cut} 300 IN A {addresses.Dead}\n");
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $"{cut} 300 IN NS {NameServer}.\n");
                    if (zone.Origin.Length == 0 && !glueDone)
                    {
                        text.Append(CultureInfo.InvariantCulture, $"{NameServer}. 300 IN A {addresses.Nsd}\n");
                        glueDone = true;
                    }
                }

                if (child.Signing != ZoneSigning.Unsigned)
                {
                    var ds = decoys.TryGetValue(child.Origin, out var decoy) ? decoy : keys[child.Origin].Ds;
                    text.Append(CultureInfo.InvariantCulture, $"{cut} 300 IN DS {ds}\n");
                }
            }

            var plain = Path.Combine(dir, "zone");
            await File.WriteAllTextAsync(plain, text.ToString(), ct).ConfigureAwait(false);
            if (zone.Signing == ZoneSigning.Unsigned)
            {
                served.Add((zone.Origin, plain));
                return;
            }

            var signedFile = plain + ".signed";
            var (inception, expiration) = zone.Fault == ZoneFault.ExpiredSignatures
                ? (now.AddDays(-30), now.AddDays(-1))
                : (now.AddDays(-1), now.AddDays(30));
            var args = new List<string>
            {
                "-f", signedFile, "-o", origin,
                "-i", inception.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                "-e", expiration.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
            };
            if (zone.Denial == ZoneDenial.Nsec3)
            {
                args.AddRange(["-n", "-t", "0"]);
            }

            args.Add(plain);
            args.Add(keys[zone.Origin].Base);
            await Tool.RunCheckedAsync("ldns-signzone", args, dir, TimeSpan.FromMinutes(10), ct).ConfigureAwait(false);
            var tampered = zone.Records.Where(r => r.TamperAfterSigning).ToList();
            if (tampered.Count > 0)
            {
                await TamperAsync(signedFile, tampered, ct).ConfigureAwait(false);
            }

            served.Add((zone.Origin, signedFile));
        }).ConfigureAwait(false);

        var rootAnchor = $". IN DS {keys[string.Empty].Ds}";
        return new CompiledZones([.. served.OrderBy(s => s.Item1, StringComparer.Ordinal)], rootAnchor);
    }

    /// <summary>A name with its trailing dot ("." for the root).</summary>
    public static string Fqdn(string name) => name.Length == 0 ? "." : name.TrimEnd('.') + ".";

    private static uint DefaultTtl(string type) => type == "TLSA" ? 1800u : 300u;

    private static string ZoneDir(string directory, string origin) =>
        Path.Combine(directory, origin.Length == 0 ? "_root" : origin);

    private static string ParentOf(string origin, Dictionary<string, ZoneSpec> zones)
    {
        var name = origin;
        while (true)
        {
            var dot = name.IndexOf('.', StringComparison.Ordinal);
            name = dot < 0 ? string.Empty : name[(dot + 1)..];
            if (zones.ContainsKey(name))
            {
                return name;
            }
        }
    }

    private static async Task<(string Base, string Ds)> KeygenAsync(string dir, string origin, ZoneSigning signing, CancellationToken ct)
    {
        Directory.CreateDirectory(dir);
        var args = signing == ZoneSigning.RsaSha256
            ? new List<string> { "-a", "RSASHA256", "-b", "2048", "-k", Fqdn(origin) }
            : ["-a", "ECDSAP256SHA256", "-k", Fqdn(origin)];
        var output = await Tool.RunCheckedAsync("ldns-keygen", args, dir, TimeSpan.FromMinutes(2), ct).ConfigureAwait(false);
        var keyBase = output.Trim().Split('\n')[^1].Trim();
        var dsLine = (await File.ReadAllTextAsync(Path.Combine(dir, keyBase + ".ds"), ct).ConfigureAwait(false)).Trim();
        var fields = dsLine.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
        var dsAt = Array.IndexOf(fields, "DS");
        if (dsAt < 0)
        {
            throw new LabException($"unexpected DS file for {origin}: {dsLine}");
        }

        return (Path.Combine(dir, keyBase), string.Join(' ', fields[(dsAt + 1)..]));
    }

    /// <summary>Changes the data of signed records so that their signatures no longer match.</summary>
    private static async Task TamperAsync(string signedFile, IReadOnlyList<ZoneRecord> records, CancellationToken ct)
    {
        var lines = await File.ReadAllLinesAsync(signedFile, ct).ConfigureAwait(false);
        foreach (var record in records)
        {
            var owner = Fqdn(record.Owner);
            var found = false;
            for (var i = 0; i < lines.Length; i++)
            {
                var f = lines[i].Split('\t', StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 5 || !string.Equals(f[0], owner, StringComparison.OrdinalIgnoreCase) || f[3] != record.Type)
                {
                    continue;
                }

                var data = string.Join(' ', f[4..]).Trim();
                data = record.Type switch
                {
                    "TLSA" => data[..^1] + (data[^1] == '0' ? '1' : '0'),
                    "MX" => Bump(data),
                    "A" => data[..data.LastIndexOf('.')] + ".254",
                    "TXT" => data.TrimEnd('"') + "-tampered\"",
                    _ => throw new LabException($"cannot tamper with {record.Type}"),
                };
                lines[i] = string.Join('\t', f[..4]) + "\t" + data;
                found = true;
                break;
            }

            if (!found)
            {
                throw new LabException($"record to tamper with not found: {owner} {record.Type}");
            }
        }

        await File.WriteAllLinesAsync(signedFile, lines, ct).ConfigureAwait(false);
    }

    private static string Bump(string mx)
    {
        var space = mx.IndexOf(' ', StringComparison.Ordinal);
        var preference = int.Parse(mx[..space], CultureInfo.InvariantCulture);
        return (preference + 1).ToString(CultureInfo.InvariantCulture) + mx[space..];
    }
}
