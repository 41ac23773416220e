using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using DaneScan.Core;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>
/// The match depth DaneScan reports is the one OpenSSL computes and Postfix logs ("Matched DANE TA ... at depth
/// N"), so that a number in DaneScan's output can be compared with a <c>posttls-finger</c> line. OpenSSL's own
/// DANE verifier (<c>s_client -dane_tlsa_rrdata</c>) judges each scripted server's chain; DaneScan's matcher
/// judges the very chain s_client received (<c>-showcerts</c>) against the same record.
/// </summary>
[Collection(TlsLabCollection.Name)]
public sealed partial class DaneDepthTests(TlsLabFixture lab)
{
    public static TheoryData<string, string, string, int> Shapes() => new()
    {
        // host (chain sent), certificate the record is made from, record type, DaneScan's anchor depth
        { "ecdsa", "ecdsa", "3 1 1", 0 },
        { "full", "root", "2 1 1", 2 },
        { "leaf-int", "intermediate", "2 0 1", 1 },
        { "leaf-int", "root", "2 0 0", 2 },

        // A bare key from DNS: OpenSSL reports the certificate it verified (the top one sent); the key sits above.
        { "leaf-int", "root", "2 1 0", 2 },
        { "leaf", "intermediate", "2 1 0", 1 },
        { "leaf", "intermediate", "2 0 0", 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Reported_depth_is_the_depth_openssl_reports(string host, string of, string type, int anchorDepth)
    {
        var certificate = of switch
        {
            "ecdsa" => lab.EcdsaSelfSigned,
            "root" => lab.Pki.Root,
            "intermediate" => lab.Pki.Intermediate,
            _ => throw new ArgumentOutOfRangeException(nameof(of), of, null),
        };
        var fields = type.Split(' ').Select(f => byte.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var record = TlsaAssociation.Record(certificate, (TlsaUsage)fields[0], (TlsaSelector)fields[1], (TlsaMatchingType)fields[2]);
        var spec = lab.Hosts[host];

        var result = await ExternalTool.SClientAsync(spec.Address, spec.Port, TlsLabFixture.MxName,
            ["-dane_tlsa_domain", TlsLabFixture.MxName, "-dane_ee_no_namechecks", "-dane_tlsa_rrdata", record.ToString()]);
        var output = result.All;
        Assert.Contains("Verification: OK", output, StringComparison.Ordinal);
        var openssl = MatchedDepthRegex().Match(output);
        Assert.True(openssl.Success, output);
        var opensslDepth = int.Parse(openssl.Groups[1].Value, CultureInfo.InvariantCulture);
        var presented = PemRegex().Matches(output).Select(m => X509Certificate2.CreateFromPem(m.Value)).ToList();
        Assert.NotEmpty(presented);

        var judgement = DaneMatcher.Judge([.. presented.Select(c => c.RawData)], [record], [TlsLabFixture.MxName], DateTimeOffset.UtcNow);

        Assert.True(judgement.Authenticated, $"{judgement.Reason}: {judgement.Detail}");
        Assert.Equal(opensslDepth, judgement.Match!.Depth);
        Assert.Equal(anchorDepth, judgement.Match.AnchorDepth);
        foreach (var c in presented)
        {
            c.Dispose();
        }
    }

    // s_client: "DANE TLSA 2 1 1 ...: matched TA certificate at depth 2", "... matched EE certificate at depth 0", and
    // for a bare key "DANE TLSA 2 1 0 ... signed the certificate at depth 1" (Postfix logs the latter as "Matched DANE
    // TA public key verified certificate at depth 1").
    [GeneratedRegex(@"(?:matched (?:EE|TA) certificate|signed the certificate) at depth (\d+)")]
    private static partial Regex MatchedDepthRegex();

    [GeneratedRegex(@"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")]
    private static partial Regex PemRegex();
}
