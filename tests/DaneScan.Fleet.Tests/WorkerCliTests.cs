using DaneScan.Fleet.Worker;

namespace DaneScan.Fleet.Tests;

/// <summary>
/// <c>danescan worker</c> as an operator runs it: the real program. Without Service Bus (it cannot run here)
/// the worker cannot receive anything; these tests cover what happens before and around receiving: settings
/// refused before connecting, the resolver self-check, an unreachable table service, and a clean stop on SIGTERM
/// while the Service Bus endpoint (a refused loopback port) is unreachable.
/// </summary>
[Trait("Category", "Integration")]
[Collection(WorkerLabCollection.Name)]
public sealed class WorkerCliTests(WorkerLab fixture)
{
    private static readonly Dictionary<string, string?> NoEnvironment = new()
    {
        [WorkerSettings.ServiceBusVariable] = null,
        [WorkerSettings.TablesVariable] = null,
    };

    [Fact]
    public async Task Missing_connections_are_refused_naming_each_option_with_exit_2()
    {
        var result = await Cli.RunAsync(NoEnvironment, "worker");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("danescan worker: --service-bus: missing", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("DANESCAN_SERVICEBUS_CONNECTION", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("danescan worker: --tables: missing", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--service-bus", "https://danescan-sb.servicebus.windows.net/", "--service-bus: 'https://danescan-sb.servicebus.windows.net/' is not a namespace host name")]
    [InlineData("--tables", "danescanst.table.core.windows.net", "--tables: 'danescanst.table.core.windows.net' is not a table service URI")]
    [InlineData("--tables", "http://danescanst.table.core.windows.net", "must use https")]
    [InlineData("--queues", "resolve,scan", "--queues: unknown queue 'scan'")]
    [InlineData("--probe-concurrency", "0", "--probe-concurrency: 0 is out of range (1 to 1000)")]
    [InlineData("--drain-timeout", "600", "--drain-timeout: 600 is out of range (1 to 110)")]
    [InlineData("--managed-identity", "worker-identity", "--managed-identity: 'worker-identity' is not a client id")]
    public async Task An_invalid_setting_is_refused_before_connecting_with_exit_2(string option, string value, string message)
    {
        var args = new Dictionary<string, string>
        {
            ["--service-bus"] = "danescan-sb.servicebus.windows.net",
            ["--tables"] = "https://danescanst.table.core.windows.net",
            [option] = value,
        };

        var result = await Cli.RunAsync(NoEnvironment, ["worker", .. args.SelectMany(kv => new[] { kv.Key, kv.Value }), "--lab", fixture.Lab.StateDirectory]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_string_for_one_queue_or_a_broken_one_is_refused_with_exit_2()
    {
        var environment = new Dictionary<string, string?>
        {
            [WorkerSettings.ServiceBusVariable] = "Endpoint=sb://danescan-sb.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=c2VjcmV0;EntityPath=probe",
            [WorkerSettings.TablesVariable] = "AccountName=danescanst;Nonsense",
        };

        var result = await Cli.RunAsync(environment, "worker");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("the connection string is for the single queue 'probe' (EntityPath=)", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--tables: not a Table Storage connection string", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("c2VjcmV0", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resolver_that_does_not_validate_is_refused_with_exit_3()
    {
        // The lab's authoritative server answers without the AD bit: as a resolver it does not validate.
        var result = await Cli.RunAsync(
            NoEnvironment,
            "worker", "--service-bus", "danescan-sb.servicebus.windows.net", "--tables", "https://danescanst.table.core.windows.net",
            "--lab", fixture.Lab.StateDirectory, "--resolver", fixture.Lab.Authoritative.ToString());

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("failed the DNSSEC self-check", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--insecure-resolver", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_table_service_stops_the_worker_with_exit_5()
    {
        var environment = new Dictionary<string, string?>
        {
            [WorkerSettings.ServiceBusVariable] = LoopbackServiceBus,
            [WorkerSettings.TablesVariable] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1",
        };

        var result = await Cli.RunAsync(environment, "worker", "--lab", fixture.Lab.StateDirectory);

        Assert.Equal(5, result.ExitCode);
        Assert.Contains("danescan worker: Table Storage:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Storage Table Data Contributor", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task Sigterm_stops_receiving_and_exits_0_with_the_final_counts()
    {
        var prefix = "c" + Guid.NewGuid().ToString("N")[..16];
        var environment = new Dictionary<string, string?>
        {
            [WorkerSettings.ServiceBusVariable] = LoopbackServiceBus,
            [WorkerSettings.TablesVariable] = Azurite.ConnectionString,
        };
        using var worker = Cli.Start(environment, "worker", "--lab", fixture.Lab.StateDirectory, "--table-prefix", prefix, "--status-interval", "1", "--drain-timeout", "5");
        try
        {
            await worker.WaitForOutputAsync("Receiving from queue probe", TimeSpan.FromMinutes(2));
            await worker.WaitForOutputAsync("Status: resolve: 0 completed", TimeSpan.FromMinutes(1));

            worker.Terminate();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var result = await worker.WaitAsync(deadline.Token);

            Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}:\n{worker.Output}");
            Assert.Contains("Stopping: no new messages; settling the 0 in hand", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("danescan worker: stopped; resolve: 0 completed, 0 dead-lettered, 0 abandoned, 0 in hand (0 domains, 0 opted out, 0 probe requests sent); probe: 0 completed", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            var service = Storage.TableResultStore.CreateServiceClient(Azurite.ConnectionString);
            foreach (var table in new[] { "Domains", "Probes", "Runs", "Stats", "Claims" })
            {
                await service.DeleteTableAsync(prefix + table);
            }
        }
    }

    /// <summary>A namespace-level connection string to a refused loopback port: the worker starts, then cannot receive (and retries).</summary>
    private const string LoopbackServiceBus = "Endpoint=sb://127.0.0.1:9/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=c2VjcmV0";
}
