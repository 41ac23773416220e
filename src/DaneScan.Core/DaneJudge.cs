using System.Net;

namespace DaneScan.Core;

/// <summary>
/// Turns observations into verdicts (docs/dane-rules.md §1-§7): pure functions, no I/O, no clock. Validity dates are
/// checked at each probe's <see cref="ProbeObservation.StartedUtc"/>, so a stored scan judged again later gives
/// the same verdict.
/// </summary>
public static class DaneJudge
{
    /// <summary>Judges a domain from its DNS observation and the probes of its hosts' addresses.</summary>
    public static DomainVerdict Judge(DomainScan scan)
    {
        ArgumentNullException.ThrowIfNull(scan);
        return Judge(scan.Dns, scan.Probes);
    }

    /// <summary>Judges a domain from its DNS observation and the probes of its hosts' addresses.</summary>
    /// <param name="dns">The DNS observation.</param>
    /// <param name="probes">The probes of its hosts' addresses.</param>
    /// <param name="memo">The run's memo of chain work (<see cref="JudgementMemo"/>), if any: the verdict is the same without it.</param>
    public static DomainVerdict Judge(DomainObservation dns, IEnumerable<ProbeObservation> probes, JudgementMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        ArgumentNullException.ThrowIfNull(probes);
        var probeList = probes.ToList();
        var status = MxStatusOf(dns.Mx);
        var mxSecure = dns.Mx.IsSecure;
        var judged = status is MxStatus.MxHosts or MxStatus.ImplicitMx or MxStatus.NullMxMixed
            ? dns.Hosts.Where(h => !IsNullMxName(h.Name)).ToList()
            : [];
        var lowest = judged.Count == 0 ? (ushort)0 : judged.Min(h => h.Preference);
        var hosts = judged
            .Select(h => JudgeHost(h, probeList, dns.Domain, mxSecure, memo) with { Primary = h.Preference == lowest })
            .ToList();
        return new DomainVerdict
        {
            Domain = dns.Domain,
            MxStatus = status,
            MxOutcome = dns.Mx.Outcome,
            MxSecure = mxSecure,
            Primary = Combine(hosts.Where(h => h.Primary)),
            All = Combine(hosts),
            TrustMode = dns.Resolver.TrustMode,
            Hosts = hosts,
            Findings = BestPractice.Findings(dns, hosts, probeList, memo),
        };
    }

    /// <summary>What became of the MX lookup (docs/dane-rules.md §1).</summary>
    public static MxStatus MxStatusOf(RrsetObservation<MxRecord> mx)
    {
        ArgumentNullException.ThrowIfNull(mx);
        switch (mx.Outcome)
        {
            case DnsOutcome.Bogus:
                return MxStatus.MxBogus;
            case DnsOutcome.LookupFailure:
                return MxStatus.MxLookupFailed;
            case DnsOutcome.SecureDenial or DnsOutcome.InsecureDenial:
                return mx.Denial == DenialKind.NxDomain ? MxStatus.NxDomain : MxStatus.ImplicitMx;
            default:
                if (mx.Records.Count == 0)
                {
                    return MxStatus.ImplicitMx;
                }

                var nulls = mx.Records.Count(r => r.IsNullMx);
                return nulls == 0 ? MxStatus.MxHosts : nulls == mx.Records.Count ? MxStatus.NullMx : MxStatus.NullMxMixed;
        }
    }

    /// <summary>
    /// Judges one MX host over all its addresses. The reference identifiers for DANE-TA name checks are the
    /// TLSA base, the host name as published and <paramref name="domain"/>; <paramref name="mxSecure"/> decides
    /// whether an authenticated host is Verified or only Trusted.
    /// </summary>
    public static HostVerdict JudgeHost(MxHostObservation host, IReadOnlyList<ProbeObservation> probes, string domain, bool mxSecure, JudgementMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(probes);
        var tlsa = host.Tlsa;
        var tlsaBase = host.TlsaBase ?? BaseOf(tlsa?.Name);
        var references = DaneMatcher.ReferenceIdentifiers(tlsaBase, host.Name, domain);
        var assessed = tlsa is { Outcome: DnsOutcome.SecureAnswer or DnsOutcome.InsecureAnswer }
            ? TlsaRules.Assess(tlsa.Records)
            : [];
        var addresses = host.A.Records.Concat(host.Aaaa.Records).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var hostLevel = HostDnsVerdict(host);

        List<AddressVerdict> perAddress;
        if (hostLevel is { } h)
        {
            perAddress = [.. addresses.Select(a => new AddressVerdict(a, h.Outcome, h.Reason, ResultTypeFor(h.Reason), null, null, h.Detail))];
        }
        else
        {
            perAddress = [.. addresses.Select(a => JudgeAddress(a, FindProbe(probes, host, tlsaBase, a), tlsa!.Records, references, memo))];
        }

        HostOutcome outcome;
        HostReason reason;
        string? detail;
        TlsaMatch? match = null;
        if (hostLevel is { } level)
        {
            (outcome, reason, detail) = (level.Outcome, level.Reason, level.Detail);
        }
        else
        {
            var worst = perAddress.OrderByDescending(a => Severity(a.Outcome)).First();
            (outcome, reason, detail) = (worst.Outcome, worst.Reason, worst.Detail);
            match = perAddress.FirstOrDefault(a => a.Match is not null)?.Match;
            if (outcome != HostOutcome.Authenticated)
            {
                match = null;
            }
        }

        return new HostVerdict
        {
            Name = host.Name,
            Preference = host.Preference,
            Implicit = host.Implicit,
            TlsaBase = tlsa is null ? null : tlsaBase,
            TlsaOutcome = tlsa?.Outcome,
            Tlsa = assessed,
            ReferenceIdentifiers = references,
            Outcome = outcome,
            Reason = reason,
            ResultType = ResultTypeFor(reason),
            Match = match,
            Trust = outcome switch
            {
                HostOutcome.Authenticated => mxSecure ? TlsTrust.Verified : TlsTrust.Trusted,
                HostOutcome.EncryptOnly => TlsTrust.Untrusted,
                _ => TlsTrust.None,
            },
            Detail = detail,
            Addresses = perAddress,
        };
    }

    /// <summary>
    /// The host-level verdict from DNS alone (docs/dane-rules.md §2, §3), or null when DANE applies (a secure, non-empty
    /// TLSA RRset at the base the rules allow) and the probes decide. In order: an insecure host name (its first
    /// answer, its own CNAME or address records, not signed) makes the host "not DANE"; a secure CNAME whose
    /// chain turns insecure later (RFC 7672 §2.2.2) goes on to TLSA at the original name; without an answer
    /// holding addresses (a secure one, or in that case an insecure one), a bogus or failed lookup makes it
    /// "address lookup failed", else it has no addresses; then the TLSA lookup that applies (the last tried)
    /// decides: bogus or failed, insecure, securely denied, or DANE applies.
    /// </summary>
    public static (HostOutcome Outcome, HostReason Reason, string? Detail)? HostDnsVerdict(MxHostObservation host)
    {
        ArgumentNullException.ThrowIfNull(host);
        RrsetObservation<string>[] lookups = [host.A, host.Aaaa];
        var security = AddressChain.Classify(host);
        switch (security)
        {
            case HostNameSecurity.Insecure:
                return (HostOutcome.NotDane, HostReason.HostInsecure, InsecureDetail(host));
            case HostNameSecurity.Undetermined:
                {
                    var cname = host.CnameLookups[0];
                    return (HostOutcome.AddressLookupFailed,
                        cname.Outcome == DnsOutcome.Bogus ? HostReason.AddressBogus : HostReason.AddressLookupFailure,
                        $"The address records of {host.Name} came through CNAMEs unsigned, and CNAME {cname.Name} {(cname.Outcome == DnsOutcome.Bogus ? "is bogus" : "failed: " + cname.Failure)}: whether the host name is secure (RFC 7672 §2.2.2) is not known. {cname.Detail}".Trim());
                }
        }

        // One family's answer holding addresses is enough to go on (as the resolver does); a failed lookup of the
        // other family is kept in the observation but does not hide the addresses found.
        var usable = security == HostNameSecurity.InsecureCname
            ? lookups.Any(AddressChain.HasAddresses)
            : lookups.Any(l => l.Outcome == DnsOutcome.SecureAnswer && l.Records.Count > 0);
        if (!usable)
        {
            if (lookups.FirstOrDefault(l => l.Outcome == DnsOutcome.Bogus) is { } bogus)
            {
                return (HostOutcome.AddressLookupFailed, HostReason.AddressBogus, $"{bogus.Type} {bogus.Name}: bogus. {bogus.Detail}".Trim());
            }

            if (lookups.FirstOrDefault(l => l.Outcome == DnsOutcome.LookupFailure) is { } failed)
            {
                return (HostOutcome.AddressLookupFailed, HostReason.AddressLookupFailure, $"{failed.Type} {failed.Name}: {failed.Failure}. {failed.Detail}".Trim());
            }

            return (HostOutcome.NoAddresses, HostReason.NoAddressRecords, "No A or AAAA records.");
        }

        var tlsa = host.Tlsa;
        return tlsa switch
        {
            null => (HostOutcome.TlsaLookupFailed, HostReason.TlsaNotQueried, "The observation holds no TLSA lookup for a host with secure addresses."),
            { Outcome: DnsOutcome.Bogus } => (HostOutcome.TlsaLookupFailed, HostReason.TlsaBogus, $"TLSA {tlsa.Name}: bogus. {tlsa.Detail}".Trim()),
            { Outcome: DnsOutcome.LookupFailure } => (HostOutcome.TlsaLookupFailed, HostReason.TlsaLookupFailure, $"TLSA {tlsa.Name}: {tlsa.Failure}. {tlsa.Detail}".Trim()),
            { Outcome: DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial } => (HostOutcome.NotDane, HostReason.TlsaInsecure, $"TLSA {tlsa.Name}: insecure ({tlsa.Records.Count} records ignored)."),
            { Outcome: DnsOutcome.SecureDenial } or { Records.Count: 0 } => (HostOutcome.NotDane, HostReason.TlsaSecureDenial,
                security == HostNameSecurity.InsecureCname
                    ? $"TLSA {tlsa.Name}: securely denied. {host.Name} is a secure CNAME, but the answer for {host.InsecureAt} is not signed: TLSA applies at {host.Name} only (RFC 7672 §2.2.2)."
                    : $"TLSA {tlsa.Name}: securely denied."),
            _ => null,
        };
    }

    private static string InsecureDetail(MxHostObservation host)
    {
        var chain = AddressChain.InsecureChain(host.A, host.Aaaa);
        if (chain.Count == 0)
        {
            return "The host's address records are not DNSSEC-signed: TLSA does not apply (RFC 7672 §2.2.2).";
        }

        return host.CnameLookups.Count == 0
            ? $"The host's address records came through CNAMEs ({string.Join(" -> ", chain)}) without DNSSEC validation, and the observation holds no lookup of the host name's own CNAME: TLSA does not apply (RFC 7672 §2.2.2)."
            : host.CnameLookups[0] is { Outcome: DnsOutcome.InsecureAnswer or DnsOutcome.InsecureDenial } first
                ? $"The host name's own CNAME record ({first.Name} -> {chain[0]}) is not DNSSEC-signed: TLSA does not apply (RFC 7672 §2.2.2)."
                : $"CNAME {host.CnameLookups[0].Name} ({host.CnameLookups[0].Outcome}) does not validate the link to {chain[0]} that the address answer followed: TLSA does not apply (RFC 7672 §2.2.2).";
    }

    /// <summary>
    /// Judges one address of a host to which DANE applies (secure addresses, secure non-empty TLSA RRset)
    /// from its probe (null when the scan holds none).
    /// </summary>
    public static AddressVerdict JudgeAddress(string address, ProbeObservation? probe, IReadOnlyList<TlsaRecord> tlsa, IReadOnlyList<string> referenceIdentifiers, JudgementMemo? memo = null)
    {
        ArgumentNullException.ThrowIfNull(tlsa);
        ArgumentNullException.ThrowIfNull(referenceIdentifiers);
        if (probe is null)
        {
            return Make(address, HostOutcome.NotProbed, HostReason.ProbeMissing, null, null, "The scan holds no probe of this address.");
        }

        var (outcome, reason) = ProbeOutcomeVerdict(probe);
        var sessionFailed = SessionFailed(probe);
        if (probe.Outcome != ProbeOutcome.TlsEstablished && !sessionFailed)
        {
            return Make(address, outcome, reason, null, probe.Outcome, probe.Detail);
        }

        // A sender checks the chain right after the handshake, before its EHLO: a chain that does not
        // authenticate is the failure it reports; one that does still leaves a session that carries no mail.
        var sessionDetail = $"TLS was established but the session carried no SMTP: {probe.Detail ?? "EHLO after TLS failed"}";
        if (!tlsa.Any(TlsaRules.IsUsable))
        {
            return sessionFailed
                ? Make(address, HostOutcome.Unreachable, HostReason.TlsSessionFailed, null, probe.Outcome, "Encrypt-only (no usable TLSA record). " + sessionDetail)
                : Make(address, HostOutcome.EncryptOnly, HostReason.NoUsableRecords, null, probe.Outcome, "No usable TLSA record: TLS is mandatory, without authentication.");
        }

        var judgement = memo is null
            ? DaneMatcher.Judge(probe.PresentedChain, tlsa, referenceIdentifiers, probe.StartedUtc)
            : memo.Judge(probe, tlsa, referenceIdentifiers);
        if (!judgement.Authenticated)
        {
            return Make(address, HostOutcome.AuthenticationFailed, judgement.Reason, null, probe.Outcome, judgement.Detail);
        }

        return sessionFailed
            ? Make(address, HostOutcome.Unreachable, HostReason.TlsSessionFailed, null, probe.Outcome, $"The chain authenticated ({judgement.Reason}, {judgement.Match!.Record}). " + sessionDetail)
            : Make(address, HostOutcome.Authenticated, judgement.Reason, judgement.Match, probe.Outcome, judgement.Detail);
    }

    /// <summary>
    /// Whether TLS was established but the session could not carry EHLO: <see cref="ProbeOutcome.TlsSessionFailed"/>,
    /// or, in observations stored before that outcome existed, <see cref="ProbeOutcome.TlsEstablished"/> with
    /// <see cref="ProbeObservation.EhloAfterTlsOk"/> false (the same facts).
    /// </summary>
    public static bool SessionFailed(ProbeObservation probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return probe.Outcome == ProbeOutcome.TlsSessionFailed ||
            (probe.Outcome == ProbeOutcome.TlsEstablished && probe.EhloAfterTlsOk == false);
    }

    /// <summary>
    /// Where a probe's outcome lands when DANE applies. <see cref="ProbeOutcome.TlsEstablished"/> maps to
    /// <see cref="HostOutcome.Authenticated"/> here only as a placeholder: the chain decides.
    /// </summary>
    public static (HostOutcome Outcome, HostReason Reason) ProbeOutcomeVerdict(ProbeObservation probe)
    {
        ArgumentNullException.ThrowIfNull(probe);
        return probe.Outcome switch
        {
            ProbeOutcome.TlsEstablished => (HostOutcome.Authenticated, HostReason.None),
            ProbeOutcome.Unreachable => (HostOutcome.Unreachable, HostReason.ConnectFailed),
            ProbeOutcome.Timeout when probe.FailedStage == ProbeStage.TlsHandshake => (HostOutcome.HandshakeFailed, HostReason.Timeout),
            ProbeOutcome.Timeout => (HostOutcome.Unreachable, HostReason.Timeout),
            ProbeOutcome.ProtocolError => (HostOutcome.Unreachable, HostReason.SmtpProtocolError),
            ProbeOutcome.ServiceRefused => (HostOutcome.Unreachable, HostReason.ServiceRefused),
            ProbeOutcome.StartTlsNotOffered => (HostOutcome.NoStartTls, HostReason.StartTlsNotOffered),
            ProbeOutcome.StartTlsRejected => (HostOutcome.NoStartTls, HostReason.StartTlsRejected),
            ProbeOutcome.TlsHandshakeFailed => (HostOutcome.HandshakeFailed, HostReason.TlsHandshakeFailed),
            ProbeOutcome.TlsSessionFailed => (HostOutcome.Unreachable, HostReason.TlsSessionFailed),
            ProbeOutcome.NotProbed => (HostOutcome.NotProbed, probe.SkipReason switch
            {
                ProbeSkipReason.OptedOut => HostReason.OptedOut,
                ProbeSkipReason.ReservedAddress => HostReason.ReservedAddress,
                _ => HostReason.NotProbedByPolicy,
            }),
            _ => (HostOutcome.Unreachable, HostReason.SmtpProtocolError),
        };
    }

    /// <summary>
    /// The RFC 8460 §4.3 result type a DANE sender would report for a reason, or None where none fits
    /// (success, encrypt-only, no DANE, unreachable, not probed).
    /// </summary>
    public static Rfc8460ResultType ResultTypeFor(HostReason reason) => reason switch
    {
        HostReason.StartTlsNotOffered or HostReason.StartTlsRejected => Rfc8460ResultType.StartTlsNotSupported,
        HostReason.NameMismatch => Rfc8460ResultType.CertificateHostMismatch,
        HostReason.CertificateExpired => Rfc8460ResultType.CertificateExpired,
        HostReason.CertificateNotYetValid or HostReason.ChainIncomplete or HostReason.ChainInvalid or HostReason.ChainTooLong => Rfc8460ResultType.CertificateNotTrusted,
        HostReason.NoMatchingRecord => Rfc8460ResultType.TlsaInvalid,
        HostReason.TlsaBogus or HostReason.TlsaLookupFailure or HostReason.AddressBogus => Rfc8460ResultType.DnssecInvalid,
        HostReason.NoCertificatePresented or HostReason.TlsHandshakeFailed => Rfc8460ResultType.ValidationFailure,
        _ => Rfc8460ResultType.None,
    };

    /// <summary>
    /// How bad an address outcome is when combining a host's addresses: the highest decides. Definite DANE
    /// failures first, then outcomes that leave the host unjudged, then encrypt-only, then success.
    /// </summary>
    public static int Severity(HostOutcome outcome) => outcome switch
    {
        HostOutcome.AuthenticationFailed => 10,
        HostOutcome.NoStartTls => 9,
        HostOutcome.HandshakeFailed => 8,
        HostOutcome.TlsaLookupFailed => 7,
        HostOutcome.AddressLookupFailed => 6,
        HostOutcome.Unreachable => 5,
        HostOutcome.NotProbed => 4,
        HostOutcome.EncryptOnly => 3,
        HostOutcome.NoAddresses => 2,
        HostOutcome.NotDane => 1,
        _ => 0,
    };

    /// <summary>
    /// The DANE status over a set of hosts (a view). Hosts that cannot be judged do not count: no addresses,
    /// a failed address lookup, not probed. With none left: NotApplicable. Failing when any host has DANE and
    /// a DANE sender could not deliver securely (authentication, STARTTLS, handshake, unreachable) or its TLSA
    /// lookup failed; then NotDane (none has DANE), Partial (some have DANE, others not), EncryptOnly (all
    /// have DANE, some encrypt-only), Protected (all authenticated). This is also the lab's reading.
    /// </summary>
    public static DomainDaneStatus Combine(IEnumerable<HostVerdict> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var list = hosts.Where(h => h.Outcome is not (HostOutcome.NoAddresses or HostOutcome.AddressLookupFailed or HostOutcome.NotProbed)).ToList();
        if (list.Count == 0)
        {
            return DomainDaneStatus.NotApplicable;
        }

        if (list.Any(h => h.Outcome is HostOutcome.AuthenticationFailed or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed or
            HostOutcome.Unreachable or HostOutcome.TlsaLookupFailed))
        {
            return DomainDaneStatus.Failing;
        }

        var authenticated = list.Count(h => h.Outcome == HostOutcome.Authenticated);
        var encryptOnly = list.Count(h => h.Outcome == HostOutcome.EncryptOnly);
        if (authenticated == list.Count)
        {
            return DomainDaneStatus.Protected;
        }

        if (authenticated + encryptOnly == list.Count)
        {
            return DomainDaneStatus.EncryptOnly;
        }

        return authenticated + encryptOnly > 0 ? DomainDaneStatus.Partial : DomainDaneStatus.NotDane;
    }

    private static AddressVerdict Make(string address, HostOutcome outcome, HostReason reason, TlsaMatch? match, ProbeOutcome? probe, string? detail) =>
        new(address, outcome, reason, ResultTypeFor(reason), match, probe, detail);

    private static ProbeObservation? FindProbe(IReadOnlyList<ProbeObservation> probes, MxHostObservation host, string? tlsaBase, string address)
    {
        bool SameAddress(string a) =>
            IPAddress.TryParse(a, out var x) && IPAddress.TryParse(address, out var y) ? x.Equals(y) : string.Equals(a, address, StringComparison.OrdinalIgnoreCase);

        return probes.FirstOrDefault(p => DnsName.SameName(p.Host, host.Name) && SameAddress(p.Address))
            ?? probes.FirstOrDefault(p => DnsName.SameName(p.Host, tlsaBase) && SameAddress(p.Address));
    }

    private static string? BaseOf(string? tlsaOwner)
    {
        if (tlsaOwner is null)
        {
            return null;
        }

        var name = tlsaOwner.TrimEnd('.');
        const string prefix = "_25._tcp.";
        return name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name[prefix.Length..] : name;
    }

    private static bool IsNullMxName(string name) => name is "." or "";
}
