using System.Security.Cryptography;
using System.Text;

namespace Dean.ServiceDefaults.Auth;

/// <summary>
/// DEAN's ES256 keys (DESIGN section 10). Each signing service holds a secret seed (an Aspire secret parameter) from which
/// its P-256 private key is derived with HKDF; everyone else gets only the public keys. The Orchestrator's key of epoch 0
/// is its root: it signs user tokens until the first rotation, and certifies every later epoch's public key, so that a
/// row written to the epochs table by anyone else is not trusted. Pure: no I/O (the AppHost compiles this file too, to
/// hand the public keys out).
/// </summary>
#if DEAN_APPHOST
internal // the AppHost's copy stays its own: the tests see both assemblies
#else
public
#endif
static class SigningKeys
{
    /// <summary>The one service whose key signs users' tokens.</summary>
    public const string Orchestrator = "orchestrator";

    /// <summary>The private key for <paramref name="label"/> under <paramref name="seed"/>: the same seed and label always give the same key.</summary>
    public static ECDsa Derive(string seed, string label)
    {
        if (Encoding.UTF8.GetByteCount(seed) < 32) throw new InvalidOperationException($"the signing seed for {label} is missing or shorter than 32 bytes");
        for (var counter = 0; ; counter++)
        {
            var d = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(seed), 32, null, Encoding.UTF8.GetBytes($"dean-es256:{label}:{counter}"));
            try
            {
                return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
            }
            catch (CryptographicException) when (counter < 16)
            {
                // d was 0 or not below the group order (p < 2^-32): the next counter gives another candidate.
            }
        }
    }

    /// <summary>
    /// The label of the Orchestrator's key for a signing epoch. Epoch 0 is the root key, labelled like every service's
    /// own key: with the service's name.
    /// </summary>
    public static string EpochLabel(long epoch, string? salt) => epoch == 0 || string.IsNullOrEmpty(salt) ? Orchestrator : $"{Orchestrator}/epoch-{epoch}/{salt}";

    /// <summary>The key id a token signed by that key carries: <c>orchestrator-{epoch}</c>, or the service's name.</summary>
    public static string KeyId(string service, long epoch) => service == Orchestrator ? $"{Orchestrator}-{epoch}" : service;

    /// <summary>The public half, as base64 SubjectPublicKeyInfo (what <c>Auth:TrustedKeys:{service}</c> holds).</summary>
    public static string PublicKey(ECDsa key) => Convert.ToBase64String(key.ExportSubjectPublicKeyInfo());

    public static string PublicKeyOf(string seed, string label)
    {
        using var key = Derive(seed, label);
        return PublicKey(key);
    }

    public static ECDsa ImportPublicKey(string publicKey)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(Convert.FromBase64String(publicKey), out _);
        return key;
    }

    /// <summary>The root key's signature over an epoch's public key.</summary>
    public static string Certify(ECDsa root, long epoch, string publicKey) =>
        Convert.ToBase64String(root.SignData(CertifiedText(epoch, publicKey), HashAlgorithmName.SHA256));

    public static bool IsCertified(ECDsa rootPublic, long epoch, string publicKey, string? certificate)
    {
        if (string.IsNullOrEmpty(certificate)) return false;
        try
        {
            return rootPublic.VerifyData(CertifiedText(epoch, publicKey), Convert.FromBase64String(certificate), HashAlgorithmName.SHA256);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static byte[] CertifiedText(long epoch, string publicKey) => Encoding.UTF8.GetBytes($"dean-signing-epoch:{epoch}:{publicKey}");
}
