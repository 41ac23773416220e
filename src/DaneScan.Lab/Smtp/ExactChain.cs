using System.Collections.ObjectModel;
using System.Net.Security;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;

namespace DaneScan.Lab.Smtp;

/// <summary>
/// Builds a server certificate context that sends exactly the certificates of a PEM file, in order.
/// </summary>
/// <remarks>
/// <see cref="SslStreamCertificateContext.Create(X509Certificate2, X509Certificate2Collection?, bool, SslCertificateTrust?)"/>
/// builds a chain from the additional certificates and keeps only what lies on it, minus a self-signed root:
/// it would drop the root of a "leaf + intermediate + root" file and any certificate that is not on the leaf's
/// path (a wrong intermediate, for a broken chain case). The lab must send what the file says, so when the
/// built context differs from the file, the context is made with the file's certificates as its intermediates
/// (the non-public constructor that <c>Create</c> itself ends in). The system trust store is never consulted
/// for the certificates sent: <c>offline</c> is set and the lab's CAs are in no store.
/// </remarks>
internal static class ExactChain
{
    public static SslStreamCertificateContext Load(string chainPemFile, string keyPemFile)
    {
        var leaf = X509Certificate2.CreateFromPemFile(chainPemFile, keyPemFile);
        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(chainPemFile);
        if (all.Count == 0 || !all[0].RawData.AsSpan().SequenceEqual(leaf.RawData))
        {
            throw new InvalidDataException($"{chainPemFile}: the first certificate must be the leaf of {keyPemFile}.");
        }

        var extras = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            extras.Add(all[i]);
        }

        all[0].Dispose();
        SslStreamCertificateContext context;
        try
        {
            context = SslStreamCertificateContext.Create(leaf, extras, offline: true, trust: null);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Create builds a chain first; a path deeper than OpenSSL's default verification depth (100) makes
            // that build throw. The lab's long-chain cases send such paths: send the file as it is.
            return Construct(leaf, extras);
        }

        if (SameCertificates(context.IntermediateCertificates, extras))
        {
            return context;
        }

        return Construct(leaf, extras);
    }

    /// <summary>The certificates the context sends after the leaf.</summary>
    public static IReadOnlyList<X509Certificate2> Sent(SslStreamCertificateContext context) => context.IntermediateCertificates;

    private static bool SameCertificates(IReadOnlyList<X509Certificate2> sent, X509Certificate2Collection wanted)
    {
        if (sent.Count != wanted.Count)
        {
            return false;
        }

        for (var i = 0; i < sent.Count; i++)
        {
            if (!sent[i].RawData.AsSpan().SequenceEqual(wanted[i].RawData))
            {
                return false;
            }
        }

        return true;
    }

    private static SslStreamCertificateContext Construct(X509Certificate2 leaf, X509Certificate2Collection extras)
    {
        var constructor = typeof(SslStreamCertificateContext).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic, null,
            [typeof(X509Certificate2), typeof(ReadOnlyCollection<X509Certificate2>), typeof(SslCertificateTrust)], null)
            ?? throw new PlatformNotSupportedException(
                "This .NET runtime has no SslStreamCertificateContext(target, intermediates, trust) constructor: the lab cannot send an exact chain.");
        var intermediates = new ReadOnlyCollection<X509Certificate2>([.. extras]);
        var context = (SslStreamCertificateContext)constructor.Invoke([leaf, intermediates, null]);
        if (!SameCertificates(context.IntermediateCertificates, extras))
        {
            throw new PlatformNotSupportedException("SslStreamCertificateContext did not keep the chain it was given.");
        }

        return context;
    }
}
