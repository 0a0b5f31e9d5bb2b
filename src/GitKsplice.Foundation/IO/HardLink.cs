using System.Runtime.InteropServices;

namespace GitKsplice.IO;

/// <summary>A second name for a file (link(2)): no data is copied, and the two names stay one file.</summary>
public static partial class HardLink
{
    /// <summary>
    /// Links <paramref name="link"/> (which must not exist) to <paramref name="existing"/>; false where the file
    /// system cannot (another device, no hard links), for the caller to copy instead.
    /// </summary>
    public static bool TryCreate(string existing, string link) => Link(existing, link) == 0;

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string link);
}
