using System.Buffers.Binary;
using System.Diagnostics;
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
    /// <summary>
    /// Receive buffer of each UDP socket. The relay shares the machine's cores with the resolver and the scanner it
    /// delays; with the kernel's default (about 200 KB, some 150 datagrams) a few tens of milliseconds without the
    /// CPU drop replies by the thousand, and the latency lab would simulate loss as well as delay. Capped by the
    /// kernel at <c>net.core.rmem_max</c>.
    /// </summary>
    private const int SocketBuffer = 8 << 20;

    /// <summary>How often a blocked receive or wait looks at the stop signal.</summary>
    private static readonly TimeSpan StopCheck = TimeSpan.FromMilliseconds(200);

    private readonly long _delayTicks;
    private readonly Queue<Pending> _queries = new();
    private readonly Pending?[] _inFlight = new Pending?[65536];
    private readonly List<Task> _loops = [];
    private readonly List<Thread> _threads = [];
    private int _nextId;
    private long _relayed;
    private int _disposed;

    private DelayRelay(IPEndPoint listen, IPEndPoint upstream, TimeSpan delay)
    {
        _upstream = upstream;
        _delay = delay;
        Listen = listen;
        _delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _udpListen = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)StopCheck.TotalMilliseconds, ReceiveBufferSize = SocketBuffer };
        _udpUpstream = new Socket(upstream.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)StopCheck.TotalMilliseconds, ReceiveBufferSize = SocketBuffer };
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

        foreach (var (name, loop) in new (string, ThreadStart)[] { ("relay queries", relay.ReceiveQueries), ("relay forward", relay.ForwardQueries), ("relay replies", relay.ReceiveReplies) })
        {
            var thread = new Thread(loop) { IsBackground = true, Name = name };
            thread.Start();
            relay._threads.Add(thread);
        }

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
        lock (_queries)
        {
            Monitor.PulseAll(_queries);
        }

        foreach (var thread in _threads)
        {
            thread.Join();
        }

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

    // The UDP legs run on threads of their own with blocking sockets: one system call a datagram, no event loop or
    // thread-pool hop, so that the relay's own CPU (it shares the machine with the resolver and the scanner it
    // delays) stays small beside theirs. Each blocking receive times out now and then to notice a stop.

    private void ReceiveQueries()
    {
        var buffer = new byte[MaxMessage];
        var from = new SocketAddress(_udpListen.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _udpListen.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                continue;
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }

            if (n < 12)
            {
                continue; // Not a DNS message: dropped, as a real network would not fix it either.
            }

            var client = new SocketAddress(from.Family, from.Size);
            from.Buffer.Span.CopyTo(client.Buffer.Span);
            var message = buffer.AsSpan(0, n).ToArray();
            var query = new Pending(Stopwatch.GetTimestamp() + _delayTicks, message, client, BinaryPrimitives.ReadUInt16BigEndian(message));
            lock (_queries)
            {
                _queries.Enqueue(query);
                if (_queries.Count == 1)
                {
                    Monitor.Pulse(_queries);
                }
            }
        }
    }

    /// <summary>Sends each query once its delay has passed, in arrival order (the delay is the same for all): every query due is sent at each wake-up.</summary>
    private void ForwardQueries()
    {
        var upstream = _upstream.Serialize();
        while (!_stop.IsCancellationRequested)
        {
            Pending query;
            lock (_queries)
            {
                if (!_queries.TryPeek(out query!))
                {
                    Monitor.Wait(_queries, StopCheck);
                    continue;
                }

                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), query.Due);
                if (wait > TimeSpan.Zero)
                {
                    // New queries are due later than this one: nothing wakes the wait early but a stop.
                    Monitor.Wait(_queries, wait < StopCheck ? wait : StopCheck);
                    continue;
                }

                _queries.Dequeue();
            }

            var id = (ushort)(++_nextId & 0xFFFF);
            Volatile.Write(ref _inFlight[id], query);
            BinaryPrimitives.WriteUInt16BigEndian(query.Message, id);
            try
            {
                _udpUpstream.SendTo(query.Message, SocketFlags.None, upstream);
                Interlocked.Increment(ref _relayed);
            }
            catch (SocketException)
            {
                // The authoritative server is gone: the client times out, as it would on the internet.
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    private void ReceiveReplies()
    {
        var buffer = new byte[MaxMessage];
        var from = new SocketAddress(_udpUpstream.AddressFamily);
        while (!_stop.IsCancellationRequested)
        {
            int n;
            try
            {
                n = _udpUpstream.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock or SocketError.ConnectionReset or SocketError.Interrupted)
            {
                continue;
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }

            if (n < 12)
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
                _udpListen.SendTo(buffer.AsSpan(0, n), SocketFlags.None, query.Client);
            }
            catch (SocketException)
            {
                // The client went away.
            }
            catch (ObjectDisposedException)
            {
                return;
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
        var chunks = Channel.CreateUnbounded<(long Due, byte[] Bytes)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var (due, bytes) in chunks.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // A timer may fire a few milliseconds early (it runs on a coarse clock): wait again until the
                // chunk is due by the precise one, so no chunk is passed on before its delay.
                for (var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due); wait > TimeSpan.Zero; wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds)), cancellationToken).ConfigureAwait(false);
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

                chunks.Writer.TryWrite((Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency), buffer.AsSpan(0, n).ToArray()));
            }
        }
        finally
        {
            chunks.Writer.TryComplete();
        }

        await writer.ConfigureAwait(false);
    }

    /// <summary>A query held until <paramref name="Due"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    private sealed record Pending(long Due, byte[] Message, SocketAddress Client, ushort ClientId);
}
