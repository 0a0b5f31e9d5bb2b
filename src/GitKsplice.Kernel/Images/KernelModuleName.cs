namespace GitKsplice.Images;

/// <summary>What the kernel allows as a module's name: letters, digits and '_', at most 55 bytes (MODULE_NAME_LEN less its NUL).</summary>
public static class KernelModuleName
{
    public const int MaxLength = 55;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
