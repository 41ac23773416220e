using System.Globalization;
using System.Net.Sockets;
using DaneScan.Core;
using DnsClient;
using DnsClient.Protocol;
using DnsClient.Protocol.Options;

namespace DaneScan.Dns;

/// <summary>
/// The DNS port's adapter: queries ONE configured validating resolver with the DO bit set and trusts only
/// its AD bit (DnsTrustMode.ValidatingResolverAd). No client-side cache: every lookup goes to the resolver.
/// </summary>
/// <remarks>
/// Bogus is told apart from other SERVFAILs by the resolver's Extended DNS Error (RFC 8914), read from the
/// raw OPT RDATA that DnsClient hands over (<see cref="OptRecord.Data"/>): a SERVFAIL carrying a DNSSEC
/// info code (1, 2, 5-12) is <see cref="DnsOutcome.Bogus"/>; any other SERVFAIL is a lookup failure.
/// A SERVFAIL without such a code gets the classic second test (<see cref="DnsResolverOptions.CheckingDisabledRequery"/>):
/// the same question with the CD bit, sent by <see cref="CheckingDisabledProbe"/> because DnsClient 1.8 cannot
/// set CD. An answer with CD means bogus; SERVFAIL again (or silence) stays a lookup failure. So resolvers
/// without EDE (unbound before 1.16, or without <c>ede: yes</c>) are still told apart.
/// </remarks>
public sealed class ValidatingResolver : IRrsetResolver
{
    private const int MaxCnameLinks = 16;

    private readonly LookupClient _client;
    private readonly DnsResolverOptions _options;

    public ValidatingResolver(DnsResolverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var clientOptions = new LookupClientOptions(new NameServer(options.Endpoint))
        {
            AutoResolveNameServers = false,
            UseCache = false,
            CacheFailedResults = false,
            Recursion = true,
            RequestDnsSecRecords = true,
            ExtendedDnsBufferSize = options.EdnsBufferSize,
            UseTcpFallback = true,
            UseTcpOnly = false,
            Retries = Math.Max(0, options.Retries),
            Timeout = options.AttemptTimeout,
            ThrowDnsErrors = false,
            ContinueOnDnsError = false,
            ContinueOnEmptyResponse = false,
            UseRandomNameServer = false,
            EnableAuditTrail = false,
        };
        _client = new LookupClient(clientOptions);
        Info = new ResolverInfo(options.Endpoint.ToString(), options.TrustMode);
    }

    public ResolverInfo Info { get; }

    public DnsResolverOptions Options => _options;

    public Task<RrsetObservation<string>> LookupAAsync(string name, CancellationToken cancellationToken = default) =>
        LookupAsync(name, QueryType.A, "A", static r => (r as ARecord)?.Address.ToString(), cancellationToken);

    public Task<RrsetObservation<string>> LookupAaaaAsync(string name, CancellationToken cancellationToken = default) =>
        LookupAsync(name, QueryType.AAAA, "AAAA", static r => (r as AaaaRecord)?.Address.ToString(), cancellationToken);

    public Task<RrsetObservation<string>> LookupCnameAsync(string name, CancellationToken cancellationToken = default) =>
        LookupAsync(name, QueryType.CNAME, "CNAME", static r => r is CNameRecord c ? DnsNames.Normalize(c.CanonicalName.Value) : null, cancellationToken);

    public Task<RrsetObservation<Core.MxRecord>> LookupMxAsync(string name, CancellationToken cancellationToken = default) =>
        LookupAsync(name, QueryType.MX, "MX", static r => r is DnsClient.Protocol.MxRecord mx
            ? new Core.MxRecord(mx.Preference, Core.DnsName.Unchecked(mx.Exchange.Value))
            : null, cancellationToken);

    public Task<RrsetObservation<Core.TlsaRecord>> LookupTlsaAsync(string ownerName, CancellationToken cancellationToken = default) =>
        LookupAsync(ownerName, QueryType.TLSA, "TLSA", static r => r switch
        {
            DnsClient.Protocol.TlsaRecord t => new Core.TlsaRecord(
                (TlsaUsage)(byte)t.CertificateUsage,
                (Core.TlsaSelector)(byte)t.Selector,
                (Core.TlsaMatchingType)(byte)t.MatchingType,
                [.. t.CertificateAssociationData]),
            UnknownRecord u => TlsaRdata.Parse([.. u.Data]),
            _ => null,
        }, cancellationToken);

    /// <summary>
    /// One lookup of one RRset, ending in exactly one outcome; a transient failure (<see cref="IsTransient"/>) is
    /// asked again once after <see cref="DnsResolverOptions.TransientRetryDelay"/>. Throws only on the caller's cancellation.
    /// </summary>
    public async Task<RrsetObservation<T>> LookupAsync<T>(
        string name,
        QueryType type,
        string typeName,
        Func<DnsResourceRecord, T?> select,
        CancellationToken cancellationToken = default)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(select);
        cancellationToken.ThrowIfCancellationRequested();
        var started = DateTimeOffset.UtcNow;
        var first = await LookupOnceAsync(name, type, typeName, select, cancellationToken).ConfigureAwait(false);
        if (!IsTransient(first) || _options.TransientRetryDelay <= TimeSpan.Zero)
        {
            return first;
        }

        await RetryPause.WaitAsync(_options.TransientRetryDelay, cancellationToken).ConfigureAwait(false);
        var second = await LookupOnceAsync(name, type, typeName, select, cancellationToken).ConfigureAwait(false);
        return second with { EarlierAttempts = [new LookupAttempt(started, first.Outcome, first.Failure, first.ExtendedDnsError, first.Detail)] };
    }

    /// <summary>
    /// A failure that may pass: a lookup failure (not bogus: a DNSSEC Extended DNS Error or an answer with
    /// Checking Disabled made it <see cref="DnsOutcome.Bogus"/>) with RCODE SERVFAIL, no answer within the
    /// deadline (a busy resolver), or a network error. REFUSED, other RCODEs and malformed answers are final.
    /// </summary>
    internal static bool IsTransient<T>(RrsetObservation<T> observation) =>
        observation is { Outcome: DnsOutcome.LookupFailure, Failure: LookupFailureKind.ServFail or LookupFailureKind.Timeout or LookupFailureKind.NetworkError };

    private async Task<RrsetObservation<T>> LookupOnceAsync<T>(
        string name,
        QueryType type,
        string typeName,
        Func<DnsResourceRecord, T?> select,
        CancellationToken cancellationToken)
        where T : class
    {
        var owner = DnsNames.Normalize(name);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.QueryDeadline);
        // A name with non-LDH bytes (presentation escapes) is asked for by its wire bytes: the client would
        // otherwise send the escape text itself (a backslash and three digits) and get the answer for another name.
        DnsQuestion? wireQuestion = null;
        if (DnsNames.NeedsWireForm(owner))
        {
            if (!DnsNames.TryWireForm(owner, out var wire, out var problem))
            {
                return Failed<T>(owner, typeName, LookupFailureKind.Malformed, $"the name cannot be asked for exactly: {problem}");
            }

            wireQuestion = new DnsQuestion(DnsString.FromResponseQueryString(wire), type, QueryClass.IN);
        }

        IDnsQueryResponse response;
        try
        {
            response = wireQuestion is null
                ? await _client.QueryAsync(DnsNames.ToFqdn(owner), type, QueryClass.IN, deadline.Token).ConfigureAwait(false)
                : await _client.QueryAsync(wireQuestion, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.Timeout, "no answer within the query deadline");
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // DnsClient may report a cancelled query as its own error: the caller's cancellation wins.
            throw new OperationCanceledException("The lookup was cancelled.", ex, cancellationToken);
        }
        catch (DnsResponseParseException ex)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.Malformed, ex.Message);
        }
        catch (DnsXidMismatchException)
        {
            // An answer to another query (a late answer on a reused port): nothing is wrong with this name.
            return Failed<T>(owner, typeName, LookupFailureKind.NetworkError, "an answer to another query (transaction id mismatch) arrived instead");
        }
        catch (DnsResponseException ex) when (ex.Code == DnsResponseCode.ConnectionTimeout)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.Timeout, ex.Message);
        }
        catch (DnsResponseException ex)
        {
            return Failed<T>(owner, typeName, ex.InnerException is SocketException ? LookupFailureKind.NetworkError : LookupFailureKind.OtherRcode, ex.Message);
        }
        catch (SocketException ex)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.NetworkError, ex.Message);
        }
        catch (IOException ex)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.NetworkError, ex.Message);
        }

        var observation = Classify(owner, typeName, response, select);
        if (_options.CheckingDisabledRequery && observation is { Outcome: DnsOutcome.LookupFailure, Failure: LookupFailureKind.ServFail })
        {
            var rcode = await CheckingDisabledProbe.QueryRcodeAsync(_options.Endpoint, wireQuestion?.QueryName.Value ?? DnsNames.ToFqdn(owner), (ushort)type, _options.AttemptTimeout, cancellationToken).ConfigureAwait(false);
            if (rcode is 0 or 3)
            {
                return observation with
                {
                    Outcome = DnsOutcome.Bogus,
                    Detail = "SERVFAIL, but " + (rcode == 0 ? "NOERROR" : "NXDOMAIN") + " with Checking Disabled: validation failed"
                        + (observation.ExtendedDnsError is null ? " (no EDE sent)" : " (" + observation.Detail + ")"),
                };
            }
        }

        return observation;
    }

    /// <summary>Turns one response of the trusted resolver into the RRset's outcome.</summary>
    internal static RrsetObservation<T> Classify<T>(string owner, string typeName, IDnsQueryResponse response, Func<DnsResourceRecord, T?> select)
        where T : class
    {
        var ede = ReadExtendedErrors(response);
        var firstEde = ede.Count > 0 ? ede[0] : null;
        var edeDetail = firstEde is null
            ? null
            : string.Format(CultureInfo.InvariantCulture, "EDE {0}{1}", firstEde.InfoCode, firstEde.ExtraText.Length > 0 ? ": " + firstEde.ExtraText : "");

        if (response.Header.ResultTruncated)
        {
            return Failed<T>(owner, typeName, LookupFailureKind.Malformed, "answer still truncated after the TCP retry", firstEde?.InfoCode);
        }

        var secure = response.Header.IsAuthenticData;

        // A CNAME question is answered by the name's own CNAME RRset: nothing to follow.
        var (chain, target) = string.Equals(typeName, "CNAME", StringComparison.OrdinalIgnoreCase)
            ? ([], owner)
            : FollowCnames(owner, response.Answers);
        var rcode = response.Header.ResponseCode;
        switch (rcode)
        {
            case DnsHeaderResponseCode.NoError:
                {
                    var records = new List<T>();
                    uint? ttl = null;
                    foreach (var rr in response.Answers)
                    {
                        if (!DnsNames.SameName(rr.DomainName.Value, target))
                        {
                            continue;
                        }

                        var item = select(rr);
                        if (item is null)
                        {
                            continue;
                        }

                        records.Add(item);
                        var rrTtl = (uint)Math.Max(0, rr.TimeToLive);
                        ttl = ttl is null ? rrTtl : Math.Min(ttl.Value, rrTtl);
                    }

                    if (records.Count > 0)
                    {
                        return new RrsetObservation<T>(owner, typeName, secure ? DnsOutcome.SecureAnswer : DnsOutcome.InsecureAnswer,
                            DenialKind.None, records, ttl, chain, ExtendedDnsError: firstEde?.InfoCode, Detail: edeDetail,
                            OriginalTtl: OriginalTtl(response, target, typeName));
                    }

                    return new RrsetObservation<T>(owner, typeName, secure ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial,
                        DenialKind.NoData, [], DenialTtl(response), chain, ExtendedDnsError: firstEde?.InfoCode, Detail: edeDetail);
                }

            case DnsHeaderResponseCode.NotExistentDomain:
                return new RrsetObservation<T>(owner, typeName, secure ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial,
                    DenialKind.NxDomain, [], DenialTtl(response), chain, ExtendedDnsError: firstEde?.InfoCode, Detail: edeDetail);

            case DnsHeaderResponseCode.ServerFailure:
                {
                    var bogus = ede.FirstOrDefault(e => e.IsDnssecFailure);
                    if (bogus is not null)
                    {
                        return new RrsetObservation<T>(owner, typeName, DnsOutcome.Bogus, DenialKind.None, [], null, chain,
                            LookupFailureKind.ServFail, bogus.InfoCode,
                            string.Format(CultureInfo.InvariantCulture, "EDE {0}{1}", bogus.InfoCode, bogus.ExtraText.Length > 0 ? ": " + bogus.ExtraText : ""));
                    }

                    return Failed<T>(owner, typeName, LookupFailureKind.ServFail, edeDetail ?? "SERVFAIL without a DNSSEC Extended DNS Error", firstEde?.InfoCode, chain);
                }

            case DnsHeaderResponseCode.Refused:
                return Failed<T>(owner, typeName, LookupFailureKind.Refused, edeDetail ?? "REFUSED", firstEde?.InfoCode, chain);

            case DnsHeaderResponseCode.FormatError:
                return Failed<T>(owner, typeName, LookupFailureKind.Malformed, edeDetail ?? "FORMERR", firstEde?.InfoCode, chain);

            default:
                return Failed<T>(owner, typeName, LookupFailureKind.OtherRcode,
                    string.Format(CultureInfo.InvariantCulture, "RCODE {0}{1}", rcode, edeDetail is null ? "" : " " + edeDetail), firstEde?.InfoCode, chain);
        }
    }

    /// <summary>The Extended DNS Errors of a response, from the raw OPT RDATA.</summary>
    internal static IReadOnlyList<ExtendedDnsError> ReadExtendedErrors(IDnsQueryResponse response)
    {
        foreach (var rr in response.Additionals)
        {
            if (rr is OptRecord opt && opt.Data is { Length: > 0 } data)
            {
                return ExtendedDnsError.Parse(data);
            }
        }

        return [];
    }

    /// <summary>The CNAME links from the owner in answer order, and the final target (the owner when none).</summary>
    private static (IReadOnlyList<string> Chain, string Target) FollowCnames(string owner, IReadOnlyList<DnsResourceRecord> answers)
    {
        var chain = new List<string>();
        var current = owner;
        for (var i = 0; i < MaxCnameLinks; i++)
        {
            var link = answers.OfType<CNameRecord>().FirstOrDefault(c => DnsNames.SameName(c.DomainName.Value, current));
            if (link is null)
            {
                break;
            }

            var next = DnsNames.Normalize(link.CanonicalName.Value);
            if (chain.Contains(next) || next == owner)
            {
                break;
            }

            chain.Add(next);
            current = next;
        }

        return (chain, current);
    }

    /// <summary>The negative-caching TTL (RFC 2308 §5): the smaller of the SOA's TTL and its MINIMUM.</summary>
    /// <summary>
    /// The zone's own TTL for the RRset, from the Original TTL of the RRSIG that covers it (the resolver's
    /// TTL counts down in its cache), or null when the answer carries no such signature.
    /// </summary>
    private static uint? OriginalTtl(IDnsQueryResponse response, string target, string typeName)
    {
        foreach (var sig in response.Answers.OfType<RRSigRecord>())
        {
            if (DnsNames.SameName(sig.DomainName.Value, target) &&
                string.Equals(sig.CoveredType.ToString(), typeName, StringComparison.OrdinalIgnoreCase))
            {
                return (uint)Math.Clamp(sig.OriginalTtl, 0, uint.MaxValue);
            }
        }

        return null;
    }

    private static uint? DenialTtl(IDnsQueryResponse response)
    {
        var soa = response.Authorities.OfType<SoaRecord>().FirstOrDefault();
        return soa is null ? null : Math.Min((uint)Math.Max(0, soa.TimeToLive), soa.Minimum);
    }

    private static RrsetObservation<T> Failed<T>(string owner, string typeName, LookupFailureKind kind, string detail, int? ede = null, IReadOnlyList<string>? chain = null) =>
        new(owner, typeName, DnsOutcome.LookupFailure, DenialKind.None, [], null, chain ?? [], kind, ede, detail);
}
