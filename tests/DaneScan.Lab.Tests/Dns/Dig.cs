using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using DaneScan.Lab.Hosting;

namespace DaneScan.Lab.Tests.Dns;

/// <summary>What dig (an independent tool) says about one query.</summary>
public sealed record DigAnswer(string Status, bool Ad, int? Ede, string EdeText, IReadOnlyList<string> Answer, string Raw)
{
    /// <summary>Answer records of the queried type (CNAME links excluded).</summary>
    public IReadOnlyList<string> AnswerOfType(string type) =>
        [.. Answer.Where(l => l.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries) is { Length: > 4 } f && f[3] == type)];
}

/// <summary>Runs <c>dig +dnssec</c> against the lab's resolver and parses status, AD flag, EDE and answer.</summary>
public static partial class Dig
{
    public static async Task<DigAnswer> QueryAsync(IPEndPoint server, string name, string type, bool cd = false)
    {
        var args = new List<string>
        {
            "@" + server.Address, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "+dnssec", "+tries=1", "+time=10",
            "+nocookie", "+noall", "+comments", "+answer", name, type,
        };
        if (cd)
        {
            args.Add("+cd");
        }

        var result = await Tool.RunAsync("dig", args, timeout: TimeSpan.FromSeconds(30));
        var raw = result.StandardOutput;
        var status = StatusRegex().Match(raw) is { Success: true } s ? s.Groups[1].Value : "NO-REPLY";
        var flags = FlagsRegex().Match(raw) is { Success: true } f ? f.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        var ede = EdeRegex().Match(raw);
        var answer = raw.Split('\n').Where(l => l.Length > 0 && l[0] != ';').ToList();
        return new DigAnswer(
            status,
            flags.Contains("ad", StringComparer.Ordinal),
            ede.Success ? int.Parse(ede.Groups[1].Value, CultureInfo.InvariantCulture) : null,
            ede.Success ? ede.Groups[2].Value : string.Empty,
            answer,
            raw);
    }

    [GeneratedRegex(@"status: ([A-Z]+)")]
    private static partial Regex StatusRegex();

    [GeneratedRegex(@";; flags: ([a-z ]+);")]
    private static partial Regex FlagsRegex();

    [GeneratedRegex(@"; EDE: (\d+)(.*)")]
    private static partial Regex EdeRegex();
}
