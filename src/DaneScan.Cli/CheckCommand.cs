using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;
using DaneScan.Pipeline.Local;

namespace DaneScan.Cli;

/// <summary><c>danescan check &lt;domain&gt;</c>: one domain, judged as a DANE-aware sending MTA would, with the reasons.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var domain = new Argument<string>("domain") { Description = "The destination domain (Unicode names are converted to A-labels)." };
        var json = new Option<bool>("--json") { Description = "Print the observation and the verdict as versioned JSON." };
        var domainDeadline = new Option<double>("--domain-deadline")
        {
            Description = "Seconds the domain may take, as in scan; past it the domain is judged with the probes that finished (the others' addresses ProbeMissing).",
            DefaultValueFactory = _ => LocalScanOptions.DefaultDomainDeadline.TotalSeconds,
        };
        var settings = new ScannerSettings();
        var command = new Command("check", "Check one domain's DANE for SMTP: MX, addresses, TLSA, STARTTLS, certificate chain, verdict.");
        command.Arguments.Add(domain);
        command.Options.Add(json);
        command.Options.Add(domainDeadline);
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, parse.GetValue(domain)!, parse.GetValue(json), parse.GetValue(domainDeadline), settings, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string rawDomain, bool json, double deadlineSeconds, ScannerSettings settings, CancellationToken cancellationToken)
    {
        if (PipelineSettings.DomainDeadlineError(deadlineSeconds) is { } deadlineError)
        {
            await Console.Error.WriteLineAsync($"danescan check: {deadlineError}");
            return ExitCodes.Usage;
        }

        var normalized = DomainNameNormalizer.Normalize(rawDomain);
        if (!normalized.IsValid)
        {
            await Console.Error.WriteLineAsync($"danescan check: '{rawDomain}' is not a domain name: {Describe(normalized.Reason)}");
            return ExitCodes.Usage;
        }

        if (SpecialUseNames.Match(normalized.Name!) is { } special)
        {
            await Console.Error.WriteLineAsync($"danescan check: '{rawDomain}' is a special-use name (under .{special}): {DomainRejectReasons.Describe(DomainRejectReason.SpecialUseName)} ({DomainRejectReason.SpecialUseName})");
            return ExitCodes.Usage;
        }

        var (context, error, exit) = await settings.BuildAsync(parse, cancellationToken);
        if (context is null)
        {
            await Console.Error.WriteLineAsync($"danescan check: {error}");
            return exit;
        }

        using (context)
        {
            if (context.Policy.CheckDomain(normalized.Name!) is { Allowed: false } refused)
            {
                await Console.Error.WriteLineAsync($"danescan check: not checked: {refused.Detail}");
                return ExitCodes.OptedOut;
            }

            var check = await context.Checker.CheckAsync(normalized.Name!, TimeSpan.FromSeconds(deadlineSeconds), cancellationToken: cancellationToken);
            var (scan, verdict) = (check.Scan, check.Verdict);
            // Scan's rule: a domain past its deadline is a result (judged with the probes that finished), not an error.
            var expired = check.PastDeadline
                ? SafeText.ForTerminal(string.Create(CultureInfo.InvariantCulture,
                    $"deadline expired: --domain-deadline {deadlineSeconds:0.###} s passed with {check.PendingProbeKeys.Count} of {check.PendingProbeKeys.Count + scan.Probes.Count} probes unfinished ({string.Join(", ", check.PendingProbeKeys)}); their addresses are judged NotProbed / ProbeMissing"))
                : null;
            if (json)
            {
                var document = new CheckDocument(
                    "danescan.check", 1, context.Warning,
                    JsonDocument.Parse(DaneJson.SerializeScan(scan)).RootElement,
                    JsonDocument.Parse(DaneJson.SerializeVerdict(verdict)).RootElement,
                    check.PastDeadline ? check.PendingProbeKeys : null);
                Console.Out.WriteLine(JsonSerializer.Serialize(document, DaneJson.IndentedOptions));
                if (expired is not null)
                {
                    await Console.Error.WriteLineAsync($"danescan check: {expired}");
                }
            }
            else
            {
                Console.Out.Write(CheckReport.Render(scan, verdict, context.Warning));
                if (expired is not null)
                {
                    Console.Out.WriteLine();
                    Console.Out.WriteLine($"  {expired}");
                }
            }

            return ExitCodes.Success;
        }
    }

    private static string Describe(DomainRejectReason? reason) => reason switch
    {
        null => "rejected",
        { } r => $"{DomainRejectReasons.Describe(r)} ({r})",
    };

    /// <summary>The JSON document; <c>pendingProbeKeys</c> (added in version 1, absent when every probe finished) names the probes the deadline cut off.</summary>
    private sealed record CheckDocument(string Schema, int Version, string? Warning, JsonElement Observation, JsonElement Verdict, IReadOnlyList<string>? PendingProbeKeys);
}
