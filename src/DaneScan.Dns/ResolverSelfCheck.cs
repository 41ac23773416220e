using System.Net;
using DaneScan.Core;

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
        var signed = await resolver.LookupAAsync(signedName, cancellationToken).ConfigureAwait(false);
        var broken = await resolver.LookupAAsync(brokenName, cancellationToken).ConfigureAwait(false);
        var endpoint = options.Endpoint.ToString();

        if (signed.Outcome == DnsOutcome.LookupFailure
            && signed.Failure is LookupFailureKind.Timeout or LookupFailureKind.NetworkError or LookupFailureKind.Refused)
        {
            return new ResolverCheckResult(ResolverValidation.Unreachable, endpoint, signed, broken,
                $"{endpoint} did not answer {signed.Name} ({signed.Failure}: {signed.Detail})");
        }

        if (!signed.IsSecure)
        {
            return new ResolverCheckResult(ResolverValidation.NotValidating, endpoint, signed, broken,
                $"{endpoint} answered the signed name {signed.Name} without AD ({signed.Outcome})");
        }

        var servFail = broken.Outcome == DnsOutcome.Bogus
            || (broken.Outcome == DnsOutcome.LookupFailure && broken.Failure == LookupFailureKind.ServFail);
        if (!servFail)
        {
            return new ResolverCheckResult(ResolverValidation.NotValidating, endpoint, signed, broken,
                $"{endpoint} did not answer SERVFAIL for the broken name {broken.Name} ({broken.Outcome}{(broken.Failure == LookupFailureKind.None ? "" : ", " + broken.Failure)})");
        }

        return new ResolverCheckResult(ResolverValidation.Validating, endpoint, signed, broken,
            $"{endpoint} validates: AD on {signed.Name}, SERVFAIL on {broken.Name}{(broken.ExtendedDnsError is int e ? $" (EDE {e})" : "")}");
    }
}
