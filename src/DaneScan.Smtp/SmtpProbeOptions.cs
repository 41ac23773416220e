using System.Globalization;
using System.Security.Authentication;
using DaneScan.Core;

namespace DaneScan.Smtp;

/// <summary>
/// How an SMTP STARTTLS probe behaves: who the scanner says it is, how long each step may take, and how
/// much a server may send. Validated when constructed; an invalid value throws <see cref="ArgumentException"/>
/// (a configuration bug, not a probe outcome).
/// </summary>
public sealed class SmtpProbeOptions
{
    /// <summary>RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets with CRLF; real servers exceed it a little.</summary>
    public const int DefaultMaxLineLength = 2048;

    public const int DefaultMaxLinesPerReply = 100;

    public const int DefaultMaxReplyBytes = 32 * 1024;

    /// <summary>Creates validated options.</summary>
    /// <param name="ehloIdentity">The host name sent in EHLO: a fully qualified LDH host name that identifies the scanner.</param>
    /// <param name="connectTimeout">Deadline of the TCP connect (default 10 s).</param>
    /// <param name="stepTimeout">Deadline of each later step: banner, EHLO, STARTTLS, handshake, EHLO, QUIT (default 30 s).</param>
    /// <param name="overallTimeout">Deadline of the whole probe, connect included (default 120 s); it binds whenever it is nearer than a step's own deadline.</param>
    /// <param name="maxLineLength">Longest reply line accepted, in bytes without CRLF (64..65536, default 2048).</param>
    /// <param name="maxLinesPerReply">Most lines in one (multi-line) reply (1..10000, default 100).</param>
    /// <param name="maxReplyBytes">Most bytes in one reply, line ends included (default 32 KiB; at least one full line).</param>
    /// <param name="tlsProtocols">TLS versions offered (default TLS 1.2 and 1.3; <see cref="SslProtocols.None"/> lets the platform choose).</param>
    /// <param name="connectRetryDelay">
    /// A probe whose TCP connect was refused or timed out is made once more after this pause (default 2 s, at most
    /// 10 minutes; zero: no retry). Keep it at least the polite interval between connections to one address.
    /// </param>
    public SmtpProbeOptions(
        string ehloIdentity,
        TimeSpan? connectTimeout = null,
        TimeSpan? stepTimeout = null,
        TimeSpan? overallTimeout = null,
        int maxLineLength = DefaultMaxLineLength,
        int maxLinesPerReply = DefaultMaxLinesPerReply,
        int maxReplyBytes = DefaultMaxReplyBytes,
        SslProtocols tlsProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        TimeSpan? connectRetryDelay = null)
    {
        ArgumentNullException.ThrowIfNull(ehloIdentity);
        // DNS's normal form (DnsName), then the stricter host-name rules an EHLO identity must meet.
        string identity = string.IsNullOrWhiteSpace(ehloIdentity) ? string.Empty : DnsName.Normalize(ehloIdentity);
        string? problem = HostNameProblem(identity);
        if (problem is not null)
        {
            throw new ArgumentException(
                $"EHLO identity \"{ehloIdentity}\" is not a usable host name: {problem}. The scanner must identify itself with a fully qualified host name, for example scanner.example.org.",
                nameof(ehloIdentity));
        }

        EhloIdentity = identity;
        ConnectTimeout = Positive(connectTimeout ?? TimeSpan.FromSeconds(10), nameof(connectTimeout));
        StepTimeout = Positive(stepTimeout ?? TimeSpan.FromSeconds(30), nameof(stepTimeout));
        OverallTimeout = Positive(overallTimeout ?? TimeSpan.FromSeconds(120), nameof(overallTimeout));
        MaxLineLength = InRange(maxLineLength, 64, 65536, nameof(maxLineLength));
        MaxLinesPerReply = InRange(maxLinesPerReply, 1, 10000, nameof(maxLinesPerReply));
        MaxReplyBytes = InRange(maxReplyBytes, maxLineLength + 2, 16 * 1024 * 1024, nameof(maxReplyBytes));

        const SslProtocols known = SslProtocols.Tls12 | SslProtocols.Tls13;
        if ((tlsProtocols & ~known) != 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(tlsProtocols), tlsProtocols, "Only TLS 1.2 and TLS 1.3 (or None for the platform default) may be offered.");
        }

        TlsProtocols = tlsProtocols;
        ConnectRetryDelay = connectRetryDelay ?? DefaultConnectRetryDelay;
        if (ConnectRetryDelay < TimeSpan.Zero || ConnectRetryDelay > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(connectRetryDelay), ConnectRetryDelay, "The retry delay must be between zero (no retry) and 10 minutes.");
        }
    }

    /// <summary>The default pause before a refused or timed-out connect is tried again.</summary>
    public static TimeSpan DefaultConnectRetryDelay => TimeSpan.FromSeconds(2);

    /// <summary>The name sent in EHLO (lower case, no trailing dot).</summary>
    public string EhloIdentity { get; }

    public TimeSpan ConnectTimeout { get; }

    public TimeSpan StepTimeout { get; }

    public TimeSpan OverallTimeout { get; }

    public int MaxLineLength { get; }

    public int MaxLinesPerReply { get; }

    public int MaxReplyBytes { get; }

    public SslProtocols TlsProtocols { get; }

    /// <summary>The pause before a refused or timed-out connect is tried once more; zero: no retry.</summary>
    public TimeSpan ConnectRetryDelay { get; }

    /// <summary>Null when <paramref name="name"/> is a fully qualified LDH host name, otherwise why not.</summary>
    internal static string? HostNameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "it is empty";
        }

        if (name.Length > 253)
        {
            return "it is longer than 253 characters";
        }

        string[] labels = name.Split('.');
        if (labels.Length < 2)
        {
            return "it has a single label (a fully qualified name is required)";
        }

        foreach (string label in labels)
        {
            if (label.Length == 0)
            {
                return "it has an empty label";
            }

            if (label.Length > 63)
            {
                return string.Create(CultureInfo.InvariantCulture, $"label \"{label[..20]}...\" is longer than 63 characters");
            }

            if (label[0] == '-' || label[^1] == '-')
            {
                return $"label \"{label}\" starts or ends with a hyphen";
            }

            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    return $"label \"{label}\" holds a character other than a letter, digit or hyphen";
                }
            }
        }

        if (labels[^1].All(char.IsAsciiDigit))
        {
            return "its last label is numeric (an address is not a host name)";
        }

        return null;
    }

    private static TimeSpan Positive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(name, value, "A deadline must be more than zero and at most one hour.");
        }

        return value;
    }

    private static int InRange(int value, int min, int max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, string.Create(CultureInfo.InvariantCulture, $"Must be between {min} and {max}."));
        }

        return value;
    }
}
