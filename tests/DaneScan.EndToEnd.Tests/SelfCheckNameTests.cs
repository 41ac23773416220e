using DaneScan.Lab;

namespace DaneScan.EndToEnd.Tests;

/// <summary>
/// A resolver with a private trust anchor passes the self-check with names it can validate: the lab's
/// unbound, addressed as any resolver (no --lab), with the lab's signed and bogus names given as settings.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SelfCheckNameTests(EndToEndLab fixture)
{
    private string[] AsPlainResolver(params string[] args) =>
        [.. args, "--resolver", fixture.Lab.Resolver.ToString(), "--smtp-port", fixture.Lab.Options.SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--allow-private"];

    [Fact]
    public async Task Check_validates_with_the_self_check_names_given()
    {
        var result = await Cli.RunAsync(AsPlainResolver("check", "ee-11.lab", "--self-check-signed", LabEnvironment.SignedName, "--self-check-broken", LabEnvironment.BogusName));

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("all MX: Protected", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("ValidatingResolverAd", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("UnverifiedResolver", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_refuses_the_private_resolver_against_internet_names_and_says_which_options_help()
    {
        // The lab's unbound knows only the lab root: ietf.org cannot validate there.
        var result = await Cli.RunAsync(AsPlainResolver("check", "ee-11.lab"));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("--self-check-signed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("signed name ietf.org", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swapped_names_fail_the_self_check()
    {
        // A signed name that is bogus cannot come back with AD: the check must fail, not pass by accident.
        var result = await Cli.RunAsync(AsPlainResolver("check", "ee-11.lab", "--self-check-signed", LabEnvironment.BogusName, "--self-check-broken", LabEnvironment.SignedName));

        Assert.Equal(3, result.ExitCode);
    }

    [Theory]
    [InlineData("--self-check-signed", "not a name")]
    [InlineData("--self-check-broken", "-bad-.lab")]
    public async Task A_self_check_name_that_is_not_a_domain_is_a_usage_error(string option, string value)
    {
        var result = await Cli.RunAsync(AsPlainResolver("check", "ee-11.lab", option, value));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option + ": '" + value + "' is not a domain name", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_validates_with_the_self_check_names_given()
    {
        var dir = Directory.CreateTempSubdirectory("danescan-selfcheck-");
        try
        {
            var list = Path.Combine(dir.FullName, "list.txt");
            await File.WriteAllTextAsync(list, "ee-11.lab\nno-starttls.lab\n");
            var result = await Cli.RunAsync(AsPlainResolver("scan", list, "--out", dir.FullName, "--run-id", "selfcheck", "--self-check-signed", LabEnvironment.SignedName, "--self-check-broken", LabEnvironment.BogusName));

            Assert.True(result.ExitCode == 0, result.Stderr);
            var manifest = await File.ReadAllTextAsync(Path.Combine(dir.FullName, "selfcheck", "manifest.json"));
            Assert.Contains("ValidatingResolverAd", manifest, StringComparison.Ordinal);
            Assert.Equal(2, File.ReadAllLines(Path.Combine(dir.FullName, "selfcheck", "domains.jsonl")).Length);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
