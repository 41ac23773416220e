using DaneScan.Core;

namespace DaneScan.Lab.Cases;

/// <summary>Helpers that keep the catalogue short: record constructors and the usual one-host case shape.</summary>
public static class CaseBuilder
{
    /// <summary>The lab's top-level domain; every case domain is directly under it.</summary>
    public const string Tld = "lab";

    public static ZoneRecord Rr(string owner, string type, string data, bool tamper = false) =>
        new() { Owner = owner, Type = type, Data = data, TamperAfterSigning = tamper };

    public static ZoneRecord Mx(string owner, ushort preference, string exchange, bool tamper = false) =>
        new() { Owner = owner, Type = "MX", Data = $"{preference} {exchange}.", TamperAfterSigning = tamper };

    public static ZoneRecord A(string owner, string? host = null, bool tamper = false) =>
        new() { Owner = owner, Type = "A", AddressOf = host ?? owner, TamperAfterSigning = tamper };

    public static ZoneRecord Tlsa(string owner, string host, TlsaSpec spec, bool tamper = false) =>
        new() { Owner = owner, Type = "TLSA", TlsaHost = host, Tlsa = spec, TamperAfterSigning = tamper };

    public static TlsaSpec T(byte usage, byte selector, byte matchingType, CertRole of = CertRole.Leaf, TlsaTweak tweak = TlsaTweak.None) =>
        new(usage, selector, matchingType, of, tweak);

    public static string TlsaOwner(string host) => "_25._tcp." + host;

    public static ExpectedHost Auth(TlsaSpec matched, int depth) =>
        new(HostOutcome.Authenticated, matched.Usage == 2 ? HostReason.DaneTaMatched : HostReason.DaneEeMatched, matched, depth);

    public static ExpectedHost Fail(HostReason reason) => new(HostOutcome.AuthenticationFailed, reason);

    public static ExpectedHost Host(HostOutcome outcome, HostReason reason) => new(outcome, reason);

    public static ExpectedRrset Secure(string name, string type) => new(name, type, DnsOutcome.SecureAnswer);

    public static ExpectedRrset Denied(string name, string type) => new(name, type, DnsOutcome.SecureDenial);

    public static ExpectedRrset Insecure(string name, string type) => new(name, type, DnsOutcome.InsecureAnswer);

    public static ExpectedRrset InsecureDenied(string name, string type) => new(name, type, DnsOutcome.InsecureDenial);

    public static ExpectedRrset Bogus(string name, string type) => new(name, type, DnsOutcome.Bogus);

    public static ExpectedRrset Failure(string name, string type) => new(name, type, DnsOutcome.LookupFailure);

    /// <summary>True when DANE applied to the host (a secure TLSA RRset was found and the host was judged on it).</summary>
    public static bool DaneApplies(HostOutcome outcome) => outcome is HostOutcome.Authenticated or HostOutcome.EncryptOnly
        or HostOutcome.AuthenticationFailed or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed or HostOutcome.Unreachable;

    /// <summary>
    /// The lab's reading of docs/dane-rules.md §7 for a set of hosts (all MX hosts, or the primary ones):
    /// hosts with no address, a failed address lookup or no probe are not judged; with none judged the
    /// status is NotApplicable. Any host that has DANE and fails (authentication, STARTTLS, handshake,
    /// unreachable) or whose TLSA lookup failed makes it Failing. Otherwise all hosts without DANE give
    /// NotDane, a mix of DANE and non-DANE hosts gives Partial, any encrypt-only host gives EncryptOnly,
    /// and all authenticated gives Protected.
    /// </summary>
    public static DomainDaneStatus Aggregate(IEnumerable<HostOutcome> outcomes)
    {
        var judged = outcomes.Where(o => o is not (HostOutcome.NoAddresses or HostOutcome.AddressLookupFailed or HostOutcome.NotProbed)).ToList();
        if (judged.Count == 0)
        {
            return DomainDaneStatus.NotApplicable;
        }

        if (judged.Any(o => o is HostOutcome.AuthenticationFailed or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed
            or HostOutcome.Unreachable or HostOutcome.TlsaLookupFailed))
        {
            return DomainDaneStatus.Failing;
        }

        var notDane = judged.Count(o => o == HostOutcome.NotDane);
        if (notDane == judged.Count)
        {
            return DomainDaneStatus.NotDane;
        }

        if (notDane > 0)
        {
            return DomainDaneStatus.Partial;
        }

        return judged.Any(o => o == HostOutcome.EncryptOnly) ? DomainDaneStatus.EncryptOnly : DomainDaneStatus.Protected;
    }

    /// <summary>The expected domain outcome for MX hosts, from the hosts' expected outcomes.</summary>
    public static ExpectedDomain MxDomain(IReadOnlyList<LabHost> hosts, bool mxSecure = true, MxStatus mx = MxStatus.MxHosts)
    {
        var primary = hosts.Count == 0 ? (ushort)0 : hosts.Min(h => h.Preference);
        return new ExpectedDomain
        {
            Mx = mx,
            MxSecure = mxSecure,
            AllMx = Aggregate(hosts.Select(h => h.Expected.Outcome)),
            PrimaryMx = Aggregate(hosts.Where(h => h.Preference == primary).Select(h => h.Expected.Outcome)),
        };
    }

    /// <summary>A case with hand-made zones and hosts; the domain outcome follows from the hosts unless given.</summary>
    public static LabCase Make(
        string id,
        string description,
        string rule,
        IReadOnlyList<ZoneSpec> zones,
        IReadOnlyList<LabHost> hosts,
        IReadOnlyList<ExpectedRrset> rrsets,
        bool mxSecure = true,
        MxStatus mx = MxStatus.MxHosts) => new()
        {
            Id = id,
            Domain = $"{id}.{Tld}",
            Description = description,
            Rule = rule,
            Zones = zones,
            Hosts = hosts,
            Expected = MxDomain(hosts, mxSecure, mx),
            Rrsets = rrsets,
        };

    /// <summary>
    /// The usual shape: zone <c>&lt;id&gt;.lab</c> (signed as given) with MX 10 <c>mx.&lt;id&gt;.lab</c>, its A record,
    /// and the TLSA records at <c>_25._tcp.mx.&lt;id&gt;.lab</c> (none: a secure denial).
    /// </summary>
    public static LabCase Single(
        string id,
        string description,
        string rule,
        TlsSetup tls,
        IReadOnlyList<TlsaSpec> tlsa,
        ExpectedHost expected,
        ZoneSigning signing = ZoneSigning.EcdsaP256,
        ZoneDenial denial = ZoneDenial.Nsec)
    {
        var domain = $"{id}.{Tld}";
        var mx = "mx." + domain;
        var records = new List<ZoneRecord> { Mx(domain, 10, mx), A(mx) };
        records.AddRange(tlsa.Select(t => Tlsa(TlsaOwner(mx), mx, t)));
        var signed = signing != ZoneSigning.Unsigned;
        var host = new LabHost
        {
            Name = mx,
            Tls = tls,
            Expected = expected,
            TlsaBase = tlsa.Count > 0 && signed ? mx : null,
        };
        return new LabCase
        {
            Id = id,
            Domain = domain,
            Description = description,
            Rule = rule,
            Zones = [new ZoneSpec { Origin = domain, Signing = signing, Denial = denial, Records = records }],
            Hosts = [host],
            Expected = MxDomain([host], mxSecure: signed),
            Rrsets = signed
                ? [Secure(domain, "MX"), Secure(mx, "A"), Denied(mx, "AAAA"), tlsa.Count > 0 ? Secure(TlsaOwner(mx), "TLSA") : Denied(TlsaOwner(mx), "TLSA")]
                : [Insecure(domain, "MX"), Insecure(mx, "A"), InsecureDenied(mx, "AAAA"), tlsa.Count > 0 ? Insecure(TlsaOwner(mx), "TLSA") : InsecureDenied(TlsaOwner(mx), "TLSA")],
        };
    }
}
