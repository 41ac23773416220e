using System.Text.Json;
using DaneScan.Core;
using DaneScan.Lab.Cases;
using DaneScan.Storage.Export;
using DaneScan.Storage.Tests;
using Parquet.Serialization;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// Issue 10: the exported <c>domains</c> table carries the statistics definitions (docs/dataset.md, "Definitions"),
/// the same in CSV, JSON Lines and Parquet, over a real scan of lab cases. The expected values are read from the
/// case catalogue (MX RRset secure or not, each host's expected outcome) and the definitions' wording: an
/// authenticated host behind an insecure MX RRset is Trusted, not DANE-protected; behind a secure one it is Verified.
/// </summary>
[Trait("Category", "Integration")]
[Collection(EndToEndCollection.Name)]
public sealed class ExportDefinitionsTests(EndToEndLab fixture)
{
    /// <summary>The export columns of the definitions, in the order the test compares them.</summary>
    private sealed record Definitions(string MxSecurity, string PrimaryState, string AllState, bool DaneProtected, bool SurveySigned, bool SurveyProtected);

    [Fact]
    public async Task Insecure_mx_with_matching_tlsa_exports_trusted_and_a_signed_match_exports_verified_in_every_format()
    {
        // The cases as the catalogue defines them: one MX host each, expected to authenticate.
        string[] insecureIds = ["mx-insecure", "ta-name-insecure-mx"];
        const string signedId = "ee-11";
        foreach (var id in insecureIds.Append(signedId))
        {
            var c = LabCatalogue.Get(id);
            Assert.Equal(id != signedId, !c.Expected.MxSecure);
            Assert.Equal(id != signedId, c.Rrsets.Any(r => r.Type == "MX" && r.Outcome == DnsOutcome.InsecureAnswer));
            Assert.Equal((DomainDaneStatus.Protected, DomainDaneStatus.Protected), (c.Expected.AllMx, c.Expected.PrimaryMx));
            Assert.All(c.Hosts, h => Assert.Equal(HostOutcome.Authenticated, h.Expected.Outcome));
        }

        // Insecure MX RRset, every host authenticated: Trusted; not DANE-protected, not in the survey (its denominator
        // needs a signed MX RRset). Secure MX RRset, every host authenticated: Verified, DANE-protected, survey-protected.
        var trusted = new Definitions("Insecure", "Trusted", "Trusted", false, false, false);
        var verified = new Definitions("Secure", "Verified", "Verified", true, true, true);
        var expected = insecureIds.ToDictionary(id => LabCatalogue.Get(id).Domain, _ => trusted);
        expected[LabCatalogue.Get(signedId).Domain] = verified;

        var dir = Directory.CreateTempSubdirectory("danescan-e2e-definitions-");
        try
        {
            var list = Path.Combine(dir.FullName, "list.txt");
            await File.WriteAllLinesAsync(list, expected.Keys);
            var runs = Path.Combine(dir.FullName, "runs");
            var scan = await Cli.RunAsync("scan", list, "--run-id", "definitions", "--out", runs, "--lab", fixture.Lab.StateDirectory);
            Assert.True(scan.ExitCode == 0, scan.Stderr + scan.Stdout);
            foreach (var format in new[] { "csv", "jsonl", "parquet" })
            {
                var export = await Cli.RunAsync("export", "definitions", "--runs-dir", runs, "--format", format, "-o", Path.Combine(dir.FullName, format));
                Assert.True(export.ExitCode == 0, export.Stderr);
            }

            var csvRows = Rfc4180.Rows(await File.ReadAllTextAsync(Path.Combine(dir.FullName, "csv", "domains.csv")));
            var csv = csvRows.ToDictionary(
                r => r["domain"],
                r => new Definitions(r["mx_security"], r["primary_state"], r["all_state"], bool.Parse(r["dane_protected"]), bool.Parse(r["survey_signed"]), bool.Parse(r["survey_protected"])));
            var jsonl = (await File.ReadAllLinesAsync(Path.Combine(dir.FullName, "jsonl", "domains.jsonl"))).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(
                r => r.GetProperty("domain").GetString()!,
                r => new Definitions(
                    r.GetProperty("mx_security").GetString()!, r.GetProperty("primary_state").GetString()!, r.GetProperty("all_state").GetString()!,
                    r.GetProperty("dane_protected").GetBoolean(), r.GetProperty("survey_signed").GetBoolean(), r.GetProperty("survey_protected").GetBoolean()));
            var parquet = (await ParquetSerializer.DeserializeAsync<DomainRow>(Path.Combine(dir.FullName, "parquet", "domains.parquet"))).Data.ToDictionary(
                r => r.Domain,
                r => new Definitions(r.MxSecurity, r.PrimaryState, r.AllState, r.DaneProtected, r.SurveySigned, r.SurveyProtected));

            foreach (var (format, rows) in new[] { ("csv", csv), ("jsonl", jsonl), ("parquet", parquet) })
            {
                Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
                foreach (var (domain, definitions) in expected)
                {
                    Assert.True(definitions == rows[domain], $"{format} {domain}: expected {definitions}, exported {rows[domain]}");
                }
            }

            // The host-only status columns keep their meaning: Protected for all three (the MX RRset is not part of it).
            Assert.All(csvRows, r => Assert.Equal(("Protected", "Protected"), (r["primary_status"], r["all_status"])));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
