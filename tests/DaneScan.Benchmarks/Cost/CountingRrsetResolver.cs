using DaneScan.Core;
using DaneScan.Dns;

namespace DaneScan.Benchmarks.Cost;

/// <summary>
/// Counts the RRset lookups the resolve stage sends to its validating resolver (MX, A, AAAA, CNAME, TLSA), one per
/// call, whatever the resolver's own cache does with it: what a fleet run asks of the resolver it is given.
/// </summary>
internal sealed class CountingRrsetResolver(IRrsetResolver inner) : IRrsetResolver
{
    private long _lookups;

    /// <summary>Lookups sent so far.</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    public ResolverInfo Info => inner.Info;

    public Task<RrsetObservation<string>> LookupAAsync(string name, CancellationToken cancellationToken = default) =>
        Count(inner.LookupAAsync(name, cancellationToken));

    public Task<RrsetObservation<string>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        Count(inner.LookupAaaaAsync(name, cancellationToken));

    public Task<RrsetObservation<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default) =>
        Count(inner.LookupCnameAsync(name, cancellationToken));

    public Task<RrsetObservation<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default) =>
        Count(inner.LookupMxAsync(name, cancellationToken));

    public Task<RrsetObservation<TlsaRecord>> LookupTlsaAsync(string ownerName, CancellationToken cancellationToken = default) =>
        Count(inner.LookupTlsaAsync(ownerName, cancellationToken));

    private Task<T> Count<T>(Task<T> lookup)
    {
        Interlocked.Increment(ref _lookups);
        return lookup;
    }
}
