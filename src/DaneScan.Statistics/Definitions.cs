using DaneScan.Core;

namespace DaneScan.Statistics;

/// <summary>How far the destination's MX RRset (or its denial, for implicit MX) was authenticated by DNSSEC.</summary>
public enum MxSecurity
{
    /// <summary>A secure answer or a secure denial: the MX host names cannot be forged.</summary>
    Secure,

    /// <summary>An insecure answer or denial (a zone proved unsigned): an active attacker can rewrite the MX host names.</summary>
    Insecure,

    /// <summary>The MX lookup was bogus or failed: nothing is known about the zone's signing.</summary>
    Indeterminate,
}

/// <summary>
/// A domain's DANE state over one view of its MX hosts, with MX security folded in where it changes the
/// meaning (docs/dataset.md, "Definitions"). The host-only <see cref="DomainDaneStatus.Protected"/> splits
/// into <see cref="Verified"/> (MX RRset secure) and <see cref="Trusted"/> (MX RRset insecure, Postfix's
/// word); every other state keeps its name and is counted apart by <see cref="MxSecurity"/>.
/// </summary>
public enum DaneState
{
    /// <summary>MX RRset secure and every judged host in view authenticated: DANE-protected.</summary>
    Verified,

    /// <summary>Every judged host in view authenticated, but the MX RRset is insecure: not protected against an active attacker.</summary>
    Trusted,

    /// <summary>Every judged host in view has DANE, none failed, at least one is encrypt-only (no usable TLSA record).</summary>
    EncryptOnly,

    /// <summary>Some judged hosts in view have DANE and authenticate or are encrypt-only, the others have no DANE.</summary>
    Partial,

    /// <summary>At least one judged host in view has DANE and a DANE sender could not deliver securely, or its TLSA lookup failed.</summary>
    Failing,

    /// <summary>No judged host in view has DANE.</summary>
    NotDane,

    /// <summary>No host to judge: null MX, NXDOMAIN, a failed or bogus MX lookup, or no host with addresses that was probed.</summary>
    NotApplicable,
}

/// <summary>Which hosts of a domain a state is computed over.</summary>
public enum HostView
{
    /// <summary>The MX hosts with the lowest preference value.</summary>
    Primary,

    /// <summary>Every MX host.</summary>
    All,
}

/// <summary>What the statistics count for one domain: derived from its verdict only, by <see cref="StatisticsDefinitions.Classify"/>.</summary>
/// <param name="Domain">The destination domain.</param>
/// <param name="MxStatus">What became of its MX lookup.</param>
/// <param name="MxSecurity">How far its MX RRset was authenticated.</param>
/// <param name="Primary">Its state over the primary MX hosts.</param>
/// <param name="All">Its state over all MX hosts: the headline view.</param>
/// <param name="SurveySigned">The survey's denominator: the MX RRset (or its denial) is DNSSEC-signed and there are hosts to judge.</param>
/// <param name="SurveyProtected">The survey-comparable count (stats.dnssec-tools.org): see <see cref="StatisticsDefinitions.IsSurveyProtected"/>.</param>
public sealed record DomainClassification(
    string Domain,
    MxStatus MxStatus,
    MxSecurity MxSecurity,
    DaneState Primary,
    DaneState All,
    bool SurveySigned,
    bool SurveyProtected)
{
    /// <summary>The headline "DANE-protected": <see cref="DaneState.Verified"/> over all MX hosts.</summary>
    public bool DaneProtected => All == DaneState.Verified;

    /// <summary>The state in a view.</summary>
    public DaneState In(HostView view) => view == HostView.Primary ? Primary : All;
}

/// <summary>
/// The definitions every published number uses (docs/dataset.md, "Definitions", gives the formulas):
/// MX security, the Verified/Trusted split, and the survey-comparable count. Pure functions of a
/// <see cref="DomainVerdict"/>.
/// </summary>
public static class StatisticsDefinitions
{
    /// <summary>The version of these definitions; change it when a count can change for the same verdicts.</summary>
    public const string Version = "2026-12-02.1";

    /// <summary>Secure answer or denial → Secure; insecure answer or denial → Insecure; bogus or failed → Indeterminate.</summary>
    public static MxSecurity MxSecurityOf(DnsOutcome mxOutcome) => mxOutcome switch
    {
        DnsOutcome.SecureAnswer or DnsOutcome.SecureDenial => MxSecurity.Secure,
        DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial => MxSecurity.Insecure,
        _ => MxSecurity.Indeterminate,
    };

    /// <summary>
    /// The state of a view: hosts-only <see cref="DomainDaneStatus.Protected"/> is <see cref="DaneState.Verified"/>
    /// when the MX RRset is secure and <see cref="DaneState.Trusted"/> otherwise; every other status keeps its name.
    /// </summary>
    public static DaneState StateOf(DomainDaneStatus status, MxSecurity mx) => status switch
    {
        DomainDaneStatus.Protected => mx == MxSecurity.Secure ? DaneState.Verified : DaneState.Trusted,
        DomainDaneStatus.EncryptOnly => DaneState.EncryptOnly,
        DomainDaneStatus.Partial => DaneState.Partial,
        DomainDaneStatus.Failing => DaneState.Failing,
        DomainDaneStatus.NotDane => DaneState.NotDane,
        _ => DaneState.NotApplicable,
    };

    /// <summary>
    /// An address "accepted a connection" unless the scan shows it did not or could not: no address at
    /// all, a failed address lookup, not probed, or unreachable (connect refused or reset, timeout before TLS,
    /// a 4xx/5xx greeting). Addresses of hosts without DANE were not probed for DANE and are taken to accept
    /// connections: the survey requires TLSA at every primary MX host that does, and such a host has none.
    /// </summary>
    public static bool AcceptedConnection(AddressVerdict address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.Outcome switch
        {
            HostOutcome.NoAddresses or HostOutcome.AddressLookupFailed or HostOutcome.NotProbed => false,
            HostOutcome.Unreachable => address.Reason is not (HostReason.ConnectFailed or HostReason.Timeout or HostReason.ServiceRefused),
            _ => true,
        };
    }

    /// <summary>
    /// The survey-comparable count (stats.dnssec-tools.org: "DNSSEC-signed domains ... with correct TLSA at
    /// every primary MX host that accepts connections"):
    /// <code>
    /// SurveyProtected(d) ⇔ MxSecurity(d) = Secure
    ///                     ∧ A(d) ≠ ∅
    ///                     ∧ ∀ h ∈ A(d), ∀ a ∈ addresses(h) with AcceptedConnection(a): a authenticated
    /// A(d) = { h ∈ primary MX hosts of d : ∃ a ∈ addresses(h) with AcceptedConnection(a) }
    /// </code>
    /// It differs from the primary view's <see cref="DaneState.Verified"/> where a primary host (or one of its
    /// addresses) did not accept connections (the survey skips it; the primary view calls the domain Failing),
    /// and from the all-MX view in ignoring secondary MX hosts altogether.
    /// </summary>
    public static bool IsSurveyProtected(DomainVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (MxSecurityOf(verdict.MxOutcome) != MxSecurity.Secure)
        {
            return false;
        }

        var accepting = verdict.Hosts
            .Where(h => h.Primary)
            .Select(h => h.Addresses.Where(AcceptedConnection).ToList())
            .Where(a => a.Count > 0)
            .ToList();
        return accepting.Count > 0 && accepting.All(addresses => addresses.All(a => a.Outcome == HostOutcome.Authenticated));
    }

    /// <summary>The survey's denominator: MX security Secure and an MX status with hosts to judge (MX hosts, implicit MX, a null MX beside others).</summary>
    public static bool IsSurveySigned(DomainVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        return MxSecurityOf(verdict.MxOutcome) == MxSecurity.Secure &&
            verdict.MxStatus is MxStatus.MxHosts or MxStatus.ImplicitMx or MxStatus.NullMxMixed;
    }

    /// <summary>Everything the statistics count for a domain.</summary>
    public static DomainClassification Classify(DomainVerdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var mx = MxSecurityOf(verdict.MxOutcome);
        return new DomainClassification(
            verdict.Domain,
            verdict.MxStatus,
            mx,
            StateOf(verdict.Primary, mx),
            StateOf(verdict.All, mx),
            IsSurveySigned(verdict),
            IsSurveyProtected(verdict));
    }

    /// <summary>"top-1k" (rank ≤ 1,000), "top-10k", "top-100k", "top-1m" (cumulative: a rank of 500 is in all four), for ranks above 1,000,000 none.</summary>
    public static IReadOnlyList<string> RankBuckets(long? rank)
    {
        if (rank is not { } r || r < 1)
        {
            return [UnrankedBucket];
        }

        List<string> buckets = [];
        foreach (var (limit, name) in RankLimits)
        {
            if (r <= limit)
            {
                buckets.Add(name);
            }
        }

        return buckets.Count == 0 ? [BeyondTopBucket] : buckets;
    }

    /// <summary>The rank bucket names, smallest first, then the two catch-alls.</summary>
    public static IReadOnlyList<string> RankBucketNames { get; } = [.. RankLimits.Select(l => l.Name), BeyondTopBucket, UnrankedBucket];

    public const string UnrankedBucket = "unranked";
    public const string BeyondTopBucket = "beyond-1m";

    private static (long Limit, string Name)[] RankLimits => [(1_000, "top-1k"), (10_000, "top-10k"), (100_000, "top-100k"), (1_000_000, "top-1m")];
}
