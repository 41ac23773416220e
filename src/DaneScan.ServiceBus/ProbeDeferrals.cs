using System.Globalization;
using System.Text.Json;
using DaneScan.Contracts;

namespace DaneScan.ServiceBus;

/// <summary>
/// How a deferred probe request travels back to the probe queue: a scheduled message with the request's body and
/// properties, the count of deferrals so far in the application property <see cref="CountProperty"/>, and a
/// MessageId of its own (<see cref="MessageId"/>).
/// </summary>
public static class ProbeDeferrals
{
    /// <summary>The application property holding how many times the request was deferred (absent: never).</summary>
    public const string CountProperty = "deferrals";

    /// <summary>
    /// The MessageId of the <paramref name="deferrals"/>-th re-send: the request's id (<see cref="MessageIds.For(ProbeRequest)"/>)
    /// with <c>-d{n}</c>. It cannot keep the request's own id: the queues' duplicate detection (a one-day window)
    /// would drop the re-send as a copy of the message it replaces, and the target would never be probed. A
    /// delivery that dies after scheduling and before completing is redelivered and defers again with the same
    /// count, so its second re-send carries the same id and is dropped as the duplicate it is.
    /// </summary>
    public static string MessageId(ProbeRequest request, int deferrals) =>
        MessageIds.For(request) + "-d" + deferrals.ToString(CultureInfo.InvariantCulture);

    /// <summary>The deferral count of a received message's application properties: 0 when absent; a value that is not a count is taken as 0.</summary>
    public static int Count(IReadOnlyDictionary<string, object>? properties) =>
        properties is not null && properties.TryGetValue(CountProperty, out var value) ? Parse(value) : 0;

    /// <summary>
    /// The deferral count from the JSON object of application properties the Functions host puts in the trigger's
    /// binding data (<c>ApplicationProperties</c>); 0 when absent or unreadable.
    /// </summary>
    public static int CountFromJson(string? properties)
    {
        if (string.IsNullOrWhiteSpace(properties))
        {
            return 0;
        }

        try
        {
            using var json = JsonDocument.Parse(properties);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty(CountProperty, out var value) ? Parse(value) : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    private static int Parse(object? value) => value switch
    {
        int n => Math.Max(0, n),
        long n => (int)Math.Clamp(n, 0, int.MaxValue),
        JsonElement { ValueKind: JsonValueKind.Number } e when e.TryGetInt32(out var n) => Math.Max(0, n),
        JsonElement { ValueKind: JsonValueKind.String } e => Parse(e.GetString()),
        string s when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) => n,
        _ => 0,
    };
}
