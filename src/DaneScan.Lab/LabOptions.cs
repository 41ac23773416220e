using System.Net;

namespace DaneScan.Lab;

/// <summary>How a lab instance is laid out and what it runs.</summary>
public sealed record LabOptions
{
    /// <summary>
    /// The second octet X of the 127.X.0.0/16 block the instance uses, so that several labs (one per test
    /// project) can run side by side. 127.X.0.1 is nsd, 127.X.0.2 unbound, 127.X.0.3 a dead name server, 127.X.0.4 nsd when a delay relay
    /// takes 127.X.0.1,
    /// 127.X.1.n.. the case hosts, 127.X.16.0 and up the scale hosts.
    /// </summary>
    public byte Octet { get; init; } = 53;

    /// <summary>Where configuration, zones, keys, certificates, logs and PID files go. Default: /tmp/danescan-lab-&lt;octet&gt;.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>The TCP port the SMTP servers listen on.</summary>
    public int SmtpPort { get; init; } = 25;

    /// <summary>Include the case catalogue (default). Turn off to run only scale domains.</summary>
    public bool IncludeCases { get; init; } = true;

    /// <summary>Generate scale domains for benchmarks as well.</summary>
    public Scale.ScaleOptions? Scale { get; init; }

    /// <summary>
    /// When set, the SMTP servers run in a detached background process started as this command followed by
    /// <c>--specs &lt;file&gt;</c> (the CLI uses <c>danescan lab smtp</c>); when null they run in this process.
    /// </summary>
    public IReadOnlyList<string>? SmtpServerCommand { get; init; }

    /// <summary>Start no SMTP servers at all (DNS-only labs, for example a resolver adapter's tests).</summary>
    public bool DnsOnly { get; init; }

    /// <summary>
    /// Case ids whose TLSA records are published computed from a certificate no host presents
    /// (<see cref="Cases.CertRole.Unrelated"/>): the same zones otherwise, so that two runs, one with and one
    /// without, differ in exactly those cases (a host that authenticated no longer does).
    /// </summary>
    public IReadOnlyList<string> TlsaMatchingNothing { get; init; } = [];

    /// <summary>
    /// A simulated round-trip time (zero: none). When positive, a delaying relay (<see cref="Dns.DelayRelay"/>)
    /// takes the name server address every delegation names (127.X.0.1) and passes each query on to nsd, moved
    /// to 127.X.0.4, after this delay; and every SMTP reply of the scripted servers is sent this much later.
    /// </summary>
    public TimeSpan Rtt { get; init; }

    /// <summary>
    /// When set (and <see cref="Rtt"/> is positive), the relay runs in a detached background process started as
    /// this command followed by its arguments (the CLI uses <c>danescan lab relay</c>); when null it runs in this process.
    /// </summary>
    public IReadOnlyList<string>? RelayCommand { get; init; }

    public string ResolvedStateDirectory => StateDirectory ?? Path.Combine(Path.GetTempPath(), $"danescan-lab-{Octet}");

    public LabAddresses Addresses => new(Octet);
}

/// <summary>The addresses of a lab instance inside 127.X.0.0/16.</summary>
public readonly record struct LabAddresses(byte Octet)
{
    public IPAddress Nsd => Make(0, 1);

    public IPAddress Resolver => Make(0, 2);

    /// <summary>An address where nothing listens, for delegations to an unreachable name server.</summary>
    public IPAddress Dead => Make(0, 3);

    /// <summary>Where nsd listens when a delay relay takes <see cref="Nsd"/> (labs with an RTT).</summary>
    public IPAddress NsdBehindRelay => Make(0, 4);

    /// <summary>The address of the n-th case host (0-based).</summary>
    public IPAddress CaseHost(int index) => Make(1 + (index / 250), 1 + (index % 250));

    /// <summary>The address of the n-th scale host (0-based), 250 per /24 from 127.X.16.1.</summary>
    public IPAddress ScaleHost(int index)
    {
        if (index < 0 || index >= 240 * 250)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "at most 60,000 scale hosts");
        }

        return Make(16 + (index / 250), 1 + (index % 250));
    }

    private IPAddress Make(int third, int fourth) => new([127, Octet, (byte)third, (byte)fourth]);
}
