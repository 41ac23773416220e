using System.CommandLine;
using System.Globalization;
using System.Reflection;
using DaneScan.Contracts;
using DaneScan.Lab;
using DaneScan.Lab.Cases;
using DaneScan.Pipeline.Composition;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Local;
using DaneScan.Pipeline.Politeness;
using DaneScan.Pipeline.Stages;
using DaneScan.Storage;

namespace DaneScan.Cli;

/// <summary>
/// <c>danescan scan [LIST...]</c>: a whole run on this machine (enumerate, resolve, probe each MX host
/// address once, record), resumable by run id, with live progress and an end-of-run summary.
/// </summary>
public static class ScanCommand
{
    public const string TableConnectionVariable = "DANESCAN_TABLE_CONNECTION";

    public static Command Create()
    {
        var lists = new Argument<FileInfo[]>("list")
        {
            Description = "Domain lists: plain text (one name a line, '#' comments) or Tranco-style 'rank,domain' CSV, either gzip-compressed. With --lab and no list: the lab's case domains (and its scale domains).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var runId = new Option<string?>("--run-id") { Description = "The run's id; rerunning an id resumes it (recorded domains are skipped). Default: scan-<UTC time>." };
        var output = new Option<DirectoryInfo>("--out")
        {
            Description = "The run directories' root (--store dir).",
            DefaultValueFactory = _ => new DirectoryInfo("danescan-runs"),
        };
        var storeKind = new Option<string>("--store")
        {
            Description = $"Where results go: 'dir' (a run directory: manifest, JSONL) or 'table' (Azure Table Storage; connection string in {TableConnectionVariable} or --table-connection).",
            DefaultValueFactory = _ => "dir",
        };
        storeKind.AcceptOnlyFromAmong("dir", "table");
        var tableConnection = new Option<string?>("--table-connection") { Description = $"Table Storage connection string (default: {TableConnectionVariable})." };
        var lockLease = new Option<double>("--lock-lease")
        {
            Description = "--store table: seconds the run's lock lasts past its last renewal (renewed every third of it); a scan killed without releasing it can be resumed after this.",
            DefaultValueFactory = _ => TableRunLock.DefaultLease.TotalSeconds,
        };
        var dnsConcurrency = new Option<int>("--dns-concurrency")
        {
            Description = "Domains resolved at once: about the DNS queries in flight (rate = this / round-trip time; keep it within the resolver's limits, docs/survey-tuning.md).",
            DefaultValueFactory = _ => LocalScanOptions.DefaultDnsConcurrency,
        };
        var maxParked = new Option<int>("--max-parked")
        {
            Description = "Domains waiting for their probes at most (they hold no worker); only past it does resolving wait.",
            DefaultValueFactory = _ => LocalScanOptions.DefaultMaxParkedDomains,
        };
        var domainDeadline = new Option<double>("--domain-deadline")
        {
            Description = "Seconds one domain may take; past it the domain is recorded with the probes that finished (the others' addresses ProbeMissing).",
            DefaultValueFactory = _ => LocalScanOptions.DefaultDomainDeadline.TotalSeconds,
        };
        var hostCache = new Option<int>("--host-cache")
        {
            Description = "MX host names whose A/AAAA/TLSA lookups the run keeps for reuse (least recently used dropped past it).",
            DefaultValueFactory = _ => Dns.HostLookupCache.DefaultCapacity,
        };
        var smtpConcurrency = new Option<int>("--smtp-concurrency") { Description = "SMTP connections open at once (never more than one per address).", DefaultValueFactory = _ => 32 };
        var maxListBytes = new Option<long>("--max-list-bytes")
        {
            Description = "A list whose text (after decompression) is longer than this many bytes is refused.",
            DefaultValueFactory = _ => DomainListOptions.DefaultMaxDecompressedBytes,
        };
        var maxListLines = new Option<long>("--max-list-lines")
        {
            Description = "A list with more lines than this is refused.",
            DefaultValueFactory = _ => DomainListOptions.DefaultMaxLines,
        };
        var settings = new ScannerSettings();
        var command = new Command("scan", "Scan domain lists for DANE for SMTP: each MX host address probed once per run, results in a run directory or Table Storage.");
        command.Arguments.Add(lists);
        foreach (var option in new Option[] { runId, output, storeKind, tableConnection, lockLease, dnsConcurrency, smtpConcurrency, maxParked, domainDeadline, hostCache, maxListBytes, maxListLines })
        {
            command.Options.Add(option);
        }

        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse, settings, parse.GetValue(lists) ?? [], parse.GetValue(runId), parse.GetValue(output)!, parse.GetValue(storeKind)!,
            parse.GetValue(tableConnection), parse.GetValue(lockLease), parse.GetValue(dnsConcurrency), parse.GetValue(smtpConcurrency),
            new DomainListOptions { MaxDecompressedBytes = parse.GetValue(maxListBytes), MaxLines = parse.GetValue(maxListLines) },
            new PipelineSettings(parse.GetValue(maxParked), parse.GetValue(domainDeadline), parse.GetValue(hostCache)), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult parse, ScannerSettings settings, FileInfo[] lists, string? runIdText, DirectoryInfo output, string storeKind,
        string? tableConnection, double lockLeaseSeconds, int dnsConcurrency, int smtpConcurrency, DomainListOptions listOptions, PipelineSettings pipeline, CancellationToken cancellationToken)
    {
        var error = Console.Error;
        // A list "named" like an option is a mistyped option (the parser takes unknown words as list names).
        if (lists.FirstOrDefault(l => l.ToString().StartsWith('-') && !l.Exists) is { } unknown)
        {
            await error.WriteLineAsync($"danescan scan: unknown option '{unknown}'; run 'danescan scan --help' for the options");
            return ExitCodes.Usage;
        }

        if (dnsConcurrency < 1 || smtpConcurrency < 1)
        {
            await error.WriteLineAsync("danescan scan: --dns-concurrency and --smtp-concurrency must be at least 1");
            return ExitCodes.Usage;
        }

        if (listOptions.MaxDecompressedBytes < 1 || listOptions.MaxLines < 1)
        {
            await error.WriteLineAsync("danescan scan: --max-list-bytes and --max-list-lines must be at least 1");
            return ExitCodes.Usage;
        }

        if (pipeline.Error() is { } pipelineError)
        {
            await error.WriteLineAsync($"danescan scan: {pipelineError}");
            return ExitCodes.Usage;
        }

        var runId = runIdText ?? $"scan-{DateTimeOffset.UtcNow:yyyyMMdd'T'HHmmss'Z'}";
        try
        {
            RunIds.Validate(runId);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"danescan scan: --run-id: {e.Message}");
            return ExitCodes.Usage;
        }

        if (!double.IsFinite(lockLeaseSeconds) || lockLeaseSeconds < TableRunLock.MinLease.TotalSeconds || lockLeaseSeconds > 86_400)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"danescan scan: --lock-lease: {lockLeaseSeconds} is not a number of seconds from {TableRunLock.MinLease.TotalSeconds} to 86400"));
            return ExitCodes.Usage;
        }

        string? connection = null;
        if (storeKind == "table")
        {
            connection = tableConnection ?? Environment.GetEnvironmentVariable(TableConnectionVariable);
            if (string.IsNullOrWhiteSpace(connection))
            {
                await error.WriteLineAsync($"danescan scan: --store table needs a connection string (--table-connection or {TableConnectionVariable})");
                return ExitCodes.Usage;
            }
        }

        // The run's lock first: a second scan of the same run stops here, before it reads a list, asks the
        // resolver anything or touches the manifest.
        IResultStore store;
        string where;
        TableRunLock? tableLock = null;
        try
        {
            if (connection is not null)
            {
                var table = await TableResultStore.OpenAsync(TableResultStore.CreateServiceClient(connection), cancellationToken: cancellationToken);
                tableLock = await table.LockRunAsync(runId, TimeSpan.FromSeconds(lockLeaseSeconds), cancellationToken);
                store = table;
                where = $"Table Storage tables {string.Join(", ", table.TableNames)}, run {runId}";
            }
            else
            {
                var directory = new RunDirectoryStore(output.FullName);
                store = directory;
                where = directory.RunDirectory(runId);
                try
                {
                    await directory.LockRunAsync(runId, cancellationToken);
                }
                catch
                {
                    await directory.DisposeAsync();
                    throw;
                }
            }
        }
        catch (StorageException e) when (e.Kind == StorageFaultKind.Conflict)
        {
            await error.WriteLineAsync($"danescan scan: {OneLine(e.Message)}");
            return ExitCodes.RunLocked;
        }
        catch (StorageException e)
        {
            await error.WriteLineAsync($"danescan scan: storage: {OneLine(e.Message)}");
            return e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed;
        }

        // A Table Storage lease that is lost (not renewed in time, then taken by another scan) stops the run: its
        // writes would mix with the new holder's.
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tableLock?.Lost ?? CancellationToken.None);
        try
        {
            var exit = await LockedRunAsync(parse, settings, lists, runId, store, where, dnsConcurrency, smtpConcurrency, listOptions, pipeline, run.Token);
            if (tableLock?.LostReason is { } lost && !cancellationToken.IsCancellationRequested)
            {
                await error.WriteLineAsync($"danescan scan: {lost}; this scan stopped; rerun with --run-id {runId} to resume once the run is free");
                return ExitCodes.RunLocked;
            }

            return exit;
        }
        catch (OperationCanceledException) when (tableLock?.LostReason is { } lost && !cancellationToken.IsCancellationRequested)
        {
            await error.WriteLineAsync($"danescan scan: {lost}; this scan stopped; rerun with --run-id {runId} to resume once the run is free");
            return ExitCodes.RunLocked;
        }
        finally
        {
            if (tableLock is not null)
            {
                await tableLock.DisposeAsync();
            }

            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    private static async Task<int> LockedRunAsync(
        ParseResult parse, ScannerSettings settings, FileInfo[] lists, string runId, IResultStore store, string where,
        int dnsConcurrency, int smtpConcurrency, DomainListOptions listOptions, PipelineSettings pipeline, CancellationToken cancellationToken)
    {
        var error = Console.Error;
        var labMode = parse.GetResult(settings.Lab) is not null;
        var sources = new List<ScanSource>();
        foreach (var list in lists)
        {
            sources.Add(ScanSource.File(list.FullName));
        }

        if (sources.Count == 0)
        {
            if (!labMode)
            {
                await error.WriteLineAsync("danescan scan: give one or more domain lists, or --lab to scan the running lab's domains");
                return ExitCodes.Usage;
            }

            var state = parse.GetValue(settings.Lab) ?? new LabOptions().ResolvedStateDirectory;
            var manifest = LabEnvironment.Status(state).Manifest;
            if (manifest is { Cases: > 0 })
            {
                sources.Add(ScanSource.Names("lab:cases", LabCatalogue.All.Select(c => c.Domain)));
            }

            if (manifest is { ScaleDomains: > 0, ScaleExpectedFile: { } expected } && Path.GetDirectoryName(expected) is { } scaleDir
                && File.Exists(Path.Combine(scaleDir, "domains.txt")))
            {
                sources.Add(ScanSource.File(Path.Combine(scaleDir, "domains.txt")));
            }
        }

        // Every list is read whole before any of its names is scanned: a cut, corrupt, unreadable or oversized
        // list stops the run here with nothing of it scanned.
        var reader = new DomainListReader(listOptions);
        foreach (var source in sources)
        {
            try
            {
                await using var stream = source.Open();
                var check = await reader.VerifyAsync(stream, source.Name, cancellationToken);
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"danescan scan: list {source.Name}: read whole ({check.Lines} lines, {check.StoredBytes} bytes{(check.Gzip ? " gzip" : string.Empty)}, sha256 {check.Sha256[..16]}…)"));
            }
            catch (ListReadException e)
            {
                return await FailAsync(store, runId, e, scanned: false, cancellationToken);
            }
        }

        var limits = new ConnectionLimits { MaxConcurrentConnections = smtpConcurrency };
        var (context, buildError, exit) = await settings.BuildAsync(parse, limits, cancellationToken);
        if (context is null)
        {
            await error.WriteLineAsync($"danescan scan: {buildError}");
            return exit;
        }

        if (sources.Count == 0)
        {
            await error.WriteLineAsync("danescan scan: the lab has no case or scale domains to scan");
            context.Dispose();
            return ExitCodes.Usage;
        }

        using (context)
        {
            if (context.Warning is { } warning)
            {
                await error.WriteLineAsync($"danescan scan: WARNING: {warning}");
            }

            try
            {
                return await ScanAsync(store, where, context, sources, runId, labMode, dnsConcurrency, smtpConcurrency, listOptions, pipeline, cancellationToken);
            }
            catch (ListReadException e)
            {
                // The list was whole when checked, then changed or broke while it was read for scanning.
                return await FailAsync(store, runId, e, scanned: true, cancellationToken);
            }
        }
    }

    /// <summary>Marks the run Failed with the list's fault (one line to the user, the manifest says why) and returns the exit code.</summary>
    private static async Task<int> FailAsync(IResultStore store, string runId, ListReadException fault, bool scanned, CancellationToken cancellationToken)
    {
        var message = OneLine(fault.Message);
        await Console.Error.WriteLineAsync(scanned
            ? $"danescan scan: {message}; it broke after it was checked whole, so names read before the fault were scanned; run {runId} is Failed: fix the list and rerun --run-id {runId}"
            : $"danescan scan: {message}; nothing was scanned, run {runId} is Failed: fix the list and rerun --run-id {runId}");
        var previous = await store.ReadManifestAsync(runId, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        var failedList = new ListManifest { Source = fault.Source, Skipped = fault.Detail };
        var manifest = (previous ?? new RunManifest { RunId = runId, StartedUtc = now }) with
        {
            State = RunState.Failed,
            Failure = message,
            EndedUtc = now,
            Lists = [.. (previous?.Lists ?? []).Where(l => l.Source != fault.Source), failedList],
        };
        await store.WriteManifestAsync(manifest, cancellationToken);
        return ExitCodes.ListUnreadable;
    }

    private static string OneLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    private static async Task<int> ScanAsync(
        IResultStore store, string where, ScanEngine context, List<ScanSource> sources, string runId, bool labMode,
        int dnsConcurrency, int smtpConcurrency, DomainListOptions listOptions, PipelineSettings pipeline, CancellationToken cancellationToken)
    {
        var error = Console.Error;
        var limits = context.Limiter.Limits;
        var options = new LocalScanOptions
        {
            RunId = runId,
            DnsConcurrency = dnsConcurrency,
            SmtpConcurrency = smtpConcurrency,
            MaxParkedDomains = pipeline.MaxParked,
            DomainDeadline = TimeSpan.FromSeconds(pipeline.DomainDeadlineSeconds),
            HostCacheCapacity = pipeline.HostCache,
            MaxMxHosts = context.Resolver.MaxMxHosts,
            SmtpPort = context.Checker.SmtpPort,
            ListOptions = listOptions,
            Resolver = context.ResolverEndpoint.ToString(),
            TrustMode = context.TrustMode,
            TrustAnchor = labMode ? "lab root key" : "resolver's configured root anchor",
            VantagePoint = labMode ? "lab" : Environment.MachineName,
            ScannerVersion = typeof(ScanCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
            Settings = new Dictionary<string, string>
            {
                ["dnsConcurrency"] = dnsConcurrency.ToString(CultureInfo.InvariantCulture),
                ["smtpConcurrency"] = smtpConcurrency.ToString(CultureInfo.InvariantCulture),
                ["smtpPort"] = context.Checker.SmtpPort.ToString(CultureInfo.InvariantCulture),
                ["probeIntervalSeconds"] = limits.MinIntervalPerAddress.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ["connectionsPerAddress"] = limits.ConnectionsPerAddress.ToString(CultureInfo.InvariantCulture),
                ["addressFailureBudget"] = (context.Prober.Budget?.MaxConsecutiveFailures ?? 0).ToString(CultureInfo.InvariantCulture),
                ["maxMx"] = context.Resolver.MaxMxHosts.ToString(CultureInfo.InvariantCulture),
                ["maxParked"] = pipeline.MaxParked.ToString(CultureInfo.InvariantCulture),
                ["domainDeadlineSeconds"] = pipeline.DomainDeadlineSeconds.ToString(CultureInfo.InvariantCulture),
                ["lab"] = labMode ? "true" : "false",
                ["maxListBytes"] = listOptions.MaxDecompressedBytes.ToString(CultureInfo.InvariantCulture),
                ["maxListLines"] = listOptions.MaxLines.ToString(CultureInfo.InvariantCulture),
            },
        };

        await error.WriteLineAsync($"danescan scan: run {runId}: {string.Join(", ", sources.Select(s => s.Name))} -> {where}");
        using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? display = null;
        var runner = new LocalScanRunner(context.Checker.Resolver, context.Checker.Prober, context.Policy, store, options)
        {
            OnStarted = progress => display = ShowProgressAsync(progress, stopProgress.Token),
        };

        LocalScanResult result;
        try
        {
            result = await runner.RunAsync(sources, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stopProgress.CancelAsync();
            await error.WriteLineAsync($"\ndanescan scan: interrupted; rerun with --run-id {runId} to resume");
            return ExitCodes.Interrupted;
        }
        catch (StorageException e)
        {
            await stopProgress.CancelAsync();
            await error.WriteLineAsync($"\ndanescan scan: storage failed ({e.Kind}): {OneLine(e.Message)}; rerun with --run-id {runId} to resume");
            return e.IsTransient ? ExitCodes.StorageTemporary : ExitCodes.StorageFailed;
        }
        finally
        {
            await stopProgress.CancelAsync();
            if (display is not null)
            {
                await display;
            }
        }

        foreach (var list in result.Lists)
        {
            await error.WriteLineAsync(list.Describe());
        }

        var probes = string.Create(CultureInfo.InvariantCulture,
            $"this attempt: {runner.Progress!.Recorded} domains recorded, {result.Probed} probes run, {result.ProbesReused} probe uses shared, {result.ProbesLoaded} probes reused from an earlier attempt, {runner.Progress.SkippedRecorded} domains already recorded, {runner.Progress.DomainsPerSecond:0.0} domains/s over {runner.Progress.Elapsed:hh\\:mm\\:ss}");
        Console.Out.Write(result.Summary.Render());
        Console.Out.WriteLine(probes);
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"dns: {result.QueriesSent} queries ({(runner.Progress.Recorded == 0 ? 0 : (double)result.QueriesSent / runner.Progress.Recorded):0.00} per domain), {result.HostLookups} MX host lookups shared {result.HostLookupsShared} times; chains judged {result.ChainJudgements}, reused {result.ChainJudgementsShared} times; at most {result.PeakParked} domains parked, {result.DomainsPastDeadline} past their deadline; DNS concurrency at the end {result.DnsConcurrencyAtEnd} (cut {result.DnsConcurrencyCuts} times by timeouts)"));
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pace: run {result.Elapsed.TotalSeconds:0.0} s; polite lower bound {result.PoliteLowerBound.TotalSeconds:0.0} s ({result.BusiestAddressProbes} connections to the busiest address{(result.BusiestAddress is null ? "" : " " + result.BusiestAddress)}, {limits.ConnectionsPerAddress} at a time, {limits.MinIntervalPerAddress.TotalSeconds:0.###} s apart)"));
        Console.Out.WriteLine(ProcessLine(runner.Progress.Recorded));
        Console.Out.WriteLine($"state: {result.Manifest.State}");
        Console.Out.WriteLine($"results: {where}");
        return result.Manifest.State == RunState.Completed ? ExitCodes.Success : ExitCodes.RunIncomplete;
    }

    /// <summary>What the scan cost this process: CPU, managed allocation and collections, per domain recorded.</summary>
    private static string ProcessLine(long recorded)
    {
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes();
        var perDomain = recorded == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({cpu.TotalMicroseconds / recorded:0} µs and {allocated / 1024.0 / recorded:0.0} KiB a domain)");
        return string.Create(CultureInfo.InvariantCulture,
            $"process: CPU {cpu.TotalSeconds:0.0} s, allocated {allocated / 1048576.0:0} MiB{perDomain}; collections gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}; peak working set {self.PeakWorkingSet64 / 1048576.0:0} MiB");
    }

    private static async Task ShowProgressAsync(ScanProgress progress, CancellationToken stop)
    {
        var terminal = !Console.IsErrorRedirected;
        var interval = terminal ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(10);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (terminal)
                {
                    await Console.Error.WriteAsync($"\r\u001b[K{progress.Describe()}");
                }
                else
                {
                    await Console.Error.WriteLineAsync($"progress: {progress.Describe()}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended.
        }

        if (terminal)
        {
            await Console.Error.WriteLineAsync();
        }
    }
}

/// <summary>The scan pipeline's own settings (see <see cref="LocalScanOptions"/>).</summary>
internal sealed record PipelineSettings(int MaxParked, double DomainDeadlineSeconds, int HostCache)
{
    public string? Error() =>
        MaxParked < 1 ? $"--max-parked: {MaxParked} is not at least 1"
        : DomainDeadlineError(DomainDeadlineSeconds) is { } deadline ? deadline
        : HostCache < 1 ? $"--host-cache: {HostCache} is not at least 1"
        : null;

    /// <summary>The one check of <c>--domain-deadline</c>, for scan and check alike.</summary>
    public static string? DomainDeadlineError(double seconds) =>
        !double.IsFinite(seconds) || seconds <= 0 || seconds > 7 * 86_400 ? $"--domain-deadline: {seconds} is not a number of seconds above 0 (at most a week)" : null;
}
