using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;
using static DaneScan.Core.Tests.TestPki;

namespace DaneScan.Core.Tests;

/// <summary>
/// Our DANE-TA path validation against .NET's X509Chain, in the one case X509Chain can judge on Linux: a
/// self-signed root as the custom trust anchor. Both must accept or reject the same chains.
/// </summary>
public class ChainOracleTests
{
    private static readonly Pki P = Pki.Shared;

    private static bool DotNetAccepts(Issued root, Issued leaf, Issued[] intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root.Certificate);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates.Select(i => i.Certificate).ToArray());
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = Now.UtcDateTime;
        return chain.Build(leaf.Certificate);
    }

    public static TheoryData<string> Cases() =>
    [
        "valid", "expired leaf", "future leaf", "expired intermediate", "intermediate not CA", "intermediate without keyCertSign",
        "path length exceeded", "forged leaf", "missing intermediate", "rsa", "two intermediates",
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Agrees_with_X509Chain_for_a_self_signed_root_anchor(string situation)
    {
        var root = P.Root;
        Issued[] intermediates;
        Issued leaf;
        switch (situation)
        {
            case "valid":
                (intermediates, leaf) = ([P.Intermediate], P.Leaf);
                break;
            case "expired leaf":
                (intermediates, leaf) = ([P.Intermediate], Leaf(P.Intermediate, "mx.example.net", ["mx.example.net"], notBefore: Now.AddYears(-2), notAfter: Now.AddDays(-3)));
                break;
            case "future leaf":
                (intermediates, leaf) = ([P.Intermediate], Leaf(P.Intermediate, "mx.example.net", ["mx.example.net"], notBefore: Now.AddDays(3), notAfter: Now.AddYears(1)));
                break;
            case "expired intermediate":
                var old = Ca("Old", root, new CaOptions { NotBefore = Now.AddYears(-3), NotAfter = Now.AddDays(-3) });
                (intermediates, leaf) = ([old], Leaf(old, "mx.example.net", ["mx.example.net"]));
                break;
            case "intermediate not CA":
                var notCa = Ca("Not a CA", root, new CaOptions { IsCa = false });
                (intermediates, leaf) = ([notCa], Leaf(notCa, "mx.example.net", ["mx.example.net"]));
                break;
            case "intermediate without keyCertSign":
                var noSign = Ca("No keyCertSign", root, new CaOptions { KeyUsage = X509KeyUsageFlags.DigitalSignature });
                (intermediates, leaf) = ([noSign], Leaf(noSign, "mx.example.net", ["mx.example.net"]));
                break;
            case "path length exceeded":
                root = Ca("Root pathlen 0", options: new CaOptions { PathLength = 0 });
                var under = Ca("Under pathlen 0", root);
                (intermediates, leaf) = ([under], Leaf(under, "mx.example.net", ["mx.example.net"]));
                break;
            case "forged leaf":
                (intermediates, leaf) = ([P.Intermediate], ForgedLeaf(P.Intermediate, "mx.example.net"));
                break;
            case "missing intermediate":
                (intermediates, leaf) = ([], P.Leaf);
                break;
            case "rsa":
                root = Ca("RSA root", options: new CaOptions { Key = KeyKind.Rsa2048 });
                var rsaMid = Ca("RSA intermediate", root, new CaOptions { Key = KeyKind.Rsa2048 });
                (intermediates, leaf) = ([rsaMid], Leaf(rsaMid, "mx.example.net", ["mx.example.net"], KeyKind.Rsa2048));
                break;
            case "two intermediates":
                var upper = Ca("Upper", root, new CaOptions { Key = KeyKind.EcdsaP384 });
                var lower = Ca("Lower", upper);
                (intermediates, leaf) = ([lower, upper], Leaf(lower, "mx.example.net", ["mx.example.net"]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(situation));
        }

        var expected = DotNetAccepts(root, leaf, intermediates);
        var ours = DaneMatcher.Judge(
            Chain([leaf, .. intermediates, root]),
            [root.Tlsa(TlsaUsage.DaneTa, TlsaSelector.Spki, TlsaMatchingType.Sha2_256)],
            ["mx.example.net"],
            Now);

        Assert.Equal(expected, ours.Authenticated);
        Assert.Equal(situation is "valid" or "rsa" or "two intermediates", expected);
    }
}
