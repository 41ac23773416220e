using DaneScan.Core;
using static DaneScan.Core.Tests.Scenario;

namespace DaneScan.Core.Tests;

/// <summary>Every DNS outcome and every probe outcome lands on a named outcome and reason.</summary>
public class CompletenessTests
{
    private static readonly Pki P = Pki.Shared;
    private const string Mx = "mx.example.net";
    private const string Ip = "127.0.0.10";

    private static RrsetObservation<T> Of<T>(string name, string type, DnsOutcome outcome, params T[] records) => outcome switch
    {
        DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer => new(name, type, outcome, DenialKind.None, records, 3600, []),
        DnsOutcome.SecureDenial or DnsOutcome.InsecureDenial => new(name, type, outcome, DenialKind.NoData, [], 900, []),
        _ => new(name, type, outcome, DenialKind.None, [], null, [], LookupFailureKind.ServFail),
    };

    [Fact]
    public void Every_combination_of_dns_and_probe_outcomes_gives_a_named_reason()
    {
        var ee = P.SelfSigned.Tlsa(TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var outcomes = Enum.GetValues<DnsOutcome>();
        ProbeObservation?[] probes =
        [
            null,
            .. Enum.GetValues<ProbeOutcome>().Select(o => o switch
            {
                ProbeOutcome.TlsEstablished => Tls(Mx, Ip, P.SelfSigned),
                ProbeOutcome.TlsSessionFailed => Tls(Mx, Ip, P.SelfSigned) with { Outcome = o, FailedStage = ProbeStage.EhloAfterTls, EhloAfterTlsOk = false },
                _ => Failure(Mx, Ip, o, ProbeStage.Connect),
            }),
            Tls(Mx, Ip, P.Other),
        ];
        TlsaRecord[][] rrsets = [[ee], [TestPki.Raw(1, 1, 1, 32)]];
        var seen = new HashSet<(HostOutcome, HostReason)>();
        var combinations = 0;
        foreach (var a in outcomes)
        {
            foreach (var aaaa in outcomes)
            {
                foreach (var tlsa in outcomes.Cast<DnsOutcome?>().Append(null))
                {
                    foreach (var (probe, records) in probes.SelectMany(p => rrsets.Select(r => (p, r))))
                    {
                        var host = new MxHostObservation
                        {
                            Name = Mx,
                            A = Of(Mx, "A", a, Ip),
                            Aaaa = Of(Mx, "AAAA", aaaa, "::1"),
                            TlsaLookups = tlsa is { } t ? [Of("_25._tcp." + Mx, "TLSA", t, records)] : [],
                            TlsaBase = tlsa is null ? null : Mx,
                        };
                        ProbeObservation[] list = probe is null ? [] : [probe, probe with { Address = "::1" }];

                        var h = Assert.Single(DaneJudge.Judge(Domain("example.com", true, host), list).Hosts);

                        combinations++;
                        Assert.NotEqual(HostReason.None, h.Reason);
                        Assert.Equal(DaneJudge.ResultTypeFor(h.Reason), h.ResultType);
                        Assert.All(h.Addresses, x => Assert.NotEqual(HostReason.None, x.Reason));
                        Assert.Equal(h.Outcome == HostOutcome.Authenticated, h.Match is not null);
                        seen.Add((h.Outcome, h.Reason));
                    }
                }
            }
        }

        Assert.Equal(6 * 6 * 7 * (Enum.GetValues<ProbeOutcome>().Length + 2) * 2, combinations);

        // Every host outcome is reachable from observations.
        Assert.Equal(Enum.GetValues<HostOutcome>().Order(), seen.Select(s => s.Item1).Distinct().Order());
    }

    public static TheoryData<HostReason, Rfc8460ResultType> ResultTypes() => new()
    {
        { HostReason.None, Rfc8460ResultType.None },
        { HostReason.DaneEeMatched, Rfc8460ResultType.None },
        { HostReason.DaneTaMatched, Rfc8460ResultType.None },
        { HostReason.NoMatchingRecord, Rfc8460ResultType.TlsaInvalid },
        { HostReason.NameMismatch, Rfc8460ResultType.CertificateHostMismatch },
        { HostReason.CertificateExpired, Rfc8460ResultType.CertificateExpired },
        { HostReason.CertificateNotYetValid, Rfc8460ResultType.CertificateNotTrusted },
        { HostReason.ChainIncomplete, Rfc8460ResultType.CertificateNotTrusted },
        { HostReason.ChainInvalid, Rfc8460ResultType.CertificateNotTrusted },
        { HostReason.NoCertificatePresented, Rfc8460ResultType.ValidationFailure },
        { HostReason.NoUsableRecords, Rfc8460ResultType.None },
        { HostReason.StartTlsNotOffered, Rfc8460ResultType.StartTlsNotSupported },
        { HostReason.StartTlsRejected, Rfc8460ResultType.StartTlsNotSupported },
        { HostReason.TlsHandshakeFailed, Rfc8460ResultType.ValidationFailure },
        { HostReason.ConnectFailed, Rfc8460ResultType.None },
        { HostReason.Timeout, Rfc8460ResultType.None },
        { HostReason.SmtpProtocolError, Rfc8460ResultType.None },
        { HostReason.ServiceRefused, Rfc8460ResultType.None },
        { HostReason.TlsaSecureDenial, Rfc8460ResultType.None },
        { HostReason.TlsaInsecure, Rfc8460ResultType.None },
        { HostReason.HostInsecure, Rfc8460ResultType.None },
        { HostReason.TlsaBogus, Rfc8460ResultType.DnssecInvalid },
        { HostReason.TlsaLookupFailure, Rfc8460ResultType.DnssecInvalid },
        { HostReason.TlsaNotQueried, Rfc8460ResultType.None },
        { HostReason.NoAddressRecords, Rfc8460ResultType.None },
        { HostReason.AddressBogus, Rfc8460ResultType.DnssecInvalid },
        { HostReason.AddressLookupFailure, Rfc8460ResultType.None },
        { HostReason.OptedOut, Rfc8460ResultType.None },
        { HostReason.ReservedAddress, Rfc8460ResultType.None },
        { HostReason.NotProbedByPolicy, Rfc8460ResultType.None },
        { HostReason.ProbeMissing, Rfc8460ResultType.None },
        { HostReason.ChainTooLong, Rfc8460ResultType.CertificateNotTrusted },
        { HostReason.TlsSessionFailed, Rfc8460ResultType.None },
    };

    [Theory]
    [MemberData(nameof(ResultTypes))]
    public void Rfc8460_result_type_of_each_reason(HostReason reason, Rfc8460ResultType expected)
    {
        Assert.Equal(expected, DaneJudge.ResultTypeFor(reason));
    }

    [Fact]
    public void The_result_type_table_covers_every_reason()
    {
        Assert.Equal(Enum.GetValues<HostReason>().Length, ResultTypes().Count);
    }
}
