namespace DaneScan.Statistics.Tests;

/// <summary>Run comparison over hand-made classifications: transitions and pages worked out by hand.</summary>
public sealed class ComparisonTests
{
    private static DomainClassification C(string domain, DaneState all) =>
        new(domain, Core.MxStatus.MxHosts, MxSecurity.Secure, all, all, true, all == DaneState.Verified);

    private static async IAsyncEnumerable<DomainClassification> Run(params DomainClassification[] items)
    {
        foreach (var i in items)
        {
            yield return i;
        }

        await Task.CompletedTask;
    }

    [Fact]
    public async Task Transitions_count_changed_new_and_gone_domains()
    {
        var a = Run(C("same.example", DaneState.Verified), C("fixed.example", DaneState.Failing), C("new-dane-1.example", DaneState.NotDane),
            C("new-dane-2.example", DaneState.NotDane), C("broken.example", DaneState.Verified), C("gone.example", DaneState.NotDane));
        var b = Run(C("same.example", DaneState.Verified), C("fixed.example", DaneState.Verified), C("NEW-DANE-2.example", DaneState.Verified),
            C("new-dane-1.example", DaneState.Verified), C("broken.example", DaneState.Failing), C("appeared.example", DaneState.Trusted));
        var comparison = await RunComparison.CompareAsync("r1", a, "r2", b);
        var s = comparison.Summary;
        Assert.Equal((6L, 6L, 1L), (s.DomainsA, s.DomainsB, s.Unchanged));
        Assert.Equal(
            [("NotDane→Verified", 2L), ("Absent→Trusted", 1L), ("Failing→Verified", 1L), ("NotDane→Absent", 1L), ("Verified→Failing", 1L)],
            s.Transitions.Select(t => (t.Transition, t.Domains)));
        Assert.Equal(("NotDane", "Verified"), (s.Transitions[0].From, s.Transitions[0].To));

        var page1 = comparison.Domains("NotDane→Verified", page: 1, pageSize: 1);
        var page2 = comparison.Domains("NotDane→Verified", page: 2, pageSize: 1);
        Assert.Equal((2L, 2), (page1.Domains, page1.Pages));
        Assert.Equal(["NEW-DANE-2.example"], page1.Items);
        Assert.Equal(["new-dane-1.example"], page2.Items);
        Assert.Empty(comparison.Domains("NotDane→Verified", page: 3, pageSize: 1).Items);
        Assert.Empty(comparison.Domains("Trusted→Verified").Items);
    }

    [Theory]
    [InlineData("NotDane->Verified", "NotDane→Verified")]
    [InlineData("notdane → verified", "NotDane→Verified")]
    [InlineData("absent->trusted", "Absent→Trusted")]
    public void Transitions_parse_as_users_write_them(string text, string expected) =>
        Assert.Equal(expected, RunComparison.ParseTransition(text, out _));

    [Theory]
    [InlineData("Verified", "is not a transition")]
    [InlineData("Protected->Verified", "'Protected' is not a state")]
    public void A_bad_transition_says_why(string text, string problem)
    {
        Assert.Null(RunComparison.ParseTransition(text, out var why));
        Assert.Contains(problem, why, StringComparison.Ordinal);
    }
}
