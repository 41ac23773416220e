using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using DaneScan.Core;

namespace DaneScan.Dns.Tests;

/// <summary>
/// A SERVFAIL without a DNSSEC reason is asked again once after the retry delay; a bogus answer (EDE 6) is not.
/// Against the lab's unbound, and a scripted front on 127.54.0.210 that answers the first two queries of each
/// name with SERVFAIL (an authority away for a moment) and passes later ones on to the lab's unbound.
/// </summary>
[Collection(DnsLabCollection.Name)]
public sealed class ServFailRetryTests(DnsLabFixture fixture)
{
    [Fact]
    public async Task A_servfail_from_an_unreachable_authority_is_retried_once_and_both_attempts_are_kept()
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions() with { TransientRetryDelay = TimeSpan.FromMilliseconds(700) });
        var clock = Stopwatch.StartNew();
        var mx = await resolver.LookupMxAsync("mx-unreachable.lab");

        Assert.Equal(DnsOutcome.LookupFailure, mx.Outcome);
        Assert.Equal(LookupFailureKind.ServFail, mx.Failure);
        Assert.True(mx.Retried);
        var first = Assert.Single(mx.EarlierAttempts!);
        Assert.Equal(DnsOutcome.LookupFailure, first.Outcome);
        Assert.Equal(LookupFailureKind.ServFail, first.Failure);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(700));

        var json = JsonSerializer.Serialize(mx, DaneJson.Options);
        Assert.Contains("\"earlierAttempts\":[{", json, StringComparison.Ordinal);
        Assert.Equal(first, Assert.Single(JsonSerializer.Deserialize<RrsetObservation<MxRecord>>(json, DaneJson.Options)!.EarlierAttempts!));
    }

    [Fact]
    public async Task A_bogus_answer_is_final_at_once()
    {
        var resolver = new ValidatingResolver(fixture.ResolverOptions() with { TransientRetryDelay = TimeSpan.FromSeconds(1) });
        var txt = await resolver.LookupAsync(DaneScan.Lab.LabEnvironment.BogusName, DnsClient.QueryType.TXT, "TXT", r => (r as DnsClient.Protocol.TxtRecord)?.Text.FirstOrDefault());

        Assert.Equal(DnsOutcome.Bogus, txt.Outcome);
        Assert.Equal(6, txt.ExtendedDnsError);
        Assert.False(txt.Retried);
        Assert.DoesNotContain("earlierAttempts", JsonSerializer.Serialize(txt, DaneJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_servfail_that_passes_gives_the_validated_answer_of_the_retry_and_says_it_was_retried()
    {
        await using var front = FlakyFront.Start(new IPEndPoint(IPAddress.Parse($"127.{DnsLabFixture.LabOctet}.0.210"), 53), fixture.Lab.Resolver, failures: 2);
        var resolver = new ValidatingResolver(fixture.ResolverOptions(front.Endpoint) with { TransientRetryDelay = TimeSpan.FromMilliseconds(300) });

        var mx = await resolver.LookupMxAsync("ee-11.lab");

        Assert.Equal(DnsOutcome.SecureAnswer, mx.Outcome);
        Assert.NotEmpty(mx.Records);
        var first = Assert.Single(mx.EarlierAttempts!);
        Assert.Equal(LookupFailureKind.ServFail, first.Failure);
        Assert.Equal(3, front.Queries); // SERVFAIL, SERVFAIL again with Checking Disabled, then the retry.
    }

    [Fact]
    public async Task With_retries_off_a_servfail_is_final_at_once()
    {
        await using var front = FlakyFront.Start(new IPEndPoint(IPAddress.Parse($"127.{DnsLabFixture.LabOctet}.0.211"), 53), fixture.Lab.Resolver, failures: 2);
        var resolver = new ValidatingResolver(fixture.ResolverOptions(front.Endpoint) with { TransientRetryDelay = TimeSpan.Zero });

        var mx = await resolver.LookupMxAsync("ee-11.lab");

        Assert.Equal(DnsOutcome.LookupFailure, mx.Outcome);
        Assert.Equal(LookupFailureKind.ServFail, mx.Failure);
        Assert.Null(mx.EarlierAttempts);
        Assert.Equal(2, front.Queries);
    }

    [Fact]
    public async Task A_lookup_that_timed_out_at_a_busy_resolver_is_asked_again_and_keeps_the_timeout_as_its_earlier_attempt()
    {
        // The front answers nothing to the first two queries of each name (the client's attempt and its own
        // immediate retry), as a resolver that drops queries under load does; the third, after the pause, passes.
        await using var front = FlakyFront.Start(new IPEndPoint(IPAddress.Parse($"127.{DnsLabFixture.LabOctet}.0.212"), 53), fixture.Lab.Resolver, failures: 2, drop: true);
        var resolver = ShortTimeouts(front, TimeSpan.FromMilliseconds(400));
        var clock = Stopwatch.StartNew();

        var mx = await resolver.LookupMxAsync("ee-11.lab");

        Assert.Equal(DnsOutcome.SecureAnswer, mx.Outcome);
        Assert.NotEmpty(mx.Records);
        var first = Assert.Single(mx.EarlierAttempts!);
        Assert.Equal(DnsOutcome.LookupFailure, first.Outcome);
        Assert.Equal(LookupFailureKind.Timeout, first.Failure);
        Assert.Equal(3, front.Queries);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(600 + 400), $"two 300 ms attempts and the 400 ms pause came first, not {clock.Elapsed}");
    }

    [Fact]
    public async Task With_retries_off_a_timeout_is_final()
    {
        await using var front = FlakyFront.Start(new IPEndPoint(IPAddress.Parse($"127.{DnsLabFixture.LabOctet}.0.213"), 53), fixture.Lab.Resolver, failures: 2, drop: true);
        var resolver = ShortTimeouts(front, TimeSpan.Zero);

        var mx = await resolver.LookupMxAsync("ee-11.lab");

        Assert.Equal(DnsOutcome.LookupFailure, mx.Outcome);
        Assert.Equal(LookupFailureKind.Timeout, mx.Failure);
        Assert.Null(mx.EarlierAttempts);
        Assert.Equal(2, front.Queries);
    }

    /// <summary>A resolver through <paramref name="front"/> whose attempts time out after 300 ms (one immediate retry, 2 s in all).</summary>
    private ValidatingResolver ShortTimeouts(FlakyFront front, TimeSpan retryDelay) =>
        new(fixture.ResolverOptions(front.Endpoint) with
        {
            AttemptTimeout = TimeSpan.FromMilliseconds(300),
            Retries = 1,
            QueryDeadline = TimeSpan.FromSeconds(2),
            TransientRetryDelay = retryDelay,
        });

    /// <summary>A UDP DNS front: SERVFAIL (no EDE), or no answer at all, for the first queries of each name, then passes queries on.</summary>
    private sealed class FlakyFront : IAsyncDisposable
    {
        private readonly Socket _socket;
        private readonly IPEndPoint _upstream;
        private readonly int _failures;
        private readonly bool _drop;
        private readonly Dictionary<string, int> _seen = [];
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _queries;

        private FlakyFront(Socket socket, IPEndPoint upstream, int failures, bool drop)
        {
            _socket = socket;
            _upstream = upstream;
            _failures = failures;
            _drop = drop;
        }

        public IPEndPoint Endpoint => (IPEndPoint)_socket.LocalEndPoint!;

        public int Queries => Volatile.Read(ref _queries);

        public static FlakyFront Start(IPEndPoint listen, IPEndPoint upstream, int failures, bool drop = false)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(listen);
            var front = new FlakyFront(socket, upstream, failures, drop);
            front._loop = Task.Run(front.RunAsync);
            return front;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _socket.Dispose();
            try
            {
                await _loop;
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped.
            }

            _stop.Dispose();
        }

        private async Task RunAsync()
        {
            var buffer = new byte[65535];
            while (!_stop.IsCancellationRequested)
            {
                var received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                Interlocked.Increment(ref _queries);
                var query = buffer.AsSpan(0, received.ReceivedBytes).ToArray();
                var name = QuestionName(query);
                _seen[name] = _seen.GetValueOrDefault(name) + 1;
                byte[] reply;
                if (_seen[name] <= _failures && _drop)
                {
                    continue;
                }

                if (_seen[name] <= _failures)
                {
                    // Header only plus the question: QR, the query's opcode and RD, RA, RCODE 2; no OPT, so no EDE.
                    var questionEnd = 12 + QuestionLength(query);
                    reply = query[..questionEnd];
                    reply[2] = (byte)(0x80 | (query[2] & 0x79));
                    reply[3] = 0x80 | 2;
                    BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), 0);
                    BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), 0);
                    BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(10), 0);
                }
                else
                {
                    using var upstream = new UdpClient(AddressFamily.InterNetwork);
                    upstream.Connect(_upstream);
                    await upstream.SendAsync(query, _stop.Token);
                    reply = (await upstream.ReceiveAsync(_stop.Token)).Buffer;
                }

                await _socket.SendToAsync(reply, SocketFlags.None, received.RemoteEndPoint, _stop.Token);
            }
        }

        private static int QuestionLength(byte[] message)
        {
            var at = 12;
            while (message[at] != 0)
            {
                at += 1 + message[at];
            }

            return at + 1 + 4 - 12;
        }

        private static string QuestionName(byte[] message) =>
            Convert.ToHexString(message.AsSpan(12, QuestionLength(message))).ToLowerInvariant();
    }
}
