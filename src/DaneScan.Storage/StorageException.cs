namespace DaneScan.Storage;

/// <summary>What kind of storage fault happened, so callers can decide: retry later, fix configuration, or stop.</summary>
public enum StorageFaultKind
{
    /// <summary>A transient fault (timeout, 5xx, connection reset) that persisted through the adapter's retries.</summary>
    Transient,

    /// <summary>The service throttled the requests (HTTP 429/503 ServerBusy) through the retries.</summary>
    Throttled,

    /// <summary>The service could not be reached at all (connection refused, name not resolved).</summary>
    Unavailable,

    /// <summary>Credentials or permissions were refused (HTTP 401/403).</summary>
    Unauthorized,

    /// <summary>The request was malformed or exceeded a limit of the service (HTTP 400, 413): a bug or an unexpected record.</summary>
    InvalidRequest,

    /// <summary>A record too large to store even compressed and split.</summary>
    RecordTooLarge,

    /// <summary>Another writer holds the run (a second process writing the same run directory).</summary>
    Conflict,

    /// <summary>Stored data could not be read back (not JSON, wrong schema, missing chunks).</summary>
    Corrupt,

    /// <summary>A local file system fault (disk full, permissions, I/O error).</summary>
    FileSystem,
}

/// <summary>A classified storage fault, raised after the adapter's retries of transient faults.</summary>
public sealed class StorageException : Exception
{
    public StorageException(StorageFaultKind kind, string message, Exception? innerException = null)
        : base($"{kind}: {message}", innerException) => Kind = kind;

    public StorageException()
        : this(StorageFaultKind.Transient, "storage fault")
    {
    }

    public StorageException(string message)
        : this(StorageFaultKind.Transient, message)
    {
    }

    public StorageException(string message, Exception innerException)
        : this(StorageFaultKind.Transient, message, innerException)
    {
    }

    public StorageFaultKind Kind { get; }

    /// <summary>Whether trying again later may succeed.</summary>
    public bool IsTransient => Kind is StorageFaultKind.Transient or StorageFaultKind.Throttled or StorageFaultKind.Unavailable;
}
