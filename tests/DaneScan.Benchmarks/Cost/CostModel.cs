namespace DaneScan.Benchmarks.Cost;

/// <summary>
/// Unit prices (USD, pay-as-you-go, list prices; sources and dates in docs/cost.md). Kept in one place so the
/// report's dollars can be recomputed when the prices change.
/// </summary>
internal sealed record PriceSheet
{
    /// <summary>Flex Consumption, on-demand execution time, per GB-second.</summary>
    public decimal FlexPerGbSecond { get; init; } = 0.000026m;

    /// <summary>Flex Consumption, on-demand executions, per million.</summary>
    public decimal FlexPerMillionExecutions { get; init; } = 0.40m;

    /// <summary>Service Bus Standard, operations beyond the 13 million the base charge includes (13M-100M tier), per million.</summary>
    public decimal ServiceBusPerMillionOperations { get; init; } = 0.80m;

    /// <summary>Service Bus Standard base charge per hour (includes 13 million operations a month).</summary>
    public decimal ServiceBusBasePerHour { get; init; } = 0.0135m;

    /// <summary>Table Storage (Standard, LRS), per 10,000 transactions.</summary>
    public decimal TablePer10kTransactions { get; init; } = 0.00036m;

    /// <summary>Table Storage (Standard, LRS), per GB stored for a month.</summary>
    public decimal TablePerGbMonth { get; init; } = 0.045m;

    /// <summary>Log Analytics, Analytics Logs pay-as-you-go ingestion, per GB.</summary>
    public decimal LogAnalyticsPerGb { get; init; } = 2.30m;
}

/// <summary>The stated internet latency model: what the lab cannot show (loopback DNS and SMTP take milliseconds).</summary>
internal sealed record LatencyModel
{
    /// <summary>Mean wall time of one domain in the resolve stage: MX, A/AAAA and TLSA lookups through a cold validating resolver, and its table requests.</summary>
    public double ResolveSecondsPerDomain { get; init; } = 0.5;

    /// <summary>Mean wall time of a probe that completes (connect, banner, EHLO, STARTTLS, TLS handshake, EHLO, QUIT).</summary>
    public double ProbeSecondsCompleted { get; init; } = 2.0;

    /// <summary>The share of probes that end at a deadline instead (unreachable or silent servers).</summary>
    public double ProbeTimeoutShare { get; init; } = 0.10;

    /// <summary>How long such a probe takes: the 30 s step deadline (a refused connect ends at once, a filtered one at the 10 s connect deadline).</summary>
    public double ProbeTimeoutSeconds { get; init; } = 30;

    public double ProbeMeanSeconds => ((1 - ProbeTimeoutShare) * ProbeSecondsCompleted) + (ProbeTimeoutShare * ProbeTimeoutSeconds);
}
