using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// A one-connection SMTP server on a 127.88.x.x loopback socket with a real TLS handshake (SslStream),
/// presenting exactly the configured chain. It records every command line it received and the SNI sent.
/// </summary>
internal sealed class LoopbackSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Task _serve;
    private readonly List<string> _commands = [];
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));

    public LoopbackSmtpServer(
        IPAddress address,
        X509Certificate2 leaf,
        X509Certificate2[] intermediates,
        SslProtocols protocols = SslProtocols.None,
        string afterStartTls220 = "",
        string? ehloAfterTlsReply = null)
    {
        _listener = new TcpListener(address, 0);
        _listener.Start();
        EndPoint = (IPEndPoint)_listener.LocalEndpoint;
        var context = SslStreamCertificateContext.Create(leaf, [.. intermediates], offline: true);
        SentIntermediates = context.IntermediateCertificates.Count;
        _serve = ServeAsync(context, protocols, afterStartTls220, ehloAfterTlsReply, _stop.Token);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>How many certificates the server sends after its leaf (fixed when the server is made).</summary>
    public int SentIntermediates { get; }

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_commands)
            {
                return [.. _commands];
            }
        }
    }

    /// <summary>The SNI the client sent ("" when none).</summary>
    public string? ReceivedServerName { get; private set; }

    /// <summary>Waits for the session to end and surfaces any server-side failure.</summary>
    public Task Completion => _serve;

    /// <param name="ehloAfterTlsReply">The reply to EHLO inside TLS; null for a normal 250, "" to close the connection instead.</param>
    private async Task ServeAsync(
        SslStreamCertificateContext context, SslProtocols protocols, string piggyback, string? ehloAfterTlsReply, CancellationToken ct)
    {
        using TcpClient client = await _listener.AcceptTcpClientAsync(ct);
        NetworkStream net = client.GetStream();
        await WriteAsync(net, "220-mx.example.org ESMTP test server\r\n220 second banner line\r\n", ct);
        using (var reader = new StreamReader(net, Encoding.ASCII, false, 1, leaveOpen: true))
        {
            string? line;
            while ((line = await ReadLineAsync(reader, ct)) is not null)
            {
                if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(net, "250-mx.example.org\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", ct);
                }
                else if (line.Equals("STARTTLS", StringComparison.OrdinalIgnoreCase))
                {
                    // One write, so any piggybacked bytes travel with the 220 reply.
                    await WriteAsync(net, "220 2.0.0 Ready to start TLS\r\n" + piggyback, ct);
                    break;
                }
                else
                {
                    await WriteAsync(net, "503 5.5.1 not in this test\r\n", ct);
                }
            }
        }

        var ssl = new SslStream(net, leaveInnerStreamOpen: false);
        await using (ssl)
        {
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions { ServerCertificateContext = context, EnabledSslProtocols = protocols }, ct);
            ReceivedServerName = ssl.TargetHostName;
            using var reader = new StreamReader(ssl, Encoding.ASCII, false, 1, leaveOpen: true);
            string? line;
            while ((line = await ReadLineAsync(reader, ct)) is not null)
            {
                if (line.StartsWith("EHLO", StringComparison.OrdinalIgnoreCase))
                {
                    if (ehloAfterTlsReply == string.Empty)
                    {
                        break;
                    }

                    await WriteAsync(ssl, ehloAfterTlsReply ?? "250-mx.example.org\r\n250 PIPELINING\r\n", ct);
                }
                else if (line.Equals("QUIT", StringComparison.OrdinalIgnoreCase))
                {
                    await WriteAsync(ssl, "221 2.0.0 Bye\r\n", ct);
                    break;
                }
                else
                {
                    await WriteAsync(ssl, "503 5.5.1 not in this test\r\n", ct);
                }
            }
        }
    }

    private async Task<string?> ReadLineAsync(StreamReader reader, CancellationToken ct)
    {
        string? line = await reader.ReadLineAsync(ct);
        if (line is not null)
        {
            lock (_commands)
            {
                _commands.Add(line);
            }
        }

        return line;
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _serve;
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or AuthenticationException)
        {
            // The session is over either way.
        }

        _stop.Dispose();
    }
}
