using GitKsplice.Build;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Build;

/// <summary>Which build outputs a create compares: objects compiled from the tree's sources, nothing a link step made.</summary>
public class ChangedOutputsTests
{
    [Fact]
    public void Objects_of_sources_are_compared_and_the_hidden_objects_of_a_link_step_are_not()
    {
        using var tree = new TempDir();
        foreach (var file in new[] { "kernel/fork.c", "kernel/fork.o", "arch/x86/entry/entry_64.S", "arch/x86/entry/entry_64.o",
                     "vmlinux.o", ".tmp_vmlinux.kallsyms1.S", ".tmp_vmlinux.kallsyms1.o", "kernel/.tmp_helper.c", "kernel/.tmp_helper.o" })
            tree.Write(file, "");

        var objects = ChangedOutputs.Objects(tree.Path);

        Assert.Equal(["arch/x86/entry/entry_64.o", "kernel/fork.o"],
            ChangedOutputs.Enumerate(tree.Path, objects).Select(o => o.Path).Order(StringComparer.Ordinal));
    }
}
