using System.Security.Authentication;
using DaneScan.Core;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>Spec files, spec validation, PEM files and the documented key sharing of the lab PKI.</summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class SpecAndKeyTests(TlsLabFixture lab)
{
    [Fact]
    public void Spec_file_round_trips_every_field()
    {
        SmtpHostSpec[] specs =
        [
            new() { Address = "127.77.2.1", BannerName = "a.lab", ChainPemFile = "/x/a.pem", KeyPemFile = "/x/a.key" },
            new()
            {
                Address = "127.77.2.2", Port = 2526, BannerName = "b.lab", StartTls = StartTlsBehaviour.ResetMidHandshake,
                Protocols = SslProtocols.Tls13, Quirk = SmtpQuirk.SlowBanner, QuirkDelay = TimeSpan.FromSeconds(7), Closed = true,
            },
        ];
        var path = Path.Combine(lab.Directory, "specs-roundtrip.json");
        ScriptedSmtpServers.WriteSpecs(path, specs);
        var text = File.ReadAllText(path);
        Assert.Contains("\"ResetMidHandshake\"", text, StringComparison.Ordinal);
        Assert.Contains("\"Tls13\"", text, StringComparison.Ordinal);
        Assert.Equal(specs, ScriptedSmtpServers.ReadSpecs(path));
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("192.168.1.25")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")]
    [InlineData("not-an-address")]
    public async Task Addresses_outside_127_0_0_0_8_are_refused_before_anything_listens(string address)
    {
        var spec = new SmtpHostSpec { Address = address, BannerName = "x.lab", StartTls = StartTlsBehaviour.NotOffered };
        await Assert.ThrowsAsync<ArgumentException>(() => ScriptedSmtpServers.StartAsync([spec]));
    }

    [Fact]
    public async Task Offering_starttls_without_a_certificate_and_duplicate_endpoints_are_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => ScriptedSmtpServers.StartAsync(
            [new SmtpHostSpec { Address = "127.77.2.9", BannerName = "x.lab" }]));
        var plain = new SmtpHostSpec { Address = "127.77.2.9", BannerName = "x.lab", StartTls = StartTlsBehaviour.NotOffered };
        await Assert.ThrowsAsync<ArgumentException>(() => ScriptedSmtpServers.StartAsync([plain, plain with { BannerName = "y.lab" }]));
    }

    [Fact]
    public void Pem_files_hold_the_chain_in_order_and_a_private_key_only_the_owner_can_read()
    {
        var chain = lab.ChainFile("full");
        var text = File.ReadAllText(chain);
        Assert.Equal(3, text.Split("-----BEGIN CERTIFICATE-----").Length - 1);
        var key = lab.KeyFile("full");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key), StringComparison.Ordinal);
        Assert.True(OperatingSystem.IsLinux(), "the lab runs on Linux");
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    [Fact]
    public void Leaves_share_keys_exactly_as_documented()
    {
        using var pki = LabPki.Create(DateTimeOffset.UtcNow);
        static string Spki(System.Security.Cryptography.X509Certificates.X509Certificate2 c) =>
            TlsaAssociation.Record(c, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256).ToString();
        static string Cert(System.Security.Cryptography.X509Certificates.X509Certificate2 c) =>
            TlsaAssociation.Record(c, TlsaUsage.DaneEe, TlsaSelector.Cert, TlsaMatchingType.Sha2_256).ToString();

        // ECDSA without a slot: a fresh key each time.
        var e1 = pki.SelfSigned(["a.lab"], LabKeyType.EcdsaP256);
        var e2 = pki.Issue(pki.Intermediate, ["a.lab"], LabKeyType.EcdsaP256);
        Assert.NotEqual(Spki(e1), Spki(e2));

        // RSA without a slot: slot 0, shared across certificates and PKI instances; another slot, another key.
        var r1 = pki.SelfSigned(["a.lab"], LabKeyType.Rsa2048);
        var r2 = lab.Pki.Issue(lab.Pki.Intermediate, ["b.lab"], LabKeyType.Rsa2048);
        var r3 = pki.SelfSigned(["a.lab"], LabKeyType.Rsa2048, keySlot: 1);
        Assert.Equal(Spki(r1), Spki(r2));
        Assert.NotEqual(Spki(r1), Spki(r3));
        Assert.NotEqual(Cert(r1), Cert(pki.SelfSigned(["a.lab"], LabKeyType.Rsa2048))); // same key, new serial

        // ECDSA with a slot: a renewal that keeps the key.
        var k1 = pki.SelfSigned(["a.lab"], LabKeyType.EcdsaP256, keySlot: 5);
        var k2 = pki.Issue(pki.Intermediate, ["a.lab"], LabKeyType.EcdsaP256, keySlot: 5);
        Assert.Equal(Spki(k1), Spki(k2));
        Assert.NotEqual(Cert(k1), Cert(k2));

        // The three CAs have three keys, and new ones per PKI.
        Assert.Equal(3, new[] { Spki(pki.Root), Spki(pki.Intermediate), Spki(pki.ExpiredIntermediate) }.Distinct().Count());
        Assert.NotEqual(Spki(pki.Root), Spki(lab.Pki.Root));
    }

    [Fact]
    public void A_leaf_needs_a_dns_name_or_a_common_name()
    {
        Assert.Throws<ArgumentException>(() => lab.Pki.SelfSigned([], LabKeyType.EcdsaP256));
        var cnOnly = lab.Pki.SelfSigned([], LabKeyType.EcdsaP256, commonName: "cn.lab");
        Assert.Contains("CN=cn.lab", cnOnly.Subject, StringComparison.Ordinal);
    }
}
