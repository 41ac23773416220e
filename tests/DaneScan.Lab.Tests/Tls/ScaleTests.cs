using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>The scale lab's shape: 1,200 listeners in one process, every one answering, TLS on a sample.</summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class ScaleTests(TlsLabFixture lab)
{
    [Fact]
    public async Task Twelve_hundred_listeners_all_answer_with_their_own_banner_and_tls_works_on_a_sample()
    {
        var specs = Enumerable.Range(0, 1200).Select(i => new SmtpHostSpec
        {
            Address = $"127.77.{16 + (i / 250)}.{1 + (i % 250)}",
            BannerName = $"mx{i}.scale.lab",
            StartTls = i % 10 == 9 ? StartTlsBehaviour.NotOffered : StartTlsBehaviour.Offered,
            ChainPemFile = lab.ChainFile("leaf"),
            KeyPemFile = lab.KeyFile("leaf"),
        }).ToList();
        var watch = Stopwatch.StartNew();
        await using var servers = await ScriptedSmtpServers.StartAsync(specs);
        var started = watch.Elapsed;
        Assert.Equal(1200, servers.Endpoints.Count);

        watch.Restart();
        var banners = new string[specs.Count];
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(specs.Select(async (spec, i) =>
        {
            await gate.WaitAsync();
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(spec.Address, spec.Port);
                var stream = client.GetStream();
                var buffer = new byte[256];
                var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
                banners[i] = Encoding.ASCII.GetString(buffer, 0, n);
                await stream.WriteAsync("QUIT\r\n"u8.ToArray());
            }
            finally
            {
                gate.Release();
            }
        }));
        for (var i = 0; i < specs.Count; i++)
        {
            Assert.StartsWith($"220 mx{i}.scale.lab ESMTP", banners[i], StringComparison.Ordinal);
        }

        Console.WriteLine($"scale: 1200 listeners bound in {started.TotalMilliseconds:F0} ms, 1200 banners read in {watch.ElapsedMilliseconds} ms");

        foreach (var i in new[] { 0, 600, 1198 })
        {
            var result = await ExternalTool.SClientAsync(specs[i].Address, 25, "mx.tls.lab");
            Assert.True(result.StdOut.Contains("s:CN = mx.tls.lab", StringComparison.Ordinal), result.All);
        }

        var none = await ExternalTool.SClientAsync(specs[1199].Address, 25, "mx.tls.lab");
        Assert.Contains("Didn't find STARTTLS", none.All, StringComparison.Ordinal);
    }
}
