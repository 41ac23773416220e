using System.Net;
using DaneScan.Core;

namespace DaneScan.Contracts;

/// <summary>
/// One (MX host, address, port) to probe, with the SNI to send (the TLSA base domain). Within a run each
/// target is probed once and its observation reused by every domain that points at it.
/// </summary>
public sealed record ProbeTarget(string Host, IPAddress Address, int Port, string? ServerName)
{
    /// <summary>The per-run deduplication key (<see cref="ProbeKey"/>): host name and canonical address; a run probes one port.</summary>
    public string Key => ProbeKey.Of(Host, Address.ToString());

    /// <summary>
    /// The targets a domain's DNS observation calls for: every address of every MX host to which DANE
    /// applies (secure addresses and a secure, non-empty TLSA RRset; <see cref="DaneJudge.HostDnsVerdict"/>
    /// decides, so the planner and the verdict can never disagree). Hosts where DNS alone decides are not probed.
    /// </summary>
    public static IReadOnlyList<ProbeTarget> For(DomainObservation dns, int port)
    {
        ArgumentNullException.ThrowIfNull(dns);
        var targets = new List<ProbeTarget>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var host in dns.Hosts)
        {
            if (DaneJudge.HostDnsVerdict(host) is not null)
            {
                continue;
            }

            foreach (var text in host.A.Records.Concat(host.Aaaa.Records))
            {
                if (!IPAddress.TryParse(text, out var address))
                {
                    continue;
                }

                var target = new ProbeTarget(host.Name, address, port, host.TlsaBase);
                if (seen.Add(target.Key))
                {
                    targets.Add(target);
                }
            }
        }

        return targets;
    }
}
