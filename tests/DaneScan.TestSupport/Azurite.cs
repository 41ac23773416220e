using System.Net.Sockets;

namespace DaneScan.Storage.Tests;

/// <summary>
/// A test that needs Table Storage (Azurite). It runs when DANESCAN_AZURITE=1 or
/// DANESCAN_TABLE_CONNECTION is set (eng/test.sh sets both), or when something listens on
/// 127.0.0.1:10002; then an unreachable Azurite FAILS the test. Only without any of these is it
/// skipped, with the reason shown.
/// </summary>
public sealed class AzuriteFactAttribute : FactAttribute
{
    public AzuriteFactAttribute()
    {
        if (!Azurite.Required && !Azurite.Listening())
        {
            Skip = "Azurite is not running: run eng/test.sh, or start Azurite on 127.0.0.1:10002 (DANESCAN_AZURITE=1 makes this a failure)";
        }
    }
}

public static class Azurite
{
    public static bool Required =>
        Environment.GetEnvironmentVariable("DANESCAN_AZURITE") == "1" ||
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION"));

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("DANESCAN_TABLE_CONNECTION") is { Length: > 0 } cs ? cs : "UseDevelopmentStorage=true";

    public static bool Listening()
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync("127.0.0.1", 10002).Wait(TimeSpan.FromSeconds(1)) && client.Connected;
        }
        catch (Exception e) when (e is SocketException or AggregateException)
        {
            return false;
        }
    }
}
