using System.Net;
using DaneScan.Core;
using DnsClient;

namespace DaneScan.Dns;

/// <summary>What the self-check concluded about a resolver.</summary>
public enum ResolverValidation
{
    /// <summary>AD on the signed name and SERVFAIL on the broken one: its AD bit can be trusted.</summary>
    Validating,

    /// <summary>It answered, but not as a validating resolver does (no AD on the signed name, or data for the broken one).</summary>
    NotValidating,

    /// <summary>It did not answer the signed name at all (timeout, network error, REFUSED).</summary>
    Unreachable,
}

/// <summary>The self-check's verdict with both lookups it rests on.</summary>
public sealed record ResolverCheckResult(
    ResolverValidation Status,
    string Endpoint,
    RrsetObservation<string> Signed,
    RrsetObservation<string> Broken,
    string Reason);

/// <summary>
/// Checks that a resolver validates DNSSEC before its AD bit is trusted (architecture: "DNSSEC trust"):
/// a signed name must come back with AD, a deliberately broken one with SERVFAIL.
/// </summary>
public static class ResolverSelfCheck
{
    /// <summary>A signed name on the public internet.</summary>
    public const string InternetSignedName = "ietf.org";

    /// <summary>A deliberately broken name on the public internet (kept bogus for resolver tests).</summary>
    public const string InternetBrokenName = "dnssec-failed.org";

    /// <summary>The types asked for the broken name, until one comes back SERVFAIL.</summary>
    private static readonly QueryType[] BrokenNameTypes = [QueryType.A, QueryType.TXT, QueryType.AAAA, QueryType.MX];

    private static bool IsUnreachable(RrsetObservation<string> o) =>
        o.Outcome == DnsOutcome.LookupFailure && o.Failure is LookupFailureKind.Timeout or LookupFailureKind.NetworkError or LookupFailureKind.Refused;

    private static bool IsServFail(RrsetObservation<string> o) =>
        o.Outcome == DnsOutcome.Bogus || (o.Outcome == DnsOutcome.LookupFailure && o.Failure == LookupFailureKind.ServFail);

    /// <summary>
    /// Asks the signed name (type A: an answer or a denial, either must carry AD) and then the broken name
    /// (A, TXT, AAAA, MX until one comes back SERVFAIL).
    /// </summary>
    public static Task<ResolverCheckResult> CheckAsync(IPEndPoint endpoint, string signedName, string brokenName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return CheckAsync(new DnsResolverOptions { Endpoint = endpoint }, signedName, brokenName, cancellationToken);
    }

    public static async Task<ResolverCheckResult> CheckAsync(DnsResolverOptions options, string signedName, string brokenName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(signedName);
        ArgumentException.ThrowIfNullOrWhiteSpace(brokenName);
        var resolver = new ValidatingResolver(options);
        var endpoint = options.Endpoint.ToString();
        var signed = await resolver.LookupAAsync(signedName, cancellationToken).ConfigureAwait(false);
        RrsetObservation<string>? broken = null;
        if (!IsUnreachable(signed))
        {
            // The broken name may be broken for one RRset only (a tampered signature): any SERVFAIL counts.
            foreach (var type in BrokenNameTypes)
            {
                broken = await resolver.LookupAsync(brokenName, type, type.ToString(), static r => r.ToString(), cancellationToken).ConfigureAwait(false);
                if (IsServFail(broken))
                {
                    break;
                }
            }
        }

        broken ??= new RrsetObservation<string>(DnsNames.Normalize(brokenName), "A", DnsOutcome.LookupFailure, DenialKind.None, [], null, [],
            LookupFailureKind.None, Detail: "not asked: the resolver did not answer the signed name");

        if (IsUnreachable(signed))
        {
            return new ResolverCheckResult(ResolverValidation.Unreachable, endpoint, signed, broken,
                $"{endpoint} did not answer {signed.Name} ({signed.Failure}: {signed.Detail})");
        }

        if (!signed.IsSecure)
        {
            return new ResolverCheckResult(ResolverValidation.NotValidating, endpoint, signed, broken,
                $"{endpoint} answered the signed name {signed.Name} without AD ({signed.Outcome})");
        }

        if (!IsServFail(broken))
        {
            return new ResolverCheckResult(ResolverValidation.NotValidating, endpoint, signed, broken,
                $"{endpoint} did not answer SERVFAIL for the broken name {broken.Name} ({broken.Outcome}{(broken.Failure == LookupFailureKind.None ? "" : ", " + broken.Failure)})");
        }

        return new ResolverCheckResult(ResolverValidation.Validating, endpoint, signed, broken,
            $"{endpoint} validates: AD on {signed.Name}, SERVFAIL on {broken.Name}{(broken.ExtendedDnsError is int e ? $" (EDE {e})" : "")}");
    }
}
