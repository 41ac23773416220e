using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Storage.Export;
using Parquet;
using Parquet.Serialization;

namespace DaneScan.Storage.Tests;

public sealed class ExportTests : IAsyncLifetime
{
    private readonly string _root = Samples.TempDirectory();
    private byte[] _leaf = [];

    /// <summary>
    /// A run of four domains over two MX hosts: mx.good.example (a DANE-EE 3 1 1 record matching its
    /// certificate, two addresses), mx.plain.example (no TLSA); one domain with a null MX.
    /// </summary>
    public async Task InitializeAsync()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.good.example", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        _leaf = cert.RawData;
        var tlsa = TlsaAssociation.Record(cert, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);

        var good = Host("mx.good.example", ["192.0.2.10"], ["2001:db8::10"], new RrsetObservation<TlsaRecord>("_25._tcp.mx.good.example", "TLSA", DnsOutcome.SecureAnswer, DenialKind.None, [tlsa], 3600, []));
        var plain = Host("mx.plain.example", ["192.0.2.20"], [], new RrsetObservation<TlsaRecord>("_25._tcp.mx.plain.example", "TLSA", DnsOutcome.InsecureDenial, DenialKind.NxDomain, [], 300, []), secure: false);

        await using var store = new RunDirectoryStore(_root);
        await store.WriteManifestAsync(Samples.Manifest("run"));
        await store.WriteDomainsAsync("run",
        [
            Domain("a.example", [good], rank: 1),
            Domain("b.example", [good], rank: 2),
            Domain("c.example", [plain], rank: 3),
            new DomainRecord
            {
                Observation = new DomainObservation
                {
                    Domain = "nomail.example",
                    ObservedUtc = Samples.When,
                    Resolver = new ResolverInfo("127.0.0.53:53", DnsTrustMode.ValidatingResolverAd),
                    Mx = new RrsetObservation<MxRecord>("nomail.example", "MX", DnsOutcome.SecureAnswer, DenialKind.None, [new MxRecord(0, DnsName.Unchecked("."))], 3600, []),
                },
            },
        ]);
        await store.WriteProbesAsync("run",
        [
            Probe("mx.good.example", "192.0.2.10"),
            Probe("mx.good.example", "2001:db8::10"),
            new ProbeRecord { Observation = new ProbeObservation { Host = "mx.plain.example", Address = "192.0.2.20", Outcome = ProbeOutcome.StartTlsNotOffered, FailedStage = ProbeStage.StartTls, StartedUtc = Samples.When } },
        ]);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }

    private static MxHostObservation Host(string name, string[] v4, string[] v6, RrsetObservation<TlsaRecord> tlsa, bool secure = true)
    {
        var outcome = secure ? DnsOutcome.SecureAnswer : DnsOutcome.InsecureAnswer;
        var denial = secure ? DnsOutcome.SecureDenial : DnsOutcome.InsecureDenial;
        return new MxHostObservation
        {
            Name = name,
            Preference = 10,
            A = new RrsetObservation<string>(name, "A", v4.Length > 0 ? outcome : denial, v4.Length > 0 ? DenialKind.None : DenialKind.NoData, v4, 300, []),
            Aaaa = new RrsetObservation<string>(name, "AAAA", v6.Length > 0 ? outcome : denial, v6.Length > 0 ? DenialKind.None : DenialKind.NoData, v6, 300, []),
            TlsaLookups = [tlsa],
            TlsaBase = name,
        };
    }

    private static DomainRecord Domain(string domain, MxHostObservation[] hosts, long rank) => new()
    {
        Source = "list.csv",
        Rank = rank,
        Observation = new DomainObservation
        {
            Domain = domain,
            ObservedUtc = Samples.When,
            Resolver = new ResolverInfo("127.0.0.53:53", DnsTrustMode.ValidatingResolverAd),
            Mx = new RrsetObservation<MxRecord>(domain, "MX", DnsOutcome.SecureAnswer, DenialKind.None, [.. hosts.Select(h => new MxRecord(h.Preference, DnsName.Unchecked(h.Name)))], 3600, []),
            Hosts = hosts,
        },
    };

    private ProbeRecord Probe(string host, string address) => new()
    {
        Observation = new ProbeObservation
        {
            Host = host,
            Address = address,
            ServerName = host,
            StartedUtc = Samples.When,
            Outcome = ProbeOutcome.TlsEstablished,
            StartTlsOffered = true,
            TlsProtocol = "Tls13",
            CipherSuite = "TLS_AES_128_GCM_SHA256",
            LeafKey = "ECDSA P-256",
            PresentedChain = [_leaf],
            EhloAfterTlsOk = true,
        },
    };

    private async Task<ExportResult> ExportAsync(ExportFormat format)
    {
        await using var store = new RunDirectoryStore(_root);
        return await DatasetExporter.ExportAsync(store, "run", Path.Combine(_root, "out-" + format), format);
    }

    [Fact]
    public async Task Csv_has_the_documented_header_and_one_line_per_row()
    {
        var result = await ExportAsync(ExportFormat.Csv);
        Assert.Equal((4L, 3L), (result.DomainRows, result.HostRows));

        var domainLines = await File.ReadAllLinesAsync(result.DomainsPath);
        Assert.Equal(string.Join(',', RowWriters.Columns<DomainRow>().Select(c => c.Name)), domainLines[0]);
        Assert.StartsWith("schema_version,run_id,domain,", domainLines[0], StringComparison.Ordinal);
        Assert.Equal(5, domainLines.Length);
        var header = domainLines[0].Split(',');
        var a = domainLines.Single(l => l.Contains(",a.example,", StringComparison.Ordinal)).Split(',');
        Assert.Equal("Protected", a[Array.IndexOf(header, "primary_status")]);
        Assert.Equal("1", a[Array.IndexOf(header, "list_rank")]);
        Assert.Equal("2", a[Array.IndexOf(header, "addresses")]);
        // MX RRset secure, its one host authenticated (docs/dataset.md, "Definitions"): Verified and survey-protected.
        Assert.Equal("Verified", a[Array.IndexOf(header, "all_state")]);
        Assert.Equal("true", a[Array.IndexOf(header, "dane_protected")]);
        Assert.Equal("true", a[Array.IndexOf(header, "survey_protected")]);

        var hostLines = await File.ReadAllLinesAsync(result.HostsPath);
        Assert.Equal(4, hostLines.Length);
        Assert.StartsWith("schema_version,run_id,host,address,", hostLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_rows_carry_verdicts_host_counts_and_chain_summaries()
    {
        var result = await ExportAsync(ExportFormat.Jsonl);
        var domains = (await File.ReadAllLinesAsync(result.DomainsPath)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, domains.Count);
        var byName = domains.ToDictionary(d => d.GetProperty("domain").GetString()!);
        Assert.Equal("Protected", byName["a.example"].GetProperty("primary_status").GetString());
        Assert.Equal("NotDane", byName["c.example"].GetProperty("primary_status").GetString());
        Assert.Equal("NullMx", byName["nomail.example"].GetProperty("mx_status").GetString());
        Assert.Equal(1, byName["a.example"].GetProperty("authenticated_hosts").GetInt32());
        Assert.Equal("mx.good.example=Authenticated/DaneEeMatched", byName["b.example"].GetProperty("host_outcomes").GetString());
        Assert.Equal(RowWriters.Columns<DomainRow>().Select(c => c.Name), byName["a.example"].EnumerateObject().Select(p => p.Name));
        // docs/dataset.md, "Definitions": a secure MX RRset whose host authenticated is Verified, DANE-protected, in the survey count;
        // a secure one whose host has no DANE is NotDane but in the survey's denominator; a null MX has no host to judge.
        Assert.Equal(("Secure", "Verified", "Verified", true, true, true), Definitions(byName["a.example"]));
        Assert.Equal(("Secure", "NotDane", "NotDane", false, true, false), Definitions(byName["c.example"]));
        Assert.Equal(("Secure", "NotApplicable", "NotApplicable", false, false, false), Definitions(byName["nomail.example"]));

        var hosts = (await File.ReadAllLinesAsync(result.HostsPath)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var good = hosts.Single(h => h.GetProperty("address").GetString() == "2001:db8::10");
        Assert.Equal(2, good.GetProperty("domains_served").GetInt32());
        Assert.Equal("Authenticated", good.GetProperty("outcome").GetString());
        Assert.StartsWith("3 1 1 ", good.GetProperty("matched_record").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, good.GetProperty("match_depth").GetInt32());
        Assert.Equal(1, good.GetProperty("tlsa_usable").GetInt32());
        Assert.Equal("CN=mx.good.example", good.GetProperty("leaf_subject").GetString());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(_leaf)), good.GetProperty("leaf_sha256").GetString());
        var plain = hosts.Single(h => h.GetProperty("host").GetString() == "mx.plain.example");
        Assert.Equal("StartTlsNotOffered", plain.GetProperty("probe_outcome").GetString());
        Assert.Equal("NotDane", plain.GetProperty("outcome").GetString());

        Assert.Equal(4, result.Statistics.Counts["domains|total"]);
        Assert.Equal(2, result.Statistics.Counts["domains.primary|Verified"]);
        Assert.Equal(2, result.Statistics.Counts["top_mx_hosts.domains|mx.good.example"]);
        Assert.Equal(1, result.Statistics.Counts["mx_hosts.tlsa_parameters|3 1 1"]);
        Assert.Equal(2, result.Statistics.Counts["mx_hosts.outcome_by_domains|Authenticated"]);
    }

    [Fact]
    public async Task Parquet_files_read_back_with_schema_version_columns_and_rows()
    {
        var result = await ExportAsync(ExportFormat.Parquet);

        await using (var file = File.OpenRead(result.DomainsPath))
        {
            await using var reader = await ParquetReader.CreateAsync(file);
            Assert.Equal(RowWriters.Columns<DomainRow>().Select(c => c.Name), reader.Schema.GetDataFields().Select(f => f.Name));
            Assert.Equal(DatasetSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), reader.CustomMetadata[DatasetSchema.VersionMetadataKey]);
        }

        var domainsFile = await ParquetSerializer.DeserializeAsync<DomainRow>(result.DomainsPath);
        Assert.Equal(DatasetSchema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), domainsFile.CustomMetadata[DatasetSchema.VersionMetadataKey]);
        var domains = domainsFile.Data;
        Assert.Equal(4, domains.Count);
        Assert.Equal("Protected", domains.Single(d => d.Domain == "a.example").PrimaryStatus);
        Assert.Null(domains.Single(d => d.Domain == "nomail.example").ListRank);
        var a = domains.Single(d => d.Domain == "a.example");
        Assert.Equal(("Secure", "Verified", "Verified", true, true, true), (a.MxSecurity, a.PrimaryState, a.AllState, a.DaneProtected, a.SurveySigned, a.SurveyProtected));

        var hosts = (await ParquetSerializer.DeserializeAsync<HostRow>(result.HostsPath)).Data;
        Assert.Equal(3, hosts.Count);
        Assert.Equal(2, hosts.Single(h => h.Address == "192.0.2.10").DomainsServed);
    }

    private static (string?, string?, string?, bool, bool, bool) Definitions(JsonElement row) => (
        row.GetProperty("mx_security").GetString(),
        row.GetProperty("primary_state").GetString(),
        row.GetProperty("all_state").GetString(),
        row.GetProperty("dane_protected").GetBoolean(),
        row.GetProperty("survey_signed").GetBoolean(),
        row.GetProperty("survey_protected").GetBoolean());

    /// <summary>
    /// Issue 11, CSV injection: a subjectAltName that is a HYPERLINK formula and a server's text that is an
    /// @SUM formula reach the CSV file with a leading single quote (read back with a real RFC 4180 parse);
    /// JSON Lines keeps them exactly.
    /// </summary>
    [Fact]
    public async Task Csv_text_a_spreadsheet_would_run_as_a_formula_is_quoted_out_and_jsonl_keeps_it_exact()
    {
        const string hyperlink = "=HYPERLINK(\"http://evil.example/\",\"open\")";
        const string sum = "@SUM(1+1)*cmd|' /C calc'!A0";
        var root = Path.Combine(_root, "formula");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=mx.formula.example", key, HashAlgorithmName.SHA256);
        // Written as raw IA5Strings, as a hostile server may send them (SubjectAlternativeNameBuilder IDN-maps names).
        var san = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (san.PushSequence())
        {
            foreach (var name in new[] { hyperlink, "mx.formula.example" })
            {
                san.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, name, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2));
            }
        }

        request.CertificateExtensions.Add(new X509Extension("2.5.29.17", san.Encode(), critical: false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var tlsa = TlsaAssociation.Record(cert, TlsaUsage.DaneEe, TlsaSelector.Spki, TlsaMatchingType.Sha2_256);
        var host = Host("mx.formula.example", ["192.0.2.30"], [], new RrsetObservation<TlsaRecord>("_25._tcp.mx.formula.example", "TLSA", DnsOutcome.SecureAnswer, DenialKind.None, [tlsa], 3600, []));

        await using (var store = new RunDirectoryStore(root))
        {
            await store.WriteManifestAsync(Samples.Manifest("formula"));
            await store.WriteDomainsAsync("formula", [Domain("formula.example", [host], rank: 1)]);
            await store.WriteProbesAsync("formula",
            [
                new ProbeRecord
                {
                    Observation = new ProbeObservation
                    {
                        Host = "mx.formula.example", Address = "192.0.2.30", ServerName = "mx.formula.example", StartedUtc = Samples.When,
                        Outcome = ProbeOutcome.TlsEstablished, StartTlsOffered = true, PresentedChain = [cert.RawData], EhloAfterTlsOk = true,
                    },
                },
                // A probe no stored domain uses: its row's detail is the probe's, the server's text.
                new ProbeRecord
                {
                    Observation = new ProbeObservation
                    {
                        Host = "mx.orphan.example", Address = "192.0.2.31", StartedUtc = Samples.When,
                        Outcome = ProbeOutcome.ServiceRefused, FailedStage = ProbeStage.Banner, Detail = sum,
                    },
                },
            ]);
        }

        ExportResult csv, jsonl;
        await using (var store = new RunDirectoryStore(root))
        {
            csv = await DatasetExporter.ExportAsync(store, "formula", Path.Combine(root, "csv"), ExportFormat.Csv);
            jsonl = await DatasetExporter.ExportAsync(store, "formula", Path.Combine(root, "jsonl"), ExportFormat.Jsonl);
        }

        var hosts = Rfc4180.Rows(await File.ReadAllTextAsync(csv.HostsPath)).ToDictionary(r => r["host"]);
        Assert.Equal("'" + hyperlink + ";mx.formula.example", hosts["mx.formula.example"]["leaf_dns_names"]);
        Assert.Equal("'" + sum, hosts["mx.orphan.example"]["detail"]);
        Assert.Equal(("25", "1", "0"), (hosts["mx.formula.example"]["port"], hosts["mx.formula.example"]["chain_length"], hosts["mx.formula.example"]["match_depth"]));
        Assert.Equal("CN=mx.formula.example", hosts["mx.formula.example"]["leaf_subject"]);

        var rows = (await File.ReadAllLinesAsync(jsonl.HostsPath)).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(r => r.GetProperty("host").GetString()!);
        Assert.Equal(hyperlink + ";mx.formula.example", rows["mx.formula.example"].GetProperty("leaf_dns_names").GetString());
        Assert.Equal(sum, rows["mx.orphan.example"].GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Csv_keeps_numbers_as_they_are_and_guards_text_columns_only()
    {
        var path = Path.Combine(_root, "numbers.csv");
        await using (var writer = RowWriters.Create<DomainRow>(ExportFormat.Csv, path))
        {
            await writer.WriteAsync(new DomainRow { RunId = "r", Domain = "-x.example", ListSource = "+list", ListRank = -5, MxHosts = -1 });
        }

        var row = Rfc4180.Rows(await File.ReadAllTextAsync(path)).Single();
        Assert.Equal(("-5", "-1"), (row["list_rank"], row["mx_hosts"]));
        Assert.Equal(("'-x.example", "'+list", "r"), (row["domain"], row["list_source"], row["run_id"]));
        Assert.Equal(("false", "1"), (row["dane_protected"], row["schema_version"]));
    }

    /// <summary>docs/dataset.md lists every column of both tables, in the order the files have them.</summary>
    [Fact]
    public void The_schema_document_lists_every_column_in_order()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DaneScan.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var lines = File.ReadAllLines(Path.Combine(dir.FullName, "docs", "dataset.md"));
        List<string> Documented(string table) => [.. lines
            .SkipWhile(l => l != $"## `{table}`")
            .Skip(1)
            .TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => l.Split('`')[1])];

        Assert.Equal(RowWriters.Columns<DomainRow>().Select(c => c.Name), Documented("domains"));
        Assert.Equal(RowWriters.Columns<HostRow>().Select(c => c.Name), Documented("hosts"));
    }

    [Fact]
    public async Task Parquet_streams_rows_in_row_groups_and_appends_them_to_one_file()
    {
        var path = Path.Combine(_root, "groups.parquet");
        await using (var writer = RowWriters.Create<DomainRow>(ExportFormat.Parquet, path, parquetRowGroupRows: 1000))
        {
            for (var i = 0; i < 2500; i++)
            {
                await writer.WriteAsync(new DomainRow { RunId = "r", Domain = $"d{i}.example", ListRank = i + 1 });
            }
        }

        await using var file = File.OpenRead(path);
        await using var parquet = await ParquetReader.CreateAsync(file);
        Assert.Equal(3, parquet.RowGroupCount);
        Assert.Equal(2500, Enumerable.Range(0, parquet.RowGroupCount).Sum(i => parquet.OpenRowGroupReader(i).RowCount));
        file.Position = 0;
        var rows = (await ParquetSerializer.DeserializeAsync<DomainRow>(file)).Data;
        Assert.Equal(Enumerable.Range(1, 2500).Select(i => (long?)i), rows.Select(r => r.ListRank));
    }

    [Fact]
    public async Task An_empty_run_exports_files_with_headers_and_no_rows()
    {
        await using var store = new RunDirectoryStore(_root);
        foreach (var format in Enum.GetValues<ExportFormat>())
        {
            var result = await DatasetExporter.ExportAsync(store, "empty", Path.Combine(_root, $"empty-{format}"), format);
            Assert.Equal((0L, 0L), (result.DomainRows, result.HostRows));
            Assert.True(File.Exists(result.DomainsPath));
        }

        var parquetRows = (await ParquetSerializer.DeserializeAsync<DomainRow>(Path.Combine(_root, "empty-Parquet", "domains.parquet"))).Data;
        Assert.Empty(parquetRows);
        Assert.Single(await File.ReadAllLinesAsync(Path.Combine(_root, "empty-Csv", "domains.csv")));
    }

    [Fact]
    public async Task Statistics_are_written_to_the_store()
    {
        await using var store = new RunDirectoryStore(_root);
        var stats = await DatasetExporter.ComputeStatisticsAsync(store, "run");
        var read = await store.ReadStatisticsAsync("run");
        Assert.Equal(stats.Counts, read!.Counts);
        Assert.Equal(1, read.Counts["domains.mx_status|NullMx"]);
        Assert.Equal(3, read.Counts["probes.outcome|TlsEstablished"] + read.Counts["probes.outcome|StartTlsNotOffered"]);
    }
}
