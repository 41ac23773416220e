using System.IO.Compression;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using DaneScan.Pipeline.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DaneScan.Functions.Tests;

/// <summary>
/// The Functions app's telemetry leaves the process as Application Insights receives it: the real Azure Monitor
/// exporter, configured by the app's registration from the settings bicep/ writes, posts DaneScan's metrics and
/// spans over HTTPS to the ingestion endpoint the connection string names, signed with a bearer token of the
/// app's identity. Two stand-ins, because neither can be reached here: the ingestion endpoint is an HTTPS
/// listener on loopback (its certificate trusted by the exporter's transport), and the identity is a fixed
/// token in place of the managed identity's. Everything between them is the production code path.
/// </summary>
[Collection(TelemetryExportCollection.Name)]
public sealed class TelemetryExportTests
{
    [Fact]
    public async Task Metrics_and_spans_are_posted_to_the_ingestion_endpoint_with_the_identitys_token()
    {
        using var certificate = SelfSigned();
        using var ingestion = new Ingestion(certificate);
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [FunctionsTelemetry.ConnectionStringSetting] = $"InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint={ingestion.Endpoint};Authorization=AAD",
            [FunctionsTelemetry.ClientIdSetting] = "11111111-1111-1111-1111-111111111111",
        }).Build();
        var trusting = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == certificate.Thumbprint });
        var services = new ServiceCollection();
        services.AddDaneScanAzureMonitor(settings, new FixedToken("identity-token"), o =>
        {
            o.Transport = new HttpClientTransport(trusting);
            o.DisableOfflineStorage = true;
            o.TracesPerSecond = null; // the default rate-limited sampler may drop a test's single span
            o.SamplingRatio = 1.0F;
        });
        using (var provider = services.BuildServiceProvider())
        {
            var meters = provider.GetRequiredService<MeterProvider>();
            var tracers = provider.GetRequiredService<TracerProvider>();
            using (DaneScanTelemetry.Source.StartActivity("probe"))
            {
                DaneScanTelemetry.CountDomains("resolve", 3);
            }

            Assert.True(tracers.ForceFlush(20_000), "the trace exporter did not deliver");
            Assert.True(meters.ForceFlush(20_000), "the metric exporter did not deliver");
        }

        var posts = ingestion.Received.Where(r => r.Path.EndsWith("/track", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(posts);
        Assert.All(posts, p => Assert.Equal("Bearer identity-token", p.Authorization));
        var all = string.Join('\n', posts.Select(p => p.Body));
        Assert.Contains("danescan.domains", all, StringComparison.Ordinal);
        Assert.Contains("\"probe\"", all, StringComparison.Ordinal);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>The app identity's token, as the managed identity endpoint would hand it out.</summary>
    private sealed class FixedToken(string token) : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(token, DateTimeOffset.UtcNow.AddHours(1));

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }

    /// <summary>An HTTPS endpoint on loopback that reads each request (HTTP/1.1, gzip bodies) and accepts it as the ingestion service does.</summary>
    private sealed class Ingestion : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<(string Path, string? Authorization, string Body)> _received = [];

        public Ingestion(X509Certificate2 certificate)
        {
            _certificate = certificate;
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public string Endpoint => $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/";

        public IReadOnlyList<(string Path, string? Authorization, string Body)> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(() => ServeAsync(client));
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    await using var tls = new SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(_certificate);
                    while (await ReadRequestAsync(tls) is { } request)
                    {
                        lock (_received)
                        {
                            _received.Add(request);
                        }

                        var body = "{\"itemsReceived\":1,\"itemsAccepted\":1,\"errors\":[]}"u8.ToArray();
                        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
                        await tls.WriteAsync(head);
                        await tls.WriteAsync(body);
                        await tls.FlushAsync();
                    }
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
                {
                    // The client went away.
                }
            }
        }

        private static async Task<(string Path, string? Authorization, string Body)?> ReadRequestAsync(Stream stream)
        {
            var header = new List<byte>();
            var one = new byte[1];
            while (!(header.Count >= 4 && header[^4] == '\r' && header[^3] == '\n' && header[^2] == '\r' && header[^1] == '\n'))
            {
                if (await stream.ReadAsync(one) == 0)
                {
                    return null;
                }

                header.Add(one[0]);
            }

            var lines = Encoding.ASCII.GetString([.. header]).Split("\r\n");
            var path = lines[0].Split(' ')[1];
            string? Field(string name) => lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault();
            var length = int.Parse(Field("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            var content = new byte[length];
            await stream.ReadExactlyAsync(content);
            if (Field("Content-Encoding") == "gzip")
            {
                using var gzip = new GZipStream(new MemoryStream(content), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                await gzip.CopyToAsync(plain);
                content = plain.ToArray();
            }

            return (path, Field("Authorization"), Encoding.UTF8.GetString(content));
        }
    }
}

/// <summary>The exporters subscribe to the process-wide meter and activity source: nothing else may emit meanwhile.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryExportCollection
{
    public const string Name = "telemetry export";
}
