using System.Text.Json.Serialization;

namespace DaneScan.Core;

/// <summary>
/// The one outcome of looking up one RRset. RFC 7672 §2.1 needs these kept apart: a research
/// dataset that folds a lookup failure into "no TLSA" is wrong.
/// </summary>
public enum DnsOutcome
{
    /// <summary>Records returned, validated by DNSSEC (AD from a trusted validating resolver).</summary>
    SecureAnswer,

    /// <summary>NXDOMAIN or NODATA, proved by DNSSEC.</summary>
    SecureDenial,

    /// <summary>Records returned from a zone proved to be unsigned.</summary>
    InsecureAnswer,

    /// <summary>NXDOMAIN or NODATA from a zone proved to be unsigned.</summary>
    InsecureDenial,

    /// <summary>Validation failed (the resolver's SERVFAIL with a DNSSEC Extended DNS Error, or a local check).</summary>
    Bogus,

    /// <summary>SERVFAIL without proof of bogus data, timeout, REFUSED, malformed or truncated-and-failed answers.</summary>
    LookupFailure,
}

/// <summary>What a denial denied.</summary>
public enum DenialKind
{
    None,
    NxDomain,
    NoData,
}

/// <summary>Why a lookup failed, when <see cref="DnsOutcome.LookupFailure"/> or <see cref="DnsOutcome.Bogus"/>.</summary>
public enum LookupFailureKind
{
    None,
    ServFail,
    Timeout,
    Refused,
    Malformed,
    NetworkError,
    OtherRcode,
}

/// <summary>The trust that produced an observation's DNSSEC statuses.</summary>
public enum DnsTrustMode
{
    /// <summary>The AD bit of a configured validating resolver, checked at start-up.</summary>
    ValidatingResolverAd,

    /// <summary>The resolver failed the validation self-check and the user chose to go on: statuses are not trustworthy.</summary>
    UnverifiedResolver,
}

/// <summary>One looked-up RRset: its name and type, its outcome, its records and TTL.</summary>
/// <typeparam name="T">The record data type.</typeparam>
/// <param name="Name">The owner name queried (A-labels, no trailing dot).</param>
/// <param name="Type">The RR type mnemonic, for example "MX" or "TLSA".</param>
/// <param name="Outcome">The one outcome of the lookup.</param>
/// <param name="Denial">NXDOMAIN or NODATA, for denials.</param>
/// <param name="Records">The records, empty unless an answer.</param>
/// <param name="Ttl">The TTL of the RRset (or of the SOA for denials), when known.</param>
/// <param name="CnameChain">The CNAME links followed from <paramref name="Name"/>, in order; empty when none.</param>
/// <param name="Failure">Why a lookup failed.</param>
/// <param name="ExtendedDnsError">The RFC 8914 info code the resolver sent, if any.</param>
/// <param name="Detail">Free text for humans (EDE text, exception message); never parsed.</param>
/// <param name="OriginalTtl">
/// The TTL the zone publishes, from the covering RRSIG's Original TTL field (RFC 4034 §3.1.4), when signed.
/// <paramref name="Ttl"/> is what the resolver returned, which counts down in its cache; TTL advice
/// (docs/dane-rules.md §8) must look at this one.
/// </param>
/// <param name="EarlierAttempts">
/// When the lookup was retried (a SERVFAIL without a DNSSEC reason), what the earlier attempts saw, oldest first;
/// this observation is the last attempt. Null (absent from the JSON) when it was made once.
/// </param>
public sealed record RrsetObservation<T>(
    string Name,
    string Type,
    DnsOutcome Outcome,
    DenialKind Denial,
    IReadOnlyList<T> Records,
    uint? Ttl,
    IReadOnlyList<string> CnameChain,
    LookupFailureKind Failure = LookupFailureKind.None,
    int? ExtendedDnsError = null,
    string? Detail = null,
    uint? OriginalTtl = null,
    IReadOnlyList<LookupAttempt>? EarlierAttempts = null)
{
    /// <summary>True when the lookup was made more than once.</summary>
    [JsonIgnore]
    public bool Retried => EarlierAttempts is { Count: > 0 };

    /// <summary>True for <see cref="DnsOutcome.SecureAnswer"/> and <see cref="DnsOutcome.SecureDenial"/>.</summary>
    [JsonIgnore]
    public bool IsSecure => Outcome is DnsOutcome.SecureAnswer or DnsOutcome.SecureDenial;

    /// <summary>True for <see cref="DnsOutcome.Bogus"/> and <see cref="DnsOutcome.LookupFailure"/>.</summary>
    [JsonIgnore]
    public bool IsFailure => Outcome is DnsOutcome.Bogus or DnsOutcome.LookupFailure;
}

/// <summary>What one earlier attempt of a retried lookup saw.</summary>
/// <param name="StartedUtc">When the attempt was sent.</param>
/// <param name="Outcome">Its outcome (a lookup failure: only those are retried).</param>
/// <param name="Failure">Why it failed.</param>
/// <param name="ExtendedDnsError">The RFC 8914 info code the resolver sent, if any.</param>
/// <param name="Detail">Free text for humans; never parsed.</param>
public sealed record LookupAttempt(DateTimeOffset StartedUtc, DnsOutcome Outcome, LookupFailureKind Failure, int? ExtendedDnsError = null, string? Detail = null);

/// <summary>
/// An MX record (RFC 1035 §3.3.9). The exchange is normalised where it enters (<see cref="DnsName.Unchecked"/>), and
/// is a plain string in JSON. A null MX (RFC 7505) has preference 0 and exchange ".".
/// </summary>
public sealed record MxRecord(ushort Preference, DnsName Exchange)
{
    [JsonIgnore]
    public bool IsNullMx => Exchange.IsRoot;
}
