using DaneScan.Core;
using DaneScan.Lab.Smtp;
using static DaneScan.Lab.Cases.CaseBuilder;

namespace DaneScan.Lab.Cases;

/// <summary>
/// What a hostile or careless server sends that a scanner must survive and classify (issue 11): names with
/// terminal escapes and bidi overrides, chains of more than 100 certificates and DANE-TA paths deeper than 10,
/// a connection killed right after the TLS handshake, and an MX name with non-LDH bytes. The expected outcomes
/// follow from dane-rules.md and the bounds documented in docs/output.md.
/// </summary>
public static partial class LabCatalogue
{
    /// <summary>CAs between leaf and root in the long-chain cases: 112 certificates sent, more than OpenSSL's default depth admits.</summary>
    public const int LongChainCas = 110;

    /// <summary>CAs between leaf and root in the deep DANE-TA case: the root matches at depth 13 (more than 10).</summary>
    public const int DeepTaCas = 12;

    /// <summary>The hostile CN of <c>hostile-names</c> (before {host} is expanded): a screen clear and a bidi override.</summary>
    public const string HostileCommonName = "{host}\u001b[2J\u202egnp.exe";

    /// <summary>The hostile subjectAltName of <c>hostile-names</c>: an OSC window title ended by BEL.</summary>
    public const string HostileSan = "x\u001b]0;owned\u0007.{domain}";

    private static IEnumerable<LabCase> HostileInputs()
    {
        var ee = T(3, 1, 1);
        var root = T(2, 1, 1, CertRole.Root);

        // §6 DANE-EE has no name check: the names are data to show safely, not a reason to fail.
        yield return Single("hostile-names", "DANE-EE 3 1 1; the leaf's CN and SAN and the banner and EHLO lines carry ESC, OSC+BEL, C1 and bidi characters", "§6 DANE-EE no name check; output hygiene",
            new TlsSetup { Quirk = SmtpQuirk.HostileText, LeafNames = ["{host}", HostileSan], CommonName = HostileCommonName }, [ee], Auth(ee, 0));

        var deep = new TlsSetup { Chain = ChainKind.DeepChain, DeepCas = LongChainCas };
        yield return Single("long-chain-ee", $"DANE-EE 3 1 1; the server sends {LongChainCas + 2} certificates (leaf, {LongChainCas} CAs, root)", "§6 DANE-EE compares the leaf only; chain captured as sent",
            deep, [ee], Auth(ee, 0));
        var intermediate = T(2, 1, 1, CertRole.Intermediate);
        yield return Single("long-chain-ta-near", $"DANE-TA 2 1 1 of the leaf's issuer in a chain of {LongChainCas + 2} certificates", "§6 DANE-TA; chain captured as sent",
            deep, [intermediate], Auth(intermediate, 1));
        yield return Single("long-chain-ta-too-long", $"DANE-TA 2 1 1 of the root above {LongChainCas} CAs: a path of {LongChainCas + 2} certificates, beyond the 100 judged", "§6 DANE-TA; path bound (docs/output.md)",
            deep, [root], Fail(HostReason.ChainTooLong));
        yield return Single("ta-deep-path", $"DANE-TA 2 1 1 of the root above {DeepTaCas} CAs: the anchor at depth {DeepTaCas + 1}", "§6 DANE-TA path validation at any depth within the bound",
            new TlsSetup { Chain = ChainKind.DeepChain, DeepCas = DeepTaCas }, [root], Auth(root, DeepTaCas + 1));

        // §5: EHLO must be sent again after the handshake; a session that cannot carry it delivers nothing.
        yield return Single("killed-after-handshake", "DANE-EE 3 1 1 matches, but the server resets the connection right after the TLS handshake", "§5 EHLO after TLS; §7 unreachable",
            new TlsSetup { StartTls = StartTlsBehaviour.KillAfterHandshake }, [ee], Host(HostOutcome.Unreachable, HostReason.TlsSessionFailed));

        // §2: the MX host's addresses are looked up by the name's wire bytes, whatever they are.
        {
            var id = "non-ldh-mx";
            var mx = @"mx\027." + D(id);
            yield return Make(id, "the MX exchange holds a non-LDH byte (ESC, mx\\027.<domain>) and has a signed A record; no TLSA", "§2 host addresses; names as wire bytes",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx)])],
                [new LabHost { Name = mx, Tls = new TlsSetup { LeafNames = ["{domain}"] }, Expected = Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Denied(TlsaOwner(mx), "TLSA")]);
        }
    }
}
