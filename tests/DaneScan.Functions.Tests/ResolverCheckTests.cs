using System.Text;
using Azure.Storage.Blobs;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Dns;
using DaneScan.Fleet;
using DaneScan.Functions.Stages;
using DaneScan.Lab;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Testing;
using DaneScan.Pipeline.Engine;
using DaneScan.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DaneScan.Functions.Tests;

/// <summary>A DNS-only lab on 127.61.0.0/16: the real nsd (authoritative, not validating) and unbound (validating).</summary>
public sealed class ResolverCheckLab : LabFixture
{
    public ResolverCheckLab()
        : base(61, dnsOnly: true)
    {
    }
}

/// <summary>
/// The app's start-up: every stage port registered, and the resolver's DNSSEC self-check against the lab's
/// real resolvers. The Functions host is replaced by a generic host running the same hosted services.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ResolverCheckTests(ResolverCheckLab fixture) : IClassFixture<ResolverCheckLab>
{
    private Dictionary<string, string?> Settings(string resolver, bool insecure, string prefix) => new()
    {
        ["EnumerateSchedule"] = "0 0 3 * * 0",
        ["FinaliseSchedule"] = "0 */5 * * * *",
        ["Enumerate:ListsContainer"] = "lists",
        ["ServiceBusConnection:fullyQualifiedNamespace"] = "danescan-sb.servicebus.windows.net",
        ["ServiceBusConnection:credential"] = "managedidentity",
        ["Storage:TableServiceUri"] = "https://danescanst.table.core.windows.net",
        ["Storage:BlobServiceUri"] = "https://danescanst.blob.core.windows.net",
        ["Storage:TableConnectionString"] = Azurite.ConnectionString,
        ["Storage:BlobConnectionString"] = Azurite.ConnectionString,
        ["Scan:ResolverEndpoint"] = resolver,
        ["Scan:HeloName"] = "scanner.danescan.test",
        ["Scan:InsecureResolver"] = insecure ? "true" : "false",
        ["Scan:SelfCheckSignedName"] = LabEnvironment.SignedName,
        ["Scan:SelfCheckBrokenName"] = LabEnvironment.BogusName,
        ["Scan:VantagePoint"] = "lab-" + prefix,
    };

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        builder.Configuration.AddConfiguration(config);
        builder.Services.AddDaneScanFunctions(config);
        builder.Services.AddDaneScanStages();
        return builder.Build();
    }

    [AzuriteFact]
    public async Task The_app_starts_with_every_port_registered_against_a_validating_resolver()
    {
        using var host = Build(Settings(fixture.Lab.Resolver.ToString(), insecure: false, "v"));

        await host.StartAsync();
        try
        {
            var trust = host.Services.GetRequiredService<ResolverTrust>();
            Assert.Equal(DnsTrustMode.ValidatingResolverAd, await trust.GetTrustModeAsync());
            Assert.Equal(ResolverValidation.Validating, trust.Check!.Status);
            var observed = await (await host.Services.GetRequiredService<ResolverTrust>().GetEngineAsync()).Checker.Resolver.ResolveAsync(LabEnvironment.SignedName);
            Assert.Equal(DnsTrustMode.ValidatingResolverAd, observed.Resolver.TrustMode);
            Assert.IsType<BlobRunEnumerator>(host.Services.GetRequiredService<IRunEnumerator>());
            Assert.IsType<EngineStages>(host.Services.GetRequiredService<IResolveStage>());
            Assert.Same(host.Services.GetRequiredService<IResolveStage>(), host.Services.GetRequiredService<IProbeStage>());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task The_app_refuses_to_start_when_the_resolver_does_not_validate()
    {
        // nsd is authoritative only: it answers without AD (or refuses), never as a validating resolver.
        using var host = Build(Settings(fixture.Lab.Authoritative.ToString(), insecure: false, "n"));

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"the resolver {fixture.Lab.Authoritative} (Scan__ResolverEndpoint) failed the DNSSEC self-check", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Scan__InsecureResolver=true", ex.Message, StringComparison.Ordinal);

        // The stages refuse too: no DNS answer is stored behind a resolver that failed the check.
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => host.Services.GetRequiredService<IResolveStage>().ResolveAsync(new ResolveBatch { RunId = "r", Domains = ["example.com"] }));
        Assert.Contains("failed the DNSSEC self-check", refused.Message, StringComparison.Ordinal);
    }

    [AzuriteFact]
    public async Task With_InsecureResolver_the_app_starts_and_every_run_manifest_records_the_unverified_trust_mode()
    {
        var prefix = Guid.NewGuid().ToString("N")[..10];
        var container = "lists-" + prefix;
        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        await blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(container).GetBlobClient("one.txt").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes("example.com\n")));
        var settings = Settings(fixture.Lab.Authoritative.ToString(), insecure: true, prefix);
        using var host = Build(settings);
        await host.StartAsync();
        try
        {
            Assert.Equal(DnsTrustMode.UnverifiedResolver, await host.Services.GetRequiredService<ResolverTrust>().GetTrustModeAsync());
            var observed = await (await host.Services.GetRequiredService<ResolverTrust>().GetEngineAsync()).Checker.Resolver.ResolveAsync(LabEnvironment.SignedName);
            Assert.Equal(DnsTrustMode.UnverifiedResolver, observed.Resolver.TrustMode);

            var enumerator = host.Services.GetRequiredService<IRunEnumerator>();
            var run = await enumerator.StartRunAsync(container, new DateTimeOffset(2031, 1, 5, 3, 0, 0, TimeSpan.Zero).AddSeconds(Random.Shared.Next(1_000_000)));
            Assert.False(run.AlreadyEnumerated, run.RunId);
            var names = new List<string>();
            await foreach (var name in run.Domains)
            {
                names.Add(name);
            }

            await enumerator.RecordEnumerationSentAsync(run, 1);
            var store = host.Services.GetRequiredService<TableResultStore>();
            var manifest = await store.ReadManifestAsync(run.RunId);
            Assert.Equal(["example.com"], names);
            Assert.Equal(DnsTrustMode.UnverifiedResolver, manifest!.TrustMode);
            Assert.Equal("true", manifest.Settings["insecureResolver"]);
            Assert.Equal("lab-" + prefix, manifest.VantagePoint);
        }
        finally
        {
            await host.StopAsync();
            await blobs.GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }

    [AzuriteFact]
    public async Task The_opt_out_blob_also_keeps_the_resolve_stage_off_opted_out_domains_and_a_missing_one_stops_it()
    {
        var prefix = Guid.NewGuid().ToString("N")[..10];
        var container = "optout-" + prefix;
        var blobs = new BlobServiceClient(Azurite.ConnectionString);
        var (optedOut, allowed) = (LabCatalogue.All[0].Domain, LabCatalogue.All[1].Domain);
        var settings = Settings(fixture.Lab.Resolver.ToString(), insecure: false, prefix);
        settings["Enumerate:OptOutBlob"] = container + "/optout.txt";
        try
        {
            // Configured but not uploaded: the resolve stage refuses rather than scan without the list.
            using (var missing = Build(settings))
            {
                var ex = await Assert.ThrowsAsync<EnumerationException>(() => missing.Services.GetRequiredService<IResolveStage>().ResolveAsync(new ResolveBatch { RunId = "r", Domains = [allowed] }));
                Assert.Contains($"The opt-out list {container}/optout.txt (Enumerate__OptOutBlob) does not exist", ex.Message, StringComparison.Ordinal);
            }

            await blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync();
            await blobs.GetBlobContainerClient(container).GetBlobClient("optout.txt").UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(optedOut + "\n")));
            using var host = Build(settings);
            await host.StartAsync(); // the self-check, and the tables of this prefix created
            var runId = "optout-" + prefix;
            await host.Services.GetRequiredService<IResolveStage>().ResolveAsync(new ResolveBatch { RunId = runId, Domains = [optedOut, allowed] });

            var store = host.Services.GetRequiredService<TableResultStore>();
            Assert.Null(await store.ReadDomainAsync(runId, optedOut));
            Assert.NotNull(await store.ReadDomainAsync(runId, allowed));
            await host.StopAsync();
        }
        finally
        {
            await blobs.GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
    }
}
