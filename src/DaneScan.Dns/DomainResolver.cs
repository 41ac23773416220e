using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>
/// The MX logic of RFC 7672 §2.1-§2.2.3: from a destination domain to its MX hosts, their addresses and
/// their TLSA RRsets, each RRset with its own DNS outcome. Produces the raw <see cref="DomainObservation"/>;
/// verdicts are computed from it elsewhere.
/// </summary>
public sealed class DomainResolver
{
    private readonly IRrsetResolver _resolver;
    private readonly TimeProvider _time;
    private readonly int _maxConcurrentHosts;
    private readonly HostLookupCache? _hosts;
    private long _queries;

    /// <param name="resolver">The RRset resolver (normally <see cref="ValidatingResolver"/>).</param>
    /// <param name="timeProvider">The clock for <see cref="DomainObservation.ObservedUtc"/>.</param>
    /// <param name="maxConcurrentHosts">How many MX hosts of one domain are resolved at once.</param>
    /// <param name="maxMxHosts">At most this many MX hosts of one domain are resolved and judged, in preference order (see <see cref="HostsToResolve"/>).</param>
    /// <param name="hostCache">The run's shared host lookups, or null to look every host up for every domain.</param>
    public DomainResolver(IRrsetResolver resolver, TimeProvider? timeProvider = null, int maxConcurrentHosts = 4, int maxMxHosts = DefaultMaxMxHosts, HostLookupCache? hostCache = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentHosts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMxHosts, 1);
        _resolver = resolver;
        _time = timeProvider ?? TimeProvider.System;
        _maxConcurrentHosts = maxConcurrentHosts;
        MaxMxHosts = maxMxHosts;
        _hosts = hostCache;
    }

    /// <summary>The default of <see cref="MaxMxHosts"/>: more than any ordinary domain publishes (Postfix tries at most 5 addresses).</summary>
    public const int DefaultMaxMxHosts = 10;

    /// <summary>At most this many MX hosts of one domain are resolved and judged; the rest are recorded as a finding.</summary>
    public int MaxMxHosts { get; }

    /// <summary>The run's shared host lookups, if any.</summary>
    public HostLookupCache? HostCache => _hosts;

    /// <summary>RRset lookups this resolver sent (MX, A, AAAA, TLSA; a shared host lookup counts once).</summary>
    public long QueriesSent => Interlocked.Read(ref _queries);

    /// <summary>
    /// A resolver over the same RRset resolver and settings with a fresh shared host cache, for one run: every
    /// host is looked up once in the run and the answer reused (the same answer for a host within the run,
    /// until the cache bound drops it).
    /// </summary>
    public DomainResolver ForRun(int hostCacheCapacity = HostLookupCache.DefaultCapacity, int? maxMxHosts = null) =>
        new(_resolver, _time, _maxConcurrentHosts, maxMxHosts ?? MaxMxHosts, new HostLookupCache(hostCacheCapacity));

    /// <summary>A resolver for a validating resolver endpoint with the given options.</summary>
    public DomainResolver(DnsResolverOptions options)
        : this(new ValidatingResolver(options))
    {
    }

    /// <summary>
    /// Resolves a domain's MX RRset and, for each MX host in preference order, its A and AAAA RRsets and
    /// (when those are secure) its TLSA RRset. DNS trouble is recorded as outcomes, never thrown.
    /// </summary>
    /// <param name="domain">The destination domain, in A-labels (a trailing dot and upper case are tolerated).</param>
    /// <param name="cancellationToken">Cancels the whole resolution (then this throws).</param>
    public async Task<DomainObservation> ResolveAsync(string domain, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(domain);
        var name = DnsNames.Normalize(domain);
        var observed = _time.GetUtcNow();
        Interlocked.Increment(ref _queries);
        var mx = await _resolver.LookupMxAsync(name, cancellationToken).ConfigureAwait(false);
        var wanted = HostsToResolve(name, mx, MaxMxHosts);

        var hosts = new MxHostObservation[wanted.Count];
        using var gate = new SemaphoreSlim(_maxConcurrentHosts);
        var tasks = wanted.Select(async (host, index) =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                hosts[index] = await ResolveHostAsync(host.Name, host.Preference, host.Implicit, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);

        return new DomainObservation
        {
            Domain = name,
            ObservedUtc = observed,
            Resolver = _resolver.Info,
            Mx = mx,
            Hosts = hosts,
        };
    }

    /// <summary>
    /// The hosts due for resolution (RFC 7672 §2.1, RFC 7505, RFC 5321 §5.1): none when the MX lookup
    /// failed, was bogus, or the domain does not exist, or for a lone null MX; the domain itself (implicit MX)
    /// on NODATA; otherwise the non-null exchanges, deduplicated at their lowest preference, in preference
    /// order (a null MX beside other MX records is a misconfiguration; the other hosts are still resolved),
    /// at most <paramref name="maxHosts"/> of them (the most preferred; ties by name). The verdict finds the
    /// cut from the MX RRset and the hosts recorded (<see cref="FindingCode.MxHostsTruncated"/>).
    /// </summary>
    public static IReadOnlyList<(string Name, ushort Preference, bool Implicit)> HostsToResolve(string domain, RrsetObservation<Core.MxRecord> mx, int maxHosts = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(mx);
        if (mx.IsFailure || mx.Denial == DenialKind.NxDomain)
        {
            return [];
        }

        if (mx.Denial == DenialKind.NoData)
        {
            return [(DnsNames.Normalize(domain), (ushort)0, true)];
        }

        return mx.Records
            .Where(r => !r.IsNullMx)
            .GroupBy(r => r.Exchange)
            .Select(g => (Name: g.Key.Value, Preference: g.Min(r => r.Preference), Implicit: false))
            .OrderBy(h => h.Preference)
            .ThenBy(h => h.Name, StringComparer.Ordinal)
            .Take(maxHosts)
            .ToList();
    }

    /// <summary>
    /// One MX host: A and AAAA (the resolver follows CNAMEs; the chain is recorded and its security is the
    /// AD bit of the whole answer), the chain's CNAME records one by one when that answer was insecure, then
    /// TLSA at <c>_25._tcp.&lt;base&gt;</c> where the rules allow (<see cref="AddressChain.TlsaBases"/>).
    /// </summary>
    /// <remarks>
    /// With secure addresses (one family's secure answer is enough; a failed lookup of the other stays recorded),
    /// the base is the final CNAME target first; only if TLSA there is securely denied is the published name
    /// tried; a failed, bogus or insecure lookup at the target is final (RFC 7672 §2.2.3). With an insecure
    /// address answer through CNAMEs, the host name's own CNAME record decides (RFC 7672 §2.2.2): unsigned, no
    /// TLSA; validated (the chain turns insecure later), TLSA at the published name only.
    /// </remarks>
    public async Task<MxHostObservation> ResolveHostAsync(string hostName, ushort preference, bool isImplicit, CancellationToken cancellationToken = default)
    {
        var host = DnsNames.Normalize(hostName);
        if (_hosts is null)
        {
            return (await LookupHostAsync(host, cancellationToken).ConfigureAwait(false)) with { Preference = preference, Implicit = isImplicit };
        }

        // Single-flight: the first domain naming the host starts its lookups; the others await the same task.
        var shared = await _hosts.GetOrAdd(host, h => LookupHostAsync(h, cancellationToken)).WaitAsync(cancellationToken).ConfigureAwait(false);
        return shared with { Preference = preference, Implicit = isImplicit };
    }

    private async Task<MxHostObservation> LookupHostAsync(string host, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _queries, 2);
        var aTask = _resolver.LookupAAsync(host, cancellationToken);
        var aaaaTask = _resolver.LookupAaaaAsync(host, cancellationToken);
        var a = await aTask.ConfigureAwait(false);
        var aaaa = await aaaaTask.ConfigureAwait(false);
        var cnames = await LookupChainLinksAsync(host, AddressChain.InsecureChain(a, aaaa), cancellationToken).ConfigureAwait(false);

        var lookups = new List<RrsetObservation<TlsaRecord>>(2);
        string? tlsaBase = null;
        var bases = AddressChain.TlsaBases(host, a, aaaa, cnames);
        if (bases.Count > 0)
        {
            Interlocked.Increment(ref _queries);
            var first = await _resolver.LookupTlsaAsync(DnsNames.SmtpTlsaOwner(bases[0]), cancellationToken).ConfigureAwait(false);
            lookups.Add(first);
            tlsaBase = bases[0];
            if (bases.Count > 1 && first.Outcome == DnsOutcome.SecureDenial)
            {
                Interlocked.Increment(ref _queries);
                lookups.Add(await _resolver.LookupTlsaAsync(DnsNames.SmtpTlsaOwner(bases[1]), cancellationToken).ConfigureAwait(false));
                tlsaBase = bases[1];
            }
        }

        return new MxHostObservation
        {
            Name = host,
            A = a,
            Aaaa = aaaa,
            CnameLookups = cnames,
            TlsaLookups = lookups,
            TlsaBase = tlsaBase,
        };
    }

    /// <summary>
    /// The CNAME record of each link of an insecure address answer's chain, in order from the host name, up to
    /// and including the first that does not validate (or points elsewhere than the chain went). None for an
    /// empty chain.
    /// </summary>
    private async Task<IReadOnlyList<RrsetObservation<string>>> LookupChainLinksAsync(string host, IReadOnlyList<string> chain, CancellationToken cancellationToken)
    {
        if (chain.Count == 0)
        {
            return [];
        }

        var owners = AddressChain.LinkOwners(host, chain);
        var links = new List<RrsetObservation<string>>(owners.Count);
        for (var i = 0; i < owners.Count; i++)
        {
            Interlocked.Increment(ref _queries);
            var link = await _resolver.LookupCnameAsync(owners[i], cancellationToken).ConfigureAwait(false);
            links.Add(link);
            if (!AddressChain.LinkIsSecure(link, chain, i))
            {
                break;
            }
        }

        return links;
    }
}
