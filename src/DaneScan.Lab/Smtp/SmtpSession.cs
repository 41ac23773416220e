using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace DaneScan.Lab.Smtp;

/// <summary>One scripted SMTP connection. Never throws for network trouble: the connection just ends.</summary>
internal sealed class SmtpSession
{
    private const string NoMail = "554 5.7.1 DaneScan lab server: no mail is accepted here\r\n";

    /// <summary>A 1 MiB EHLO reply line for <see cref="SmtpQuirk.OversizedReply"/>, shared by every connection.</summary>
    private static readonly Lazy<byte[]> OversizedLine = new(() =>
    {
        var line = new byte[1024 * 1024];
        line.AsSpan().Fill((byte)'X');
        "250-X-OVERSIZED "u8.CopyTo(line);
        line[^2] = (byte)'\r';
        line[^1] = (byte)'\n';
        return line;
    });

    /// <summary>A block of continuation lines for <see cref="SmtpQuirk.EndlessMultilineEhlo"/>.</summary>
    private static readonly Lazy<byte[]> EndlessBlock = new(() =>
    {
        var text = new StringBuilder();
        for (var i = 0; i < 64; i++)
        {
            text.Append("250-X-ENDLESS-").Append(i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)).Append(" this reply never ends\r\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    });

    /// <summary>The marker <see cref="ReadLineAsync"/> returns for a line over the limit (compared by reference).</summary>
    private static readonly string TooLong = new('\0', 1);

    private readonly SmtpHostSpec _spec;
    private readonly SslStreamCertificateContext? _certificate;
    private readonly SmtpServerLimits _limits;
    private readonly CommandTally _tally;
    private readonly Socket _socket;
    private readonly bool _tooBusy;
    private readonly byte[] _buffer;
    private Stream _stream;
    private int _start;
    private int _end;
    private bool _tls;
    private bool _greeted;

    public SmtpSession(SmtpHostSpec spec, SslStreamCertificateContext? certificate, SmtpServerLimits limits, CommandTally tally, Socket socket, bool tooBusy)
    {
        _tally = tally;
        _spec = spec;
        _certificate = certificate;
        _limits = limits;
        _socket = socket;
        _tooBusy = tooBusy;
        _buffer = new byte[limits.MaxLineLength];
        socket.NoDelay = true;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    public async Task RunAsync(CancellationToken stopping)
    {
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lifetime.CancelAfter(_limits.ConnectionLifetime);
        var token = lifetime.Token;
        var reset = false;
        try
        {
            reset = await ConverseAsync(token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException or ObjectDisposedException)
        {
            // The client went away, a bound was hit, or the handshake failed: the connection just ends.
        }
        finally
        {
            Close(reset);
        }
    }

    /// <summary>The conversation. Returns true when the connection must end with a reset (RST).</summary>
    private async Task<bool> ConverseAsync(CancellationToken token)
    {
        if (_tooBusy)
        {
            await WriteAsync("421 4.3.2 Too many connections, try again later\r\n", token);
            return false;
        }

        if (_spec.Quirk == SmtpQuirk.SilentAfterConnect)
        {
            await DrainUntilClosedAsync(token);
            return false;
        }

        if (_spec.Quirk == SmtpQuirk.SlowBanner)
        {
            await Task.Delay(_spec.QuirkDelay, token);
        }

        await WriteAsync($"220 {_spec.BannerName} ESMTP{HostileSuffix} DaneScan lab\r\n", token);
        for (var commands = 0; ; commands++)
        {
            if (commands >= _limits.MaxCommands)
            {
                await WriteAsync("421 4.7.0 Too many commands, closing connection\r\n", token);
                return false;
            }

            var line = await ReadLineAsync(token);
            if (line is null)
            {
                return false;
            }

            if (ReferenceEquals(line, TooLong))
            {
                await WriteAsync("500 5.5.2 Line too long\r\n", token);
                return false;
            }

            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
            _tally.Count(verb);
            var argument = space < 0 ? string.Empty : line[(space + 1)..].Trim();
            switch (verb)
            {
                case "EHLO":
                    if (argument.Length == 0)
                    {
                        await WriteAsync("501 5.5.4 Syntax: EHLO hostname\r\n", token);
                        break;
                    }

                    _greeted = true;
                    if (!await EhloAsync(argument, token))
                    {
                        return false;
                    }

                    break;
                case "HELO":
                    if (argument.Length == 0)
                    {
                        await WriteAsync("501 5.5.4 Syntax: HELO hostname\r\n", token);
                        break;
                    }

                    _greeted = true;
                    await WriteAsync($"250 {_spec.BannerName}\r\n", token);
                    break;
                case "STARTTLS":
                    var next = await StartTlsAsync(argument, token);
                    if (next != Continue.Yes)
                    {
                        return next == Continue.Reset;
                    }

                    break;
                case "NOOP":
                case "RSET":
                    await WriteAsync("250 2.0.0 OK\r\n", token);
                    break;
                case "QUIT":
                    await WriteAsync("221 2.0.0 Bye\r\n", token);
                    return false;
                case "MAIL":
                case "RCPT":
                case "DATA":
                case "BDAT":
                    await WriteAsync(NoMail, token);
                    break;
                case "VRFY":
                case "EXPN":
                    await WriteAsync("502 5.5.1 Command not implemented\r\n", token);
                    break;
                default:
                    await WriteAsync("500 5.5.2 Command unrecognized\r\n", token);
                    break;
            }
        }
    }

    private enum Continue
    {
        Yes,
        Close,
        Reset,
    }

    private async Task<bool> EhloAsync(string argument, CancellationToken token)
    {
        var first = $"250-{_spec.BannerName}{HostileSuffix} greets {Printable(argument)}\r\n";
        if (_spec.Quirk == SmtpQuirk.EndlessMultilineEhlo)
        {
            await WriteAsync(first, token);
            var block = EndlessBlock.Value;
            while (!token.IsCancellationRequested)
            {
                await WriteAsync(block, token);
                await Task.Delay(10, token);
            }

            return false;
        }

        if (_spec.Quirk == SmtpQuirk.OversizedReply)
        {
            await WriteAsync(first, token);
            await WriteAsync(OversizedLine.Value, token);
            first = string.Empty;
        }

        var offer = !_tls && _spec.StartTls is not StartTlsBehaviour.NotOffered;
        var reply = new StringBuilder(first);
        reply.Append("250-PIPELINING\r\n");
        reply.Append("250-SIZE 10240000\r\n");
        if (offer)
        {
            reply.Append("250-STARTTLS\r\n");
        }

        reply.Append("250-ENHANCEDSTATUSCODES\r\n");
        reply.Append("250 8BITMIME\r\n");
        await WriteAsync(reply.ToString(), token);
        return true;
    }

    private async Task<Continue> StartTlsAsync(string argument, CancellationToken token)
    {
        if (_tls)
        {
            await WriteAsync("503 5.5.1 TLS already active\r\n", token);
            return Continue.Yes;
        }

        if (_spec.StartTls == StartTlsBehaviour.NotOffered)
        {
            await WriteAsync("502 5.5.1 Command not implemented\r\n", token);
            return Continue.Yes;
        }

        if (argument.Length > 0)
        {
            await WriteAsync("501 5.5.4 Syntax: STARTTLS\r\n", token);
            return Continue.Yes;
        }

        if (!_greeted)
        {
            await WriteAsync("503 5.5.1 Send EHLO first\r\n", token);
            return Continue.Yes;
        }

        if (_spec.StartTls == StartTlsBehaviour.Refused454)
        {
            await WriteAsync("454 4.7.0 TLS not available due to temporary reason\r\n", token);
            return Continue.Yes;
        }

        // RFC 3207 §4.2: anything the client pipelined after STARTTLS is discarded, never read as a command.
        _start = _end = 0;
        var ready = "220 2.0.0 Ready to start TLS\r\n";
        if (_spec.Quirk == SmtpQuirk.PiggybackAfter220)
        {
            ready += "250 piggybacked plaintext after the 220 reply to STARTTLS\r\n";
        }

        await WriteAsync(ready, token);
        switch (_spec.StartTls)
        {
            case StartTlsBehaviour.AbortHandshake:
                await ReadClientHelloAsync(token);
                _socket.Shutdown(SocketShutdown.Send);
                await DrainUntilClosedAsync(token, _limits.HandshakeTimeout);
                return Continue.Close;
            case StartTlsBehaviour.GarbageInsteadOfTls:
                await ReadClientHelloAsync(token);
                await WriteAsync("This is not TLS: the DaneScan lab answers a ClientHello with plain text.\r\n", token);
                _socket.Shutdown(SocketShutdown.Send);
                await DrainUntilClosedAsync(token, _limits.HandshakeTimeout);
                return Continue.Close;
            case StartTlsBehaviour.ResetMidHandshake:
                await ReadClientHelloAsync(token);
                return Continue.Reset;
        }

        var killAfterHandshake = _spec.StartTls == StartTlsBehaviour.KillAfterHandshake;

        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        using (var handshake = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            handshake.CancelAfter(_limits.HandshakeTimeout);
            var options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                EnabledSslProtocols = _spec.Protocols,
                ClientCertificateRequired = false,
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                AllowRenegotiation = false,
            };
            try
            {
                await ssl.AuthenticateAsServerAsync(options, handshake.Token);
            }
            catch
            {
                await ssl.DisposeAsync();
                throw;
            }
        }

        _stream = ssl;
        if (killAfterHandshake)
        {
            // The handshake is complete on both sides; the connection dies before any SMTP inside TLS.
            return Continue.Reset;
        }

        _tls = true;
        _greeted = false; // RFC 3207 §4.2: the client must EHLO again.
        return Continue.Yes;
    }

    /// <summary>Reads one TLS record (the ClientHello) or whatever the client sends, within the handshake timeout.</summary>
    private async Task ReadClientHelloAsync(CancellationToken token)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(_limits.HandshakeTimeout);
        var header = new byte[5];
        var read = 0;
        while (read < header.Length)
        {
            var n = await _stream.ReadAsync(header.AsMemory(read), deadline.Token);
            if (n == 0)
            {
                return;
            }

            read += n;
        }

        var length = (header[3] << 8) | header[4];
        var scratch = new byte[Math.Min(length, 16 * 1024 + 256)];
        var remaining = scratch.Length;
        while (remaining > 0)
        {
            var n = await _stream.ReadAsync(scratch.AsMemory(scratch.Length - remaining), deadline.Token);
            if (n == 0)
            {
                return;
            }

            remaining -= n;
        }
    }

    /// <summary>Reads and discards until the client closes, the timeout passes or the connection's lifetime ends.</summary>
    private async Task DrainUntilClosedAsync(CancellationToken token, TimeSpan? timeout = null)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        if (timeout is { } t)
        {
            deadline.CancelAfter(t);
        }

        var scratch = new byte[1024];
        while (await _stream.ReadAsync(scratch, deadline.Token) > 0)
        {
        }
    }

    /// <summary>One line without its CRLF; null at end of stream; <see cref="TooLong"/> when no line end comes within the limit.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken token)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        idle.CancelAfter(_limits.IdleTimeout);
        while (true)
        {
            var newline = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsSpan(_start, newline);
                _start += newline + 1;
                if (line.Length > 0 && line[^1] == '\r')
                {
                    line = line[..^1];
                }

                return Encoding.Latin1.GetString(line);
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                return TooLong;
            }

            var n = await _stream.ReadAsync(_buffer.AsMemory(_end), idle.Token);
            if (n == 0)
            {
                return null;
            }

            _end += n;
        }
    }

    /// <summary>What <see cref="SmtpQuirk.HostileText"/> puts into the banner and the EHLO greeting.</summary>
    private string HostileSuffix => _spec.Quirk == SmtpQuirk.HostileText ? " \u001b[2J\u001b]0;owned\u0007\u009b31m \u202egnp.exe" : string.Empty;

    // UTF-8: ASCII for every ordinary reply; the hostile text's non-ASCII characters as a real server would send them.
    private Task WriteAsync(string text, CancellationToken token) => WriteAsync(Encoding.UTF8.GetBytes(text), token);

    /// <summary>Writes within the idle timeout: a client that stops reading does not hold the connection.</summary>
    private async Task WriteAsync(byte[] bytes, CancellationToken token)
    {
        if (_spec.ReplyDelay > TimeSpan.Zero)
        {
            await Task.Delay(_spec.ReplyDelay, token);
        }

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
        idle.CancelAfter(_limits.IdleTimeout);
        await _stream.WriteAsync(bytes, idle.Token);
    }

    private static string Printable(string text)
    {
        var clean = new StringBuilder(Math.Min(text.Length, 100));
        foreach (var c in text.AsSpan(0, Math.Min(text.Length, 100)))
        {
            clean.Append(c is >= '!' and <= '~' ? c : '?');
        }

        return clean.ToString();
    }

    private void DiscardAvailable()
    {
        Span<byte> scratch = stackalloc byte[4096];
        for (var total = 0; total < 1024 * 1024 && _socket.Available > 0;)
        {
            var n = _socket.Receive(scratch, SocketFlags.None);
            if (n <= 0)
            {
                return;
            }

            total += n;
        }
    }

    private void Close(bool reset)
    {
        try
        {
            if (reset)
            {
                _socket.LingerState = new LingerOption(true, 0);
            }
            else if (_socket.Connected)
            {
                // A graceful end: FIN, and what the client already sent is read away so the close is no reset.
                _socket.Shutdown(SocketShutdown.Send);
                DiscardAvailable();
            }

            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            _socket.Dispose();
        }
    }
}
