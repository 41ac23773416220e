using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Fleet;
using DaneScan.Functions;
using DaneScan.Functions.Settings;
using DaneScan.Functions.Testing;
using DaneScan.Lab;
using DaneScan.Lab.Scale;
using DaneScan.Pipeline.Engine;
using DaneScan.Pipeline.Politeness;
using DaneScan.ServiceBus;
using DaneScan.Smtp;
using DaneScan.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DaneScan.Benchmarks.Cost;

/// <summary>
/// <c>dotnet run -c Release --project tests/DaneScan.Benchmarks -- cost [options]</c>: one fleet run over a
/// running lab, through the real function classes (<see cref="EnumerateFunction"/>, <see cref="ScanFunctions"/>)
/// and the Table stages on Azurite, with in-memory stand-ins for the two Service Bus queues and an in-process
/// stand-in for the Functions host (up to maxConcurrentCalls executions at once per function). Prints the
/// operations the fleet's adapters counted, per domain and per million domains, and what they cost.
/// </summary>
internal static class CostCommand
{
    private const string Usage = """
        usage: DaneScan.Benchmarks cost [--lab STATE] [--domains N] [--concurrency C] [--batch-bytes B]
                                        [--memory-mb 512|2048|4096] [--vcpus V] [--table-connection CS] [--json FILE] [--keep] [--waiting-probes]
                                        [--resolve-seconds S] [--probe-seconds S] [--probe-timeout-share F] [--probe-timeout-seconds S]
          --lab STATE          a running lab with scale domains (danescan lab up --scale N --hosts M --no-cases); default /tmp/danescan-lab-64
          --domains N          scan the first N scale domains (default all)
          --concurrency C      executions at once per function instance (host.json maxConcurrentCalls; default 16)
          --batch-bytes B      body budget of one resolve message (Enumerate__BatchBodyBudgetBytes; default 245760)
          --memory-mb M        Flex Consumption instance memory (default 2048, as bicep/modules/functionapp.bicep)
          --vcpus V            cores of such an instance, for the CPU-bound model (default 1)
          --table-connection   Table Storage connection string (default $DANESCAN_TABLE_CONNECTION or UseDevelopmentStorage=true)
          --json FILE          also write the report as JSON to FILE
          --keep               keep the tables (default: deleted at the end)
          --waiting-probes     wire the probe stage as it was before deferral: an execution waits for its address's
                               polite turn instead of sending the request back as a scheduled message (the comparison)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"cost: unexpected argument '{args[i]}'\n{Usage}");
                return 2;
            }

            var flag = args[i];
            options[flag] = flag is "--keep" or "--help" or "--waiting-probes" ? "true" : i + 1 < args.Length ? args[++i] : null;
        }

        if (options.ContainsKey("--help"))
        {
            Console.WriteLine(Usage);
            return 0;
        }

        string Text(string flag, string fallback) => options.TryGetValue(flag, out var v) && v is not null ? v : fallback;
        double Number(string flag, double fallback) => options.TryGetValue(flag, out var v) && v is not null ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

        var state = Text("--lab", new LabOptions { Octet = 64 }.ResolvedStateDirectory);
        var manifest = LabEnvironment.Status(state).Manifest;
        if (manifest is not { ScaleDomains: > 0, ScaleExpectedFile: { } expectedFile })
        {
            await Console.Error.WriteLineAsync($"cost: no running lab with scale domains in {state}; start one with 'danescan lab up --octet 64 --scale 20000 --hosts 400 --no-cases'");
            return 3;
        }

        var settings = new CostSettings
        {
            LabState = state,
            Resolver = manifest.Resolver,
            SmtpPort = manifest.SmtpPort,
            ExpectedFile = expectedFile,
            Domains = (int)Number("--domains", int.MaxValue),
            Concurrency = (int)Number("--concurrency", 16),
            BatchBodyBytes = (int)Number("--batch-bytes", WorkQueues.DefaultBodyBudgetBytes),
            MemoryMb = (int)Number("--memory-mb", 2048),
            VCpus = Number("--vcpus", 1),
            TableConnection = Text("--table-connection", Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION") is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true"),
            Keep = options.ContainsKey("--keep"),
            WaitingProbes = options.ContainsKey("--waiting-probes"),
            Latency = new LatencyModel
            {
                ResolveSecondsPerDomain = Number("--resolve-seconds", 0.5),
                ProbeSecondsCompleted = Number("--probe-seconds", 2.0),
                ProbeTimeoutShare = Number("--probe-timeout-share", 0.10),
                ProbeTimeoutSeconds = Number("--probe-timeout-seconds", 30),
            },
        };

        var report = await MeasureAsync(settings, CancellationToken.None);
        Console.WriteLine(JsonSerializer.Serialize(report, Json));
        Console.WriteLine();
        Console.WriteLine(Table(report));
        if (options.TryGetValue("--json", out var file) && file is not null)
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(report, Json));
        }

        return report.Check.Mismatches == 0 && report.Check.Unjudged == 0 ? 0 : 1;
    }

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private static async Task<CostReport> MeasureAsync(CostSettings s, CancellationToken cancellationToken)
    {
        var domains = File.ReadLines(Path.Combine(Path.GetDirectoryName(s.ExpectedFile)!, "domains.txt"))
            .Where(l => l.Length > 0).Take(s.Domains).ToList();
        var prefix = "cost" + Guid.NewGuid().ToString("N")[..12];
        var service = TableResultStore.CreateServiceClient(s.TableConnection);

        // The list goes into a container of Azurite's Blob service, where the real BlobRunEnumerator reads it;
        // the enumerator's requests go through a client that counts them (the upload is not the fleet's).
        var blobRequests = new RequestCounter();
        var blobOptions = new BlobClientOptions();
        blobOptions.AddPolicy(blobRequests, HttpPipelinePosition.PerRetry);
        var container = prefix.ToLowerInvariant();
        var uploader = new BlobServiceClient(s.TableConnection).GetBlobContainerClient(container);
        await uploader.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await uploader.UploadBlobAsync("domains.txt", BinaryData.FromString(string.Join('\n', domains) + "\n"), cancellationToken);
        var blobs = new BlobServiceClient(s.TableConnection, blobOptions);

        // One store and one claims table per stage, so that each stage's requests are counted apart.
        var enumerateStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }, cancellationToken);
        var resolveStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }, cancellationToken);
        var probeStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }, cancellationToken);
        var resolveClaims = await ProbeClaims.OpenAsync(service, prefix, cancellationToken);
        var probeClaims = await ProbeClaims.OpenAsync(service, prefix, cancellationToken);
        var enumerateClaims = await ProbeClaims.OpenAsync(service, prefix, cancellationToken);
        var finaliseStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }, cancellationToken);
        var finaliseClaims = await ProbeClaims.OpenAsync(service, prefix, cancellationToken);
        var checkStore = await TableResultStore.OpenAsync(service, new TableStoreOptions { TablePrefix = prefix }, cancellationToken);
        try
        {
            // The resolve stage shares host lookups within the run as the fleet's one wiring does
            // (WorkerRuntime.Stages: RunHostCaches over the engine's resolver); the lookups it sends are counted.
            var lookups = new CountingRrsetResolver(new ValidatingResolver(new DnsResolverOptions { Endpoint = DnsResolverOptions.ParseEndpoint(s.Resolver) }));
            var hostCaches = new RunHostCaches(new DomainResolver(lookups));
            using var limiter = new ConnectionLimiter();
            var policy = new PolitenessPolicy(OptOutList.Empty, new AddressPolicy(allowSpecialPurpose: true));
            var prober = new HostProber(new SmtpProber(new SmtpProbeOptions("cost.danescan.test")), policy, limiter);

            long pending = 0;
            var enumerated = false;
            MemoryQueue? resolveQueue = null;
            MemoryQueue? probeQueue = null;
            void Done()
            {
                if (Interlocked.Decrement(ref pending) == 0 && Volatile.Read(ref enumerated))
                {
                    resolveQueue!.Close();
                    probeQueue!.Close();
                }
            }

            resolveQueue = new MemoryQueue(WorkQueues.Resolve, () => Interlocked.Increment(ref pending));
            probeQueue = new MemoryQueue(WorkQueues.Probe, () => Interlocked.Increment(ref pending));
            var senders = new QueueSenders(new WorkQueueSender(resolveQueue), new WorkQueueSender(probeQueue));
            var logs = new CountingLoggerFactory();
            var functions = new ScanFunctions(
                new ResolveBatchHandler(new TableResolveStage(hostCaches.ResolveAsync, resolveStore, resolveClaims, s.SmtpPort), senders.Probe, resolveClaims),
                // By default the deferring stage, as WorkerRuntime.Stages wires it (a busy address sends the request back as a
                // scheduled message); with --waiting-probes the stage as it was before deferral.
                new ProbeRequestHandler(
                    s.WaitingProbes
                        ? new TableProbeStage(prober.ProbeAsync, probeStore, probeClaims, s.SmtpPort)
                        : new TableProbeStage(prober, probeStore, probeClaims, s.SmtpPort),
                    senders.Probe),
                logs.CreateLogger<ScanFunctions>());
            var enumerator = new BlobRunEnumerator(blobs, enumerateStore, new RunEnumeratorOptions { Resolver = s.Resolver, VantagePoint = "lab" });
            var enumerate = new EnumerateFunction(
                enumerator,
                senders,
                enumerateClaims.Progress,
                Options.Create(new EnumerateOptions { Schedule = "0 0 0 * * *", ListsContainer = container, BatchBodyBudgetBytes = s.BatchBodyBytes }),
                TimeProvider.System,
                logs.CreateLogger<EnumerateFunction>());

            var finalise = new FinaliseFunction(new RunFinaliser(finaliseStore, finaliseClaims.Progress), logs.CreateLogger<FinaliseFunction>());
            var enumerateMeter = new FunctionMeter(EnumerateFunction.Name);
            var finaliseMeter = new FunctionMeter(FinaliseFunction.Name);
            var resolveMeter = new FunctionMeter(ScanFunctions.ResolveName);
            var probeMeter = new FunctionMeter(ScanFunctions.ProbeName);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();

            // The timer fires once; the host loops take the two queues meanwhile.
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var resolveLoop = HostLoop.RunAsync(resolveQueue, resolveMeter, s.Concurrency, m => functions.ResolveAsync(m.Body, new SuccessPathContext("cost", m.ApplicationProperties), cts.Token), Done, cts.Token);
            var probeLoop = HostLoop.RunAsync(probeQueue, probeMeter, s.Concurrency, m => functions.ProbeAsync(m.Body, new SuccessPathContext("cost", m.ApplicationProperties), cts.Token), Done, cts.Token);
            Interlocked.Increment(ref pending);
            await enumerateMeter.RunAsync(() => enumerate.RunAsync(new TimerInfo(), cts.Token));
            Volatile.Write(ref enumerated, true);
            Done();
            await Task.WhenAll(resolveLoop, probeLoop);

            // The finaliser's timer: once the run is done it computes the statistics and completes the manifest
            // (in Azure it also ticks while the run is going; each tick re-reads the run's markers).
            await finaliseMeter.RunAsync(() => finalise.RunAsync(new TimerInfo(), cts.Token));
            var wall = clock.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;

            // What a correct run gives: every domain judged, as the lab expects.
            string? runId = null;
            await foreach (var m in checkStore.EnumerateManifestsAsync(cancellationToken))
            {
                runId = m.State == RunState.Completed ? m.RunId : throw new InvalidOperationException($"run {m.RunId} was not completed by the finaliser: {m.State}");
            }

            if (runId is null)
            {
                throw new InvalidOperationException("the enumerate stage wrote no run manifest");
            }

            var check = await CheckAsync(checkStore, runId, s.ExpectedFile, domains, cancellationToken);
            var stored = await StoredAsync(service, prefix, cancellationToken);

            return CostReport.Build(s, runId, domains.Count, wall, cpu, check, stored, logs.Records, blobRequests.Count, lookups.Lookups, probeQueue.Scheduled,
                [enumerateMeter, resolveMeter, probeMeter, finaliseMeter],
                new Dictionary<string, TableOperationCounters>(StringComparer.Ordinal)
                {
                    ["enumerate.results"] = enumerateStore.Counters,
                    ["enumerate.claims"] = enumerateClaims.Counters,
                    ["resolve.results"] = resolveStore.Counters,
                    ["resolve.claims"] = resolveClaims.Counters,
                    ["probe.results"] = probeStore.Counters,
                    ["probe.claims"] = probeClaims.Counters,
                    ["finalise.results"] = finaliseStore.Counters,
                    ["finalise.claims"] = finaliseClaims.Counters,
                },
                new Dictionary<string, (ServiceBusOperationCounters Send, ServiceBusOperationCounters Host)>(StringComparer.Ordinal)
                {
                    [WorkQueues.Resolve] = (senders.Resolve.Counters, resolveQueue.Host),
                    [WorkQueues.Probe] = (senders.Probe.Counters, probeQueue.Host),
                });
        }
        finally
        {
            if (!s.Keep)
            {
                await enumerateStore.DeleteTablesAsync(CancellationToken.None);
                await service.GetTableClient(resolveClaims.TableName).DeleteAsync(CancellationToken.None);
                await uploader.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
            }
        }
    }

    private static async Task<RunCheck> CheckAsync(TableResultStore store, string runId, string expectedFile, IReadOnlyList<string> domains, CancellationToken cancellationToken)
    {
        var wanted = domains.ToHashSet(StringComparer.Ordinal);
        var expected = new Dictionary<string, ScaleExpectation>(StringComparer.Ordinal);
        var lineOptions = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        foreach (var line in File.ReadLines(expectedFile))
        {
            if (line.Length > 0 && JsonSerializer.Deserialize<ScaleExpectation>(line, lineOptions) is { } e && wanted.Contains(e.Domain))
            {
                expected[e.Domain] = e;
            }
        }

        long recorded = 0, unjudged = 0, mismatches = 0, probes = 0;
        await foreach (var record in store.EnumerateDomainsAsync(runId, cancellationToken))
        {
            recorded++;
            if (record.Verdict is not { } v)
            {
                unjudged++;
            }
            else if (!expected.TryGetValue(record.Domain, out var e) || v.All != e.AllMx || v.Primary != e.PrimaryMx || v.MxStatus != e.Mx)
            {
                mismatches++;
            }
        }

        await foreach (var _ in store.EnumerateProbesAsync(runId, cancellationToken))
        {
            probes++;
        }

        return new RunCheck(recorded, unjudged, mismatches + (expected.Count - recorded), probes);
    }

    /// <summary>What the run left in its tables, read back: entities and billed bytes per table (not counted as fleet requests).</summary>
    private static async Task<Dictionary<string, StoredTable>> StoredAsync(TableServiceClient service, string prefix, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, StoredTable>(StringComparer.Ordinal);
        foreach (var name in new[] { "Domains", "Probes", "Runs", "Stats", "Claims" })
        {
            long entities = 0, bytes = 0;
            await foreach (var entity in service.GetTableClient(prefix + name).QueryAsync<TableEntity>(cancellationToken: cancellationToken))
            {
                entities++;
                bytes += TableEntitySize.BilledBytes(entity);
            }

            result[name] = new StoredTable(entities, bytes);
        }

        return result;
    }

    private static string Table(CostReport r)
    {
        var b = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        b.AppendLine(ci, $"Fleet run {r.RunId}: {r.Domains:N0} domains, {r.Check.Probes:N0} probes ({r.ProbesPerDomain:0.000} per domain), {r.WallSeconds:0.0} s wall, {r.ProcessCpuSeconds:0.0} s CPU");
        b.AppendLine(ci, $"probe stage: {(r.WaitingProbes ? "waiting for an address's turn in the execution" : "a busy address's request sent back as a scheduled message")}");
        b.AppendLine(ci, $"check: {r.Check.Recorded:N0} recorded, {r.Check.Unjudged} unjudged, {r.Check.Mismatches} differ from the lab's expectations");
        b.AppendLine();
        b.AppendLine("| counted operation | total | per domain | per million domains |");
        b.AppendLine("|---|---:|---:|---:|");
        foreach (var (name, value) in r.Operations)
        {
            b.AppendLine(ci, $"| {name} | {value:N0} | {value / r.Domains:0.####} | {value * 1e6 / r.Domains:N0} |");
        }

        b.AppendLine();
        b.AppendLine("| function | executions | sum of wall s | active s (≥1 running) | longest s |");
        b.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var f in r.Functions)
        {
            b.AppendLine(ci, $"| {f.Name} | {f.Executions:N0} | {f.WallSeconds:0.00} | {f.ActiveSeconds:0.00} | {f.LongestSeconds:0.00} |");
        }

        b.AppendLine();
        b.AppendLine("| GB-seconds per million domains | resolve (+ enumerate, finalise) | probe | total |");
        b.AppendLine("|---|---:|---:|---:|");
        foreach (var m in r.GbSeconds)
        {
            b.AppendLine(ci, $"| {m.Model} | {m.Resolve:N0} | {m.Probe:N0} | {m.Resolve + m.Probe:N0} |");
        }

        b.AppendLine();
        b.AppendLine("| USD per million domains | lab measured | internet model |");
        b.AppendLine("|---|---:|---:|");
        foreach (var d in r.Dollars)
        {
            b.AppendLine(ci, $"| {d.Service} | {d.Lab:0.00} | {d.Internet:0.00} |");
        }

        b.AppendLine();
        b.AppendLine("| stored (billed bytes) | entities | bytes | per domain |");
        b.AppendLine("|---|---:|---:|---:|");
        foreach (var (table, t) in r.Stored)
        {
            b.AppendLine(ci, $"| {table} | {t.Entities:N0} | {t.Bytes:N0} | {(double)t.Bytes / r.Domains:N0} |");
        }

        return b.ToString();
    }
}

internal sealed record CostSettings
{
    public required string LabState { get; init; }

    public required string Resolver { get; init; }

    public required int SmtpPort { get; init; }

    public required string ExpectedFile { get; init; }

    public int Domains { get; init; }

    public int Concurrency { get; init; }

    public int BatchBodyBytes { get; init; }

    public int MemoryMb { get; init; }

    public double VCpus { get; init; }

    public required string TableConnection { get; init; }

    public bool Keep { get; init; }

    /// <summary>Wire the waiting probe stage (before deferral) instead of the fleet's deferring one.</summary>
    public bool WaitingProbes { get; init; }

    public required LatencyModel Latency { get; init; }
}

internal sealed record RunCheck(long Recorded, long Unjudged, long Mismatches, long Probes);

internal sealed record StoredTable(long Entities, long Bytes);

/// <summary>Counts the HTTP requests a storage client sends (each one a billed storage operation).</summary>
internal sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}

/// <summary>Counts the log records the functions write at Information and above (each becomes a trace in Application Insights).</summary>
internal sealed class CountingLoggerFactory
{
    private long _records;

    public long Records => Interlocked.Read(ref _records);

    public ILogger<T> CreateLogger<T>() => new Counting<T>(this);

    private sealed class Counting<T>(CountingLoggerFactory owner) : ILogger<T>
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                Interlocked.Increment(ref owner._records);
            }
        }
    }
}
