using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace DaneScan.Contracts;

/// <summary>
/// The one definition of a run id: 1-128 ASCII letters, digits, '.', '_' or '-', not starting with '.'. It
/// becomes a directory name (run directories), part of a table partition key (Table Storage) and a URL path
/// segment (the statistics API), so it may hold nothing that any of them would read differently.
/// </summary>
public static class RunIds
{
    /// <summary>The longest run id accepted.</summary>
    public const int MaxLength = 128;

    /// <summary>The rule, in words, for error messages.</summary>
    public const string Rule = "a run id is 1-128 letters, digits, '.', '_' or '-', not starting with '.'";

    /// <summary>Whether <paramref name="runId"/> is a valid run id.</summary>
    public static bool IsValid([NotNullWhen(true)] string? runId) =>
        !string.IsNullOrEmpty(runId)
        && runId.Length <= MaxLength
        && runId[0] != '.'
        && runId.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    /// <summary>Returns <paramref name="runId"/> when valid; throws <see cref="ArgumentException"/> naming the rule otherwise.</summary>
    public static string Validate(string runId)
    {
        if (!IsValid(runId))
        {
            throw new ArgumentException($"Run id '{runId}' is not valid: {Rule}.", nameof(runId));
        }

        return runId;
    }

    /// <summary>
    /// The run id of a fleet schedule occurrence: <c>fleet-yyyyMMddTHHmmssZ</c> of the scheduled time in UTC. It
    /// depends on nothing else, so a retried or duplicated timer invocation of the same occurrence (whatever
    /// time it actually runs at) resumes the same run instead of starting a second one.
    /// </summary>
    public static string ForOccurrence(DateTimeOffset scheduledUtc) =>
        "fleet-" + scheduledUtc.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
}
