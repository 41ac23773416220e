using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;
using Xunit.Abstractions;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// The byte bound on a server's chain (docs/output.md, "Long chains"; <see cref="OpenSslChainDepth"/>): OpenSSL
/// refuses a server Certificate message longer than 102,400 bytes (<c>SSL_MAX_CERT_LIST_DEFAULT</c>), and the
/// probe records <see cref="ProbeOutcome.TlsHandshakeFailed"/> at the handshake; a chain whose message fits is
/// captured whole, exactly as sent. Against the lab's scripted servers (which send exactly the chain they are
/// given) on 127.88.5.x, over TLS 1.3, with one certificate either side of the bound.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ChainByteBoundTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>OpenSSL's SSL_MAX_CERT_LIST_DEFAULT: the longest server Certificate message body accepted.</summary>
    private const int MaxCertificateMessage = 100 * 1024;

    private const string MxName = "mx.bound.smtp.lab";

    private readonly string _directory = Directory.CreateTempSubdirectory("danescan-chain-bound-").FullName;

    private readonly LabPki _pki = LabPki.Create(DateTimeOffset.UtcNow);

    private readonly SmtpProber _prober = new(new SmtpProbeOptions(
        "scanner.danescan.example", stepTimeout: TimeSpan.FromSeconds(20), overallTimeout: TimeSpan.FromSeconds(60)));

    public void Dispose()
    {
        _pki.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// The TLS 1.3 Certificate message body (RFC 8446 §4.4.2) carrying these certificates: a 1-byte request context,
    /// a 3-byte list length, and per certificate a 3-byte length, the DER and a 2-byte (empty) extension list.
    /// </summary>
    private static int Tls13CertificateMessage(IEnumerable<X509Certificate2> chain) => 1 + 3 + chain.Sum(c => 3 + c.RawData.Length + 2);

    /// <summary>Leaf first, then the CAs from the leaf's issuer up (the lab root is not sent).</summary>
    private IReadOnlyList<X509Certificate2> Chain(IReadOnlyList<X509Certificate2> line, int cas)
    {
        var leaf = _pki.Issue(line[cas - 1], [MxName], LabKeyType.EcdsaP256);
        return [leaf, .. line.Take(cas).Reverse()];
    }

    /// <summary>The longest chain whose message fits the bound, and the same with one more CA, which does not.</summary>
    private (IReadOnlyList<X509Certificate2> Below, IReadOnlyList<X509Certificate2> Above) ChainsAroundTheBound()
    {
        var line = _pki.CaLine(400);
        Assert.True(Tls13CertificateMessage(line) > MaxCertificateMessage, "400 CAs should not fit in 100 KiB");
        var cas = 1;
        while (Tls13CertificateMessage(Chain(line, cas + 1)) <= MaxCertificateMessage)
        {
            cas++;
        }

        var below = Chain(line, cas);
        var above = Chain(line, cas + 1);
        // Leaf signatures differ by a byte or two in length: recheck the pair actually served.
        Assert.InRange(Tls13CertificateMessage(below), MaxCertificateMessage - 1024, MaxCertificateMessage);
        Assert.InRange(Tls13CertificateMessage(above), MaxCertificateMessage + 1, MaxCertificateMessage + 1024);
        return (below, above);
    }

    private SmtpHostSpec Spec(string address, string name, IReadOnlyList<X509Certificate2> chain)
    {
        var pem = Path.Combine(_directory, name + ".pem");
        var key = Path.Combine(_directory, name + ".key");
        ScriptedSmtpServers.WritePem(pem, key, chain);
        return new SmtpHostSpec { Address = address, BannerName = name + "." + MxName, ChainPemFile = pem, KeyPemFile = key, Protocols = SslProtocols.Tls13 };
    }

    [Fact]
    public async Task A_chain_just_within_the_byte_bound_is_captured_whole_and_one_just_above_is_a_classified_handshake_failure()
    {
        var (below, above) = ChainsAroundTheBound();
        var fits = Spec("127.88.5.1", "fits", below);
        var over = Spec("127.88.5.2", "over", above);
        await using var servers = await ScriptedSmtpServers.StartAsync([fits, over]);

        var clock = Stopwatch.StartNew();
        ProbeObservation captured = await _prober.ProbeAsync(servers.EndpointOf(fits), MxName, MxName);
        var capturedAfter = clock.Elapsed;
        clock.Restart();
        ProbeObservation refused = await _prober.ProbeAsync(servers.EndpointOf(over), MxName, MxName);
        var refusedAfter = clock.Elapsed;
        output.WriteLine($"{below.Count} certificates, {Tls13CertificateMessage(below):N0} bytes: {captured.Outcome} in {capturedAfter.TotalMilliseconds:0} ms");
        output.WriteLine($"{above.Count} certificates, {Tls13CertificateMessage(above):N0} bytes: {refused.Outcome} at {refused.FailedStage} ({refused.Detail}) in {refusedAfter.TotalMilliseconds:0} ms");

        Assert.Equal(ProbeOutcome.TlsEstablished, captured.Outcome);
        Assert.True(captured.EhloAfterTlsOk);
        Assert.Equal("Tls13", captured.TlsProtocol);
        Assert.Equal(below.Select(c => c.RawData), captured.PresentedChain);

        // Refused by OpenSSL at the bound, classified, well before the step deadline (not a hang).
        Assert.Equal(ProbeOutcome.TlsHandshakeFailed, refused.Outcome);
        Assert.Equal(ProbeStage.TlsHandshake, refused.FailedStage);
        Assert.Contains("excessive message size", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(refused.PresentedChain);
        Assert.True(refusedAfter < TimeSpan.FromSeconds(10), $"the refused handshake took {refusedAfter}");
    }
}
