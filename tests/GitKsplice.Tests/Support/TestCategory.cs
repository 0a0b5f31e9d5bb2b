namespace GitKsplice.Tests.Support;

/// <summary>
/// The Category trait of the tests `./test.sh --fast` leaves out: those that build the 3 GB Linux tree, talk to an
/// sshd, boot a VM, install the tools, wait for detached hook jobs, run the tools end to end or work at scale. The rest, pure
/// and in-process, runs in a minute.
/// </summary>
public static class TestCategory
{
    public const string Name = "Category";
    public const string Linux = "Linux";
    public const string Ssh = "Ssh";
    public const string Vm = "Vm";
    public const string Installed = "Installed";
    public const string BackgroundHook = "BackgroundHook";
    public const string EndToEnd = "EndToEnd";
    /// <summary>Thousands of notes, thousands of corrupted objects: the same code as the fast tests, at volume.</summary>
    public const string Scale = "Scale";
}
