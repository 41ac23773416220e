using System.Globalization;
using System.Security.Cryptography;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Statistics;

namespace DaneScan.Storage.Export;

/// <summary>What an export wrote.</summary>
public sealed record ExportResult(string DomainsPath, string HostsPath, long DomainRows, long HostRows, RunStatistics Statistics);

/// <summary>
/// Judges every stored domain of a run again (verdicts are a pure function of the stored observations,
/// <see cref="DaneJudge"/>) and derives the dataset rows and the run's statistics. Memory: the run's probe
/// observations and one small aggregate per (host, address); domains are streamed.
/// </summary>
public static class DatasetExporter
{
    /// <summary>Writes domains.{ext} and hosts.{ext} for a run into a directory.</summary>
    public static async Task<ExportResult> ExportAsync(
        IResultStore store, string runId, string outputDirectory, ExportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        Directory.CreateDirectory(outputDirectory);
        var ext = RowWriters.Extension(format);
        var domainsPath = Path.Combine(outputDirectory, $"domains.{ext}");
        var hostsPath = Path.Combine(outputDirectory, $"hosts.{ext}");

        Analysis analysis;
        long domainRows;
        var domainWriter = RowWriters.Create<DomainRow>(format, domainsPath);
        await using (domainWriter.ConfigureAwait(false))
        {
            analysis = await AnalyzeAsync(store, runId, (row, ct) => domainWriter.WriteAsync(row, ct), cancellationToken).ConfigureAwait(false);
            domainRows = domainWriter.Rows;
        }

        long hostRows;
        var hostWriter = RowWriters.Create<HostRow>(format, hostsPath);
        await using (hostWriter.ConfigureAwait(false))
        {
            foreach (var row in analysis.HostRows())
            {
                await hostWriter.WriteAsync(row, cancellationToken).ConfigureAwait(false);
            }

            hostRows = hostWriter.Rows;
        }

        return new ExportResult(domainsPath, hostsPath, domainRows, hostRows, analysis.Statistics());
    }

    /// <summary>Computes the run's statistics from its stored observations and writes them to the store's statistics table.</summary>
    public static async Task<RunStatistics> ComputeStatisticsAsync(IResultStore store, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        var analysis = await AnalyzeAsync(store, runId, null, cancellationToken).ConfigureAwait(false);
        var statistics = analysis.Statistics();
        await store.WriteStatisticsAsync(statistics, cancellationToken).ConfigureAwait(false);
        return statistics;
    }

    private static async Task<Analysis> AnalyzeAsync(
        IResultStore store, string runId, Func<DomainRow, CancellationToken, Task>? onDomain, CancellationToken cancellationToken)
    {
        var analysis = new Analysis(runId);
        await foreach (var probe in store.EnumerateProbesAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            analysis.AddProbe(probe.Observation);
        }

        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken).ConfigureAwait(false))
        {
            var row = analysis.AddDomain(record);
            if (onDomain is not null)
            {
                await onDomain(row, cancellationToken).ConfigureAwait(false);
            }
        }

        return analysis;
    }

    private sealed class HostAggregate
    {
        public int DomainsServed { get; set; }

        public HostVerdict? Host { get; set; }

        public AddressVerdict? Address { get; set; }

        public RrsetObservation<TlsaRecord>? Tlsa { get; set; }
    }

    private sealed class Analysis(string runId)
    {
        private readonly Dictionary<string, ProbeObservation> _probes = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, HostAggregate> _addresses = new(StringComparer.OrdinalIgnoreCase);
        // The run's statistics, from the one statistics module (what danescan scan stores, docs/dataset.md "Run statistics").
        private readonly RunStatisticsBuilder _statistics = new(runId, PublicSuffixList.Default);

        public void AddProbe(ProbeObservation probe)
        {
            _probes[Key(probe.Host, probe.Address)] = probe;
            _statistics.AddProbe(probe);
        }

        public DomainRow AddDomain(DomainRecord record)
        {
            var dns = record.Observation;
            var probes = new List<ProbeObservation>();
            foreach (var host in dns.Hosts)
            {
                foreach (var address in host.A.Records.Concat(host.Aaaa.Records))
                {
                    if (_probes.TryGetValue(Key(host.Name, address), out var p) ||
                        (host.TlsaBase is { } tlsaBase && _probes.TryGetValue(Key(tlsaBase, address), out p)))
                    {
                        probes.Add(p);
                    }
                }
            }

            var verdict = DaneJudge.Judge(dns, probes.Distinct());
            _statistics.AddDomain(verdict, record.Rank);
            foreach (var host in verdict.Hosts)
            {
                var observed = dns.Hosts.FirstOrDefault(h => string.Equals(h.Name, host.Name, StringComparison.OrdinalIgnoreCase));
                foreach (var address in host.Addresses)
                {
                    var key = Key(host.Name, address.Address);
                    if (!_addresses.TryGetValue(key, out var aggregate))
                    {
                        aggregate = new HostAggregate { Host = host, Address = address, Tlsa = observed?.Tlsa };
                        _addresses.Add(key, aggregate);
                    }

                    aggregate.DomainsServed++;
                }
            }

            var hostsInView = verdict.Hosts;
            var classification = StatisticsDefinitions.Classify(verdict);
            return new DomainRow
            {
                RunId = runId,
                Domain = dns.Domain,
                ListSource = record.Source,
                ListRank = record.Rank,
                ObservedUtc = dns.ObservedUtc.UtcDateTime,
                TrustMode = dns.Resolver.TrustMode.ToString(),
                RulesVersion = verdict.RulesVersion,
                MxOutcome = verdict.MxOutcome.ToString(),
                MxStatus = verdict.MxStatus.ToString(),
                MxSecure = verdict.MxSecure,
                PrimaryStatus = verdict.Primary.ToString(),
                AllStatus = verdict.All.ToString(),
                MxHosts = hostsInView.Count,
                PrimaryHosts = hostsInView.Count(h => h.Primary),
                DaneHosts = hostsInView.Count(h => h.DaneApplies),
                AuthenticatedHosts = hostsInView.Count(h => h.Outcome == HostOutcome.Authenticated),
                FailingHosts = hostsInView.Count(h => h.Outcome is HostOutcome.AuthenticationFailed or HostOutcome.NoStartTls or HostOutcome.HandshakeFailed or HostOutcome.TlsaLookupFailed),
                Addresses = hostsInView.SelectMany(h => h.Addresses).Select(a => a.Address).Distinct(StringComparer.OrdinalIgnoreCase).Count(),
                HostOutcomes = Join(hostsInView.Select(h => $"{h.Name}={h.Outcome}/{h.Reason}")),
                Reasons = Join(hostsInView.Select(h => h.Reason).Where(r => r != HostReason.None).Distinct().Select(r => r.ToString()).Order(StringComparer.Ordinal)),
                Rfc8460Results = Join(hostsInView.Select(h => h.ResultType).Where(r => r != Rfc8460ResultType.None).Distinct().Select(r => r.ToString()).Order(StringComparer.Ordinal)),
                Findings = Join(verdict.Findings.Select(f => f.Code.ToString()).Distinct().Order(StringComparer.Ordinal)),
                MxSecurity = classification.MxSecurity.ToString(),
                PrimaryState = classification.Primary.ToString(),
                AllState = classification.All.ToString(),
                DaneProtected = classification.DaneProtected,
                SurveySigned = classification.SurveySigned,
                SurveyProtected = classification.SurveyProtected,
            };
        }

        public IEnumerable<HostRow> HostRows()
        {
            foreach (var (key, probe) in _probes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                _addresses.TryGetValue(key, out var aggregate);
                var tlsa = aggregate?.Tlsa;
                var chain = probe.PresentedChain;
                var row = new HostRow
                {
                    RunId = runId,
                    Host = probe.Host,
                    Address = probe.Address,
                    Port = probe.Port,
                    DomainsServed = aggregate?.DomainsServed ?? 0,
                    TlsaBase = aggregate?.Host?.TlsaBase,
                    TlsaOutcome = tlsa?.Outcome.ToString(),
                    TlsaTtl = tlsa?.Ttl,
                    TlsaRrset = Join((tlsa?.Records ?? []).Select(r => r.ToString())),
                    TlsaUsable = (tlsa?.Records ?? []).Count(TlsaRules.IsUsable),
                    ProbeOutcome = probe.Outcome.ToString(),
                    FailedStage = probe.FailedStage?.ToString(),
                    Sni = probe.ServerName,
                    StartTlsOffered = probe.StartTlsOffered,
                    TlsProtocol = probe.TlsProtocol,
                    CipherSuite = probe.CipherSuite,
                    LeafKey = probe.LeafKey,
                    ChainLength = chain.Count,
                    Outcome = aggregate?.Address?.Outcome.ToString(),
                    Reason = aggregate?.Address?.Reason.ToString(),
                    Rfc8460Result = aggregate?.Address?.ResultType.ToString(),
                    MatchedRecord = aggregate?.Address?.Match?.Record.ToString(),
                    MatchDepth = aggregate?.Address?.Match?.Depth,
                    Detail = aggregate?.Address?.Detail ?? probe.Detail,
                };
                if (chain.Count > 0)
                {
                    row.LeafSha256 = Convert.ToHexStringLower(SHA256.HashData(chain[0]));
                    using var leaf = CertificateFacts.TryParse(chain[0]);
                    if (leaf is not null)
                    {
                        row.LeafSubject = leaf.Subject;
                        row.LeafIssuer = leaf.Issuer;
                        row.LeafNotAfterUtc = leaf.NotAfter.ToUniversalTime();
                        row.LeafDnsNames = Join(CertificateFacts.DnsNames(leaf));
                    }
                }

                yield return row;
            }
        }

        public RunStatistics Statistics()
        {
            var computed = DateTimeOffset.UtcNow;
            return new RunStatistics { RunId = runId, ComputedUtc = computed, Counts = StatisticsCounts.ToCounts(_statistics.Build(computed)) };
        }


        private static string Key(string host, string address) => ProbeKey.Of(host, address);

        private static string Join(IEnumerable<string> values) => string.Join(DatasetSchema.ListSeparator, values);
    }
}
