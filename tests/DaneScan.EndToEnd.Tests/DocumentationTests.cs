using System.Text.RegularExpressions;
using DaneScan.Lab.Cases;
using DaneScan.Lab.Testing;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// The documents hold to the program: every command and option README.md shows in its code blocks is one the
/// real <c>danescan</c> lists in its <c>--help</c>, and every "docs/dane-rules.md §n" the code cites is a
/// section of that page. No lab: these run with the unit tests.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string Root = Repository.Root;

    /// <summary>(command path, option) for every <c>danescan ...</c> line of README.md's fenced code blocks.</summary>
    internal static List<(string Command, string? Option)> ReadmeUsages(string markdown)
    {
        var usages = new List<(string, string?)>();
        foreach (Match block in FenceRegex().Matches(markdown))
        {
            // Join shell continuation lines, and usage blocks that wrap their [--options] onto indented lines.
            var text = ContinuationRegex().Replace(block.Groups[1].Value, " ");
            text = WrappedUsageRegex().Replace(text, " [");
            foreach (var raw in text.Split('\n'))
            {
                var hash = raw.IndexOf(" #", StringComparison.Ordinal);
                var line = hash >= 0 ? raw[..hash] : raw;
                foreach (Match invocation in InvocationRegex().Matches(line))
                {
                    var words = invocation.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    var command = words[0];
                    var rest = words.Skip(1).ToList();
                    if (command == "lab" && rest.Count > 0 && !rest[0].StartsWith('-'))
                    {
                        command = "lab " + rest[0];
                        rest = rest.Skip(1).ToList();
                    }

                    usages.Add((command, null));
                    foreach (var word in rest)
                    {
                        foreach (Match option in OptionRegex().Matches(word))
                        {
                            usages.Add((command, option.Value));
                        }
                    }
                }
            }
        }

        return usages;
    }

    [Fact]
    public void The_parser_finds_commands_and_options_in_code_blocks_only()
    {
        const string sample = """
            Prose mentioning `danescan nothing --here` is not a usage.

            ```sh
            danescan scan list.txt --run-id x \
              --opt-out f.txt   # comment --not-an-option
            DANESCAN_X=1 danescan worker --lab
            danescan lab up [--octet 53] [--dns-only]
            danescan check <domain> [--json]
                               [--smtp-port 25]
            ```
            """;
        var usages = ReadmeUsages(sample);
        Assert.Contains(("scan", "--run-id"), usages);
        Assert.Contains(("scan", "--opt-out"), usages);
        Assert.Contains(("worker", "--lab"), usages);
        Assert.Contains(("lab up", "--octet"), usages);
        Assert.Contains(("lab up", "--dns-only"), usages);
        Assert.Contains(("check", "--smtp-port"), usages);
        Assert.DoesNotContain(usages, u => u.Command == "nothing");
        Assert.DoesNotContain(usages, u => u.Option == "--not-an-option");
    }

    [Fact]
    public async Task Every_command_and_option_in_the_readme_is_in_the_cli_help()
    {
        var usages = ReadmeUsages(await File.ReadAllTextAsync(Path.Combine(Root, "README.md")));
        Assert.True(usages.Count > 20, $"README.md's code blocks show only {usages.Count} danescan usages; has the parser stopped finding them?");

        var missing = new List<string>();
        foreach (var group in usages.GroupBy(u => u.Command))
        {
            var help = await Cli.RunAsync([.. group.Key.Split(' '), "--help"]);
            if (help.ExitCode != 0 || !help.Stdout.Contains("Usage:", StringComparison.Ordinal)
                || !help.Stdout.Contains("danescan " + group.Key, StringComparison.Ordinal))
            {
                missing.Add($"danescan {group.Key}: no such command (--help exit {help.ExitCode}: {help.Stderr.Trim()})");
                continue;
            }

            foreach (var option in group.Select(u => u.Option).OfType<string>().Distinct())
            {
                if (!Regex.IsMatch(help.Stdout, @"(^|[\s,])" + Regex.Escape(option) + @"([\s,<]|$)", RegexOptions.Multiline))
                {
                    missing.Add($"danescan {group.Key} {option}: not in --help");
                }
            }
        }

        Assert.True(missing.Count == 0, "README.md shows what the CLI does not have:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Every_dane_rules_section_the_code_cites_exists()
    {
        var rules = File.ReadAllText(Path.Combine(Root, "docs", "dane-rules.md"));
        var sections = SectionRegex().Matches(rules).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 9).ToHashSet(), sections);

        var problems = new List<string>();
        var cited = 0;
        var sources = new[] { "src", "tests" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(Root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
        foreach (var file in sources)
        {
            var text = File.ReadAllText(file);
            var name = Path.GetRelativePath(Root, file);
            foreach (Match bare in BareCitationRegex().Matches(text))
            {
                problems.Add($"{name}: \"{bare.Value}\" should cite docs/dane-rules.md");
            }

            foreach (Match citation in CitationRegex().Matches(text))
            {
                foreach (Match n in SectionNumberRegex().Matches(citation.Groups[1].Value))
                {
                    cited++;
                    if (!sections.Contains(int.Parse(n.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)))
                    {
                        problems.Add($"{name}: cites docs/dane-rules.md §{n.Groups[1].Value}, which does not exist");
                    }
                }
            }
        }

        Assert.True(cited > 10, $"only {cited} citations found; has the pattern stopped matching?");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Every_lab_case_names_a_dane_rules_section_that_exists()
    {
        var rules = File.ReadAllText(Path.Combine(Root, "docs", "dane-rules.md"));
        var sections = SectionRegex().Matches(rules).Select(m => m.Groups[1].Value).ToHashSet();
        foreach (var c in LabCatalogue.All)
        {
            var numbers = SectionNumberRegex().Matches(c.Rule).Select(m => m.Groups[1].Value).ToList();
            Assert.True(numbers.Count > 0, $"case {c.Id}: rule \"{c.Rule}\" names no section");
            foreach (var n in numbers.Where(n => !c.Rule.Contains("RFC", StringComparison.Ordinal) || c.Rule.IndexOf("§" + n, StringComparison.Ordinal) < c.Rule.IndexOf("RFC", StringComparison.Ordinal)))
            {
                Assert.True(sections.Contains(n), $"case {c.Id}: rule \"{c.Rule}\" cites §{n}, not a section of docs/dane-rules.md");
            }
        }
    }

    [GeneratedRegex(@"^```[a-z]*\n(.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FenceRegex();

    [GeneratedRegex(@"\\\n\s*")]
    private static partial Regex ContinuationRegex();

    [GeneratedRegex(@"\n\s+\[")]
    private static partial Regex WrappedUsageRegex();

    [GeneratedRegex(@"(?<![\w./$-])danescan\s+([a-z][a-z-]*(?:\s.*)?)$")]
    private static partial Regex InvocationRegex();

    [GeneratedRegex(@"(?<![\w-])--?[a-zA-Z][a-zA-Z0-9-]*")]
    private static partial Regex OptionRegex();

    [GeneratedRegex(@"^## §(\d+) ", RegexOptions.Multiline)]
    private static partial Regex SectionRegex();

    [GeneratedRegex(@"docs/dane-rules\.md((?:[ ,;]*(?:and\s+)?§\d+(?:-§\d+)?)+)")]
    private static partial Regex CitationRegex();

    [GeneratedRegex(@"(?<!docs/)dane-rules(?:\.md)? §\d+")]
    private static partial Regex BareCitationRegex();

    [GeneratedRegex(@"§(\d+)")]
    private static partial Regex SectionNumberRegex();
}
