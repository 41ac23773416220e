using System.Globalization;
using System.Text;
using DaneScan.Core;

namespace DaneScan.Api;

/// <summary>The human report of <c>danescan check</c>: what a DANE expert looks for, at a glance.</summary>
public static class CheckReport
{
    public static string Render(DomainScan scan, DomainVerdict verdict, string? warning = null)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(verdict);
        var o = new StringBuilder();
        var dns = scan.Dns;
        if (warning is not null)
        {
            Line(o, $"WARNING: {warning}");
            o.AppendLine();
        }

        Line(o, $"{dns.Domain}");
        Line(o, $"  verdict     all MX: {verdict.All}   primary MX: {verdict.Primary}");
        Line(o, $"  MX          {verdict.MxStatus} ({Outcome(dns.Mx)}{Ttl(dns.Mx)})");
        Line(o, $"  resolver    {dns.Resolver.Endpoint} ({dns.Resolver.TrustMode}) at {dns.ObservedUtc:u}");

        foreach (var host in verdict.Hosts)
        {
            var obs = dns.Hosts.FirstOrDefault(h => string.Equals(h.Name, host.Name, StringComparison.OrdinalIgnoreCase));
            o.AppendLine();
            var label = host.Implicit ? "implicit MX" : $"MX {host.Preference}";
            Line(o, $"  {label} {host.Name}{(host.Primary ? " (primary)" : "")}");
            Line(o, $"    verdict   {host.Outcome} / {host.Reason}{ResultType(host.ResultType)}{Trust(host.Trust)}");
            if (host.Detail is not null && host.Outcome != HostOutcome.Authenticated)
            {
                Line(o, $"    why       {host.Detail}");
            }

            if (obs is not null)
            {
                if (obs.A.CnameChain.Count > 0)
                {
                    Line(o, $"    CNAME     {string.Join(" -> ", obs.A.CnameChain)}");
                }

                Line(o, $"    A         {Records(obs.A)}");
                Line(o, $"    AAAA      {Records(obs.Aaaa)}");
                foreach (var lookup in obs.TlsaLookups)
                {
                    Line(o, $"    TLSA      {lookup.Name}: {Outcome(lookup)}{Ttl(lookup)}");
                }
            }

            foreach (var t in host.Tlsa)
            {
                var matched = host.Match is not null && host.Match.Record.Equals(t.Record);
                var state = t.Usability != TlsaUsability.Usable ? $"unusable: {t.Usability}"
                    : !t.Effective ? "usable, set aside by digest agility"
                    : "usable";
                Line(o, $"      {Short(t.Record)}  {Mnemonic(t.Record)}  [{state}]{(matched ? $"  MATCHED at depth {host.Match!.Depth}" : "")}");
            }

            foreach (var address in host.Addresses)
            {
                var probe = scan.Probes.FirstOrDefault(p =>
                    string.Equals(p.Host, host.Name, StringComparison.OrdinalIgnoreCase) && p.Address == address.Address);
                Line(o, $"    {address.Address}: {address.Outcome} / {address.Reason}{ResultType(address.ResultType)}");
                if (probe is null)
                {
                    continue;
                }

                if (probe.Outcome == ProbeOutcome.NotProbed)
                {
                    Line(o, $"      not probed: {probe.Detail}");
                    continue;
                }

                Line(o, $"      banner    {probe.Banner ?? "-"}");
                Line(o, $"      STARTTLS  {(probe.StartTlsOffered ? "offered" : "not offered")}{(probe.StartTlsReply is null ? "" : $", reply \"{probe.StartTlsReply}\"")}, SNI {probe.ServerName ?? "-"}");
                if (probe.Outcome is ProbeOutcome.TlsEstablished or ProbeOutcome.TlsSessionFailed)
                {
                    Line(o, $"      TLS       {probe.TlsProtocol} {probe.CipherSuite}, leaf key {probe.LeafKey}");
                    RenderChain(o, probe, host);
                }

                if (probe.Outcome != ProbeOutcome.TlsEstablished)
                {
                    Line(o, $"      probe     {probe.Outcome} at {probe.FailedStage}: {probe.Detail}");
                }
            }
        }

        if (verdict.Findings.Count > 0)
        {
            o.AppendLine();
            Line(o, $"  findings");
            foreach (var f in verdict.Findings)
            {
                Line(o, $"    - {f.Code}{(f.Host is null ? "" : $" ({f.Host})")}: {f.Detail}");
            }
        }

        return o.ToString();
    }

    private static void RenderChain(StringBuilder o, ProbeObservation probe, HostVerdict host)
    {
        var usable = host.Tlsa.Where(t => t.Effective).Select(t => t.Record).ToList();
        for (var i = 0; i < probe.PresentedChain.Count; i++)
        {
            var der = probe.PresentedChain[i];
            using var cert = CertificateFacts.TryParse(der);
            var subject = cert?.Subject ?? "(unparseable certificate)";
            var dates = cert is null ? "" : $", {cert.NotBefore.ToUniversalTime():yyyy-MM-dd}..{cert.NotAfter.ToUniversalTime():yyyy-MM-dd}";
            var names = cert is null ? "" : string.Join(",", CertificateFacts.DnsNames(cert));
            var matching = usable.Where(r => DaneMatcher.Matches(der, cert, r)).Select(Short).ToList();
            var mark = matching.Count > 0 ? $"matches {string.Join("; ", matching)}" : "no usable record matches";
            Line(o, $"      chain[{i}] {subject}{(names.Length > 0 ? $" SAN={names}" : "")}{dates}  ({mark})");
        }
    }

    /// <summary>
    /// Appends one line, every character a terminal would act on escaped (<see cref="SafeText.ForTerminal"/>): the
    /// line mixes the report's own words with text from the network (names, banners, replies, certificate fields).
    /// </summary>
    private static void Line(StringBuilder o, FormattableString text) =>
        o.AppendLine(SafeText.ForTerminal(text.ToString(CultureInfo.InvariantCulture)));

    private static string Records<T>(RrsetObservation<T> rrset) =>
        rrset.Records.Count == 0
            ? Outcome(rrset)
            : $"{string.Join(", ", rrset.Records)} ({Outcome(rrset)}{Ttl(rrset)})";

    private static string Outcome<T>(RrsetObservation<T> rrset)
    {
        var text = rrset.Outcome.ToString();
        if (rrset.Denial != DenialKind.None)
        {
            text += $" {rrset.Denial}";
        }

        if (rrset.IsFailure)
        {
            text += $" {rrset.Failure}{(rrset.ExtendedDnsError is { } ede ? $" EDE {ede}" : "")}{(rrset.Detail is null ? "" : $": {rrset.Detail}")}";
        }

        return text;
    }

    /// <summary>The zone's TTL (from the RRSIG) when signed, else the TTL the resolver returned.</summary>
    private static string Ttl<T>(RrsetObservation<T> rrset) => (rrset.OriginalTtl ?? rrset.Ttl) is { } t ? $", TTL {t}" : "";

    private static string ResultType(Rfc8460ResultType type) => type == Rfc8460ResultType.None ? "" : $" [RFC 8460: {Rfc8460Name(type)}]";

    private static string Trust(TlsTrust trust) => trust == TlsTrust.None ? "" : $" (Postfix: {trust})";

    /// <summary>The RFC 8460 §4.3 spelling of a result type.</summary>
    public static string Rfc8460Name(Rfc8460ResultType type) => Rfc8460Names.Of(type);

    private static string Short(TlsaRecord r)
    {
        var hex = Convert.ToHexStringLower(r.Data);
        return $"{(byte)r.Usage} {(byte)r.Selector} {(byte)r.MatchingType} {(hex.Length > 16 ? hex[..16] + "..." : hex)}";
    }

    private static string Mnemonic(TlsaRecord r)
    {
        var usage = r.Usage switch
        {
            TlsaUsage.PkixTa => "PKIX-TA",
            TlsaUsage.PkixEe => "PKIX-EE",
            TlsaUsage.DaneTa => "DANE-TA",
            TlsaUsage.DaneEe => "DANE-EE",
            _ => $"usage {(byte)r.Usage}",
        };
        var selector = r.Selector switch
        {
            TlsaSelector.Cert => "Cert",
            TlsaSelector.Spki => "SPKI",
            _ => $"selector {(byte)r.Selector}",
        };
        var matching = r.MatchingType switch
        {
            TlsaMatchingType.Full => "Full",
            TlsaMatchingType.Sha2_256 => "SHA2-256",
            TlsaMatchingType.Sha2_512 => "SHA2-512",
            _ => $"matching {(byte)r.MatchingType}",
        };
        return $"{usage} {selector} {matching}";
    }
}
