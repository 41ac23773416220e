using System.Net.Sockets;
using System.Text;
using DaneScan.Lab.Smtp;

namespace DaneScan.Lab.Tests.Tls;

/// <summary>Stopping the servers and the per-connection bounds, with clients that misbehave.</summary>
[Trait("Category", "Integration")]
[Collection(TlsLabCollection.Name)]
public sealed class LifetimeTests(TlsLabFixture lab)
{
    [Fact]
    public async Task Stopping_closes_listeners_and_hanging_connections_even_when_clients_never_read()
    {
        SmtpHostSpec[] specs =
        [
            new() { Address = "127.77.3.1", BannerName = "silent.lab", Quirk = SmtpQuirk.SilentAfterConnect, StartTls = StartTlsBehaviour.NotOffered },
            new() { Address = "127.77.3.2", BannerName = "endless.lab", Quirk = SmtpQuirk.EndlessMultilineEhlo, StartTls = StartTlsBehaviour.NotOffered },
            new() { Address = "127.77.3.3", BannerName = "slow.lab", Quirk = SmtpQuirk.SlowBanner, StartTls = StartTlsBehaviour.NotOffered },
            new() { Address = "127.77.3.4", BannerName = "tls.lab", ChainPemFile = lab.ChainFile("leaf"), KeyPemFile = lab.KeyFile("leaf") },
        ];
        var servers = await ScriptedSmtpServers.StartAsync(specs);
        var clients = new List<TcpClient>();
        try
        {
            foreach (var spec in specs)
            {
                var client = new TcpClient();
                await client.ConnectAsync(spec.Address, 25);
                clients.Add(client);
            }

            // The endless host: ask for EHLO and never read; the TLS host: STARTTLS, then never send a ClientHello.
            var endless = clients[1].GetStream();
            await ReadSomeAsync(endless);
            await endless.WriteAsync("EHLO client.test\r\n"u8.ToArray());
            var tls = clients[3].GetStream();
            await ReadSomeAsync(tls);
            await tls.WriteAsync("EHLO client.test\r\nSTARTTLS\r\n"u8.ToArray());
            await Task.Delay(500);
            Assert.Equal(4, servers.ConnectionsAccepted);

            // A hang guard, not a speed assertion: disposal must not wait for the 5-minute connection lifetime.
            await servers.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));

            foreach (var spec in specs)
            {
                using var late = new TcpClient();
                var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(spec.Address, 25));
                Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            }

            // The silent host's client sees its connection end.
            var silent = clients[0].GetStream();
            var buffer = new byte[16];
            var read = await silent.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, read);
        }
        finally
        {
            await servers.DisposeAsync();
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task An_idle_client_is_disconnected_after_the_idle_timeout()
    {
        var spec = new SmtpHostSpec { Address = "127.77.3.10", BannerName = "idle.lab", StartTls = StartTlsBehaviour.NotOffered };
        await using var servers = await ScriptedSmtpServers.StartAsync([spec], SmtpServerLimits.Default with { IdleTimeout = TimeSpan.FromSeconds(1) });
        using var client = new TcpClient();
        await client.ConnectAsync(spec.Address, 25);
        var stream = client.GetStream();
        var banner = await ReadSomeAsync(stream);
        Assert.StartsWith("220 idle.lab", banner, StringComparison.Ordinal);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, read);
    }

    [Fact]
    public async Task The_command_tally_counts_what_clients_sent_and_a_tls_client_sends_no_mail_commands()
    {
        var spec = new SmtpHostSpec
        {
            Address = "127.77.3.20",
            BannerName = "tally.lab",
            ChainPemFile = lab.ChainFile("leaf"),
            KeyPemFile = lab.KeyFile("leaf"),
        };
        await using var servers = await ScriptedSmtpServers.StartAsync([spec]);
        var result = await ExternalTool.SClientAsync(spec.Address, 25, "mx.tls.lab", ["-nocommands"], input: "EHLO client.test\nQUIT\n");
        Assert.Contains("221 2.0.0 Bye", result.StdOut, StringComparison.Ordinal);
        Assert.Equal(2, servers.Commands["EHLO"]); // before and after TLS
        Assert.Equal(1, servers.Commands["STARTTLS"]);
        Assert.Equal(1, servers.Commands["QUIT"]);
        Assert.Equal(0, servers.Commands["MAIL"]);

        var bash = await ExternalTool.ShellAsync($"exec 3<>/dev/tcp/{spec.Address}/25; read -t 10 b <&3; " +
            "printf 'MAIL FROM:<a@b.test>\\r\\nXYZZY\\r\\nQUIT\\r\\n' >&3; timeout 10 cat <&3");
        Assert.Contains("554 5.7.1", bash.StdOut, StringComparison.Ordinal);
        Assert.Equal(1, servers.Commands["mail"]);
        Assert.Equal(1, servers.Commands["OTHER"]);
        Assert.Equal(2, servers.Commands["QUIT"]);
        Assert.StartsWith("EHLO=2 HELO=0 STARTTLS=1", servers.Commands.ToString(), StringComparison.Ordinal);
    }

    private static async Task<string> ReadSomeAsync(NetworkStream stream)
    {
        var buffer = new byte[512];
        var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
        return Encoding.ASCII.GetString(buffer, 0, n);
    }
}
