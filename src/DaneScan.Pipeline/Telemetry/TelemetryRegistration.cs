using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace DaneScan.Pipeline.Telemetry;

/// <summary>
/// Subscribes OpenTelemetry to DaneScan's instruments (<see cref="DaneScanTelemetry"/>), in one place for every
/// host: with dependency injection (<see cref="AddDaneScanTelemetry"/>: the worker, the Functions app) or for a
/// command-line run (<see cref="StartOtlpExport"/>). The caller adds its exporter.
/// </summary>
public static class TelemetryRegistration
{
    /// <summary>Registers metrics and traces of DaneScan's meter and source; <paramref name="exporters"/> adds the exporters.</summary>
    public static IServiceCollection AddDaneScanTelemetry(this IServiceCollection services, Action<MeterProviderBuilder>? metrics = null, Action<TracerProviderBuilder>? traces = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOpenTelemetry()
            .WithMetrics(b =>
            {
                b.AddMeter(DaneScanTelemetry.Name);
                metrics?.Invoke(b);
            })
            .WithTracing(b =>
            {
                b.AddSource(DaneScanTelemetry.Name);
                traces?.Invoke(b);
            });
        return services;
    }

    /// <summary>The meter and tracer providers of a run without a host, subscribed to DaneScan's instruments.</summary>
    public static (MeterProvider Metrics, TracerProvider Traces) CreateProviders(Action<MeterProviderBuilder> metrics, Action<TracerProviderBuilder> traces)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(traces);
        var m = Sdk.CreateMeterProviderBuilder().AddMeter(DaneScanTelemetry.Name);
        metrics(m);
        var t = Sdk.CreateTracerProviderBuilder().AddSource(DaneScanTelemetry.Name);
        traces(t);
        return (m.Build(), t.Build());
    }

    /// <summary>
    /// Exports DaneScan's metrics and traces over OTLP to <paramref name="endpoint"/> (gRPC on port 4317, or
    /// HTTP/protobuf when the path ends in /v1/metrics or the port is 4318) until disposed, which flushes.
    /// </summary>
    public static IDisposable StartOtlpExport(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var protocol = endpoint.Port == 4318 ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        void Configure(OtlpExporterOptions o, string signal)
        {
            o.Protocol = protocol;
            o.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath is "/" or ""
                ? new Uri(endpoint, "v1/" + signal)
                : endpoint;
        }

        var (metrics, traces) = CreateProviders(
            m => m.AddOtlpExporter((o, reader) =>
            {
                Configure(o, "metrics");
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 10_000;
            }),
            t => t.AddOtlpExporter(o => Configure(o, "traces")));
        return new Providers(metrics, traces);
    }

    private sealed class Providers(MeterProvider metrics, TracerProvider traces) : IDisposable
    {
        public void Dispose()
        {
            metrics.ForceFlush(5_000);
            traces.ForceFlush(5_000);
            metrics.Dispose();
            traces.Dispose();
        }
    }
}
