using BodyCam.Audit.Tree;

namespace BodyCam.Witness;

/// <summary><c>vkey --key-file F --name N --type log|witness</c>: prints the key's verifier key, creating the key file if it is missing.</summary>
public static class VerifierKeyCommand
{
    public static int Run(string[] args)
    {
        string? file = null, name = null, type = null;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--key-file": file = args[i + 1]; break;
                case "--name": name = args[i + 1]; break;
                case "--type": type = args[i + 1]; break;
            }
        }

        if (file is null || string.IsNullOrWhiteSpace(name) || type is not ("log" or "witness"))
        {
            Console.Error.WriteLine("usage: vkey --key-file FILE --name NAME --type log|witness");
            return 2;
        }

        using var signer = NoteSigner.Load(file, name);
        Console.WriteLine(SignedNote.VerifierKey(name, type == "log" ? SignedNote.Ed25519Type : SignedNote.CosignatureType, signer.PublicKey));
        return 0;
    }
}
