using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DaneScan.Lab.Smtp;

/// <summary>
/// Real SMTP servers on real sockets, one listener per <see cref="SmtpHostSpec"/>, each scripted to behave
/// as its spec says. They never accept mail (MAIL, RCPT, DATA and BDAT are refused with 5xx). Every connection
/// is bounded: line length, number of commands, idle time per read, TLS handshake time and total lifetime.
/// </summary>
public sealed class ScriptedSmtpServers : IAsyncDisposable
{
    /// <summary>Most connections open at once over all hosts; beyond it a client gets "421" and is closed.</summary>
    public const int MaxConcurrentConnections = 8192;

    private readonly CancellationTokenSource _stop = new();
    private readonly List<Listener> _listeners = [];
    private readonly ConcurrentDictionary<long, Task> _sessions = new();
    private readonly Dictionary<(string Address, int Port), IPEndPoint> _endpoints = [];
    private readonly List<Task> _acceptLoops = [];
    private long _nextSession;
    private int _open;
    private long _accepted;
    private int _disposed;

    private ScriptedSmtpServers(SmtpServerLimits limits) => Limits = limits;

    /// <summary>The bounds every connection lives under.</summary>
    public SmtpServerLimits Limits { get; }

    /// <summary>How many connections were accepted so far, over all hosts.</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _accepted);

    /// <summary>The commands received so far, over all hosts.</summary>
    public CommandTally Commands { get; } = new();

    /// <summary>The endpoints actually listening (one per non-closed spec).</summary>
    public IReadOnlyCollection<IPEndPoint> Endpoints => _endpoints.Values;

    /// <summary>Binds every non-Closed spec; returns when all listen. Logs nothing.</summary>
    public static Task<ScriptedSmtpServers> StartAsync(IReadOnlyList<SmtpHostSpec> specs, CancellationToken cancellationToken = default) =>
        StartAsync(specs, SmtpServerLimits.Default, cancellationToken);

    /// <summary>Binds every non-Closed spec with the given limits; returns when all listen.</summary>
    public static Task<ScriptedSmtpServers> StartAsync(IReadOnlyList<SmtpHostSpec> specs, SmtpServerLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(limits);
        cancellationToken.ThrowIfCancellationRequested();
        var seen = new HashSet<(IPAddress, int)>();
        foreach (var spec in specs)
        {
            var address = Validate(spec);
            if (!spec.Closed && spec.Port != 0 && !seen.Add((address, spec.Port)))
            {
                throw new ArgumentException($"Two specs listen on {spec.Address}:{spec.Port}.", nameof(specs));
            }
        }

        var servers = new ScriptedSmtpServers(limits);
        var contexts = new Dictionary<(string, string), SslStreamCertificateContext>();
        try
        {
            foreach (var spec in specs)
            {
                if (spec.Closed)
                {
                    continue;
                }

                SslStreamCertificateContext? context = null;
                if (spec.ChainPemFile is { } chain && spec.KeyPemFile is { } key)
                {
                    var cacheKey = (Path.GetFullPath(chain), Path.GetFullPath(key));
                    if (!contexts.TryGetValue(cacheKey, out context))
                    {
                        context = ExactChain.Load(chain, key);
                        contexts[cacheKey] = context;
                    }
                }

                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    socket.Bind(new IPEndPoint(IPAddress.Parse(spec.Address), spec.Port));
                    if (spec.ListenAfter == TimeSpan.Zero)
                    {
                        socket.Listen(limits.Backlog);
                    }
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                var endpoint = (IPEndPoint)socket.LocalEndPoint!;
                servers._endpoints[(spec.Address, spec.Port)] = endpoint;
                var listener = new Listener(spec, socket, context);
                servers._listeners.Add(listener);
            }
        }
        catch
        {
            foreach (var listener in servers._listeners)
            {
                listener.Socket.Dispose();
            }

            servers._stop.Dispose();
            throw;
        }

        foreach (var listener in servers._listeners)
        {
            servers._acceptLoops.Add(Task.Run(() => servers.AcceptLoopAsync(listener)));
        }

        return Task.FromResult(servers);
    }

    /// <summary>Where the spec with this address and port listens (useful with port 0).</summary>
    public IPEndPoint EndpointOf(SmtpHostSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return _endpoints.TryGetValue((spec.Address, spec.Port), out var endpoint)
            ? endpoint
            : throw new ArgumentException($"No listener for {spec.Address}:{spec.Port}.", nameof(spec));
    }

    /// <summary>Writes specs as a JSON array (enums as names, TimeSpan as "hh:mm:ss").</summary>
    public static void WriteSpecs(string path, IReadOnlyList<SmtpHostSpec> specs)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(specs);
        File.WriteAllText(path, JsonSerializer.Serialize(specs.ToList(), SmtpSpecJson.Default.ListSmtpHostSpec));
    }

    /// <summary>Reads specs written by <see cref="WriteSpecs"/>.</summary>
    public static IReadOnlyList<SmtpHostSpec> ReadSpecs(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize(stream, SmtpSpecJson.Default.ListSmtpHostSpec)
            ?? throw new InvalidDataException($"{path} holds no SMTP host specs.");
    }

    /// <summary>Writes the chain as PEM certificates (leaf first, in the given order) and the leaf's private key
    /// as PEM PKCS#8 (file mode 0600).</summary>
    public static void WritePem(string chainPath, string keyPath, IReadOnlyList<X509Certificate2> chainLeafFirst)
    {
        ArgumentException.ThrowIfNullOrEmpty(chainPath);
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        ArgumentNullException.ThrowIfNull(chainLeafFirst);
        if (chainLeafFirst.Count == 0)
        {
            throw new ArgumentException("The chain needs at least the leaf.", nameof(chainLeafFirst));
        }

        var leaf = chainLeafFirst[0];
        string keyPem;
        if (leaf.GetECDsaPrivateKey() is { } ecdsa)
        {
            using (ecdsa)
            {
                keyPem = ecdsa.ExportPkcs8PrivateKeyPem();
            }
        }
        else if (leaf.GetRSAPrivateKey() is { } rsa)
        {
            using (rsa)
            {
                keyPem = rsa.ExportPkcs8PrivateKeyPem();
            }
        }
        else
        {
            throw new ArgumentException("The leaf (first certificate) has no ECDSA or RSA private key.", nameof(chainLeafFirst));
        }

        var text = new System.Text.StringBuilder();
        foreach (var certificate in chainLeafFirst)
        {
            text.Append(certificate.ExportCertificatePem()).Append('\n');
        }

        File.WriteAllText(chainPath, text.ToString());
        File.WriteAllText(keyPath, keyPem + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Socket.Dispose();
        }

        await Task.WhenAll(_acceptLoops);
        await Task.WhenAll(_sessions.Values);
        _stop.Dispose();
    }

    private static IPAddress Validate(SmtpHostSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!IPAddress.TryParse(spec.Address, out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || address.GetAddressBytes()[0] != 127)
        {
            throw new ArgumentException($"SMTP lab address '{spec.Address}' is not an IPv4 address in 127.0.0.0/8.", nameof(spec));
        }

        if (spec.Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Port {spec.Port} of {spec.Address} is out of range.", nameof(spec));
        }

        if (string.IsNullOrWhiteSpace(spec.BannerName) || spec.BannerName.AsSpan().IndexOfAny('\r', '\n') >= 0 || spec.BannerName.Length > 200)
        {
            throw new ArgumentException($"Banner name of {spec.Address} must be one short line.", nameof(spec));
        }

        if (spec.Protocols is not (SslProtocols.None or SslProtocols.Tls12 or SslProtocols.Tls13 or (SslProtocols.Tls12 | SslProtocols.Tls13)))
        {
            throw new ArgumentException($"Protocols of {spec.Address} must be None, Tls12, Tls13 or both.", nameof(spec));
        }

        if (spec.ListenAfter < TimeSpan.Zero || spec.ReplyDelay < TimeSpan.Zero || spec.ReplyDelay > TimeSpan.FromSeconds(30))
        {
            throw new ArgumentException($"ListenAfter of {spec.Address} must not be negative, ReplyDelay between 0 and 30 s.", nameof(spec));
        }

        if (spec.QuirkDelay < TimeSpan.Zero)
        {
            throw new ArgumentException($"QuirkDelay of {spec.Address} is negative.", nameof(spec));
        }

        if (!spec.Closed && spec.StartTls is StartTlsBehaviour.Offered or StartTlsBehaviour.KillAfterHandshake && (spec.ChainPemFile is null || spec.KeyPemFile is null))
        {
            throw new ArgumentException($"{spec.Address} offers STARTTLS but has no ChainPemFile/KeyPemFile.", nameof(spec));
        }

        return address;
    }

    private async Task AcceptLoopAsync(Listener listener)
    {
        var token = _stop.Token;
        if (listener.Spec.ListenAfter > TimeSpan.Zero)
        {
            // Bound but not listening: the kernel refuses every connection until now.
            try
            {
                await Task.Delay(listener.Spec.ListenAfter, token);
                listener.Socket.Listen(Limits.Backlog);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
        }

        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.Socket.AcceptAsync(token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                if (token.IsCancellationRequested)
                {
                    return;
                }

                // A connection that died in the backlog (reset before accept): keep accepting, but do not spin.
                await Task.Delay(10, CancellationToken.None);
                continue;
            }

            Interlocked.Increment(ref _accepted);
            var id = Interlocked.Increment(ref _nextSession);
            var open = Interlocked.Increment(ref _open);
            var session = new SmtpSession(listener.Spec, listener.Context, Limits, Commands, client, tooBusy: open > MaxConcurrentConnections);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _sessions[id] = done.Task;
            _ = RunSessionAsync(id, session, done, token);
        }
    }

    private async Task RunSessionAsync(long id, SmtpSession session, TaskCompletionSource done, CancellationToken token)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync(token);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            _sessions.TryRemove(id, out _);
            done.TrySetResult();
        }
    }

    private sealed record Listener(SmtpHostSpec Spec, Socket Socket, SslStreamCertificateContext? Context);
}

/// <summary>The bounds every lab SMTP connection lives under.</summary>
public sealed record SmtpServerLimits
{
    public static SmtpServerLimits Default { get; } = new();

    /// <summary>Longest command line accepted, CRLF included (RFC 5321 says 512; the lab allows more).</summary>
    public int MaxLineLength { get; init; } = 2048;

    /// <summary>Most commands per connection before "421" and close.</summary>
    public int MaxCommands { get; init; } = 100;

    /// <summary>How long the server waits for each command line.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long the TLS handshake (and reading a ClientHello in the broken behaviours) may take.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest any connection lives (also ends endless replies and silent connections).</summary>
    public TimeSpan ConnectionLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The listen backlog of each listener.</summary>
    public int Backlog { get; init; } = 256;
}

/// <summary>The JSON form of spec files: an array of specs, enums by name, TimeSpan as "hh:mm:ss".</summary>
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<SmtpHostSpec>))]
internal sealed partial class SmtpSpecJson : JsonSerializerContext;
