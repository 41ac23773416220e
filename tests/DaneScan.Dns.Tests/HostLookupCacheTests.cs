using System.Collections.Concurrent;
using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>
/// The run's shared host lookups: one A, AAAA and TLSA lookup per MX host name per run, however many domains
/// name it and however many ask at once; each domain's observation still carries its own preference.
/// </summary>
public class HostLookupCacheTests
{
    [Fact]
    public async Task Concurrent_domains_naming_one_host_share_one_lookup_of_each_type()
    {
        var resolver = new CountingResolver(mxHost: "mx.shared.test");
        var domains = new DomainResolver(resolver).ForRun();

        // 50 domains at once, while the host's lookups are held open: all must wait on the one lookup in flight.
        var scans = Enumerable.Range(0, 50).Select(i => domains.ResolveAsync($"d{i}.test")).ToList();
        await resolver.AllMxAnswered(50);
        resolver.ReleaseHostLookups();
        var observations = await Task.WhenAll(scans);

        Assert.Equal(1, resolver.Count("A", "mx.shared.test"));
        Assert.Equal(1, resolver.Count("AAAA", "mx.shared.test"));
        Assert.Equal(1, resolver.Count("TLSA", "_25._tcp.mx.shared.test"));
        Assert.Equal(50, resolver.Count("MX"));
        Assert.All(observations, o => Assert.Equal(["192.0.2.25"], Assert.Single(o.Hosts).A.Records));
        Assert.All(observations, o => Assert.Equal((ushort)10, o.Hosts[0].Preference));
        Assert.Equal(50 + 3, domains.QueriesSent);
        Assert.Equal(1, domains.HostCache!.Misses);
        Assert.Equal(49, domains.HostCache.Hits);
    }

    [Fact]
    public async Task A_resolver_without_a_run_cache_looks_the_host_up_for_every_domain()
    {
        var resolver = new CountingResolver(mxHost: "mx.shared.test");
        resolver.ReleaseHostLookups();
        var domains = new DomainResolver(resolver);

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => domains.ResolveAsync($"d{i}.test")));

        Assert.Equal(5, resolver.Count("A", "mx.shared.test"));
    }

    [Fact]
    public async Task Past_its_bound_the_cache_drops_the_least_recently_used_host()
    {
        var cache = new HostLookupCache(capacity: 2);
        var looked = new List<string>();
        Task<MxHostObservation> Lookup(string host)
        {
            looked.Add(host);
            return Task.FromResult(CountingResolver.Host(host));
        }

        await cache.GetOrAdd("a", Lookup);
        await cache.GetOrAdd("b", Lookup);
        await cache.GetOrAdd("a", Lookup); // a is now the most recent
        await cache.GetOrAdd("c", Lookup); // drops b
        await cache.GetOrAdd("a", Lookup);
        await cache.GetOrAdd("b", Lookup); // looked up again

        Assert.Equal(["a", "b", "c", "b"], looked);
        Assert.Equal(2, cache.Count);
        Assert.Equal(2, cache.Evictions);
    }

    [Fact]
    public async Task A_cancelled_lookup_is_not_kept()
    {
        var cache = new HostLookupCache();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cache.GetOrAdd("a", _ => Task.FromCanceled<MxHostObservation>(cancelled.Token)));

        var again = await cache.GetOrAdd("a", h => Task.FromResult(CountingResolver.Host(h)));

        Assert.Equal("a", again.Name);
        Assert.Equal(2, cache.Misses);
    }

    [Fact]
    public void The_mx_host_limit_keeps_the_most_preferred_hosts()
    {
        var mx = new RrsetObservation<MxRecord>("many.test", "MX", DnsOutcome.SecureAnswer, DenialKind.None,
            [new MxRecord(30, DnsName.Unchecked("c.test")), new MxRecord(10, DnsName.Unchecked("a.test")), new MxRecord(20, DnsName.Unchecked("b.test")), new MxRecord(10, DnsName.Unchecked("aa.test"))], 300, []);

        var hosts = DomainResolver.HostsToResolve("many.test", mx, maxHosts: 2);

        Assert.Equal(["a.test", "aa.test"], hosts.Select(h => h.Name));
    }

    /// <summary>
    /// An <see cref="IRrsetResolver"/> that answers from a fixed zone (every domain has MX 10 to one host with one
    /// secure address and a secure TLSA RRset) and counts the lookups by type and name; the host's lookups wait
    /// until released, so concurrency is real.
    /// </summary>
    [Fact]
    public async Task A_stage_instance_shares_host_lookups_within_a_run_across_batches_and_keeps_runs_apart()
    {
        var resolver = new CountingResolver(mxHost: "mx.shared.test");
        resolver.ReleaseHostLookups();
        var caches = new RunHostCaches(new DomainResolver(resolver), maxRuns: 2);

        // Two batches of run A (one call each, as two resolve messages would make), then run B.
        await caches.ResolveAsync("run-a", "d1.test");
        await caches.ResolveAsync("run-a", "d2.test");
        Assert.Equal(1, resolver.Count("A", "mx.shared.test"));
        await caches.ResolveAsync("run-b", "d1.test");
        Assert.Equal(2, resolver.Count("A", "mx.shared.test"));
        Assert.Same(caches.For("run-a"), caches.For("run-a"));
        Assert.Equal(1, caches.For("run-a").HostCache!.Misses);
        Assert.Equal(1, caches.For("run-a").HostCache!.Hits);

        // A third run drops the least recently used (run B: run A was used last): B starts afresh.
        await caches.ResolveAsync("run-c", "d1.test");
        Assert.Equal(3, resolver.Count("A", "mx.shared.test"));
        await caches.ResolveAsync("run-b", "d3.test");
        Assert.Equal(4, resolver.Count("A", "mx.shared.test"));
        Assert.Equal(1, caches.For("run-b").HostCache!.Misses);
    }

    private sealed class CountingResolver(string mxHost) : IRrsetResolver
    {
        private readonly ConcurrentDictionary<(string Type, string Name), int> _counts = new();
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _mx;

        public ResolverInfo Info { get; } = new("counting", DnsTrustMode.ValidatingResolverAd);

        public static MxHostObservation Host(string name) => new()
        {
            Name = name,
            A = new RrsetObservation<string>(name, "A", DnsOutcome.SecureAnswer, DenialKind.None, ["192.0.2.25"], 300, []),
            Aaaa = new RrsetObservation<string>(name, "AAAA", DnsOutcome.SecureDenial, DenialKind.NoData, [], 300, []),
        };

        public int Count(string type, string? name = null) =>
            _counts.Where(kv => kv.Key.Type == type && (name is null || kv.Key.Name == name)).Sum(kv => kv.Value);

        public void ReleaseHostLookups() => _release.TrySetResult();

        public async Task AllMxAnswered(int expected)
        {
            while (Volatile.Read(ref _mx) < expected)
            {
                await Task.Delay(10);
            }

            // Let the domains reach their host lookups.
            await Task.Delay(50);
        }

        public async Task<RrsetObservation<string>> LookupAAsync(string name, CancellationToken cancellationToken = default)
        {
            Counted("A", name);
            await _release.Task.WaitAsync(cancellationToken);
            return new RrsetObservation<string>(name, "A", DnsOutcome.SecureAnswer, DenialKind.None, ["192.0.2.25"], 300, []);
        }

        public async Task<RrsetObservation<string>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default)
        {
            Counted("AAAA", name);
            await _release.Task.WaitAsync(cancellationToken);
            return new RrsetObservation<string>(name, "AAAA", DnsOutcome.SecureDenial, DenialKind.NoData, [], 300, []);
        }

        public Task<RrsetObservation<MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default)
        {
            Counted("MX", name);
            Interlocked.Increment(ref _mx);
            return Task.FromResult(new RrsetObservation<MxRecord>(name, "MX", DnsOutcome.SecureAnswer, DenialKind.None, [new MxRecord(10, DnsName.Unchecked(mxHost))], 300, []));
        }

        public Task<RrsetObservation<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default)
        {
            Counted("CNAME", name);
            return Task.FromResult(new RrsetObservation<string>(name, "CNAME", DnsOutcome.SecureDenial, DenialKind.NoData, [], 300, []));
        }

        public Task<RrsetObservation<TlsaRecord>> LookupTlsaAsync(string ownerName, CancellationToken cancellationToken = default)
        {
            Counted("TLSA", ownerName);
            return Task.FromResult(new RrsetObservation<TlsaRecord>(ownerName, "TLSA", DnsOutcome.SecureAnswer, DenialKind.None,
                [new TlsaRecord(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256, new byte[32])], 300, []));
        }

        private void Counted(string type, string name) => _counts.AddOrUpdate((type, name), 1, (_, n) => n + 1);
    }
}
