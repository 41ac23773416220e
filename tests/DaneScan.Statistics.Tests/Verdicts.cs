using DaneScan.Core;

namespace DaneScan.Statistics.Tests;

/// <summary>Small hand-built verdicts: the inputs the definitions are stated over (docs/dataset.md, "Definitions").</summary>
internal static class Verdicts
{
    public static readonly TlsaRecord DaneEe311 = new(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, new byte[32]);
    public static readonly TlsaRecord DaneTa211 = new(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, new byte[32]);

    public static AddressVerdict Address(string ip, HostOutcome outcome, HostReason reason = HostReason.None) =>
        new(ip, outcome, reason, DaneJudge.ResultTypeFor(reason), null, null, null);

    /// <summary>A host whose outcome is the worst of its addresses' (as DaneJudge combines them).</summary>
    public static HostVerdict Host(string name, bool primary, params AddressVerdict[] addresses)
    {
        var worst = addresses.Length == 0
            ? Address("-", HostOutcome.NoAddresses, HostReason.NoAddressRecords)
            : addresses.OrderByDescending(a => DaneJudge.Severity(a.Outcome)).First();
        var dane = worst.Outcome is not (HostOutcome.NotDane or HostOutcome.NoAddresses or HostOutcome.AddressLookupFailed or HostOutcome.TlsaLookupFailed);
        return new HostVerdict
        {
            Name = name,
            Preference = primary ? (ushort)10 : (ushort)20,
            Primary = primary,
            Outcome = worst.Outcome,
            Reason = worst.Reason,
            ResultType = DaneJudge.ResultTypeFor(worst.Reason),
            TlsaOutcome = dane ? DnsOutcome.SecureAnswer : null,
            Tlsa = dane ? [new TlsaRecordAssessment(DaneEe311, TlsaUsability.Usable, true)] : [],
            Addresses = addresses,
        };
    }

    public static HostVerdict Authenticated(string name, bool primary = true, string ip = "192.0.2.1") =>
        Host(name, primary, Address(ip, HostOutcome.Authenticated, HostReason.DaneEeMatched));

    public static HostVerdict NotDane(string name, bool primary = true, string ip = "192.0.2.9") =>
        Host(name, primary, Address(ip, HostOutcome.NotDane, HostReason.TlsaSecureDenial));

    public static HostVerdict Unreachable(string name, bool primary = true, string ip = "192.0.2.7") =>
        Host(name, primary, Address(ip, HostOutcome.Unreachable, HostReason.ConnectFailed));

    public static HostVerdict NoStartTls(string name, bool primary = true, string ip = "192.0.2.8") =>
        Host(name, primary, Address(ip, HostOutcome.NoStartTls, HostReason.StartTlsNotOffered));

    /// <summary>A domain verdict: statuses combined by DaneJudge.Combine (the hosts-only rule, tested in Core).</summary>
    public static DomainVerdict Domain(string domain, DnsOutcome mx, params HostVerdict[] hosts) => new()
    {
        Domain = domain,
        MxStatus = hosts.Length == 0 ? MxStatus.NullMx : MxStatus.MxHosts,
        MxOutcome = mx,
        MxSecure = mx is DnsOutcome.SecureAnswer or DnsOutcome.SecureDenial,
        Primary = DaneJudge.Combine(hosts.Where(h => h.Primary)),
        All = DaneJudge.Combine(hosts),
        Hosts = hosts,
    };
}
