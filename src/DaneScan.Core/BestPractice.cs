using System.Security.Cryptography;

namespace DaneScan.Core;

/// <summary>Best-practice findings per domain (docs/dane-rules.md §8). Pure.</summary>
public static class BestPractice
{
    /// <summary>The lowest TLSA TTL advised, in seconds.</summary>
    public const uint MinTlsaTtl = 1800;

    /// <summary>The highest TLSA TTL advised, in seconds.</summary>
    public const uint MaxTlsaTtl = 3600;

    /// <summary>The findings for a domain, given its DNS observation, its host verdicts and the probes.</summary>
    /// <param name="dns">The DNS observation.</param>
    /// <param name="hosts">The host verdicts.</param>
    /// <param name="probes">The probes of the hosts' addresses.</param>
    /// <param name="memo">The run's memo of chain work, if any (the findings are the same without it).</param>
    public static IReadOnlyList<Finding> Findings(DomainObservation dns, IReadOnlyList<HostVerdict> hosts, IReadOnlyList<ProbeObservation> probes, JudgementMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(hosts);
        ArgumentNullException.ThrowIfNull(probes);
        var findings = new List<Finding>();
        if (dns.Mx.Outcome is DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial && hosts.Count > 0)
        {
            findings.Add(new Finding(FindingCode.RecipientDomainUnsigned, null, $"The MX RRset of {dns.Domain} is not DNSSEC-signed: MX host names could be forged."));
        }

        if (dns.Mx.Outcome is DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer)
        {
            var published = dns.Mx.Records.Where(r => !r.IsNullMx).Select(r => r.Exchange).Distinct().Count();
            if (published > dns.Hosts.Count)
            {
                findings.Add(new Finding(
                    FindingCode.MxHostsTruncated,
                    null,
                    $"{published} MX hosts published; the {dns.Hosts.Count} most preferred were resolved and judged (the scanner's MX host limit), the rest were not."));
            }
        }

        foreach (var verdict in hosts)
        {
            var host = dns.Hosts.FirstOrDefault(h => h.Name == verdict.Name);
            if (host is null)
            {
                continue;
            }

            if (verdict.Reason == HostReason.HostInsecure)
            {
                findings.Add(new Finding(FindingCode.MxHostZoneUnsigned, host.Name, $"The address records of {host.Name} are not DNSSEC-signed: TLSA cannot apply."));
            }
            else if (AddressChain.Classify(host) == HostNameSecurity.InsecureCname)
            {
                findings.Add(new Finding(FindingCode.MxHostZoneUnsigned, host.Name,
                    $"{host.Name} is a secure CNAME, but the answer for {host.InsecureAt} is not DNSSEC-signed: senders look up TLSA at {host.Name} only, never along the chain (RFC 7672 §2.2.2)."));
            }

            if (host.Tlsa is { Outcome: DnsOutcome.InsecureAnswer, Records.Count: > 0 } insecure)
            {
                findings.Add(new Finding(FindingCode.TlsaInInsecureZone, host.Name, $"{insecure.Records.Count} TLSA records at {insecure.Name} sit in a zone without a secure delegation: senders ignore them."));
            }

            if (host.Tlsa is not { Outcome: DnsOutcome.SecureAnswer, Records.Count: > 0 } tlsa)
            {
                continue;
            }

            if ((tlsa.OriginalTtl ?? tlsa.Ttl) is { } ttl && (ttl < MinTlsaTtl || ttl > MaxTlsaTtl))
            {
                findings.Add(new Finding(FindingCode.TlsaTtlOutOfRange, host.Name, $"TLSA TTL {ttl}s lies outside {MinTlsaTtl}-{MaxTlsaTtl}s."));
            }

            var usable = verdict.Tlsa.Where(a => a.IsUsable).Select(a => a.Record).Distinct().ToList();
            var unusable = verdict.Tlsa.Where(a => !a.IsUsable).ToList();
            if (unusable.Count > 0)
            {
                findings.Add(new Finding(
                    FindingCode.UnusableRecordsPublished,
                    host.Name,
                    string.Join("; ", unusable.Select(a => $"{a.Record}: {a.Usability}"))));
            }

            if (usable.Any(r => r.Selector == TlsaSelector.Cert))
            {
                findings.Add(new Finding(FindingCode.CertSelectorUsed, host.Name, "A usable record uses selector Cert(0); SPKI(1) survives certificate renewals with the same key."));
            }

            var hostProbes = verdict.Addresses
                .Select(a => probes.FirstOrDefault(p => string.Equals(p.Address, a.Address, StringComparison.OrdinalIgnoreCase) &&
                    (string.Equals(p.Host, host.Name, StringComparison.OrdinalIgnoreCase) || string.Equals(p.Host, verdict.TlsaBase, StringComparison.OrdinalIgnoreCase))))
                .Where(p => p is { Outcome: ProbeOutcome.TlsEstablished })
                .Select(p => p!)
                .ToList();
            var associations = DistinctAssociations(usable, hostProbes, memo);
            if (associations < 2)
            {
                findings.Add(new Finding(FindingCode.NoRolloverScheme, host.Name, $"{associations} distinct usable TLSA association(s); publish the next key too (or DANE-EE plus DANE-TA)."));
            }

            if (usable.Any(r => r.Usage == TlsaUsage.DaneTa) && verdict.Addresses.Any(a => a.ProbeOutcome == ProbeOutcome.TlsEstablished &&
                (a.Reason == HostReason.ChainIncomplete || a.Match is { Usage: TlsaUsage.DaneTa, ChainIndex: null })))
            {
                findings.Add(new Finding(FindingCode.DaneTaWithoutFullChain, host.Name, "DANE-TA is published but the server does not send the chain up to the trust anchor."));
            }
        }

        var withAddresses = hosts.Where(h => h.Outcome != HostOutcome.NoAddresses).ToList();
        var covered = withAddresses.Where(h => h.TlsaOutcome == DnsOutcome.SecureAnswer && h.Tlsa.Count > 0).ToList();
        if (covered.Count > 0 && covered.Count < withAddresses.Count)
        {
            findings.Add(new Finding(
                FindingCode.NotAllMxHostsCovered,
                null,
                $"Without DANE: {string.Join(", ", withAddresses.Except(covered).Select(h => h.Name))}."));
        }

        if (dns.RecipientDomainTlsa is { Outcome: DnsOutcome.SecureAnswer, Records.Count: > 0 } && withAddresses.Count > covered.Count)
        {
            findings.Add(new Finding(
                FindingCode.TlsaOnlyOnRecipientDomain,
                null,
                $"TLSA is published at {dns.RecipientDomainTlsa.Name}, where senders never look, and not on every MX host's name."));
        }

        return findings;
    }

    /// <summary>
    /// Distinct usable associations: duplicates removed, and records that match the same presented public key
    /// (for example `3 1 1` and `3 0 1` of the current certificate) counted once.
    /// </summary>
    public static int DistinctAssociations(IReadOnlyList<TlsaRecord> usable, IReadOnlyList<ProbeObservation> probes, JudgementMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(usable);
        ArgumentNullException.ThrowIfNull(probes);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var r in usable.Distinct())
        {
            string? key = null;
            foreach (var probe in probes)
            {
                key = memo is null ? MatchedKey(probe.PresentedChain, r) : memo.MatchedKey(probe, r);
                if (key is not null)
                {
                    break;
                }
            }

            keys.Add(key ?? "record:" + r);
        }

        return keys.Count;
    }

    /// <summary>The SPKI digest ("key:...") of the first certificate of a chain that a record matches, or null.</summary>
    public static string? MatchedKey(IReadOnlyList<byte[]> chain, TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(record);
        foreach (var der in chain)
        {
            using var cert = CertificateFacts.TryParse(der);
            if (DaneMatcher.Matches(der, cert, record))
            {
                return "key:" + Convert.ToHexString(SHA256.HashData(cert?.PublicKey.ExportSubjectPublicKeyInfo() ?? der));
            }
        }

        return null;
    }
}
