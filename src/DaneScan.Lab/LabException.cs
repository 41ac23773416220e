namespace DaneScan.Lab;

/// <summary>The lab could not be built or started (a missing tool, a busy address, a tool that failed).</summary>
public sealed class LabException : Exception
{
    public LabException()
    {
    }

    public LabException(string message)
        : base(message)
    {
    }

    public LabException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
