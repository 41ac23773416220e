using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DaneScan.Core;

namespace DaneScan.Smtp;

/// <summary>
/// Probes one SMTP server: connect, banner, EHLO, STARTTLS, TLS handshake with SNI set to the TLSA base
/// domain, the chain exactly as presented, EHLO again, QUIT. It never sends MAIL, RCPT or DATA (the
/// only commands it can send are the <see cref="SmtpCommand"/> values). Every failure is a classified
/// <see cref="ProbeObservation"/>, reached within the step and overall deadlines and with bounded memory;
/// only cancellation by the caller throws (<see cref="OperationCanceledException"/>).
/// Any certificate is accepted during the handshake: judging it against TLSA records is Core's job.
/// </summary>
public sealed class SmtpProber
{
    private static readonly TimeSpan PoliteQuitLimit = TimeSpan.FromSeconds(5);

    public SmtpProber(SmtpProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;

        // Long chains must reach the validation callback (where they are captured) instead of failing the handshake.
        OpenSslChainDepth.EnsureRaised();
    }

    public SmtpProbeOptions Options { get; }

    /// <summary>Opens TCP to <paramref name="endpoint"/> and probes it.</summary>
    /// <param name="endpoint">The server's address and port (normally 25).</param>
    /// <param name="host">The MX host name, recorded in the observation.</param>
    /// <param name="serverName">The SNI to send: the TLSA base domain (a trailing dot is dropped); null or empty sends none.</param>
    /// <param name="cancellationToken">Cancels the probe (throws); deadlines do not throw.</param>
    /// <remarks>
    /// A connect that was refused or timed out is tried once more after <see cref="SmtpProbeOptions.ConnectRetryDelay"/>;
    /// the observation is the last attempt's, with the first in <see cref="ProbeObservation.EarlierAttempts"/>.
    /// </remarks>
    public async Task<ProbeObservation> ProbeAsync(
        IPEndPoint endpoint, string host, string? serverName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var first = await ProbeOnceAsync(endpoint, host, serverName, cancellationToken).ConfigureAwait(false);
        if (!IsTransient(first) || Options.ConnectRetryDelay <= TimeSpan.Zero)
        {
            return first;
        }

        await RetryPause.WaitAsync(Options.ConnectRetryDelay, cancellationToken).ConfigureAwait(false);
        var second = await ProbeOnceAsync(endpoint, host, serverName, cancellationToken).ConfigureAwait(false);
        return second with
        {
            EarlierAttempts = [new ProbeAttempt { StartedUtc = first.StartedUtc, Outcome = first.Outcome, FailedStage = first.FailedStage, Detail = first.Detail }],
        };
    }

    /// <summary>A probe worth one more try: its TCP connect was refused (or otherwise unreachable) or timed out.</summary>
    public static bool IsTransient(ProbeObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return observation is { FailedStage: ProbeStage.Connect, Outcome: ProbeOutcome.Unreachable or ProbeOutcome.Timeout };
    }

    private async Task<ProbeObservation> ProbeOnceAsync(IPEndPoint endpoint, string host, string? serverName, CancellationToken cancellationToken)
    {
        var run = new ProbeRun(Options, endpoint, host, serverName);

        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            StepResult<int> connect = await run.StepAsync(
                ProbeStage.Connect,
                Options.ConnectTimeout,
                async token => { await socket.ConnectAsync(endpoint, token).ConfigureAwait(false); return 0; },
                cancellationToken).ConfigureAwait(false);
            if (connect.Failed)
            {
                return run.Finish(connect);
            }

            await using var stream = new NetworkStream(socket, ownsSocket: true);
            return await run.DialogueAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>
    /// Probes over an already connected transport (a socket stream, or a scripted stream in tests). The
    /// caller owns and disposes <paramref name="transport"/>; <paramref name="endpoint"/> is only recorded.
    /// </summary>
    public Task<ProbeObservation> ProbeStreamAsync(
        Stream transport, IPEndPoint endpoint, string host, string? serverName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(host);
        cancellationToken.ThrowIfCancellationRequested();
        var run = new ProbeRun(Options, endpoint, host, serverName);
        return run.DialogueAsync(transport, cancellationToken);
    }

    /// <summary>The result of one step: a value, or how and why it failed.</summary>
    private readonly record struct StepResult<T>(T Value, ProbeOutcome? FailedWith, ProbeStage Stage, string? Detail)
    {
        public bool Failed => FailedWith is not null;
    }

    /// <summary>The state of one probe, filled in step by step.</summary>
    private sealed class ProbeRun
    {
        private readonly SmtpProbeOptions _options;
        private readonly IPEndPoint _endpoint;
        private readonly string _host;
        private readonly string? _serverName;
        private readonly DateTimeOffset _startedUtc = DateTimeOffset.UtcNow;
        private readonly long _startTimestamp = Stopwatch.GetTimestamp();
        private readonly Dictionary<string, double> _timings = [];
        private readonly List<string> _notes = [];

        private string? _banner;
        private IReadOnlyList<string> _keywords = [];
        private bool _startTlsOffered;
        private string? _startTlsReply;
        private string? _tlsProtocol;
        private string? _cipherSuite;
        private string? _leafKey;
        private IReadOnlyList<byte[]> _chain = [];
        private bool? _ehloAfterTlsOk;

        public ProbeRun(SmtpProbeOptions options, IPEndPoint endpoint, string host, string? serverName)
        {
            _options = options;
            _endpoint = endpoint;
            _host = host;
            // SNI carries no trailing dot (RFC 6066 §3).
            string? name = serverName?.Trim().TrimEnd('.');
            _serverName = string.IsNullOrEmpty(name) ? null : name;
        }

        public async Task<ProbeObservation> DialogueAsync(Stream transport, CancellationToken cancellationToken)
        {
            var reader = new SmtpReplyReader(transport, _options);

            // Banner (RFC 5321 §4.3.1: 220, or 554 for a refusal).
            StepResult<SmtpReply> banner = await StepAsync(
                ProbeStage.Banner, _options.StepTimeout, reader.ReadReplyAsync, cancellationToken).ConfigureAwait(false);
            if (banner.Failed)
            {
                return Finish(banner);
            }

            _banner = banner.Value.ToString();
            if (banner.Value.Code != 220)
            {
                return await RefusalAsync(transport, reader, ProbeStage.Banner, banner.Value, "banner", cancellationToken).ConfigureAwait(false);
            }

            // EHLO.
            StepResult<SmtpReply> ehlo = await StepAsync(
                ProbeStage.Ehlo, _options.StepTimeout, token => CommandAsync(transport, reader, SmtpCommand.Ehlo, token), cancellationToken).ConfigureAwait(false);
            if (ehlo.Failed)
            {
                return Finish(ehlo);
            }

            if (ehlo.Value.Code != 250)
            {
                return await RefusalAsync(transport, reader, ProbeStage.Ehlo, ehlo.Value, "EHLO", cancellationToken).ConfigureAwait(false);
            }

            _keywords = Keywords(ehlo.Value);
            _startTlsOffered = _keywords.Contains("STARTTLS");
            if (!_startTlsOffered)
            {
                await PoliteQuitAsync(transport, reader, cancellationToken).ConfigureAwait(false);
                return Finish(ProbeOutcome.StartTlsNotOffered, ProbeStage.StartTls, "EHLO reply does not offer STARTTLS: " + SmtpReplyReader.Clip(ehlo.Value.ToString(), 300));
            }

            // STARTTLS (RFC 3207): only 220 lets the handshake start.
            StepResult<SmtpReply> startTls = await StepAsync(
                ProbeStage.StartTls, _options.StepTimeout, token => CommandAsync(transport, reader, SmtpCommand.StartTls, token), cancellationToken).ConfigureAwait(false);
            if (startTls.Failed)
            {
                return Finish(startTls);
            }

            _startTlsReply = SmtpReplyReader.Clip(startTls.Value.ToString(), 300);
            if (startTls.Value.Code != 220)
            {
                await PoliteQuitAsync(transport, reader, cancellationToken).ConfigureAwait(false);
                return Finish(ProbeOutcome.StartTlsRejected, ProbeStage.StartTls, "STARTTLS answered " + _startTlsReply);
            }

            // Anything the server sent after its 220 is not TLS from it (a known injection vector, CVE-2011-0411 class): drop it.
            int piggybacked = reader.DiscardBuffered();
            if (piggybacked > 0)
            {
                _notes.Add(string.Create(CultureInfo.InvariantCulture, $"discarded {piggybacked} bytes the server sent after its 220 reply to STARTTLS (not fed to TLS)"));
            }

            // TLS handshake.
            var capture = new ChainCapture();
            var ssl = new SslStream(transport, leaveInnerStreamOpen: true);
            await using (ssl.ConfigureAwait(false))
            {
                StepResult<int> handshake = await StepAsync(
                    ProbeStage.TlsHandshake,
                    _options.StepTimeout,
                    async token =>
                    {
                        await ssl.AuthenticateAsClientAsync(ClientOptions(capture), token).ConfigureAwait(false);
                        return 0;
                    },
                    cancellationToken).ConfigureAwait(false);
                _chain = capture.Chain;
                _leafKey = capture.LeafKey;
                if (handshake.Failed)
                {
                    return Finish(handshake);
                }

                _tlsProtocol = ssl.SslProtocol.ToString();
                _cipherSuite = ssl.NegotiatedCipherSuite.ToString();

                // EHLO again (RFC 3207 §4.2, RFC 7672 §2.2): the session state was reset by TLS.
                var tlsReader = new SmtpReplyReader(ssl, _options);
                StepResult<SmtpReply> ehlo2 = await StepAsync(
                    ProbeStage.EhloAfterTls, _options.StepTimeout, token => CommandAsync(ssl, tlsReader, SmtpCommand.Ehlo, token), cancellationToken).ConfigureAwait(false);
                // A session that cannot carry EHLO carries no mail: TLS was established (the chain is kept), the
                // probe is a failure of its own (ProbeOutcome.TlsSessionFailed).
                if (ehlo2.Failed)
                {
                    _ehloAfterTlsOk = false;
                    return Finish(ProbeOutcome.TlsSessionFailed, ProbeStage.EhloAfterTls, $"EHLO after TLS failed ({ehlo2.FailedWith}): {ehlo2.Detail}");
                }

                _ehloAfterTlsOk = ehlo2.Value.Code == 250;
                if (_ehloAfterTlsOk != true)
                {
                    string answer = "EHLO after TLS answered " + SmtpReplyReader.Clip(ehlo2.Value.ToString());
                    if (ehlo2.Value.Code != 421)
                    {
                        await PoliteQuitAsync(ssl, tlsReader, cancellationToken).ConfigureAwait(false);
                    }

                    return Finish(ProbeOutcome.TlsSessionFailed, ProbeStage.EhloAfterTls, answer);
                }

                StepResult<SmtpReply> quit = await StepAsync(
                    ProbeStage.Quit, _options.StepTimeout, token => CommandAsync(ssl, tlsReader, SmtpCommand.Quit, token), cancellationToken).ConfigureAwait(false);
                if (quit.Failed)
                {
                    _notes.Add($"QUIT failed ({quit.FailedWith}): {quit.Detail}");
                }
                else if (quit.Value.Code != 221)
                {
                    _notes.Add("QUIT answered " + SmtpReplyReader.Clip(quit.Value.ToString()));
                }

                return Finish(ProbeOutcome.TlsEstablished, null, null);
            }
        }

        /// <summary>A 4xx/5xx answer to the banner or EHLO is a refusal; any other unexpected code is a protocol error.</summary>
        private async Task<ProbeObservation> RefusalAsync(
            Stream transport, SmtpReplyReader reader, ProbeStage stage, SmtpReply reply, string what, CancellationToken cancellationToken)
        {
            string text = SmtpReplyReader.Clip(reply.ToString(), 300);
            if (reply.IsTransientFailure || reply.IsPermanentFailure)
            {
                if (reply.Code != 421)
                {
                    await PoliteQuitAsync(transport, reader, cancellationToken).ConfigureAwait(false);
                }

                return Finish(ProbeOutcome.ServiceRefused, stage, $"{what} refused: {text}");
            }

            return Finish(ProbeOutcome.ProtocolError, stage, $"unexpected {what} reply: {text}");
        }

        /// <summary>QUIT after a refusal (RFC 5321 §3.1); its failure changes nothing.</summary>
        private async Task PoliteQuitAsync(Stream transport, SmtpReplyReader reader, CancellationToken cancellationToken)
        {
            TimeSpan limit = _options.StepTimeout < PoliteQuitLimit ? _options.StepTimeout : PoliteQuitLimit;
            _ = await StepAsync(ProbeStage.Quit, limit, token => CommandAsync(transport, reader, SmtpCommand.Quit, token), cancellationToken).ConfigureAwait(false);
        }

        private async Task<SmtpReply> CommandAsync(Stream stream, SmtpReplyReader reader, SmtpCommand command, CancellationToken token)
        {
            byte[] bytes = SmtpCommandText.Encode(command, _options.EhloIdentity);
            await stream.WriteAsync(bytes, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            return await reader.ReadReplyAsync(token).ConfigureAwait(false);
        }

        private SslClientAuthenticationOptions ClientOptions(ChainCapture capture) => new()
        {
            // Empty TargetHost: no SNI is sent.
            TargetHost = _serverName ?? string.Empty,
            EnabledSslProtocols = _options.TlsProtocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            AllowTlsResume = false, // a resumed session presents no certificate
            AllowRenegotiation = false,
            CertificateChainPolicy = new X509ChainPolicy
            {
                // The chain .NET builds before the callback must not reach out to the network or the system trust.
                DisableCertificateDownloads = true,
                RevocationMode = X509RevocationMode.NoCheck,
                TrustMode = X509ChainTrustMode.CustomRootTrust,
            },
            RemoteCertificateValidationCallback = capture.Callback,
        };

        public async Task<StepResult<T>> StepAsync<T>(
            ProbeStage stage, TimeSpan stepLimit, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            TimeSpan remaining = _options.OverallTimeout - Stopwatch.GetElapsedTime(_startTimestamp);
            if (remaining <= TimeSpan.Zero)
            {
                return new(default!, ProbeOutcome.Timeout, stage, $"overall deadline of {Seconds(_options.OverallTimeout)} passed before {stage}");
            }

            bool overallBinds = remaining < stepLimit;
            TimeSpan limit = overallBinds ? remaining : stepLimit;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(limit);
            long started = Stopwatch.GetTimestamp();
            ProbeOutcome outcome;
            string detail;
            try
            {
                T value = await action(deadline.Token).ConfigureAwait(false);
                RecordTiming(stage, started);
                return new(value, null, stage, null);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                RecordTiming(stage, started);
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException("The probe was cancelled.", ex, cancellationToken);
                }

                if (deadline.IsCancellationRequested)
                {
                    string which = overallBinds
                        ? $"overall deadline of {Seconds(_options.OverallTimeout)}"
                        : $"{stage} deadline of {Seconds(stepLimit)}";
                    (outcome, detail) = (ProbeOutcome.Timeout, $"no complete answer within the {which}");
                }
                else
                {
                    (outcome, detail) = Classify(stage, ex);
                }
            }

            return new(default!, outcome, stage, detail);
        }

        private void RecordTiming(ProbeStage stage, long started)
        {
            string key = stage.ToString();
            double ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            _timings[key] = _timings.TryGetValue(key, out double earlier) ? earlier + ms : ms;
        }

        private static (ProbeOutcome Outcome, string Detail) Classify(ProbeStage stage, Exception ex)
        {
            if (ex is SmtpProtocolException protocol)
            {
                return (ProbeOutcome.ProtocolError, protocol.Message);
            }

            if (stage == ProbeStage.Connect && ex is SocketException socket)
            {
                return socket.SocketErrorCode == SocketError.TimedOut
                    ? (ProbeOutcome.Timeout, "connect timed out (" + socket.SocketErrorCode + ")")
                    : (ProbeOutcome.Unreachable, "connect failed: " + socket.SocketErrorCode);
            }

            if (stage == ProbeStage.TlsHandshake)
            {
                // AuthenticationException (alerts, garbage), IOException (reset, EOF) or a platform TLS error.
                return (ProbeOutcome.TlsHandshakeFailed, Messages(ex));
            }

            if (ex is IOException or SocketException or ObjectDisposedException)
            {
                return stage == ProbeStage.Connect
                    ? (ProbeOutcome.Unreachable, Messages(ex))
                    : (ProbeOutcome.ProtocolError, "connection failed during " + stage + ": " + Messages(ex));
            }

            // Anything else is a bug in the prober: let it surface.
            throw new InvalidOperationException($"Unexpected failure during {stage}.", ex);
        }

        private static string Messages(Exception ex)
        {
            var parts = new List<string>();
            for (Exception? e = ex; e is not null && parts.Count < 4; e = e.InnerException)
            {
                if (parts.Count == 0 || parts[^1] != e.Message)
                {
                    parts.Add(e.Message);
                }
            }

            return SmtpReplyReader.Clip(string.Join(" <- ", parts), 400);
        }

        private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

        private static List<string> Keywords(SmtpReply ehlo)
        {
            var keywords = new List<string>();
            for (int i = 1; i < ehlo.Lines.Count; i++)
            {
                string line = ehlo.Lines[i].Trim();
                int space = line.IndexOf(' ', StringComparison.Ordinal);
                string keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
                if (keyword.Length > 0 && !keywords.Contains(keyword))
                {
                    keywords.Add(keyword);
                }
            }

            return keywords;
        }

        public ProbeObservation Finish<T>(StepResult<T> failed) => Finish(failed.FailedWith!.Value, failed.Stage, failed.Detail);

        private ProbeObservation Finish(ProbeOutcome outcome, ProbeStage? failedStage, string? detail)
        {
            var details = new List<string>();
            if (detail is not null)
            {
                details.Add(detail);
            }

            details.AddRange(_notes);
            return new ProbeObservation
            {
                Host = _host,
                Address = _endpoint.Address.ToString(),
                Port = _endpoint.Port,
                ServerName = _serverName,
                StartedUtc = _startedUtc,
                Outcome = outcome,
                FailedStage = failedStage,
                Detail = details.Count == 0 ? null : string.Join("; ", details),
                Banner = _banner is null ? null : SmtpReplyReader.Clip(_banner, 1000),
                EhloKeywords = _keywords,
                StartTlsOffered = _startTlsOffered,
                StartTlsReply = _startTlsReply,
                TlsProtocol = _tlsProtocol,
                CipherSuite = _cipherSuite,
                LeafKey = _leafKey,
                PresentedChain = _chain,
                EhloAfterTlsOk = _ehloAfterTlsOk,
                TimingsMs = new Dictionary<string, double>(_timings),
            };
        }
    }

    /// <summary>
    /// Captures the chain the server presented. On this platform (.NET on Linux/OpenSSL) the callback's
    /// <c>chain.ChainPolicy.ExtraStore</c> holds exactly the certificates from the server's Certificate
    /// message, leaf first, in wire order (checked by the loopback tests); nothing from a system store is
    /// added there, unlike <c>chain.ChainElements</c>, which is the path .NET built and is not used.
    /// </summary>
    private sealed class ChainCapture
    {
        public IReadOnlyList<byte[]> Chain { get; private set; } = [];

        public string? LeafKey { get; private set; }

        public bool Callback(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            var presented = new List<byte[]>();
            if (chain is not null)
            {
                foreach (X509Certificate2 c in chain.ChainPolicy.ExtraStore)
                {
                    presented.Add(c.RawData);
                }
            }

            if (certificate is not null)
            {
                byte[] leaf = certificate.GetRawCertData();
                if (presented.Count == 0 || !presented[0].AsSpan().SequenceEqual(leaf))
                {
                    presented.Insert(0, leaf);
                }

                using X509Certificate2 leafCert = X509CertificateLoader.LoadCertificate(leaf);
                LeafKey = LeafKeyDescription.Describe(leafCert);
            }

            Chain = presented;

            // Accept anything here: DANE decides afterwards, from the captured chain (Core's job).
            return true;
        }
    }
}
