using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Core;

/// <summary>Which TLSA record authenticated a host, and where in the chain (docs/dane-rules.md §6).</summary>
/// <param name="Record">The TLSA record that matched.</param>
/// <param name="Depth">
/// The match depth as OpenSSL computes it and Postfix logs it ("Matched DANE TA certificate at depth N",
/// "Matched DANE TA public key verified certificate at depth N"), so that it can be compared with a
/// <c>posttls-finger</c> line: the depth in the validated path, 0 being the leaf (always for DANE-EE), 1 its
/// issuer, and so on, of the certificate that matched the record; for a bare key from DNS (`2 1 0` whose key
/// the server did not send), the depth of the top certificate that key verified. A whole certificate from DNS
/// (`2 0 0` not sent) joins the path above the top certificate sent and is counted at its place there.
/// </param>
/// <param name="ChainIndex">The position of the matched certificate in the chain as presented, or null when it came from DNS.</param>
/// <param name="MatchedName">For DANE-TA: the reference identifier the leaf matched. Null for DANE-EE (no name check).</param>
/// <param name="AnchorDepth">
/// The depth of the trust anchor itself: equal to <paramref name="Depth"/>, except for a bare key from DNS,
/// which sits one above the certificate it verified (<paramref name="Depth"/> + 1). This is the convention
/// DaneScan reported as "depth" before rules version 2026-12-02.1: it tells a root key (2) from an
/// intermediate certificate (1) where Postfix logs depth 1 for both.
/// </param>
public sealed record TlsaMatch(TlsaRecord Record, int Depth, int? ChainIndex, string? MatchedName, int AnchorDepth)
{
    public TlsaUsage Usage => Record.Usage;
}

/// <summary>The result of judging a presented chain against a TLSA RRset.</summary>
/// <param name="Reason">
/// <see cref="HostReason.DaneEeMatched"/> or <see cref="HostReason.DaneTaMatched"/> on success, otherwise the
/// failure closest to success (a valid path with the wrong name beats an expired one beats an incomplete chain
/// beats no match at all). A match only by a record that digest agility discards is
/// <see cref="HostReason.NoMatchingRecord"/>, said so in the detail.
/// </param>
/// <param name="Match">The record that matched, on success.</param>
/// <param name="Detail">For humans: which check failed on which certificate.</param>
public sealed record ChainJudgement(HostReason Reason, TlsaMatch? Match, string? Detail = null)
{
    public bool Authenticated => Match is not null;
}

/// <summary>
/// DANE-EE and DANE-TA matching of a presented chain (RFC 7671 §5.1, §5.2; RFC 7672 §3.1, §3.2). Pure.
/// </summary>
public static class DaneMatcher
{
    /// <summary>
    /// The longest DANE-TA path judged, in certificates from the leaf to the trust anchor, both included (so a
    /// match at depth 99 at most). It is OpenSSL's default verification depth (100 intermediates), the bound most
    /// TLS stacks apply; Postfix's own default (<c>smtp_tls_scert_verifydepth = 9</c>) is lower. A chain whose
    /// only paths to an anchor are longer is judged <see cref="HostReason.ChainTooLong"/>, never
    /// <see cref="HostReason.ChainIncomplete"/>: the chain may be complete, it is beyond the bound.
    /// </summary>
    public const int MaxPathLength = 100;

    /// <summary>
    /// The signature checks one judgement spends building DANE-TA paths, at the least: the budget is this plus
    /// two per certificate presented, so a long linear chain (one issuer and one anchor-key check per step) is
    /// judged whole. A hostile server can send cross-signed certificates whose paths grow exponentially; past
    /// the budget the chain is judged <see cref="HostReason.ChainInvalid"/>. Ordinary chains need a handful.
    /// </summary>
    public const int SignatureCheckBudget = 512;

    /// <summary>
    /// Judges <paramref name="presentedChain"/> (DER, leaf first, as the server sent it) against a TLSA RRset.
    /// Only usable records kept by digest agility can authenticate (<see cref="TlsaRules.Assess"/>).
    /// </summary>
    /// <param name="presentedChain">The chain as presented.</param>
    /// <param name="records">The TLSA RRset, all records (unusable ones are ignored here).</param>
    /// <param name="referenceIdentifiers">The names a DANE-TA leaf must carry (see <see cref="ReferenceIdentifiers"/>).</param>
    /// <param name="at">The time to check validity dates at: the probe's time, so a verdict can be recomputed.</param>
    public static ChainJudgement Judge(
        IReadOnlyList<byte[]> presentedChain,
        IEnumerable<TlsaRecord> records,
        IEnumerable<string> referenceIdentifiers,
        DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(presentedChain);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(referenceIdentifiers);
        if (presentedChain.Count == 0)
        {
            return new ChainJudgement(HostReason.NoCertificatePresented, null, "The server presented no certificate.");
        }

        var assessed = TlsaRules.Assess(records);
        var effective = assessed.Where(a => a.Effective).Select(a => a.Record).ToList();
        var references = referenceIdentifiers.Where(r => !string.IsNullOrWhiteSpace(r)).ToList();
        var budget = new Budget(SignatureCheckBudget + (2 * presentedChain.Count));
        var certs = presentedChain.Select(CertificateFacts.TryParse).ToList();
        var fromDns = new List<X509Certificate2>();
        try
        {
            // DANE-EE(3): the leaf alone, no name or date checks (RFC 7671 §5.1).
            foreach (var r in effective.Where(r => r.Usage == TlsaUsage.DaneEe))
            {
                if (Matches(presentedChain[0], certs[0], r))
                {
                    return new ChainJudgement(HostReason.DaneEeMatched, new TlsaMatch(r, 0, 0, null, 0));
                }
            }

            var best = new Failure(HostReason.NoMatchingRecord, 0, "No usable TLSA record matches the presented chain.");
            var leaf = certs[0];
            var taRecords = effective.Where(r => r.Usage == TlsaUsage.DaneTa).ToList();
            if (leaf is null)
            {
                return taRecords.Count > 0
                    ? new ChainJudgement(HostReason.ChainInvalid, null, "The leaf certificate does not parse.")
                    : WeakerOrNoMatch(presentedChain, certs, assessed, best);
            }

            foreach (var r in taRecords)
            {
                var anchors = new List<Anchor>();
                for (var i = 1; i < certs.Count; i++)
                {
                    if (certs[i] is { } c && Matches(presentedChain[i], c, r))
                    {
                        anchors.Add(new Anchor(c, c.PublicKey, i));
                    }
                }

                // Anchors not sent by the server: the whole certificate (`2 0 0`), or a whole key (`2 1 0`)
                // that signed the top certificate (RFC 7671 §5.2.2).
                if (r is { Selector: TlsaSelector.Cert, MatchingType: TlsaMatchingType.Full } &&
                    CertificateFacts.TryParse(r.Data) is { } dnsCert)
                {
                    fromDns.Add(dnsCert);
                    anchors.Add(new Anchor(dnsCert, dnsCert.PublicKey, null));
                }
                else if (r is { Selector: TlsaSelector.Spki, MatchingType: TlsaMatchingType.Full } &&
                    CertificateFacts.TryReadSpki(r.Data) is { } dnsKey)
                {
                    anchors.Add(new Anchor(null, dnsKey, null));
                }

                foreach (var anchor in anchors)
                {
                    var outcome = ValidatePaths(leaf, certs, anchor, at, budget);
                    if (outcome.Path is { } path)
                    {
                        var name = CertificateFacts.MatchingReference(leaf, references);
                        if (name is null)
                        {
                            best = Better(best, new Failure(
                                HostReason.NameMismatch,
                                5,
                                $"The leaf's names ({string.Join(", ", CertificateFacts.PresentedIdentifiers(leaf))}) match none of {string.Join(", ", references)}."));
                            continue;
                        }

                        return new ChainJudgement(HostReason.DaneTaMatched, new TlsaMatch(r, path.Depth, anchor.ChainIndex, name, path.AnchorDepth));
                    }

                    best = Better(best, outcome.Failure!);
                }
            }

            if (best.Reason == HostReason.NoMatchingRecord && taRecords.Count > 0 && !ReachesSelfIssued(leaf, certs))
            {
                best = new Failure(HostReason.ChainIncomplete, 1, "DANE-TA records are published, none matches a certificate sent, and the chain sent stops below a self-issued certificate: the anchor was not sent.");
            }

            return best.Reason == HostReason.NoMatchingRecord
                ? WeakerOrNoMatch(presentedChain, certs, assessed, best)
                : new ChainJudgement(best.Reason, null, best.Detail);
        }
        finally
        {
            foreach (var c in certs.Concat(fromDns))
            {
                c?.Dispose();
            }
        }
    }

    /// <summary>
    /// The reference identifiers for DANE-TA name checks (RFC 7672 §3.2.2, RFC 7671 §10.2): the TLSA base
    /// domain, the MX host name as published, and the destination (next-hop) domain. Lower case, no trailing
    /// dot, without duplicates, in that order.
    /// </summary>
    /// <remarks>
    /// The destination domain is accepted whether or not the MX RRset is secure, as Postfix does
    /// (docs/postfix-agreement.md, case ta-name-insecure-mx). It comes from the envelope, not from the MX
    /// answer, so an insecure MX RRset cannot forge it; and with an insecure MX RRset whoever can forge the MX
    /// answer can pick a host whose own name its certificate carries, so refusing the destination name adds no
    /// protection. That weakness is what <see cref="TlsTrust.Trusted"/> (rather than
    /// <see cref="TlsTrust.Verified"/>) reports for such a host (docs/dane-rules.md §6, which says why this reads
    /// RFC 7672 §3.2.2 as Postfix does; docs/architecture.md records the choice).
    /// </remarks>
    public static IReadOnlyList<string> ReferenceIdentifiers(string? tlsaBase, string mxHostName, string? destinationDomain)
    {
        var list = new List<string>();
        void Add(string? name)
        {
            var n = string.IsNullOrWhiteSpace(name) ? null : DnsName.Normalize(name);
            if (!string.IsNullOrEmpty(n) && !list.Contains(n))
            {
                list.Add(n);
            }
        }

        Add(tlsaBase);
        Add(mxHostName);
        Add(destinationDomain);
        return list;
    }

    /// <summary>Whether a certificate matches a record's association data (parsing only when the SPKI is needed).</summary>
    public static bool Matches(byte[] der, X509Certificate2? parsed, TlsaRecord record)
    {
        ArgumentNullException.ThrowIfNull(der);
        ArgumentNullException.ThrowIfNull(record);
        byte[] content;
        if (record.Selector == TlsaSelector.Cert)
        {
            content = der;
        }
        else if (record.Selector == TlsaSelector.Spki && parsed is not null)
        {
            content = parsed.PublicKey.ExportSubjectPublicKeyInfo();
        }
        else
        {
            return false;
        }

        byte[] data = record.MatchingType switch
        {
            TlsaMatchingType.Full => content,
            TlsaMatchingType.Sha2_256 => System.Security.Cryptography.SHA256.HashData(content),
            TlsaMatchingType.Sha2_512 => System.Security.Cryptography.SHA512.HashData(content),
            _ => [],
        };
        return data.Length > 0 && data.AsSpan().SequenceEqual(record.Data);
    }

    private static ChainJudgement WeakerOrNoMatch(
        IReadOnlyList<byte[]> chain, List<X509Certificate2?> certs, IReadOnlyList<TlsaRecordAssessment> assessed, Failure best)
    {
        foreach (var a in assessed.Where(a => a.IsUsable && !a.Effective))
        {
            var r = a.Record;
            var hit = r.Usage == TlsaUsage.DaneEe
                ? Matches(chain[0], certs[0], r)
                : Enumerable.Range(1, chain.Count - 1).Any(i => Matches(chain[i], certs[i], r));
            if (hit)
            {
                return new ChainJudgement(
                    HostReason.NoMatchingRecord,
                    null,
                    $"Only {r} matches, and digest agility discards it: a stronger digest for the same usage and selector is published (RFC 7671 §9).");
            }
        }

        return new ChainJudgement(best.Reason, null, best.Detail);
    }

    /// <summary>
    /// Whether following issuer names from the leaf through the presented certificates ends at a self-issued
    /// certificate (a root). When it does not, the chain sent stops short and a DANE-TA anchor above it was
    /// not sent: RFC 7671 §5.2.2 requires the server to send it.
    /// </summary>
    private static bool ReachesSelfIssued(X509Certificate2 leaf, List<X509Certificate2?> certs)
    {
        var current = leaf;
        for (var steps = 0; steps <= certs.Count; steps++)
        {
            if (current.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData))
            {
                return true;
            }

            var issuer = certs.Skip(1).FirstOrDefault(c => c is not null && !ReferenceEquals(c, current) &&
                c.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData));
            if (issuer is null)
            {
                return false;
            }

            current = issuer;
        }

        return false;
    }

    private static Failure Better(Failure a, Failure b) => b.Rank > a.Rank ? b : a;

    /// <summary>
    /// Finds paths from the leaf to the anchor through the presented certificates (by issuer name and
    /// signature) and validates them: the first valid one wins, else the first failure.
    /// </summary>
    private static PathOutcome ValidatePaths(X509Certificate2 leaf, List<X509Certificate2?> presented, Anchor anchor, DateTimeOffset at, Budget budget)
    {
        bool SignedBy(X509Certificate2 subject, PublicKey key)
        {
            budget.Remaining--;
            return budget.Remaining >= 0 && CertificateFacts.IsSignedBy(subject, key);
        }

        var pool = presented.Skip(1).Where(c => c is not null).Select(c => c!).ToList();
        if (anchor.Certificate is { } ac && anchor.ChainIndex is null)
        {
            pool.Add(ac);
        }

        Failure? firstFailure = null;
        var path = new List<X509Certificate2> { leaf };
        var found = false;
        var cutByLength = false;
        ValidPath? valid = null;

        bool Search(X509Certificate2 current)
        {
            if (budget.Remaining < 0)
            {
                return false;
            }

            if (path.Count >= MaxPathLength)
            {
                // One more certificate would pass the bound: note whether the path would have gone on.
                cutByLength |= pool.Any(next => next.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) &&
                    !path.Any(p => p.RawData.AsSpan().SequenceEqual(next.RawData)));
                return false;
            }

            // A key-only anchor ends the path at the first certificate it signed.
            if (anchor.Certificate is null && SignedBy(current, anchor.Key))
            {
                found = true;
                var failure = Check(path, endsAtAnchorCertificate: false, at);
                if (failure is null)
                {
                    // OpenSSL reports a bare key at the depth of the certificate it verified (the top of the path).
                    valid = new ValidPath(path.Count - 1, path.Count);
                    return true;
                }

                firstFailure ??= failure;
            }

            foreach (var next in pool)
            {
                if (path.Any(p => p.RawData.AsSpan().SequenceEqual(next.RawData)) ||
                    !next.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData) ||
                    !SignedBy(current, next.PublicKey))
                {
                    continue;
                }

                path.Add(next);
                if (anchor.Certificate is { } a && next.RawData.AsSpan().SequenceEqual(a.RawData))
                {
                    found = true;
                    var failure = Check(path, endsAtAnchorCertificate: true, at);
                    if (failure is null)
                    {
                        valid = new ValidPath(path.Count - 1, path.Count - 1);
                        return true;
                    }

                    firstFailure ??= failure;
                }
                else if (Search(next))
                {
                    return true;
                }

                path.RemoveAt(path.Count - 1);
            }

            return false;
        }

        // A presented anchor may also be matched by key only (selector 1): then the signature, not the name,
        // links the path. Name chaining covers the common case; the key check covers a renamed CA.
        Search(leaf);
        if (valid is { } v)
        {
            return new PathOutcome(v, null);
        }

        if (!found && budget.Remaining >= 0 && anchor.Certificate is { } cert)
        {
            // The anchor's key signed the top of some path without a subject/issuer name link (RFC 7671 §5.2.2
            // treats the record as a key): try the key.
            var keyAnchor = anchor with { Certificate = null, Key = cert.PublicKey };
            var byKey = ValidatePaths(leaf, presented, keyAnchor, at, budget);
            if (byKey.Path is not null)
            {
                return byKey;
            }

            firstFailure ??= byKey.Failure;
        }

        if (budget.Remaining < 0)
        {
            return new PathOutcome(null, firstFailure ?? new Failure(
                HostReason.ChainInvalid,
                3,
                $"Path building stopped after {budget.Total} signature checks: the chain sent has too many candidate paths."));
        }

        if (firstFailure is null && cutByLength)
        {
            return new PathOutcome(null, new Failure(
                HostReason.ChainTooLong,
                3,
                $"Every path from the leaf towards the DANE-TA anchor is longer than {MaxPathLength} certificates, the longest judged (the chain sent holds {presented.Count})."));
        }

        return new PathOutcome(null, firstFailure ?? new Failure(
            HostReason.ChainIncomplete,
            2,
            anchor.ChainIndex is { } i
                ? $"The certificate at chain index {i} matches a DANE-TA record, but no path leads from the leaf to it."
                : "A DANE-TA record's certificate or key signs no certificate on a path from the leaf."));
    }

    /// <summary>
    /// Validates a candidate path as OpenSSL 3 (which Postfix uses for DANE) does, measured with
    /// <c>openssl s_client -dane_tlsa_rrdata</c>: validity dates of every certificate, except an anchor certificate
    /// that is not self-issued (an intermediate trust anchor's dates are not checked; a self-signed one's are);
    /// CA constraints of every issuer, the anchor included; the TLS server purpose: a leaf key usage, when
    /// present, allows digitalSignature, keyEncipherment or keyAgreement, and an extended key usage, when
    /// present on any certificate of the path, includes serverAuth or anyExtendedKeyUsage.
    /// </summary>
    private static Failure? Check(List<X509Certificate2> path, bool endsAtAnchorCertificate, DateTimeOffset at)
    {
        for (var d = 0; d < path.Count; d++)
        {
            var c = path[d];
            var isAnchor = endsAtAnchorCertificate && d == path.Count - 1;
            var selfIssued = c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);
            var validity = CertificateFacts.Validity(c, at);
            if (validity != ValidityState.Valid && (!isAnchor || selfIssued))
            {
                var expired = validity == ValidityState.Expired;
                return new Failure(
                    expired ? HostReason.CertificateExpired : HostReason.CertificateNotYetValid,
                    4,
                    $"The certificate at depth {d} ({c.Subject}) is {(expired ? "expired" : "not yet valid")} at {at:u}.");
            }

            if (d > 0)
            {
                var state = CertificateFacts.IssuerCapability(c, d - 1);
                if (state != IssuerState.Ok)
                {
                    return new Failure(HostReason.ChainInvalid, 3, $"The certificate at depth {d} ({c.Subject}) cannot issue: {state}.");
                }
            }

            if (!CertificateFacts.AllowsTlsServer(c, leaf: d == 0))
            {
                return new Failure(HostReason.ChainInvalid, 3, $"The certificate at depth {d} ({c.Subject}) is not for TLS servers (key usage or extended key usage).");
            }
        }

        return null;
    }

    private sealed class Budget(int total)
    {
        public int Total { get; } = total;

        public int Remaining { get; set; } = total;
    }

    private sealed record Anchor(X509Certificate2? Certificate, PublicKey Key, int? ChainIndex);

    private sealed record Failure(HostReason Reason, int Rank, string Detail);

    /// <summary>A validated path: the match depth as OpenSSL reports it, and the anchor's own depth.</summary>
    private sealed record ValidPath(int Depth, int AnchorDepth);

    private sealed record PathOutcome(ValidPath? Path, Failure? Failure);
}
