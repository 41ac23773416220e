using DaneScan.ServiceBus;
using DaneScan.Storage;

namespace DaneScan.Benchmarks.Cost;

internal sealed record FunctionFigures(string Name, long Executions, double WallSeconds, double ActiveSeconds, double LongestSeconds);

internal sealed record GbSecondModel(string Model, double Resolve, double Probe);

internal sealed record DollarLine(string Service, decimal Lab, decimal Internet);

/// <summary>The counted operations of one fleet run and what they cost per million domains.</summary>
internal sealed record CostReport
{
    /// <summary>Application Insights records the Functions host writes per execution (a request, "Executing", "Executed").</summary>
    public const int HostLogRecordsPerExecution = 3;

    /// <summary>Billed size of one such record in Log Analytics (assumed; see docs/cost.md).</summary>
    public const int BytesPerLogRecord = 700;

    public required string RunId { get; init; }

    public required int Domains { get; init; }

    public required double ProbesPerDomain { get; init; }

    public required double WallSeconds { get; init; }

    public required double ProcessCpuSeconds { get; init; }

    public required RunCheck Check { get; init; }

    public required int Concurrency { get; init; }

    /// <summary>True when the probe stage waited for an address's turn in its execution (the comparison wiring).</summary>
    public required bool WaitingProbes { get; init; }

    public required int BatchBodyBytes { get; init; }

    public required int MemoryMb { get; init; }

    public required double VCpus { get; init; }

    public required LatencyModel Latency { get; init; }

    public required PriceSheet Prices { get; init; }

    public required double DomainsPerResolveMessage { get; init; }

    /// <summary>How long one resolve execution would take on the internet (its domains are resolved one after another), against functionTimeout 600 s.</summary>
    public required double InternetSecondsPerResolveExecution { get; init; }

    public required IReadOnlyList<KeyValuePair<string, double>> Operations { get; init; }

    public required IReadOnlyList<FunctionFigures> Functions { get; init; }

    public required IReadOnlyList<GbSecondModel> GbSeconds { get; init; }

    public required IReadOnlyList<DollarLine> Dollars { get; init; }

    public required IReadOnlyDictionary<string, StoredTable> Stored { get; init; }

    public static CostReport Build(
        CostSettings s, string runId, int domains, double wall, double cpu, RunCheck check, IReadOnlyDictionary<string, StoredTable> stored, long logRecords, long blobRequests, long dnsLookups, long probesDeferred,
        IReadOnlyList<FunctionMeter> meters, IReadOnlyDictionary<string, TableOperationCounters> tables,
        IReadOnlyDictionary<string, (ServiceBusOperationCounters Send, ServiceBusOperationCounters Host)> queues)
    {
        ArgumentNullException.ThrowIfNull(s);
        var prices = new PriceSheet();
        var ops = new List<KeyValuePair<string, double>>();
        void Add(string name, double value) => ops.Add(new(name, value));

        foreach (var (stage, c) in tables)
        {
            Add($"table {stage}: write transactions", c.Transactions);
            Add($"table {stage}: entities written", c.Entities);
            Add($"table {stage}: point reads", c.PointReads);
            Add($"table {stage}: query pages", c.QueryPages);
            Add($"table {stage}: deletes + table operations", c.Deletes + c.Other);
        }

        var tableTransactions = tables.Values.Sum(c => c.BilledTransactions);
        Add("table: billed transactions (all stages)", tableTransactions);

        long sbBilled = 0, sbCalls = 0;
        foreach (var (queue, (send, host)) in queues)
        {
            Add($"servicebus {queue}: send calls", send.SendCalls);
            Add($"servicebus {queue}: messages sent", send.MessagesSent);
            Add($"servicebus {queue}: body bytes sent", send.BodyBytesSent);
            Add($"servicebus {queue}: sends in 64 KB units", send.BilledSendOperations);
            Add($"servicebus {queue}: receives (host, 64 KB units)", host.BilledReceiveOperations);
            Add($"servicebus {queue}: completes (host)", host.Completes);
            sbBilled += send.BilledOperations + host.BilledOperations;
            sbCalls += send.SendCalls + host.MessagesReceived + host.Completes;
        }

        Add("probe requests deferred (sent back as scheduled messages; each one more send, receive and complete)", probesDeferred);
        Add("blob: requests reading the lists (enumerate)", blobRequests);
        Add("dns: RRset lookups sent by the resolve stage (MX, A, AAAA, CNAME, TLSA)", dnsLookups);
        Add("servicebus: billed operations (per message and 64 KB)", sbBilled);
        Add("servicebus: API calls (one per send call)", sbCalls);

        var executions = meters.Sum(m => m.Executions);
        foreach (var m in meters)
        {
            Add($"functions {m.Name}: executions", m.Executions);
        }

        Add("functions: executions", executions);
        var logBytes = ((executions * HostLogRecordsPerExecution) + logRecords) * (double)BytesPerLogRecord;
        Add("logs: records (host per execution + the functions' own)", (executions * HostLogRecordsPerExecution) + logRecords);

        // GB-seconds per million domains under three readings.
        var perMillion = 1e6 / domains;
        var gb = s.MemoryMb / 1024.0;
        var resolve = meters.Single(m => m.Name == DaneScan.Functions.ScanFunctions.ResolveName);
        var probe = meters.Single(m => m.Name == DaneScan.Functions.ScanFunctions.ProbeName);
        var enumerate = meters.Single(m => m.Name == DaneScan.Functions.EnumerateFunction.Name);
        var probes = (double)check.Probes;
        var wallSum = meters.Sum(m => m.WallSeconds);
        var finalise = meters.Single(m => m.Name == DaneScan.Functions.FinaliseFunction.Name);
        var cpuShareResolve = wallSum > 0 ? (resolve.WallSeconds + enumerate.WallSeconds + finalise.WallSeconds) / wallSum : 0.5;
        var gbs = new List<GbSecondModel>
        {
            new("lab, measured: seconds one instance per function had an execution running × memory",
                (resolve.ActiveSeconds + enumerate.ActiveSeconds + finalise.ActiveSeconds) * gb * perMillion, probe.ActiveSeconds * gb * perMillion),
            new("lab, CPU-bound floor: process CPU seconds / vCPUs × memory (split by wall time)",
                cpu / s.VCpus * gb * perMillion * cpuShareResolve, cpu / s.VCpus * gb * perMillion * (1 - cpuShareResolve)),
            new("internet model: domains × resolve s, probes × mean probe s, / concurrency × memory",
                1e6 * s.Latency.ResolveSecondsPerDomain / s.Concurrency * gb, probes * perMillion * s.Latency.ProbeMeanSeconds / s.Concurrency * gb),
        };

        decimal M(double perRun) => (decimal)(perRun * perMillion);
        var sbDollars = M(sbBilled) / 1_000_000m * prices.ServiceBusPerMillionOperations;
        var tableDollars = M(tableTransactions) / 10_000m * prices.TablePer10kTransactions;
        var storedBytes = stored.Values.Sum(t => t.Bytes);
        var storageDollars = M(storedBytes) / 1_000_000_000m * prices.TablePerGbMonth;
        var execDollars = M(executions) / 1_000_000m * prices.FlexPerMillionExecutions;
        var logDollars = M(logBytes) / 1_000_000_000m * prices.LogAnalyticsPerGb;
        var labGbs = (decimal)(gbs[0].Resolve + gbs[0].Probe) * prices.FlexPerGbSecond;
        var netGbs = (decimal)(gbs[2].Resolve + gbs[2].Probe) * prices.FlexPerGbSecond;
        var fixedSum = sbDollars + tableDollars + storageDollars + execDollars + logDollars;
        var dollars = new List<DollarLine>
        {
            new("Functions: execution time (GB-s)", labGbs, netGbs),
            new("Functions: executions", execDollars, execDollars),
            new("Service Bus: operations beyond the included 13 M", sbDollars, sbDollars),
            new("Table Storage: transactions", tableDollars, tableDollars),
            new("Table Storage: one month of what the run stored", storageDollars, storageDollars),
            new("Log Analytics: ingestion", logDollars, logDollars),
            new("total", labGbs + fixedSum, netGbs + fixedSum),
        };

        var resolveMessages = queues[WorkQueues.Resolve].Send.MessagesSent;
        var domainsPerMessage = resolveMessages > 0 ? (double)domains / resolveMessages : 0;
        return new CostReport
        {
            RunId = runId,
            Domains = domains,
            ProbesPerDomain = probes / domains,
            WallSeconds = wall,
            ProcessCpuSeconds = cpu,
            Check = check,
            Concurrency = s.Concurrency,
            WaitingProbes = s.WaitingProbes,
            BatchBodyBytes = s.BatchBodyBytes,
            MemoryMb = s.MemoryMb,
            VCpus = s.VCpus,
            Latency = s.Latency,
            Prices = prices,
            DomainsPerResolveMessage = domainsPerMessage,
            InternetSecondsPerResolveExecution = domainsPerMessage * s.Latency.ResolveSecondsPerDomain,
            Operations = ops,
            Functions = [.. meters.Select(m => new FunctionFigures(m.Name, m.Executions, m.WallSeconds, m.ActiveSeconds, m.LongestSeconds))],
            GbSeconds = gbs,
            Dollars = dollars,
            Stored = stored,
        };
    }
}
