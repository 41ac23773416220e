using System.Runtime.InteropServices;

namespace DaneScan.Smtp;

/// <summary>
/// Raises OpenSSL's default certificate verification depth for this process, so that a server's long chain is
/// captured instead of failing the handshake.
/// </summary>
/// <remarks>
/// <para>Why: on Linux, <see cref="System.Net.Security.SslStream"/> builds an <c>X509Chain</c> from the presented
/// certificates after the TLS handshake and before it calls the validation callback (where the chain is captured).
/// The chain is built by OpenSSL's <c>X509_verify_cert</c> under the "default" verification parameters, whose
/// depth is 100 intermediates. A server that presents a path of more than 101 certificates makes OpenSSL report
/// <c>X509_V_ERR_CERT_CHAIN_TOO_LONG</c>, a code .NET maps to no chain status: it throws a bare
/// <c>CryptographicException</c> ("Error occurred during a cryptographic operation") out of the handshake, the
/// callback never runs and the chain is lost, although the TLS handshake itself completed (as it does for
/// <c>openssl s_client</c>, which only reports the verify error).</para>
/// <para>The fix: the "default" parameter set is looked up by name each time a verification starts, first in
/// OpenSSL's table of added parameter sets; a copy of the built-in default with depth
/// <see cref="Depth"/> is added there once, before the first probe. Nothing else changes: DaneScan accepts
/// every chain during the handshake anyway and judges it afterwards (DaneMatcher, with its own documented
/// bound). The byte bound stays: OpenSSL refuses a Certificate message over 100 KiB (its
/// <c>SSL_MAX_CERT_LIST_DEFAULT</c>, 102,400 bytes) with "excessive message size", a
/// <see cref="Core.ProbeOutcome.TlsHandshakeFailed"/>. No path of more than <see cref="Depth"/> certificates
/// fits in 100 KiB.</para>
/// </remarks>
public static class OpenSslChainDepth
{
    /// <summary>The verification depth set: far beyond any chain that fits in OpenSSL's 100 KiB Certificate message bound.</summary>
    public const int Depth = 1000;

    private static readonly Lazy<string> Outcome = new(Raise, LazyThreadSafetyMode.ExecutionAndPublication);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr NewParam();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr LookupParam([MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CopyParam(IntPtr to, IntPtr from);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int NameParam(IntPtr param, [MarshalAs(UnmanagedType.LPUTF8Str)] string name);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetDepth(IntPtr param, int depth);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetDepth(IntPtr param);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int AddToTable(IntPtr param);

    /// <summary>
    /// Makes sure the depth is raised (once per process) and says what happened: "raised to 1000", "already 1000",
    /// or why it could not be (not Linux, no libcrypto found); then chains deeper than 101 certificates still
    /// fail the handshake as before.
    /// </summary>
    public static string EnsureRaised() => Outcome.Value;

    /// <summary>OpenSSL's current default verification depth, or null where it cannot be read.</summary>
    public static int? CurrentDepth()
    {
        if (!TryLoad(out var library))
        {
            return null;
        }

        var lookup = Export<LookupParam>(library, "X509_VERIFY_PARAM_lookup");
        var get = Export<GetDepth>(library, "X509_VERIFY_PARAM_get_depth");
        if (lookup is null || get is null)
        {
            return null;
        }

        var param = lookup("default");
        return param == IntPtr.Zero ? null : get(param);
    }

    private static string Raise()
    {
        if (!TryLoad(out var library))
        {
            return "not raised: no OpenSSL libcrypto in this process (the platform's own TLS applies its own limits)";
        }

        var create = Export<NewParam>(library, "X509_VERIFY_PARAM_new");
        var lookup = Export<LookupParam>(library, "X509_VERIFY_PARAM_lookup");
        var copy = Export<CopyParam>(library, "X509_VERIFY_PARAM_set1");
        var name = Export<NameParam>(library, "X509_VERIFY_PARAM_set1_name");
        var set = Export<SetDepth>(library, "X509_VERIFY_PARAM_set_depth");
        var get = Export<GetDepth>(library, "X509_VERIFY_PARAM_get_depth");
        var add = Export<AddToTable>(library, "X509_VERIFY_PARAM_add0_table");
        if (create is null || lookup is null || copy is null || name is null || set is null || get is null || add is null)
        {
            return "not raised: libcrypto lacks the X509_VERIFY_PARAM functions";
        }

        var current = lookup("default");
        if (current != IntPtr.Zero && get(current) >= Depth)
        {
            return $"already {get(current)}";
        }

        var param = create();
        if (param == IntPtr.Zero)
        {
            return "not raised: X509_VERIFY_PARAM_new failed";
        }

        // A copy of the built-in default (flags, purpose, trust), renamed "default", with the new depth. The table
        // takes ownership of it (add0).
        if ((current != IntPtr.Zero && copy(param, current) != 1) || name(param, "default") != 1)
        {
            return "not raised: cannot copy the default verification parameters";
        }

        set(param, Depth);
        if (add(param) != 1)
        {
            return "not raised: X509_VERIFY_PARAM_add0_table failed";
        }

        var after = lookup("default");
        return after != IntPtr.Zero && get(after) == Depth ? $"raised to {Depth}" : "not raised: the default parameters did not change";
    }

    private static bool TryLoad(out IntPtr library)
    {
        library = IntPtr.Zero;
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        // The names .NET's own OpenSSL shim loads, in its order: the same shared object, so the same table.
        foreach (var candidate in new[] { "libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so" })
        {
            if (NativeLibrary.TryLoad(candidate, out library))
            {
                return true;
            }
        }

        return false;
    }

    private static T? Export<T>(IntPtr library, string name)
        where T : Delegate =>
        NativeLibrary.TryGetExport(library, name, out var address) ? Marshal.GetDelegateForFunctionPointer<T>(address) : null;
}
