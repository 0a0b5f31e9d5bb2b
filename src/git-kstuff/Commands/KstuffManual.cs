using GitKsplice.Kstuff.Bundles;
using GitKsplice.Kstuff.Options;
using GitKsplice.Settings;

namespace GitKsplice.Cli.Commands;

/// <summary>The prose of git-kstuff(1) that the command tree cannot say; options and commands come from the tree.</summary>
internal static class KstuffManual
{
    public static ToolDescription Tool { get; } = new()
    {
        Name = "git-kstuff",
        ConfigPrefix = "kstuff",
        ConfigKeys = KstuffConfigKeys.All,
        ColourKey = KstuffConfigKeys.ColorKstuff,
        OperandKind = ValueKind.Host,
        Values = DriverNames.Complete,
        Description = $"""
            git kstuff delivers a kernel built in a cross environment ($ROOT/$MACH) to a target host, after kstuff(1) and kbundle: it bundles the installed part of the build tree, reads the target's kernel configuration over OpenSSH, merges the two by kstuff's rules, builds the kernel on the target with idbuild and installs it.

            The bundle is a deterministic cpio archive; each one is noted in {BundleNote.NotesRef} on the commit its tree was built from (git kstuff bundles), and each delivery is recorded in that note.

            The target is reached with the system's ssh (git config kstuff.sshCommand), so ~/.ssh/config, keys and the agent apply; a local directory (an image, a chroot) is a target too.
            """,
        CommandNotes = new Dictionary<string, string>
        {
            ["bundle"] = "The bundle is rebuilt only when it is missing, older than the newest pack.d/*/Driver.o, or with -F; never for a bundle a database file marks pre-built.",
            ["merge"] = "Plumbing under the delivery: the merge of a source configuration tree into a target's, with no I/O but reading the trees and writing the result. Each driver's fate and every warning are reported; --json gives them with stable keys.",
        },
        ExtraSections =
        [
            ("ENVIRONMENT", """
                ROOT, MACH: the cross environment's build tree $ROOT/$MACH when no option names it; they win over kstuff.root and kstuff.mach.

                TOOLS: the cross environment; its etc/conf/bin holds the idtools for -T, and wins over kstuff.idtools.

                NO_COLOR: when set and not empty, no colour.
                """),
            ("FILES", """
                /etc/kstuff.rc, $HOME/.kstuff.rc: options read before git config kstuff.options and the command line.

                $ROOT/$MACH/etc/conf/kstuff.d/bundle.Z: the bundle, unless a database file names another.
                """),
        ],
        SeeAlso = ["git-ksplice(1)", "git-notes(1)", "git-config(1)", "ssh_config(5)", "kstuff(1)"],
    };
}
