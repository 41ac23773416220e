using System.Net;
using DaneScan.Core;

namespace DaneScan.Smtp.Tests;

/// <summary>The SMTP dialogue, replayed against scripted server transcripts (no sockets).</summary>
public sealed class TranscriptTests
{
    private const string Identity = "scanner.danescan.example";
    private static readonly IPEndPoint Endpoint = new(IPAddress.Parse("127.88.0.1"), 25);

    private static SmtpProber Prober(
        TimeSpan? step = null, TimeSpan? overall = null, int maxLine = 512, int maxLines = 20, int maxBytes = 4096) =>
        new(new SmtpProbeOptions(
            Identity,
            stepTimeout: step ?? TimeSpan.FromSeconds(10),
            overallTimeout: overall ?? TimeSpan.FromSeconds(30),
            maxLineLength: maxLine,
            maxLinesPerReply: maxLines,
            maxReplyBytes: maxBytes));

    private static Task<ProbeObservation> Run(ScriptedStream script, SmtpProber? prober = null, CancellationToken ct = default) =>
        (prober ?? Prober()).ProbeStreamAsync(script, Endpoint, "mx.example.org", "mx.example.org", ct);

    private static ScriptedStream UpToStartTls(string startTlsReply) => new ScriptedStream()
        .Send("220 mx.example.org ESMTP\r\n")
        .Expect("EHLO " + Identity)
        .Send("250-mx.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        .Expect("STARTTLS")
        .Send(startTlsReply);

    [Fact]
    public async Task Multi_line_banner_and_ehlo_are_parsed_and_keywords_are_case_insensitive()
    {
        var script = new ScriptedStream()
            .Send("220-mx.example.org ESMTP ready\r\n220-no UCE\r\n220 really\r\n")
            .Expect("EHLO " + Identity)
            .Send("250-mx.example.org hello\r\n250-size 10240000\r\n250-8bitmime\r\n250-StartTls\r\n250 ENHANCEDSTATUSCODES\r\n")
            .Expect("STARTTLS")
            .Send("220 2.0.0 Ready to start TLS\r\n")
            .ExpectBinary()
            .CloseByServer();

        ProbeObservation o = await Run(script);

        Assert.Equal("220 mx.example.org ESMTP ready / 220 no UCE / 220 really", o.Banner);
        Assert.Equal(["SIZE", "8BITMIME", "STARTTLS", "ENHANCEDSTATUSCODES"], o.EhloKeywords);
        Assert.True(o.StartTlsOffered);
        Assert.Equal("220 2.0.0 Ready to start TLS", o.StartTlsReply);
        Assert.Equal(["EHLO " + Identity, "STARTTLS"], script.ClientLines);

        // The next thing written after 220 is a TLS handshake record (content type 22), i.e. a ClientHello.
        Assert.Equal(0x16, Assert.Single(script.ClientBinary)[0]);

        // The server closed instead of answering the ClientHello.
        Assert.Equal(ProbeOutcome.TlsHandshakeFailed, o.Outcome);
        Assert.Equal(ProbeStage.TlsHandshake, o.FailedStage);
        Assert.Equal("mx.example.org", o.ServerName);
        Assert.Equal("127.88.0.1", o.Address);
        Assert.Equal(25, o.Port);
        Assert.Contains("Banner", o.TimingsMs.Keys);
        Assert.Contains("Ehlo", o.TimingsMs.Keys);
        Assert.Contains("StartTls", o.TimingsMs.Keys);
        Assert.Contains("TlsHandshake", o.TimingsMs.Keys);
    }

    [Fact]
    public async Task Replies_fragmented_byte_by_byte_and_bare_LF_line_ends_still_parse()
    {
        var script = new ScriptedStream { MaxChunk = 1 }
            .Send("220-first\n220 second\r\n")
            .Expect("EHLO " + Identity)
            .Send("250-mx\r\n250 PIPELINING\n")
            .Expect("QUIT")
            .Send("221 bye\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.StartTlsNotOffered, o.Outcome);
        Assert.Equal("220 first / 220 second", o.Banner);
        Assert.Equal(["PIPELINING"], o.EhloKeywords);
        Assert.True(script.ScriptFinished);
    }

    [Fact]
    public async Task Code_only_lines_are_valid_replies()
    {
        var script = new ScriptedStream()
            .Send("220\r\n")
            .Expect("EHLO " + Identity)
            .Send("250-mx\r\n250\r\n")
            .Expect("QUIT")
            .Send("221\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.StartTlsNotOffered, o.Outcome);
        Assert.Equal("220", o.Banner);
    }

    [Fact]
    public async Task Starttls_only_in_the_greeting_line_is_not_an_offer_and_the_prober_quits_politely()
    {
        var script = new ScriptedStream()
            .Send("220 mx ESMTP\r\n")
            .Expect("EHLO " + Identity)
            .Send("250-STARTTLS.example.org greets you\r\n250-PIPELINING\r\n250 SIZE 1000\r\n")
            .Expect("QUIT")
            .Send("221 2.0.0 Bye\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.StartTlsNotOffered, o.Outcome);
        Assert.Equal(ProbeStage.StartTls, o.FailedStage);
        Assert.False(o.StartTlsOffered);
        Assert.Equal(["PIPELINING", "SIZE"], o.EhloKeywords);
        Assert.Equal(["EHLO " + Identity, "QUIT"], script.ClientLines);
        Assert.True(script.ScriptFinished);
    }

    [Fact]
    public async Task Starttls_answered_454_is_rejected_with_the_reply_kept()
    {
        var script = UpToStartTls("454 4.7.0 TLS not available due to local problem\r\n")
            .Expect("QUIT")
            .Send("221 bye\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.StartTlsRejected, o.Outcome);
        Assert.Equal(ProbeStage.StartTls, o.FailedStage);
        Assert.Equal("454 4.7.0 TLS not available due to local problem", o.StartTlsReply);
        Assert.Contains("454", o.Detail, StringComparison.Ordinal);
        Assert.Empty(o.PresentedChain);
        Assert.Equal(["EHLO " + Identity, "STARTTLS", "QUIT"], script.ClientLines);
    }

    [Theory]
    [InlineData("554 5.7.1 No SMTP service here\r\n", true)]
    [InlineData("421 4.3.2 Too busy, try later\r\n", false)]
    public async Task A_refusing_banner_is_service_refused_and_no_ehlo_is_sent(string banner, bool quitExpected)
    {
        var script = new ScriptedStream().Send(banner);
        if (quitExpected)
        {
            script.Expect("QUIT").Send("221 bye\r\n");
        }
        else
        {
            script.CloseByServer();
        }

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.ServiceRefused, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Equal(banner.TrimEnd(), o.Banner);
        Assert.Equal(quitExpected ? ["QUIT"] : Array.Empty<string>(), script.ClientLines);
    }

    [Fact]
    public async Task A_refused_ehlo_is_service_refused_at_ehlo()
    {
        var script = new ScriptedStream()
            .Send("220 mx\r\n")
            .Expect("EHLO " + Identity)
            .Send("550 5.7.1 Go away\r\n")
            .Expect("QUIT")
            .Send("221 bye\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.ServiceRefused, o.Outcome);
        Assert.Equal(ProbeStage.Ehlo, o.FailedStage);
        Assert.Contains("550 5.7.1 Go away", o.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n")]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n")]
    [InlineData("220mx.example.org\r\n")]
    [InlineData("199 too low\r\n")]
    public async Task Something_that_is_not_an_SMTP_banner_is_a_protocol_error(string banner)
    {
        ProbeObservation o = await Run(new ScriptedStream().Send(banner).Silence());

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Empty(o.EhloKeywords);
    }

    [Fact]
    public async Task A_multi_line_reply_that_changes_code_is_a_protocol_error()
    {
        var script = new ScriptedStream()
            .Send("220 mx\r\n")
            .Expect("EHLO " + Identity)
            .Send("250-mx\r\n251 STARTTLS\r\n");

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Ehlo, o.FailedStage);
        Assert.Contains("250 to 251", o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bytes_piggybacked_after_the_220_to_starttls_are_discarded_and_noted()
    {
        const string injected = "250 injected-by-mitm\r\n";
        var script = UpToStartTls("220 2.0.0 go ahead\r\n" + injected)
            .ExpectBinary()
            .CloseByServer();

        ProbeObservation o = await Run(script);

        // The first bytes after 220 went out as a ClientHello; the injected reply was never read as SMTP
        // nor fed to TLS (the handshake failed only because the script then closed).
        Assert.Equal(0x16, Assert.Single(script.ClientBinary)[0]);
        Assert.Equal("220 2.0.0 go ahead", o.StartTlsReply);
        Assert.Equal(ProbeOutcome.TlsHandshakeFailed, o.Outcome);
        Assert.Contains($"discarded {injected.Length} bytes", o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Garbage_instead_of_tls_is_a_failed_handshake()
    {
        var script = UpToStartTls("220 go ahead\r\n")
            .ExpectBinary()
            .Send("this is not TLS at all, just text from a confused server\r\n")
            .CloseByServer();

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.TlsHandshakeFailed, o.Outcome);
        Assert.Equal(ProbeStage.TlsHandshake, o.FailedStage);
        Assert.False(string.IsNullOrEmpty(o.Detail));
        Assert.Null(o.TlsProtocol);
    }

    [Fact]
    public async Task A_reset_during_the_handshake_is_a_failed_handshake()
    {
        var script = UpToStartTls("220 go ahead\r\n").ExpectBinary().Reset();

        ProbeObservation o = await Run(script);

        Assert.Equal(ProbeOutcome.TlsHandshakeFailed, o.Outcome);
        Assert.Equal(ProbeStage.TlsHandshake, o.FailedStage);
        Assert.Contains("reset", o.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_silent_server_times_out_at_the_banner_without_throwing()
    {
        ProbeObservation o = await Run(new ScriptedStream().Silence(), Prober(step: TimeSpan.FromMilliseconds(200)));

        Assert.Equal(ProbeOutcome.Timeout, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Contains("Banner deadline", o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_overall_deadline_bounds_a_server_that_answers_each_step_slowly()
    {
        // Each step alone would have 10 s; the whole probe has 1 s. The server stalls in the handshake.
        ProbeObservation o = await Run(
            UpToStartTls("220 go\r\n").ExpectBinary().Silence(),
            Prober(step: TimeSpan.FromSeconds(10), overall: TimeSpan.FromSeconds(1)));

        Assert.Equal(ProbeOutcome.Timeout, o.Outcome);
        Assert.Contains("overall deadline of 1 s", o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Run(new ScriptedStream().Silence(), Prober(step: TimeSpan.FromSeconds(20)), cts.Token));
    }

    [Fact]
    public async Task An_endless_multi_line_reply_stops_at_the_line_bound_having_read_a_bounded_amount()
    {
        var script = new ScriptedStream()
            .Send("220 mx\r\n")
            .Expect("EHLO " + Identity)
            .Endless("250-still going\r\n");

        ProbeObservation o = await Run(script, Prober(maxLines: 20, maxBytes: 100_000));

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Ehlo, o.FailedStage);
        Assert.Contains("longer than 20 lines", o.Detail, StringComparison.Ordinal);
        Assert.InRange(script.BytesServed, 20 * 17, 8 + 4096 + (20 * 17));
    }

    [Fact]
    public async Task An_endless_multi_line_banner_is_bounded_by_bytes_per_reply()
    {
        var script = new ScriptedStream().Endless("220-" + new string('x', 200) + "\r\n");

        ProbeObservation o = await Run(script, Prober(maxLines: 10_000, maxBytes: 4096));

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Contains("longer than 4096 bytes", o.Detail, StringComparison.Ordinal);
        Assert.InRange(script.BytesServed, 4096, 4096 + 4096 + 206);
    }

    [Fact]
    public async Task An_oversized_line_without_end_is_a_protocol_error_after_a_bounded_read()
    {
        var script = new ScriptedStream().Endless("220 " + new string('A', 1000));

        ProbeObservation o = await Run(script, Prober(maxLine: 512));

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Contains("longer than 512 bytes", o.Detail, StringComparison.Ordinal);
        Assert.InRange(script.BytesServed, 514, 4096);
    }

    [Fact]
    public async Task A_line_exactly_at_the_bound_is_accepted_and_one_byte_more_is_not()
    {
        string atBound = "220 " + new string('a', 512 - 4);
        ProbeObservation ok = await Run(
            new ScriptedStream().Send(atBound + "\r\n").Expect("EHLO " + Identity).Send("250 mx\r\n").Expect("QUIT").Send("221 bye\r\n"),
            Prober(maxLine: 512));
        ProbeObservation tooLong = await Run(new ScriptedStream().Send(atBound + "a\r\n"), Prober(maxLine: 512));

        Assert.Equal(ProbeOutcome.StartTlsNotOffered, ok.Outcome);
        Assert.Equal(ProbeOutcome.ProtocolError, tooLong.Outcome);
    }

    [Fact]
    public async Task A_connection_closed_before_the_banner_is_a_protocol_error_at_banner()
    {
        ProbeObservation o = await Run(new ScriptedStream().CloseByServer());

        Assert.Equal(ProbeOutcome.ProtocolError, o.Outcome);
        Assert.Equal(ProbeStage.Banner, o.FailedStage);
        Assert.Contains("closed", o.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_characters_in_server_text_are_neutralised()
    {
        ProbeObservation o = await Run(new ScriptedStream().Send("554 bad\u001b[31mred\u0007\r\n").CloseByServer());

        Assert.Equal(ProbeOutcome.ServiceRefused, o.Outcome);
        Assert.Equal("554 bad?[31mred?", o.Banner);
    }

    [Fact]
    public void The_command_set_has_no_way_to_send_mail()
    {
        Assert.Equal(["Ehlo", "StartTls", "Quit"], Enum.GetNames<SmtpCommand>());
    }
}
