using DaneScan.Lab.Testing;

namespace DaneScan.Lab.Tests.Dns;

[Collection(LabCollection.Name)]
public sealed class SmokeTests(LabFixture fixture)
{
    [Fact]
    public async Task Signed_mx_is_authenticated()
    {
        var answer = await Dig.QueryAsync(fixture.Lab.Resolver, "ee-11.lab", "MX");
        Assert.True(answer.Ad, answer.Raw);
        Assert.Equal("NOERROR", answer.Status);
    }
}
