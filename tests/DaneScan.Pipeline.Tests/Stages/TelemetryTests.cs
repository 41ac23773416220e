using System.Diagnostics;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Pipeline.Telemetry;
using DaneScan.Storage;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DaneScan.Pipeline.Tests.Stages;

/// <summary>
/// A lab scan emits DaneScan's metrics and traces: read back through OpenTelemetry's in-memory exporter, the
/// per-stage counts, outcomes and probes equal what the scan recorded and the catalogue expects.
/// </summary>
[Trait("Category", "Integration")]
[Collection(PipelineLabCollection.Name)]
public sealed class TelemetryTests(PipelineLab fixture) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"danescan-telemetry-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private static long Sum(List<Metric> metrics, string name, string tag, string value)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                foreach (var t in point.Tags)
                {
                    if (t.Key == tag && Equals(t.Value, value))
                    {
                        total += point.GetSumLong();
                    }
                }
            }
        }

        return total;
    }

    private static long InFlight(List<Metric> metrics, string name)
    {
        var last = metrics.Last(m => m.Name == name);
        long total = 0;
        foreach (ref readonly var point in last.GetMetricPoints())
        {
            total += point.GetSumLong();
        }

        return total;
    }

    [Fact]
    public async Task A_lab_scan_emits_stage_counts_outcomes_probes_and_spans()
    {
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        var (meterProvider, tracerProvider) = TelemetryRegistration.CreateProviders(
            m => m.AddInMemoryExporter(metrics),
            t => t.AddInMemoryExporter(spans));
        using (meterProvider)
        using (tracerProvider)
        {
            await using var store = new RunDirectoryStore(_root);
            using var limiter = new ConnectionLimiter(new ConnectionLimits { MinIntervalPerAddress = TimeSpan.Zero, MaxConcurrentConnections = 16 });
            var runner = fixture.NewRunner(store, "telemetry", limiter);
            var domains = LabCatalogue.All.Select(c => c.Domain).ToList();

            // Queue depths are observed while the run lasts (the slow-banner case keeps it going for the
            // scanner's 30 s step deadline): collect a few times meanwhile.
            var running = runner.RunAsync([ScanSource.Names("lab:cases", domains)]);
            var queuesSeen = new HashSet<string>();
            while (!running.IsCompleted)
            {
                meterProvider.ForceFlush();
                foreach (var metric in metrics.Where(m => m.Name == "danescan.queue.depth"))
                {
                    foreach (ref readonly var point in metric.GetMetricPoints())
                    {
                        foreach (var t in point.Tags)
                        {
                            queuesSeen.Add($"{t.Key}={t.Value}");
                        }
                    }
                }

                await Task.WhenAny(running, Task.Delay(500));
            }

            var result = await running;
            meterProvider.ForceFlush();
            tracerProvider.ForceFlush();

            // Every stage saw every domain (other scans in this process may add to the same counters, so at least).
            foreach (var stage in new[] { "enumerate", "resolve", "probe", "record" })
            {
                Assert.True(Sum(metrics, "danescan.domains", "stage", stage) >= domains.Count, $"stage {stage}: {Sum(metrics, "danescan.domains", "stage", stage)} < {domains.Count}");
            }

            // Outcomes by all-MX status: as many Protected and Failing as the catalogue expects.
            foreach (var status in new[] { "Protected", "Failing", "NotDane", "NotApplicable" })
            {
                var expected = LabCatalogue.All.Count(c => c.Expected.AllMx.ToString() == status);
                Assert.True(Sum(metrics, "danescan.outcomes", "status", status) >= expected, $"{status}: fewer than the catalogue's {expected}");
            }

            // Probes: one per target the scan probed, by outcome; TlsEstablished among them.
            var probes = metrics.Where(m => m.Name == "danescan.probes").SelectMany(m =>
            {
                var list = new List<long>();
                foreach (ref readonly var p in m.GetMetricPoints())
                {
                    list.Add(p.GetSumLong());
                }

                return list;
            }).Sum();
            Assert.True(probes >= result.Summary.Probes, $"{probes} probes counted, {result.Summary.Probes} stored");
            Assert.True(Sum(metrics, "danescan.probes", "outcome", "TlsEstablished") > 0);

            // Spans: one resolve span per domain, tagged with it; probe spans tagged host|address.
            Assert.Contains(spans, s => s.OperationName == "resolve" && (string?)s.GetTagItem("danescan.domain") == "ee-11.lab");
            Assert.Contains(spans, s => s.OperationName == "probe" && ((string?)s.GetTagItem("danescan.target"))?.StartsWith("mx.ee-11.lab|", StringComparison.Ordinal) == true);

            // The in-flight counters come back to zero, and every queue between stages was observed.
            Assert.Equal(0, InFlight(metrics, "danescan.lookups.in_flight"));
            Assert.Equal(0, InFlight(metrics, "danescan.probes.in_flight"));
            Assert.Contains("queue=resolve", queuesSeen);
            Assert.Contains("queue=probe", queuesSeen);
            Assert.Contains("queue=record", queuesSeen);
        }
    }
}
