using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>Looks up one RRset and says what became of it (one <see cref="DnsOutcome"/>, never an exception).</summary>
public interface IRrsetResolver
{
    /// <summary>What the observations made through this resolver record about it.</summary>
    ResolverInfo Info { get; }

    /// <summary>The A RRset of a name (following CNAMEs); records are IPv4 addresses in text form.</summary>
    Task<RrsetObservation<string>> LookupAAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The AAAA RRset of a name (following CNAMEs); records are IPv6 addresses in text form.</summary>
    Task<RrsetObservation<string>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// The CNAME RRset of a name itself, not followed (a query of type CNAME): its own DNSSEC outcome, which the
    /// AD bit of an address answer through a chain does not tell (RFC 7672 §2.2.2). Records are target names.
    /// </summary>
    Task<RrsetObservation<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The MX RRset of a name.</summary>
    Task<RrsetObservation<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>The TLSA RRset at an owner name such as <c>_25._tcp.mx.example</c>.</summary>
    Task<RrsetObservation<TlsaRecord>> LookupTlsaAsync(string ownerName, CancellationToken cancellationToken = default);
}
