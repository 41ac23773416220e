using System.Net.Sockets;
using System.Text;

namespace DaneScan.Smtp.Tests;

/// <summary>
/// An in-memory duplex stream that plays an SMTP server's side from a script, for transcript tests. The
/// client's lines must match the script's expectations exactly (a mismatch throws
/// <see cref="InvalidOperationException"/>, which fails the test). Everything the client wrote is kept.
/// </summary>
internal sealed class ScriptedStream : Stream
{
    private readonly List<Step> _steps = [];
    private readonly List<byte> _pendingClient = [];
    private readonly List<string> _clientLines = [];
    private readonly List<byte[]> _clientBinary = [];
    private int _index;
    private int _offset;

    /// <summary>Serve at most this many bytes per read (1 fragments every reply byte by byte).</summary>
    public int MaxChunk { get; init; } = int.MaxValue;

    /// <summary>Every text line the client sent, in order, without CRLF.</summary>
    public IReadOnlyList<string> ClientLines => _clientLines;

    /// <summary>Binary writes the client made where the script expected them (TLS records).</summary>
    public IReadOnlyList<byte[]> ClientBinary => _clientBinary;

    /// <summary>How many bytes the server side delivered in total.</summary>
    public long BytesServed { get; private set; }

    public bool ScriptFinished => _index >= _steps.Count;

    public ScriptedStream Send(string text) => SendBytes(Encoding.UTF8.GetBytes(text));

    public ScriptedStream SendBytes(byte[] bytes) => Add(new Step(StepKind.ServerSends, bytes, null));

    public ScriptedStream Expect(string line) => Add(new Step(StepKind.ClientSendsLine, [], line));

    public ScriptedStream ExpectBinary() => Add(new Step(StepKind.ClientSendsBinary, [], null));

    /// <summary>The server sends nothing more; reads wait until cancelled.</summary>
    public ScriptedStream Silence() => Add(new Step(StepKind.Silent, [], null));

    public ScriptedStream CloseByServer() => Add(new Step(StepKind.Close, [], null));

    public ScriptedStream Reset() => Add(new Step(StepKind.Reset, [], null));

    /// <summary>The server sends these bytes over and over, forever.</summary>
    public ScriptedStream Endless(string text) => Add(new Step(StepKind.Endless, Encoding.UTF8.GetBytes(text), null));

    private ScriptedStream Add(Step step)
    {
        _steps.Add(step);
        return this;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        if (_index >= _steps.Count)
        {
            return 0;
        }

        Step step = _steps[_index];
        switch (step.Kind)
        {
            case StepKind.ServerSends:
                {
                    int n = Math.Min(Math.Min(buffer.Length, MaxChunk), step.Bytes.Length - _offset);
                    step.Bytes.AsSpan(_offset, n).CopyTo(buffer.Span);
                    _offset += n;
                    if (_offset == step.Bytes.Length)
                    {
                        _index++;
                        _offset = 0;
                    }

                    BytesServed += n;
                    return n;
                }

            case StepKind.Endless:
                {
                    int n = Math.Min(Math.Min(buffer.Length, MaxChunk), step.Bytes.Length - _offset);
                    step.Bytes.AsSpan(_offset, n).CopyTo(buffer.Span);
                    _offset = (_offset + n) % step.Bytes.Length;
                    BytesServed += n;
                    return n;
                }

            case StepKind.Silent:
                await Task.Delay(Timeout.Infinite, cancellationToken);
                return 0;
            case StepKind.Close:
                return 0;
            case StepKind.Reset:
                throw new IOException("Connection reset by peer", new SocketException((int)SocketError.ConnectionReset));
            default:
                throw new InvalidOperationException($"The client read while the script expected it to send {step}.");
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        if (_index < _steps.Count && _steps[_index].Kind == StepKind.ClientSendsBinary)
        {
            _clientBinary.Add(buffer.ToArray());
            _index++;
            return;
        }

        _pendingClient.AddRange(buffer.Span);
        while (true)
        {
            int lf = _pendingClient.IndexOf((byte)'\n');
            if (lf < 0)
            {
                return;
            }

            if (lf == 0 || _pendingClient[lf - 1] != (byte)'\r')
            {
                throw new InvalidOperationException("The client sent a line not ended by CRLF.");
            }

            string line = Encoding.ASCII.GetString(_pendingClient.GetRange(0, lf - 1).ToArray());
            _pendingClient.RemoveRange(0, lf + 1);
            _clientLines.Add(line);
            if (_index >= _steps.Count)
            {
                continue; // after the script, writes go nowhere (the server has gone)
            }

            Step step = _steps[_index];
            if (step.Kind is StepKind.Silent or StepKind.Close or StepKind.Reset or StepKind.Endless)
            {
                continue;
            }

            if (step.Kind != StepKind.ClientSendsLine || step.Line != line)
            {
                throw new InvalidOperationException($"The client sent \"{line}\" while the script expected {step}.");
            }

            _index++;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private enum StepKind
    {
        ServerSends,
        ClientSendsLine,
        ClientSendsBinary,
        Silent,
        Close,
        Reset,
        Endless,
    }

    private sealed record Step(StepKind Kind, byte[] Bytes, string? Line)
    {
        public override string ToString() => Kind switch
        {
            StepKind.ClientSendsLine => $"the line \"{Line}\"",
            StepKind.ClientSendsBinary => "binary data",
            _ => Kind.ToString(),
        };
    }
}
