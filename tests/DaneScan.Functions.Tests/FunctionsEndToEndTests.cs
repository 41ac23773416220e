using Azure.Messaging.ServiceBus;
using Azure.Storage.Blobs;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Fleet;
using DaneScan.Functions.Api;
using DaneScan.Functions.Settings;
using DaneScan.Functions.Stages;
using DaneScan.Functions.Testing;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Testing;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Local;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.ServiceBus;
using DaneScan.Smtp;
using DaneScan.Statistics;
using DaneScan.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The Functions tests' own lab on 127.59.0.0/16 (every catalogue case, real nsd, unbound and SMTP servers).
/// <c>DANESCAN_FUNCTIONS_LAB_OCTET</c> moves it to another 127.X.0.0/16 block, so that two checkouts can run
/// these tests at once: two labs on one block (and one state directory) mix up their keys and certificates.
/// </summary>
public sealed class FunctionsLab : LabFixture
{
    public FunctionsLab()
        : base(Octet())
    {
    }

    private static byte Octet() =>
        byte.TryParse(Environment.GetEnvironmentVariable("DANESCAN_FUNCTIONS_LAB_OCTET"), out var octet) && octet is > 0 and < 255 ? octet : (byte)59;
}

/// <summary>
/// A lab run through the function classes, in process: the real <see cref="ScanFunctions"/> with the table
/// stages over Azurite, the lab's DNS and SMTP servers, and the statistics API's queries. Service Bus and the
/// Functions host cannot run here, so they are mocked: the two queues are in-memory FIFOs fed by a
/// <see cref="ServiceBusSender"/> subclass (no locks, redelivery or duplicate detection), and the function
/// invocations are called directly with a mock FunctionContext (and a <see cref="TimerInfo"/> for the timer).
/// The run starts where a real one does: the lab's list (every catalogue case, as a gzip-compressed Tranco
/// CSV) is uploaded to a container of Azurite's blob service, and <see cref="EnumerateFunction"/> with
/// <see cref="BlobRunEnumerator"/> reads it, writes the manifest and sends the resolve batches. The local
/// runner (what <c>danescan scan</c> runs) reads the same bytes. The finaliser (what the Finalise timer
/// calls) then completes the run, and the statistics API serves its pre-aggregated rows.
/// </summary>
[Trait("Category", "Integration")]
public sealed class FunctionsEndToEndTests(FunctionsLab fixture) : IClassFixture<FunctionsLab>
{
    [AzuriteFact]
    public async Task A_lab_run_through_the_functions_counts_the_same_outcomes_as_the_local_runner()
    {
        var domains = LabCatalogue.All.Select(c => c.Domain).ToList();
        var list = Gzip("rank,domain\n" + string.Concat(domains.Select((d, i) => $"{i + 1},{d}\n")));
        var container = "e2e-lists-" + Guid.NewGuid().ToString("N")[..12];
        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        await blobs.GetBlobContainerClient(container).CreateAsync();
        await blobs.GetBlobContainerClient(container).GetBlobClient("lab-cases.csv.gz").UploadAsync(new BinaryData(list));

        // The timer fires (a little late) for the occurrence Sunday 03:00; the run id comes from that occurrence.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 3, 0, 7, TimeSpan.Zero));
        var runId = RunIds.ForOccurrence(new DateTimeOffset(2026, 11, 29, 3, 0, 0, TimeSpan.Zero));
        var service = TableResultStore.CreateServiceClient(Azurite.ConnectionString);
        var localStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = "l" + Guid.NewGuid().ToString("N")[..16] });
        var prefix = "f" + Guid.NewGuid().ToString("N")[..16];
        var fleetStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix });
        var claims = await ProbeClaims.OpenAsync(service, prefix);
        try
        {
            // The local runner (danescan scan) over the same names.
            using var limiter1 = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero });
            var (resolver1, prober1, policy1) = Engine(limiter1);
            var local = await new LocalScanRunner(resolver1, prober1, policy1, localStore, new LocalScanOptions { RunId = runId, SmtpPort = fixture.Options.SmtpPort })
                .RunAsync([new ScanSource("lab-cases.csv.gz", () => new MemoryStream(list, writable: false), list.Length)]);

            // The fleet: function classes, table stages, in-memory queues.
            using var limiter2 = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero });
            var (resolver2, prober2, _) = Engine(limiter2);
            var resolveQueue = new RecordingQueue(WorkQueues.Resolve);
            var probeQueue = new RecordingQueue(WorkQueues.Probe);
            var senders = new QueueSenders(new WorkQueueSender(resolveQueue), new WorkQueueSender(probeQueue));
            var functions = new ScanFunctions(
                new ResolveBatchHandler(new TableResolveStage(resolver2.ResolveAsync, fleetStore, claims, fixture.Options.SmtpPort), senders.Probe, claims),
                new ProbeRequestHandler(new TableProbeStage(prober2.ProbeAsync, fleetStore, claims, fixture.Options.SmtpPort), senders.Probe),
                NullLogger<ScanFunctions>.Instance);
            var enumerator = new BlobRunEnumerator(blobs, fleetStore, new RunEnumeratorOptions { Resolver = fixture.Lab.Resolver.ToString(), VantagePoint = "lab" }, time);
            var enumerate = new EnumerateFunction(
                enumerator, senders, claims.Progress,
                Options.Create(new EnumerateOptions { Schedule = "0 0 3 * * 0", ListsContainer = container, BatchBodyBudgetBytes = 1024 }),
                time, NullLogger<EnumerateFunction>.Instance);
            await enumerate.RunAsync(new TimerInfo(), CancellationToken.None);
            Assert.True(resolveQueue.Count > 1, "the domains should span several resolve messages");
            var enumerated = await fleetStore.ReadManifestAsync(runId);
            Assert.Equal(domains.Count, enumerated!.Counts.DomainsEnumerated);
            Assert.Equal(resolveQueue.Count, enumerated.Counts.ResolveMessages);

            // The fleet read the list exactly as danescan scan did: same hash, same fate of every line.
            var fleetList = Assert.Single(enumerated.Lists);
            var localList = Assert.Single(local.Manifest.Lists);
            Assert.Equal(
                (localList.Source, localList.Sha256, localList.Format, localList.Gzip, localList.Lines, localList.HeaderLines, localList.Accepted, localList.Rejected.Count),
                (fleetList.Source, fleetList.Sha256, fleetList.Format, fleetList.Gzip, fleetList.Lines, fleetList.HeaderLines, fleetList.Accepted, fleetList.Rejected.Count));
            Assert.Equal((1L, (long)domains.Count), (fleetList.HeaderLines, fleetList.Accepted));
            var finaliser = new RunFinaliser(fleetStore, claims.Progress);
            var queries = StatisticsQueries.ForTable(fleetStore);
            Assert.Equal(FinaliseOutcome.Outstanding, (await finaliser.FinaliseAsync(runId)).Outcome);
            var invocations = 0;
            while (resolveQueue.TryDequeue(out var r) | probeQueue.TryDequeue(out var p))
            {
                if (r is not null)
                {
                    await functions.ResolveAsync(r, new SuccessPathContext("e2e"), CancellationToken.None);
                    invocations++;
                }

                if (p is not null)
                {
                    await functions.ProbeAsync(p, new SuccessPathContext("e2e"), CancellationToken.None);
                    invocations++;
                }

                // Midway (a batch or a claimed probe still queued) the run is not complete.
                if (invocations == 3)
                {
                    Assert.True(resolveQueue.Count + probeQueue.Count > 0);
                    Assert.Equal(FinaliseOutcome.Outstanding, (await finaliser.FinaliseAsync(runId)).Outcome);
                }
            }

            // Both runs judged every domain alike (named, so that a lab hiccup is told from a counting bug).
            var localVerdicts = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var record in localStore.EnumerateDomainsAsync(runId))
            {
                localVerdicts[record.Domain] = $"{record.Verdict?.Primary}/{record.ProbeKeys.Count}";
            }

            var differing = new List<string>();
            await foreach (var record in fleetStore.EnumerateDomainsAsync(runId))
            {
                var fleetVerdict = $"{record.Verdict?.Primary}/{record.ProbeKeys.Count}";
                if (localVerdicts.GetValueOrDefault(record.Domain) != fleetVerdict)
                {
                    differing.Add($"{record.Domain}: local {localVerdicts.GetValueOrDefault(record.Domain)}, fleet {fleetVerdict} ({record.Observation.Mx.Outcome}, {string.Join(' ', record.Observation.Hosts.Select(h => $"{h.Name} A={h.A?.Outcome} TLSA={h.Tlsa?.Outcome}"))})");
                }
            }

            Assert.True(differing.Count == 0, string.Join("\n", differing));

            // Before the finaliser: the running run's answers are computed from its records.
            var running = await queries.GetRunAsync(runId);
            Assert.False(running!.Completed);
            Assert.False(running.PreAggregated);
            var computedCounts = new Dictionary<BreakdownDimension, Page<CountRow>>();
            foreach (var dimension in Enum.GetValues<BreakdownDimension>())
            {
                computedCounts[dimension] = (await queries.GetCountsAsync(runId, dimension, new PageRequest(PageRequest.MaxTop, null)))!.Value;
            }

            var computedFindings = (await queries.ListFindingsAsync(runId, new PageRequest(PageRequest.MaxTop, null)))!.Value;

            // Every batch resolved and every claimed probe stored: the finaliser completes the run, once.
            var finalised = await finaliser.FinaliseRunningAsync();
            var result = Assert.Single(finalised, r => r.RunId == runId);
            Assert.Equal(FinaliseOutcome.Completed, result.Outcome);
            Assert.Equal(local.Summary.Probes, result.Completion!.ProbesClaimed);
            Assert.Equal(FinaliseOutcome.AlreadyCompleted, (await finaliser.FinaliseAsync(runId)).Outcome);
            var manifest = await fleetStore.ReadManifestAsync(runId);
            Assert.Equal(Contracts.RunState.Completed, manifest!.State);
            Assert.NotNull(manifest.EndedUtc);
            Assert.Equal(domains.Count, manifest.Counts.DomainsRecorded);

            // Every domain was judged with its probes (none left waiting), each target probed once.
            await foreach (var record in fleetStore.EnumerateDomainsAsync(runId))
            {
                Assert.True(record.Verdict is not null, $"{record.Domain} was left without a verdict");
            }

            Assert.Equal(local.Summary.Probes, probeQueue.Sent);

            // The statistics API's answers for both runs are equal, and equal the local runner's own summary:
            // the fleet's from its pre-aggregated rows, the local run's (completed by danescan scan, no
            // finaliser) computed from its records.
            var fleetAnswer = await queries.GetRunAsync(runId);
            var localAnswer = await StatisticsQueries.ForTable(localStore).GetRunAsync(runId);
            Assert.True(fleetAnswer!.Completed && fleetAnswer.PreAggregated);
            Assert.True(localAnswer!.Completed && !localAnswer.PreAggregated);
            var (fleet, fromLocal) = (fleetAnswer.Value, localAnswer.Value);
            Assert.Equal(running.Value.DomainsByState, fleet.DomainsByState);
            Assert.Equal(running.Value.HostsByOutcome, fleet.HostsByOutcome);
            Assert.Equal(running.Value.HostsProbed, fleet.HostsProbed);
            Assert.Equal(domains.Count, fleet.DomainsByState.Values.Sum());
            Assert.Equal(Sorted(fromLocal.DomainsByState), Sorted(fleet.DomainsByState));
            Assert.Equal(Sorted(fromLocal.HostsByOutcome), Sorted(fleet.HostsByOutcome));
            Assert.Equal(fromLocal.HostsProbed, fleet.HostsProbed);
            Assert.Equal(
                Enum.GetValues<DaneState>().Select(s => (s, local.Summary.Report.Totals.Count(HostView.All, s))),
                Enum.GetValues<DaneState>().Select(s => (s, fleet.DomainsByState[s])));
            Assert.Equal(local.Summary.Report.Totals.Headline, fleet.Headline);
            foreach (var dimension in Enum.GetValues<BreakdownDimension>())
            {
                var a = (await StatisticsQueries.ForTable(localStore).GetCountsAsync(runId, dimension, new PageRequest(PageRequest.MaxTop, null)))!.Value;
                var b = await queries.GetCountsAsync(runId, dimension, new PageRequest(PageRequest.MaxTop, null));
                Assert.True(b!.PreAggregated);
                Assert.Equal(a.Items.Select(r => (r.Key, r.Domains, r.DaneProtected, r.Trusted, r.SurveyProtected, Sorted(r.ByState))), b.Value.Items.Select(r => (r.Key, r.Domains, r.DaneProtected, r.Trusted, r.SurveyProtected, Sorted(r.ByState))));
                Assert.Equal(Json(computedCounts[dimension]), Json(b.Value));
            }

            var findings = await queries.ListFindingsAsync(runId, new PageRequest(PageRequest.MaxTop, null));
            Assert.True(findings!.PreAggregated);
            Assert.Equal(Json(computedFindings), Json(findings.Value));
            Assert.Equal(
                local.Summary.Report.Findings.OrderBy(f => f.Code, StringComparer.Ordinal).Select(f => (f.Code, f.Domains)),
                findings.Value.Items.OrderBy(f => f.Code, StringComparer.Ordinal).Select(f => (f.Code, f.Domains)));

            // The finaliser also stored the CLI's statistics rows: the same counts danescan scan stored.
            var cliRows = (await localStore.ReadStatisticsAsync(runId))!.Counts;
            var fleetRows = (await fleetStore.ReadStatisticsAsync(runId))!.Counts;
            Assert.Equal(cliRows.OrderBy(kv => kv.Key, StringComparer.Ordinal), fleetRows.OrderBy(kv => kv.Key, StringComparer.Ordinal));

            Assert.True(fleet.DomainsByState.Count(kv => kv.Value > 0) > 2, "the lab should yield several states");
        }
        finally
        {
            await localStore.DeleteTablesAsync();
            await fleetStore.DeleteTablesAsync();
            await blobs.GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(System.Text.Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }

    private (DomainResolver Resolver, HostProber Prober, PolitenessPolicy Policy) Engine(ConnectionLimiter limiter)
    {
        var resolver = new DomainResolver(new DnsResolverOptions { Endpoint = fixture.Lab.Resolver });
        var policy = new PolitenessPolicy(OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: true));
        return (resolver, new HostProber(new SmtpProber(new SmtpProbeOptions("scanner.danescan.test")), policy, limiter), policy);
    }

    private static string Json<T>(T value) => System.Text.Json.JsonSerializer.Serialize(value, StatisticsHandlers.Json);

    private static string Sorted<T>(IReadOnlyDictionary<T, long> counts)
        where T : struct, Enum =>
        string.Join(",", counts.OrderBy(kv => kv.Key.ToString(), StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));
}
