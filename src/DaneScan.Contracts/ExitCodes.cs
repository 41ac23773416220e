namespace DaneScan.Contracts;

/// <summary>
/// Every exit code the <c>danescan</c> program can end with: one table, one meaning per code, shared by
/// every command. docs/exit-codes.md documents the same table (a test keeps the two equal).
/// </summary>
public static class ExitCodes
{
    /// <summary>The command did what was asked (a scan: the run is Completed).</summary>
    public const int Success = 0;

    /// <summary>A scan ended without recording every domain (state Running); rerun the same --run-id to resume.</summary>
    public const int RunIncomplete = 1;

    /// <summary>Bad command line: an unknown command or option, a missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>The resolver failed the DNSSEC self-check (and --insecure-resolver was not given).</summary>
    public const int ResolverRefused = 3;

    /// <summary><c>check</c>: the domain or its addresses are on the opt-out list, so it was not checked.</summary>
    public const int OptedOut = 4;

    /// <summary>The result store failed (disk full, permission, Table Storage refused); the run can be resumed.</summary>
    public const int StorageFailed = 5;

    /// <summary>A domain list cannot be read to its end (missing, unreadable, truncated or corrupt, not text, over a bound); nothing of it was scanned.</summary>
    public const int ListUnreadable = 6;

    /// <summary>Another scan holds the run's lock (the message names its process, host and start).</summary>
    public const int RunLocked = 7;

    /// <summary><c>export</c>: no run with that id (no manifest) in the store.</summary>
    public const int NoSuchRun = 8;

    /// <summary><c>worker</c>: Service Bus failed in a way retrying does not fix (the namespace, a queue or the identity's rights).</summary>
    public const int ServiceBusFailed = 9;

    /// <summary><c>lab</c>: the lab could not be started, stopped or served, or (<c>lab status</c>) runs only in part or does not validate.</summary>
    public const int LabFailed = 10;

    /// <summary><c>lab status</c>: no lab process runs from that state directory.</summary>
    public const int LabNotRunning = 11;

    /// <summary><c>serve</c>: the address to listen on cannot be bound (in use, not this machine's).</summary>
    public const int CannotListen = 12;

    /// <summary>An unexpected error (a bug): one line names it; set DANESCAN_DEBUG=1 for the stack trace.</summary>
    public const int InternalError = 70;

    /// <summary>A temporary storage fault (throttled, timed out); retry later.</summary>
    public const int StorageTemporary = 75;

    /// <summary>Stopped by Ctrl-C or SIGTERM; a scan can be resumed with the same --run-id.</summary>
    public const int Interrupted = 130;

    /// <summary>Every code with its name, in ascending order: the constants above, read once by reflection so that the table cannot leave one out.</summary>
    public static IReadOnlyList<(int Code, string Name)> All { get; } =
        [.. typeof(ExitCodes).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .Select(f => ((int)f.GetRawConstantValue()!, f.Name))
            .OrderBy(e => e.Item1)];
}
