using System.Net;
using DaneScan.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DaneScan.Cli;

/// <summary>
/// The HTTP server of <c>danescan serve</c> (Kestrel): every route of <see cref="ApiRoutes"/> below
/// <c>/api/</c>, answered by the shared <see cref="StatisticsHandlers"/>, and the dashboard at <c>/</c>.
/// Only GET (and HEAD) are answered; anything else is 405. No key is asked for: it listens on loopback
/// unless told otherwise.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ServeHost(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Where it listens, e.g. http://127.0.0.1:8080/.</summary>
    public Uri Address { get; }

    /// <summary>Starts listening on the address and port (0: any free port).</summary>
    public static async Task<ServeHost> StartAsync(IStatisticsQueries queries, IPAddress listen, int port, ILoggerProvider? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(listen);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (log is not null)
        {
            builder.Logging.AddProvider(log);
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(listen, port);
        });
        builder.Services.AddRoutingCore();
        var app = builder.Build();
        var handlers = new StatisticsHandlers(queries);
        foreach (var operation in ApiRoutes.All)
        {
            app.MapMethods($"/{ApiRoutes.Prefix}/{operation.Route}", ["GET", "HEAD"], (HttpContext context) => AnswerAsync(context, handlers, operation));
        }

        app.MapMethods("/", ["GET", "HEAD"], (HttpContext context) => DashboardAsync(context, "index.html"));
        app.MapMethods("/dashboard/{name}", ["GET", "HEAD"], (HttpContext context, string name) => DashboardAsync(context, name));
        app.MapFallback((HttpContext context) => ProblemAsync(context, HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) ? 404 : 405));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new ServeHost(app, new Uri($"http://{FormatHost(listen)}:{bound.Port}/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task AnswerAsync(HttpContext context, StatisticsHandlers handlers, ApiOperation operation)
    {
        var request = context.Request;
        var answer = await handlers.HandleAsync(
            operation.OperationId,
            name => request.RouteValues.TryGetValue(name, out var v) ? v as string : null,
            name => request.Query.TryGetValue(name, out var v) ? v.ToString() : null,
            context.RequestAborted).ConfigureAwait(false);
        var response = context.Response;
        response.StatusCode = answer.Status;
        response.ContentType = answer.ContentType;
        response.Headers.CacheControl = answer.CacheControl;
        response.Headers.XContentTypeOptions = "nosniff";
        if (answer.StatisticsSource is not null)
        {
            response.Headers[StatisticsHandlers.SourceHeader] = answer.StatisticsSource;
        }

        await WriteAsync(context, answer.Body).ConfigureAwait(false);
    }

    private static async Task DashboardAsync(HttpContext context, string name)
    {
        if (DashboardFiles.Get(name) is not { } file)
        {
            await ProblemAsync(context, 404).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.ContentType = file.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        // Everything the page loads comes from here: no CDN, no inline script.
        response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";
        await WriteAsync(context, file.Body).ConfigureAwait(false);
    }

    private static Task ProblemAsync(HttpContext context, int status)
    {
        var detail = status == 405 ? $"{context.Request.Method} is not allowed: the API is read-only" : $"no route {context.Request.Path}";
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new Problem(status == 405 ? "Method not allowed" : "Not found", status, detail), StatisticsHandlers.Json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        if (status == 405)
        {
            context.Response.Headers.Allow = "GET, HEAD";
        }

        return WriteAsync(context, body);
    }

    private static Task WriteAsync(HttpContext context, byte[] body)
    {
        context.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static string FormatHost(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}
