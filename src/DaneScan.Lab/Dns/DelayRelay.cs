using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace DaneScan.Lab.Dns;

/// <summary>
/// A user-space DNS relay that holds every query for a fixed delay before passing it on to the authoritative
/// server, so that each resolver-to-authority round trip costs at least that delay (a simulated internet
/// round-trip time, without netem). UDP queries are relayed with a relay-chosen message ID (the reply gets the
/// client's ID back); TCP connections are relayed byte for byte, the client-to-server direction delayed.
/// Replies are passed back at once: the whole delay sits on the query leg.
/// </summary>
public sealed class DelayRelay : IAsyncDisposable
{
    private const int MaxMessage = 65535;

    private readonly IPEndPoint _upstream;
    private readonly TimeSpan _delay;
    private readonly Socket _udpListen;
    private readonly Socket _udpUpstream;
    private readonly TcpListener _tcpListen;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<Pending> _queries = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Pending?[] _inFlight = new Pending?[65536];
    private readonly List<Task> _loops = [];
    private int _nextId;
    private long _relayed;
    private int _disposed;

    private DelayRelay(IPEndPoint listen, IPEndPoint upstream, TimeSpan delay)
    {
        _upstream = upstream;
        _delay = delay;
        Listen = listen;
        _udpListen = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _udpUpstream = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _tcpListen = new TcpListener(listen);
    }

    /// <summary>Where the relay listens (UDP and TCP).</summary>
    public IPEndPoint Listen { get; }

    /// <summary>The delay added to every query.</summary>
    public TimeSpan Delay => _delay;

    /// <summary>UDP queries and TCP chunks passed on so far.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>Binds UDP and TCP on <paramref name="listen"/> and starts relaying to <paramref name="upstream"/>.</summary>
    /// <exception cref="LabException">The listen address cannot be bound.</exception>
    public static DelayRelay Start(IPEndPoint listen, IPEndPoint upstream, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(upstream);
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        var relay = new DelayRelay(listen, upstream, delay);
        try
        {
            relay._udpListen.Bind(listen);
            relay._udpUpstream.Bind(new IPEndPoint(listen.Address, 0));
            relay._tcpListen.Start(512);
        }
        catch (SocketException e)
        {
            relay._udpListen.Dispose();
            relay._udpUpstream.Dispose();
            relay._tcpListen.Dispose();
            throw new LabException($"the delay relay cannot listen on {listen} (is another lab using this octet?): {e.SocketErrorCode}");
        }

        relay._loops.Add(Task.Run(relay.ReceiveQueriesAsync));
        relay._loops.Add(Task.Run(relay.ForwardQueriesAsync));
        relay._loops.Add(Task.Run(relay.ReceiveRepliesAsync));
        relay._loops.Add(Task.Run(relay.AcceptAsync));
        return relay;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _queries.Writer.TryComplete();
        _udpListen.Dispose();
        _udpUpstream.Dispose();
        _tcpListen.Stop();
        _tcpListen.Dispose();
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping: every loop ends on the closed sockets or the cancelled token.
        }

        _stop.Dispose();
    }

    private async Task ReceiveQueriesAsync()
    {
        var buffer = new byte[MaxMessage];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udpListen.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (received.ReceivedBytes < 12)
            {
                continue; // Not a DNS message: dropped, as a real network would not fix it either.
            }

            var message = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
            _queries.Writer.TryWrite(new Pending(DateTime.UtcNow + _delay, message, received.RemoteEndPoint, BinaryPrimitives.ReadUInt16BigEndian(message)));
        }
    }

    /// <summary>Sends each query once its delay has passed, in arrival order (the delay is the same for all).</summary>
    private async Task ForwardQueriesAsync()
    {
        try
        {
            await foreach (var query in _queries.Reader.ReadAllAsync(_stop.Token).ConfigureAwait(false))
            {
                var wait = query.Due - DateTime.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token).ConfigureAwait(false);
                }

                var id = (ushort)(Interlocked.Increment(ref _nextId) & 0xFFFF);
                Volatile.Write(ref _inFlight[id], query);
                BinaryPrimitives.WriteUInt16BigEndian(query.Message, id);
                try
                {
                    await _udpUpstream.SendToAsync(query.Message, SocketFlags.None, _upstream, _stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref _relayed);
                }
                catch (SocketException)
                {
                    // The authoritative server is gone: the client times out, as it would on the internet.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Stopping.
        }
    }

    private async Task ReceiveRepliesAsync()
    {
        var buffer = new byte[MaxMessage];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udpUpstream.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                continue;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            if (received.ReceivedBytes < 12)
            {
                continue;
            }

            var id = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            var query = Interlocked.Exchange(ref _inFlight[id], null);
            if (query is null)
            {
                continue; // A late or duplicate reply: nobody waits for it any more.
            }

            BinaryPrimitives.WriteUInt16BigEndian(buffer, query.ClientId);
            try
            {
                await _udpListen.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), SocketFlags.None, query.Client, _stop.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                // The client went away.
            }
        }
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcpListen.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
            {
                break;
            }

            connections.RemoveAll(t => t.IsCompleted);
            connections.Add(Task.Run(() => RelayTcpAsync(client)));
        }

        await Task.WhenAll(connections).ConfigureAwait(false);
    }

    private async Task RelayTcpAsync(TcpClient client)
    {
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        using (client)
        using (var server = new TcpClient(_upstream.AddressFamily))
        {
            try
            {
                client.NoDelay = true;
                server.NoDelay = true;
                await server.ConnectAsync(_upstream, connection.Token).ConfigureAwait(false);
                var toServer = PumpAsync(client.GetStream(), server.GetStream(), _delay, connection.Token);
                var toClient = PumpAsync(server.GetStream(), client.GetStream(), TimeSpan.Zero, connection.Token);
                // Each direction ends on its own end of stream (passed on as a half-close); a reset or error on
                // either side ends both.
                var first = await Task.WhenAny(toServer, toClient).ConfigureAwait(false);
                if (!first.IsCompletedSuccessfully)
                {
                    await connection.CancelAsync().ConfigureAwait(false);
                }

                await Task.WhenAll(toServer, toClient).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // Either side closed or reset, or the relay stops: the other side is closed with it.
            }
        }
    }

    /// <summary>Copies one direction; with a delay, each chunk is written that long after it was read, in order.</summary>
    private async Task PumpAsync(NetworkStream from, NetworkStream to, TimeSpan delay, CancellationToken cancellationToken)
    {
        var chunks = Channel.CreateUnbounded<(DateTime Due, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, bytes) in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                var wait = due - DateTime.UtcNow;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
                }

                await to.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _relayed);
            }

            // The reading side closed: pass the end of stream on once everything before it was written.
            to.Socket.Shutdown(SocketShutdown.Send);
        }, cancellationToken);

        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                chunks.Writer.TryWrite((DateTime.UtcNow + delay, buffer.AsSpan(0, n).ToArray()));
            }
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        await writer.ConfigureAwait(false);
    }

    private sealed record Pending(DateTime Due, byte[] Message, EndPoint Client, ushort ClientId);
}
