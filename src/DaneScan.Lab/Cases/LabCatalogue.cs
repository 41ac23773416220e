using DaneScan.Core;
using DaneScan.Lab.Pki;
using DaneScan.Lab.Smtp;
using static DaneScan.Lab.Cases.CaseBuilder;

namespace DaneScan.Lab.Cases;

/// <summary>
/// The lab's case catalogue: each case a destination domain under <c>lab.</c> with its DNS and TLS set-up and
/// the outcome docs/dane-rules.md expects, derived by reading the rules (not from any engine). Section numbers
/// (§) refer to docs/dane-rules.md.
/// </summary>
public static partial class LabCatalogue
{
    private static readonly TlsSetup SelfSigned = new();
    private static readonly TlsSetup FullChain = new() { Chain = ChainKind.CaFullChain };
    private static readonly TlsSetup LeafAndIntermediate = new() { Chain = ChainKind.CaLeafIntermediate };
    private const string WrongName = "wrong-name.invalid";

    private static readonly Lazy<IReadOnlyList<LabCase>> AllCases = new(Build);

    /// <summary>Every case, in a stable order.</summary>
    public static IReadOnlyList<LabCase> All => AllCases.Value;

    /// <summary>A case by id.</summary>
    public static LabCase Get(string id) =>
        All.FirstOrDefault(c => c.Id == id) ?? throw new KeyNotFoundException($"no lab case '{id}'");

    private static IReadOnlyList<LabCase> Build()
    {
        var cases = new List<LabCase>();
        cases.AddRange(UsableCombinations());
        cases.AddRange(DaneEe());
        cases.AddRange(Unusable());
        cases.AddRange(Agility());
        cases.AddRange(DaneTa());
        cases.AddRange(DnsStates());
        cases.AddRange(MxShapes());
        cases.AddRange(Smtp());
        cases.AddRange(MultipleHosts());
        cases.AddRange(HostileInputs()); // LabCatalogue.Hostile.cs
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in cases)
        {
            if (!ids.Add(c.Id))
            {
                throw new InvalidOperationException($"duplicate lab case id {c.Id}");
            }

            foreach (var h in c.Hosts)
            {
                if (!hosts.Add(h.Name))
                {
                    throw new InvalidOperationException($"duplicate lab host {h.Name}");
                }
            }
        }

        return cases;
    }

    private static string D(string id) => $"{id}.{Tld}";

    private static string MxOf(string id) => "mx." + D(id);

    private static ZoneSpec Z(string origin, IReadOnlyList<ZoneRecord> records, ZoneSigning signing = ZoneSigning.EcdsaP256, ZoneDenial denial = ZoneDenial.Nsec, ZoneFault fault = ZoneFault.None) =>
        new() { Origin = origin, Records = records, Signing = signing, Denial = denial, Fault = fault };

    /// <summary>§4, §6: each usable usage/selector/matching combination, matched.</summary>
    private static IEnumerable<LabCase> UsableCombinations()
    {
        for (byte s = 0; s <= 1; s++)
        {
            for (byte m = 0; m <= 2; m++)
            {
                var ee = T(3, s, m);
                yield return Single($"ee-{s}{m}", $"DANE-EE 3 {s} {m} matching a self-signed leaf", "§4 usable; §6 DANE-EE",
                    SelfSigned, [ee], Auth(ee, 0));
            }
        }

        for (byte s = 0; s <= 1; s++)
        {
            for (byte m = 0; m <= 2; m++)
            {
                var ta = T(2, s, m, CertRole.Root);
                yield return Single($"ta-{s}{m}", $"DANE-TA 2 {s} {m} matching the root; leaf, intermediate and root sent", "§4 usable; §6 DANE-TA",
                    FullChain, [ta], Auth(ta, 2));
            }
        }
    }

    /// <summary>§6 DANE-EE: no name check, no date check (RFC 7671 §5.1).</summary>
    private static IEnumerable<LabCase> DaneEe()
    {
        var ee = T(3, 1, 1);
        yield return Single("ee-rsa", "DANE-EE 3 1 1, RSA leaf, in an RSA/SHA-256 signed zone", "§6 DANE-EE",
            SelfSigned with { Key = LabKeyType.Rsa2048 }, [ee], Auth(ee, 0), ZoneSigning.RsaSha256);
        yield return Single("ee-nsec3", "DANE-EE 3 1 1 in an NSEC3 signed zone", "§6 DANE-EE; §3 secure answer",
            SelfSigned, [ee], Auth(ee, 0), denial: ZoneDenial.Nsec3);
        yield return Single("ee-expired", "DANE-EE 3 1 1, leaf expired: still authenticates (no date check)", "§6 DANE-EE no validity-date check",
            SelfSigned with { Validity = CertValidity.Expired }, [ee], Auth(ee, 0));
        yield return Single("ee-wrong-name", "DANE-EE 3 1 1, leaf for another name: still authenticates (no name check)", "§6 DANE-EE no name check",
            SelfSigned with { LeafNames = [WrongName] }, [ee], Auth(ee, 0));
        yield return Single("ee-ca-leaf", "DANE-EE 3 1 1, CA-issued leaf sent alone: no chain needed", "§6 DANE-EE compares the leaf only",
            new TlsSetup { Chain = ChainKind.CaLeafOnly }, [ee], Auth(ee, 0));
        yield return Single("ee-no-match", "DANE-EE 3 1 1 of another key", "§6 matching",
            SelfSigned, [T(3, 1, 1, CertRole.Unrelated)], Fail(HostReason.NoMatchingRecord));
        yield return Single("ee-rollover", "two DANE-EE records, the second matches (any one usable match authenticates)", "§6 any one match; §8 rollover",
            SelfSigned, [T(3, 1, 1, CertRole.Unrelated), ee], Auth(ee, 0));
    }

    /// <summary>§4: unusable records make the host encrypt-only (TLS mandatory, no authentication).</summary>
    private static IEnumerable<LabCase> Unusable()
    {
        var encryptOnly = Host(HostOutcome.EncryptOnly, HostReason.NoUsableRecords);
        yield return Single("pkix-ta", "only PKIX-TA 0 0 1 (root): not for SMTP", "§4 PKIX-TA unusable",
            FullChain, [T(0, 0, 1, CertRole.Root)], encryptOnly);
        yield return Single("pkix-ee", "only PKIX-EE 1 1 1 (leaf): not for SMTP", "§4 PKIX-EE unusable",
            SelfSigned, [T(1, 1, 1)], encryptOnly);
        yield return Single("unknown-usage", "only usage 4 (unassigned)", "§4 unknown usage",
            SelfSigned, [T(4, 1, 1)], encryptOnly);
        yield return Single("unknown-selector", "only selector 2 (unassigned)", "§4 unknown selector",
            SelfSigned, [T(3, 2, 1)], encryptOnly);
        yield return Single("unknown-mtype", "only matching type 3 (unassigned)", "§4 unknown matching type",
            SelfSigned, [T(3, 1, 3)], encryptOnly);
        yield return Single("short-sha256", "only 3 1 1 with a 31-byte digest", "§4 wrong digest length",
            SelfSigned, [T(3, 1, 1, tweak: TlsaTweak.DropLastByte)], encryptOnly);
        yield return Single("long-sha512", "only 3 1 2 with a 65-byte digest", "§4 wrong digest length",
            SelfSigned, [T(3, 1, 2, tweak: TlsaTweak.AppendByte)], encryptOnly);
        var ee = T(3, 1, 1);
        yield return Single("unusable-and-usable", "PKIX-EE 1 1 1 beside a matching DANE-EE 3 1 1", "§4 unusable records ignored; §6 any one match",
            SelfSigned, [T(1, 1, 1), ee], Auth(ee, 0));
        yield return Single("unusable-no-starttls", "only PKIX-TA records and no STARTTLS: TLS was still promised", "§4 encrypt-only; §5 STARTTLS mandatory",
            SelfSigned with { StartTls = StartTlsBehaviour.NotOffered }, [T(0, 0, 1, CertRole.Root)], Host(HostOutcome.NoStartTls, HostReason.StartTlsNotOffered));
    }

    /// <summary>§6 digest agility (RFC 7671 §9).</summary>
    private static IEnumerable<LabCase> Agility()
    {
        yield return Single("agility-weak-only", "3 1 1 matches, 3 1 2 for the same usage/selector does not: fail", "§6 digest agility",
            SelfSigned, [T(3, 1, 1), T(3, 1, 2, CertRole.Unrelated)], Fail(HostReason.NoMatchingRecord));
        var strong = T(3, 1, 2);
        yield return Single("agility-strong", "3 1 1 does not match, 3 1 2 matches", "§6 digest agility",
            SelfSigned, [T(3, 1, 1, CertRole.Unrelated), strong], Auth(strong, 0));
        var full = T(3, 1, 0);
        yield return Single("agility-full-kept", "3 1 0 matches, 3 1 2 does not: Full(0) is always used", "§6 digest agility keeps Full(0)",
            SelfSigned, [full, T(3, 1, 2, CertRole.Unrelated)], Auth(full, 0));
        var cert256 = T(3, 0, 1);
        yield return Single("agility-per-selector", "3 0 1 matches, 3 1 2 (other selector) does not", "§6 digest agility per usage and selector",
            SelfSigned, [cert256, T(3, 1, 2, CertRole.Unrelated)], Auth(cert256, 0));
        var ee256 = T(3, 1, 1);
        yield return Single("agility-per-usage", "3 1 1 matches, 2 1 2 (other usage) does not", "§6 digest agility per usage and selector",
            SelfSigned, [ee256, T(2, 1, 2, CertRole.Unrelated)], Auth(ee256, 0));
    }

    /// <summary>§6 DANE-TA: chain to the anchor, validity dates, names (RFC 7671 §5.2, RFC 7672 §3.2).</summary>
    private static IEnumerable<LabCase> DaneTa()
    {
        var root = T(2, 1, 1, CertRole.Root);
        var intermediate = T(2, 1, 1, CertRole.Intermediate);
        yield return Single("ta-intermediate", "DANE-TA 2 1 1 anchored at the intermediate; leaf and intermediate sent", "§6 DANE-TA",
            LeafAndIntermediate, [intermediate], Auth(intermediate, 1));
        yield return Single("ta-root-not-sent", "DANE-TA 2 1 1 of the root, root not sent", "§6 DANE-TA anchor must be sent",
            LeafAndIntermediate, [root], Fail(HostReason.ChainIncomplete));
        yield return Single("ta-leaf-only", "DANE-TA 2 1 1 of the intermediate, leaf sent alone", "§6 DANE-TA anchor must be sent",
            new TlsSetup { Chain = ChainKind.CaLeafOnly }, [intermediate], Fail(HostReason.ChainIncomplete));
        var root200 = T(2, 0, 0, CertRole.Root);
        yield return Single("ta-200-not-sent", "DANE-TA 2 0 0 (whole root certificate), root not sent", "§6 DANE-TA 2 0 0 need not be sent",
            LeafAndIntermediate, [root200], Auth(root200, 2));
        // The depth is the one Postfix logs: a bare key from DNS counts at the certificate it verified
        // ("Matched DANE TA public key verified certificate at depth 1"), here the intermediate.
        var root210 = T(2, 1, 0, CertRole.Root);
        yield return Single("ta-210-not-sent", "DANE-TA 2 1 0 (whole root key), root not sent: the intermediate is signed by it", "§6 DANE-TA 2 1 0 (RFC 7671 §5.2.2)",
            LeafAndIntermediate, [root210], Auth(root210, 1));
        yield return Single("ta-wrong-name", "DANE-TA 2 1 1, leaf for another name", "§6 DANE-TA name check",
            FullChain with { LeafNames = [WrongName] }, [root], Fail(HostReason.NameMismatch));
        yield return Single("ta-expired-leaf", "DANE-TA 2 1 1, leaf expired", "§6 DANE-TA validity dates",
            FullChain with { Validity = CertValidity.Expired }, [root], Fail(HostReason.CertificateExpired));
        yield return Single("ta-not-yet-valid", "DANE-TA 2 1 1, leaf not valid yet", "§6 DANE-TA validity dates",
            FullChain with { Validity = CertValidity.NotYetValid }, [root], Fail(HostReason.CertificateNotYetValid));
        yield return Single("ta-expired-intermediate", "DANE-TA 2 1 1 of the root, intermediate expired", "§6 DANE-TA path validity",
            new TlsSetup { Chain = ChainKind.ExpiredIntermediateFullChain }, [root], Fail(HostReason.CertificateExpired));
        yield return Single("ta-name-domain", "DANE-TA 2 1 1, leaf names only the destination domain; MX RRset secure", "§6 DANE-TA reference identifiers",
            FullChain with { LeafNames = ["{domain}"] }, [root], Auth(root, 2));
        yield return Single("ta-cn-only", "DANE-TA 2 1 1, leaf without subjectAltName, CN = host", "§6 CN only without SAN",
            FullChain with { LeafNames = [], CommonName = "{host}" }, [root], Auth(root, 2));
        yield return Single("ta-cn-ignored", "DANE-TA 2 1 1, SAN for another name, CN = host", "§6 CN ignored when SAN present",
            FullChain with { LeafNames = [WrongName], CommonName = "{host}" }, [root], Fail(HostReason.NameMismatch));
        yield return Single("ta-wildcard-san", "DANE-TA 2 1 1, leaf SAN *.<domain> covers mx.<domain>", "§6 name check (RFC 6125 wildcard)",
            FullChain with { LeafNames = ["*.{domain}"] }, [root], Auth(root, 2));

        // The destination domain is a reference identifier even where the MX RRset is insecure, as in Postfix
        // (it comes from the envelope, not the MX answer); the host is authenticated but only Trusted.
        var id = "ta-name-insecure-mx";
        var hostZone = $"{id}-hosts.{Tld}";
        var mx = "mx." + hostZone;
        var host = new LabHost
        {
            Name = mx,
            Tls = FullChain with { LeafNames = ["{domain}"] },
            TlsaBase = mx,
            Expected = Auth(root, 2),
        };
        yield return Make(id, "DANE-TA 2 1 1, leaf names only the destination domain; MX RRset insecure", "§6 DANE-TA reference identifiers (Postfix: next-hop domain also with an insecure MX); §1 insecure MX",
            [
                Z(D(id), [Mx(D(id), 10, mx)], ZoneSigning.Unsigned),
                Z(hostZone, [A(mx), Tlsa(TlsaOwner(mx), mx, root)]),
            ],
            [host],
            [Insecure(D(id), "MX"), Secure(mx, "A"), Secure(TlsaOwner(mx), "TLSA")],
            mxSecure: false);
    }

    /// <summary>§1-§3: DNSSEC states of MX, address and TLSA RRsets.</summary>
    private static IEnumerable<LabCase> DnsStates()
    {
        var ee = T(3, 1, 1);
        var tlsaFailed = Host(HostOutcome.TlsaLookupFailed, HostReason.TlsaBogus);

        // Insecure MX RRset: DANE still applies to a secure host ("Trusted" rather than "Verified").
        {
            var id = "mx-insecure";
            var hostZone = $"{id}-hosts.{Tld}";
            var mx = "mx." + hostZone;
            yield return Make(id, "MX RRset in an unsigned zone, host zone signed with matching TLSA", "§1 insecure MX RRset",
                [Z(D(id), [Mx(D(id), 10, mx)], ZoneSigning.Unsigned), Z(hostZone, [A(mx), Tlsa(TlsaOwner(mx), mx, ee)])],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Insecure(D(id), "MX"), Secure(mx, "A"), Secure(TlsaOwner(mx), "TLSA")],
                mxSecure: false);
        }

        // Insecure host zone: not DANE, no TLSA lookup.
        {
            var id = "host-insecure";
            var hostZone = $"{id}-hosts.{Tld}";
            var mx = "mx." + hostZone;
            yield return Make(id, "MX secure, host in an unsigned zone (with TLSA records)", "§2 insecure host addresses",
                [Z(D(id), [Mx(D(id), 10, mx)]), Z(hostZone, [A(mx), Tlsa(TlsaOwner(mx), mx, ee)], ZoneSigning.Unsigned)],
                [new LabHost { Name = mx, Expected = Host(HostOutcome.NotDane, HostReason.HostInsecure) }],
                [Secure(D(id), "MX"), Insecure(mx, "A"), InsecureDenied(mx, "AAAA"), Insecure(TlsaOwner(mx), "TLSA")]);
        }

        // TLSA in an unsigned child zone of a signed host zone.
        {
            var id = "tlsa-insecure";
            var mx = MxOf(id);
            yield return Make(id, "host secure, TLSA in an unsigned child zone _tcp.mx.<domain>", "§3 insecure TLSA; §9 TLSA without secure delegation",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx)]), Z("_tcp." + mx, [Tlsa(TlsaOwner(mx), mx, ee)], ZoneSigning.Unsigned)],
                [new LabHost { Name = mx, Expected = Host(HostOutcome.NotDane, HostReason.TlsaInsecure) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Insecure(TlsaOwner(mx), "TLSA")]);
        }

        var denial = Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial);
        yield return Single("tlsa-denial-nsec", "no TLSA, NXDOMAIN proved with NSEC", "§3 secure denial (NSEC)", SelfSigned, [], denial);
        yield return Single("tlsa-denial-nsec3", "no TLSA, NXDOMAIN proved with NSEC3", "§3 secure denial (NSEC3)", SelfSigned, [], denial, denial: ZoneDenial.Nsec3);
        {
            var id = "tlsa-nodata";
            var mx = MxOf(id);
            yield return Make(id, "a TXT but no TLSA at _25._tcp.mx: NODATA proved with NSEC3", "§3 secure denial (NODATA)",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx), Rr(TlsaOwner(mx), "TXT", "\"no tlsa here\"")], denial: ZoneDenial.Nsec3)],
                [new LabHost { Name = mx, Expected = denial }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Denied(TlsaOwner(mx), "TLSA")]);
        }

        {
            var id = "tlsa-bogus";
            var mx = MxOf(id);
            yield return Make(id, "TLSA data changed after signing", "§3 bogus TLSA",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx), Tlsa(TlsaOwner(mx), mx, ee, tamper: true)])],
                [new LabHost { Name = mx, Expected = tlsaFailed }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Bogus(TlsaOwner(mx), "TLSA")]);
        }

        {
            var id = "tlsa-unreachable";
            var mx = MxOf(id);
            yield return Make(id, "TLSA zone _tcp.mx.<domain> delegated (with DS) to a name server where nothing listens", "§3 TLSA lookup failure",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx)]), Z("_tcp." + mx, [], fault: ZoneFault.Unreachable)],
                [new LabHost { Name = mx, Expected = Host(HostOutcome.TlsaLookupFailed, HostReason.TlsaLookupFailure) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Failure(TlsaOwner(mx), "TLSA")]);
        }

        {
            var id = "host-bogus";
            var mx = MxOf(id);
            yield return Make(id, "the MX host's A record changed after signing", "§2 bogus address",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx, tamper: true), Tlsa(TlsaOwner(mx), mx, ee)])],
                [new LabHost { Name = mx, Expected = Host(HostOutcome.AddressLookupFailed, HostReason.AddressBogus) }],
                [Secure(D(id), "MX"), Bogus(mx, "A")]);
        }

        {
            var id = "mx-bogus";
            var mx = MxOf(id);
            yield return Make(id, "MX record changed after signing", "§1 bogus MX",
                [Z(D(id), [Mx(D(id), 10, mx, tamper: true), Rr(mx, "TXT", "\"not used\"")])],
                [], [Bogus(D(id), "MX")], mxSecure: false, mx: MxStatus.MxBogus);
        }

        {
            var id = "expired-signatures";
            var mx = MxOf(id);
            yield return Make(id, "zone signed with signatures that expired yesterday", "§1 bogus MX (expired RRSIG)",
                [Z(D(id), [Mx(D(id), 10, mx)], fault: ZoneFault.ExpiredSignatures)],
                [], [Bogus(D(id), "MX")], mxSecure: false, mx: MxStatus.MxBogus);
        }

        {
            var id = "ds-mismatch";
            var mx = MxOf(id);
            yield return Make(id, "the parent's DS matches no key of the zone", "§1 bogus MX (DS mismatch)",
                [Z(D(id), [Mx(D(id), 10, mx)], fault: ZoneFault.DsMismatch)],
                [], [Bogus(D(id), "MX")], mxSecure: false, mx: MxStatus.MxBogus);
        }

        {
            var id = "mx-unreachable";
            yield return Make(id, "the domain's zone is delegated to a name server where nothing listens", "§1 MX lookup failure",
                [Z(D(id), [], fault: ZoneFault.Unreachable)],
                [], [Failure(D(id), "MX")], mxSecure: false, mx: MxStatus.MxLookupFailed);
        }

        // CNAME'd MX hosts with a chain secure to its end (RFC 7672 §2.2.3).
        {
            var id = "cname-tlsa-target";
            var mx = MxOf(id);
            var target = "smtp." + D(id);
            yield return Make(id, "MX host is a CNAME; TLSA at the target (used) and a non-matching one at the original name", "§3 TLSA base = CNAME target",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", target + "."), A(target, mx), Tlsa(TlsaOwner(target), mx, ee), Tlsa(TlsaOwner(mx), mx, T(3, 1, 1, CertRole.Unrelated))])],
                [new LabHost { Name = mx, TlsaBase = target, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Secure(TlsaOwner(target), "TLSA")]);
        }

        {
            var id = "cname-tlsa-original";
            var mx = MxOf(id);
            var target = "smtp." + D(id);
            yield return Make(id, "MX host is a CNAME; TLSA only at the original name (target securely denied)", "§3 TLSA base falls back to the original name",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", target + "."), A(target, mx), Tlsa(TlsaOwner(mx), mx, ee)])],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Denied(TlsaOwner(target), "TLSA"), Secure(TlsaOwner(mx), "TLSA")]);
        }

        // RFC 7672 §2.2.2, the "insecure CNAME" case: the MX host name's own CNAME validates, a later link or the
        // final address RRset is unsigned. The host name stays a secure name: TLSA applies at it, and only at it
        // (never at a name reached through the unsigned part), with it as SNI and reference identifier.
        {
            var id = "cname-insecure-target";
            var mx = MxOf(id);
            var targetZone = $"{id}-target.{Tld}";
            var target = "smtp." + targetZone;
            yield return Make(id, "MX host is a secure CNAME into an unsigned zone; matching TLSA at the original name (and at the target)", "§2 insecure CNAME: TLSA at the original name",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", target + "."), Tlsa(TlsaOwner(mx), mx, ee)]), Z(targetZone, [A(target, mx), Tlsa(TlsaOwner(target), mx, ee)], ZoneSigning.Unsigned)],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "CNAME"), Insecure(mx, "A"), Insecure(target, "A"), Secure(TlsaOwner(mx), "TLSA"), Insecure(TlsaOwner(target), "TLSA")]);
        }

        {
            var id = "cname-insecure-target-tlsa";
            var mx = MxOf(id);
            var targetZone = $"{id}-target.{Tld}";
            var target = "smtp." + targetZone;
            yield return Make(id, "MX host is a secure CNAME into an unsigned zone; matching TLSA only at the unsigned target", "§2 insecure CNAME: never TLSA at the insecure target",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", target + ".")]), Z(targetZone, [A(target, mx), Tlsa(TlsaOwner(target), mx, ee)], ZoneSigning.Unsigned)],
                [new LabHost { Name = mx, Expected = Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial) }],
                [Secure(D(id), "MX"), Secure(mx, "CNAME"), Insecure(mx, "A"), Denied(TlsaOwner(mx), "TLSA"), Insecure(TlsaOwner(target), "TLSA")]);
        }

        {
            var id = "cname-insecure-target-no-match";
            var mx = MxOf(id);
            var targetZone = $"{id}-target.{Tld}";
            var target = "smtp." + targetZone;
            yield return Make(id, "MX host is a secure CNAME into an unsigned zone; TLSA at the original name of another key, matching TLSA at the unsigned target", "§2 insecure CNAME: the original name's TLSA decides",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", target + "."), Tlsa(TlsaOwner(mx), mx, T(3, 1, 1, CertRole.Unrelated))]), Z(targetZone, [A(target, mx), Tlsa(TlsaOwner(target), mx, ee)], ZoneSigning.Unsigned)],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Fail(HostReason.NoMatchingRecord) }],
                [Secure(D(id), "MX"), Secure(mx, "CNAME"), Insecure(mx, "A"), Secure(TlsaOwner(mx), "TLSA"), Insecure(TlsaOwner(target), "TLSA")]);
        }

        {
            // The chain turns insecure in its middle link and ends at a signed name with its own (non-matching)
            // TLSA: that name was reached through an unsigned link, so only the original name can be the base.
            var id = "cname-insecure-link";
            var mx = MxOf(id);
            var relayZone = $"{id}-relay.{Tld}";
            var relay = "relay." + relayZone;
            var target = "smtp." + D(id);
            yield return Make(id, "MX host is a secure CNAME to an unsigned CNAME to a signed name; matching TLSA at the original name, another key's at the final name", "§2 insecure CNAME: a later link unsigned",
                [
                    Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "CNAME", relay + "."), Tlsa(TlsaOwner(mx), mx, ee), A(target, mx), Tlsa(TlsaOwner(target), mx, T(3, 1, 1, CertRole.Unrelated))]),
                    Z(relayZone, [Rr(relay, "CNAME", target + ".")], ZoneSigning.Unsigned),
                ],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "CNAME"), Insecure(relay, "CNAME"), Secure(target, "A"), Insecure(mx, "A"), Secure(TlsaOwner(mx), "TLSA"), Secure(TlsaOwner(target), "TLSA")]);
        }

        {
            var id = "wildcard-tlsa";
            var mx = MxOf(id);
            yield return Make(id, "TLSA published as *._tcp.mx.<domain> (wildcard)", "§3 secure answer via wildcard",
                [Z(D(id), [Mx(D(id), 10, mx), A(mx), Tlsa("*._tcp." + mx, mx, ee)])],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Secure(TlsaOwner(mx), "TLSA")]);
        }
    }

    /// <summary>§1-§2: the shapes of the MX RRset.</summary>
    private static IEnumerable<LabCase> MxShapes()
    {
        var ee = T(3, 1, 1);
        {
            var id = "null-mx";
            yield return Make(id, "a lone null MX (0 .)", "§1 null MX (RFC 7505)",
                [Z(D(id), [Rr(D(id), "MX", "0 .")])], [], [Secure(D(id), "MX")], mx: MxStatus.NullMx);
        }

        {
            var id = "null-mx-mixed";
            var mx = MxOf(id);
            yield return Make(id, "null MX beside a real MX host (misconfiguration; the host is judged)", "§1 null MX beside other MX",
                [Z(D(id), [Rr(D(id), "MX", "0 ."), Mx(D(id), 10, mx), A(mx), Tlsa(TlsaOwner(mx), mx, ee)])],
                [new LabHost { Name = mx, TlsaBase = mx, Expected = Auth(ee, 0) }],
                [Secure(D(id), "MX"), Secure(mx, "A"), Secure(TlsaOwner(mx), "TLSA")], mx: MxStatus.NullMxMixed);
        }

        {
            var id = "implicit-mx";
            var d = D(id);
            yield return Make(id, "no MX RRset: the domain is its own host, TLSA at _25._tcp.<domain>", "§1 implicit MX",
                [Z(d, [A(d), Tlsa(TlsaOwner(d), d, ee)])],
                [new LabHost { Name = d, Preference = 0, TlsaBase = d, Expected = Auth(ee, 0) }],
                [Denied(d, "MX"), Secure(d, "A"), Secure(TlsaOwner(d), "TLSA")], mx: MxStatus.ImplicitMx);
        }

        yield return Make("nxdomain", "the domain does not exist (NXDOMAIN proved in lab.)", "§1 NXDOMAIN",
            [], [], [Denied(D("nxdomain"), "MX")], mx: MxStatus.NxDomain);

        {
            var id = "host-no-address";
            var mx = MxOf(id);
            yield return Make(id, "the MX host has neither A nor AAAA (only TXT)", "§2 host without address",
                [Z(D(id), [Mx(D(id), 10, mx), Rr(mx, "TXT", "\"no address\"")])],
                [new LabHost { Name = mx, HasAddress = false, Expected = Host(HostOutcome.NoAddresses, HostReason.NoAddressRecords) }],
                [Secure(D(id), "MX"), Denied(mx, "A"), Denied(mx, "AAAA")]);
        }

        {
            var id = "host-nxdomain";
            var mx = "missing." + D(id);
            yield return Make(id, "the MX host name does not exist", "§2 host without address",
                [Z(D(id), [Mx(D(id), 10, mx)])],
                [new LabHost { Name = mx, HasAddress = false, Expected = Host(HostOutcome.NoAddresses, HostReason.NoAddressRecords) }],
                [Secure(D(id), "MX"), Denied(mx, "A")]);
        }
    }

    /// <summary>§5: STARTTLS is mandatory under DANE; SMTP and TLS failures.</summary>
    private static IEnumerable<LabCase> Smtp()
    {
        var ee = T(3, 1, 1);
        yield return Single("no-starttls", "secure TLSA, EHLO does not offer STARTTLS", "§5 STARTTLS mandatory",
            SelfSigned with { StartTls = StartTlsBehaviour.NotOffered }, [ee], Host(HostOutcome.NoStartTls, HostReason.StartTlsNotOffered));
        yield return Single("starttls-refused", "secure TLSA, STARTTLS answered 454", "§5 STARTTLS mandatory",
            SelfSigned with { StartTls = StartTlsBehaviour.Refused454 }, [ee], Host(HostOutcome.NoStartTls, HostReason.StartTlsRejected));
        var handshake = Host(HostOutcome.HandshakeFailed, HostReason.TlsHandshakeFailed);
        yield return Single("handshake-abort", "secure TLSA, server closes the connection at ClientHello", "§5 failed handshake",
            SelfSigned with { StartTls = StartTlsBehaviour.AbortHandshake }, [ee], handshake);
        yield return Single("handshake-garbage", "secure TLSA, server sends non-TLS bytes after 220", "§5 failed handshake",
            SelfSigned with { StartTls = StartTlsBehaviour.GarbageInsteadOfTls }, [ee], handshake);
        yield return Single("handshake-reset", "secure TLSA, server resets mid-handshake", "§5 failed handshake",
            SelfSigned with { StartTls = StartTlsBehaviour.ResetMidHandshake }, [ee], handshake);
        yield return Single("port-closed", "secure TLSA, nothing listens on port 25", "§7 unreachable",
            SelfSigned with { Closed = true }, [ee], Host(HostOutcome.Unreachable, HostReason.ConnectFailed));
        yield return Single("slow-banner", "secure TLSA, the banner comes after 90 s, beyond the scanner's 30 s step deadline", "§7 unreachable (deadline)",
            SelfSigned with { Quirk = SmtpQuirk.SlowBanner }, [ee], Host(HostOutcome.Unreachable, HostReason.Timeout));
        yield return Single("silent-server", "secure TLSA, the server accepts and never speaks", "§7 unreachable (deadline)",
            SelfSigned with { Quirk = SmtpQuirk.SilentAfterConnect }, [ee], Host(HostOutcome.Unreachable, HostReason.Timeout));
        yield return Single("endless-ehlo", "secure TLSA, endless multi-line EHLO reply", "§7 unreachable (size bound)",
            SelfSigned with { Quirk = SmtpQuirk.EndlessMultilineEhlo }, [ee], Host(HostOutcome.Unreachable, HostReason.SmtpProtocolError));
        yield return Single("oversized-reply", "secure TLSA, an oversized reply line", "§7 unreachable (size bound)",
            SelfSigned with { Quirk = SmtpQuirk.OversizedReply }, [ee], Host(HostOutcome.Unreachable, HostReason.SmtpProtocolError));
        yield return Single("no-tlsa-no-starttls", "no TLSA (secure denial) and no STARTTLS: not DANE, not a failure", "§3 no DANE; §5",
            SelfSigned with { StartTls = StartTlsBehaviour.NotOffered }, [], Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial));
        yield return Single("tls12-only", "DANE-EE 3 1 1, server speaks TLS 1.2 only", "§6 DANE-EE",
            SelfSigned with { Protocols = System.Security.Authentication.SslProtocols.Tls12 }, [ee], Auth(ee, 0));
        yield return Single("tls13-only", "DANE-EE 3 1 1, server speaks TLS 1.3 only", "§6 DANE-EE",
            SelfSigned with { Protocols = System.Security.Authentication.SslProtocols.Tls13 }, [ee], Auth(ee, 0));
    }

    /// <summary>§7: several MX hosts, primary-MX and all-MX views.</summary>
    private static IEnumerable<LabCase> MultipleHosts()
    {
        var ee = T(3, 1, 1);
        LabCase Two(string id, string description, LabHost first, IReadOnlyList<TlsaSpec> firstTlsa, LabHost second, IReadOnlyList<TlsaSpec> secondTlsa)
        {
            var records = new List<ZoneRecord> { Mx(D(id), first.Preference, first.Name), Mx(D(id), second.Preference, second.Name), A(first.Name), A(second.Name) };
            records.AddRange(firstTlsa.Select(t => Tlsa(TlsaOwner(first.Name), first.Name, t)));
            records.AddRange(secondTlsa.Select(t => Tlsa(TlsaOwner(second.Name), second.Name, t)));
            return Make(id, description, "§7 per-domain views over MX hosts",
                [Z(D(id), records)],
                [first, second],
                [
                    Secure(D(id), "MX"), Secure(first.Name, "A"), Secure(second.Name, "A"),
                    firstTlsa.Count > 0 ? Secure(TlsaOwner(first.Name), "TLSA") : Denied(TlsaOwner(first.Name), "TLSA"),
                    secondTlsa.Count > 0 ? Secure(TlsaOwner(second.Name), "TLSA") : Denied(TlsaOwner(second.Name), "TLSA"),
                ]);
        }

        {
            var id = "multi-backup-fails";
            yield return Two(id, "primary (10) authenticates, backup (20) has a non-matching TLSA",
                new LabHost { Name = "mx1." + D(id), Preference = 10, TlsaBase = "mx1." + D(id), Expected = Auth(ee, 0) }, [ee],
                new LabHost { Name = "mx2." + D(id), Preference = 20, TlsaBase = "mx2." + D(id), Expected = Fail(HostReason.NoMatchingRecord) }, [T(3, 1, 1, CertRole.Unrelated)]);
        }

        {
            var id = "multi-primary-fails";
            yield return Two(id, "primary (10) does not offer STARTTLS, backup (20) authenticates",
                new LabHost { Name = "mx1." + D(id), Preference = 10, TlsaBase = "mx1." + D(id), Tls = SelfSigned with { StartTls = StartTlsBehaviour.NotOffered }, Expected = Host(HostOutcome.NoStartTls, HostReason.StartTlsNotOffered) }, [ee],
                new LabHost { Name = "mx2." + D(id), Preference = 20, TlsaBase = "mx2." + D(id), Expected = Auth(ee, 0) }, [ee]);
        }

        {
            var id = "multi-partial";
            yield return Two(id, "two primaries (10): one authenticates, one has no TLSA",
                new LabHost { Name = "mx1." + D(id), Preference = 10, TlsaBase = "mx1." + D(id), Expected = Auth(ee, 0) }, [ee],
                new LabHost { Name = "mx2." + D(id), Preference = 10, Expected = Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial) }, []);
        }

        {
            var id = "multi-encrypt-only";
            yield return Two(id, "two primaries (10): one authenticates, one has only unusable records",
                new LabHost { Name = "mx1." + D(id), Preference = 10, TlsaBase = "mx1." + D(id), Expected = Auth(ee, 0) }, [ee],
                new LabHost { Name = "mx2." + D(id), Preference = 10, TlsaBase = "mx2." + D(id), Expected = Host(HostOutcome.EncryptOnly, HostReason.NoUsableRecords) }, [T(1, 1, 1)]);
        }

        {
            var id = "multi-backup-no-dane";
            yield return Two(id, "primary (10) authenticates, backup (20) has no TLSA",
                new LabHost { Name = "mx1." + D(id), Preference = 10, TlsaBase = "mx1." + D(id), Expected = Auth(ee, 0) }, [ee],
                new LabHost { Name = "mx2." + D(id), Preference = 20, Expected = Host(HostOutcome.NotDane, HostReason.TlsaSecureDenial) }, []);
        }
    }
}
