using System.CommandLine;
using System.Text.Json;
using DaneScan.Api;
using DaneScan.Contracts;
using DaneScan.Core;
using DaneScan.Pipeline.Lists;

namespace DaneScan.Cli;

/// <summary><c>danescan check &lt;domain&gt;</c>: one domain, judged as a DANE-aware sending MTA would, with the reasons.</summary>
public static class CheckCommand
{
    public static Command Create()
    {
        var domain = new Argument<string>("domain") { Description = "The destination domain (Unicode names are converted to A-labels)." };
        var json = new Option<bool>("--json") { Description = "Print the observation and the verdict as versioned JSON." };
        var settings = new ScannerSettings();
        var command = new Command("check", "Check one domain's DANE for SMTP: MX, addresses, TLSA, STARTTLS, certificate chain, verdict.");
        command.Arguments.Add(domain);
        command.Options.Add(json);
        settings.AddTo(command);
        command.SetAction((parse, cancellationToken) => RunAsync(parse, parse.GetValue(domain)!, parse.GetValue(json), settings, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parse, string rawDomain, bool json, ScannerSettings settings, CancellationToken cancellationToken)
    {
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

            var (scan, verdict) = await context.Checker.CheckAsync(normalized.Name!, cancellationToken);
            if (json)
            {
                var document = new CheckDocument(
                    "danescan.check", 1, context.Warning,
                    JsonDocument.Parse(DaneJson.SerializeScan(scan)).RootElement,
                    JsonDocument.Parse(DaneJson.SerializeVerdict(verdict)).RootElement);
                Console.Out.WriteLine(JsonSerializer.Serialize(document, DaneJson.IndentedOptions));
            }
            else
            {
                Console.Out.Write(CheckReport.Render(scan, verdict, context.Warning));
            }

            return ExitCodes.Success;
        }
    }

    private static string Describe(DomainRejectReason? reason) => reason switch
    {
        null => "rejected",
        { } r => $"{DomainRejectReasons.Describe(r)} ({r})",
    };

    private sealed record CheckDocument(string Schema, int Version, string? Warning, JsonElement Observation, JsonElement Verdict);
}
