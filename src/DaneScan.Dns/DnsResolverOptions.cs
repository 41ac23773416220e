using System.Globalization;
using System.Net;
using DaneScan.Core;

namespace DaneScan.Dns;

/// <summary>
/// How to reach the one validating resolver whose AD bit is trusted, and the bounds of every query.
/// </summary>
public sealed record DnsResolverOptions
{
    /// <summary>The validating resolver (address and port). Its AD bit is the only DNSSEC trust.</summary>
    public required IPEndPoint Endpoint { get; init; }

    /// <summary>The wait for one attempt (one UDP datagram, or one TCP exchange after truncation).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Retries after a timed-out attempt (so at most <c>Retries + 1</c> attempts).</summary>
    public int Retries { get; init; } = 1;

    /// <summary>The deadline of one RRset lookup, retries and TCP fallback included.</summary>
    public TimeSpan QueryDeadline { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>The EDNS(0) UDP payload size advertised (1232 avoids IP fragmentation; larger answers go over TCP).</summary>
    public int EdnsBufferSize { get; init; } = 1232;

    /// <summary>
    /// When a SERVFAIL carries no DNSSEC Extended DNS Error, ask once more with Checking Disabled: an answer
    /// then means the data failed validation (bogus). Needed for resolvers that send no EDE.
    /// </summary>
    public bool CheckingDisabledRequery { get; init; } = true;

    /// <summary>The default of <see cref="TransientRetryDelay"/>.</summary>
    public static TimeSpan DefaultTransientRetryDelay => TimeSpan.FromSeconds(1);

    /// <summary>
    /// A lookup that failed transiently (SERVFAIL without a DNSSEC reason: no DNSSEC Extended DNS Error and no
    /// answer with Checking Disabled; no answer within the deadline; a network error, including an answer to
    /// another query) is asked again once after this pause before the failure is final; the observation keeps
    /// what the first attempt saw (<see cref="RrsetObservation{T}.EarlierAttempts"/>). Zero: no retry.
    /// </summary>
    public TimeSpan TransientRetryDelay { get; init; } = DefaultTransientRetryDelay;

    /// <summary>The trust recorded in every observation made with these options.</summary>
    public DnsTrustMode TrustMode { get; init; } = DnsTrustMode.ValidatingResolverAd;

    /// <summary>Parses "127.0.0.1", "127.0.0.1:5353", "[::1]:53" (port 53 when absent).</summary>
    public static IPEndPoint ParseEndpoint(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        text = text.Trim();
        if (IPAddress.TryParse(text, out var bare))
        {
            return new IPEndPoint(bare, 53);
        }

        if (IPEndPoint.TryParse(text, out var endpoint))
        {
            return endpoint.Port == 0 ? new IPEndPoint(endpoint.Address, 53) : endpoint;
        }

        throw new FormatException(string.Format(CultureInfo.InvariantCulture, "Not a resolver address: '{0}' (expected ip or ip:port).", text));
    }
}
