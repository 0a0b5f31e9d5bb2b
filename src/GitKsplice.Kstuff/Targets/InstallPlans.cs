using GitKsplice.Processes;
using GitKsplice.Transport;

namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// The installs of kstuff(1) as reversible plans. Every path is a target path under the target's root.
/// </summary>
public static class InstallPlans
{
    /// <summary>
    /// kname other than unix: the staged tree becomes /etc/conf.K (the old one set aside) and, when a
    /// kernel was built, it becomes /stand/K.
    /// </summary>
    public static InstallPlan Named(KernelHost target, TargetLayout layout, bool moveTree, bool installKernel)
    {
        var plan = new InstallPlan()
            .Variable("B", target.PathOf(layout.StagingTree))
            .Variable("C", target.PathOf(layout.ConfTree))
            .Variable("ST", target.PathOf(TargetLayout.StandDir))
            .Variable("K", layout.Kname);
        if (moveTree)
        {
            plan.Step($"set aside the old {layout.ConfTree}",
                """
                if [ -e "$C" ]; then mv "$C" "$W/conf"; fi
                """,
                """
                if [ -e "$W/conf" ] && [ ! -e "$C" ]; then mv "$W/conf" "$C"; fi
                """);
            plan.Step($"move the new tree to {layout.ConfTree}",
                """
                mv "$B" "$C"
                : > "$W/moved-tree"
                """,
                """
                if [ -e "$W/moved-tree" ]; then mv "$C" "$B"; fi
                """);
        }
        if (installKernel)
            AddKernelInstall(plan, layout.Kname, "$C");
        plan.Commit = """
            rm -rf "$W/conf"
            rm -f "$ST/.$K.kstuff-old"
            """;
        return plan;
    }

    /// <summary>
    /// kname unix, the man page's rotation: /etc/conf.unix.old goes, /etc/conf becomes it (its include.d
    /// saved from /usr/include), the new include files go into /usr/include, /stand/unix becomes
    /// /stand/unix.old, /etc/.kbundle becomes /etc/conf, idtools move in if missing, the kernel becomes
    /// /stand/unix.
    /// </summary>
    public static InstallPlan UnixRotation(KernelHost target)
    {
        var plan = new InstallPlan()
            .Variable("B", target.PathOf("/etc/.kbundle"))
            .Variable("C", target.PathOf("/etc/conf"))
            .Variable("O", target.PathOf(TargetLayout.OldConf))
            .Variable("U", target.PathOf(TargetLayout.SystemIncludes))
            .Variable("ST", target.PathOf(TargetLayout.StandDir))
            .Variable("K", "unix")
            .Variable("TR", target.Address.Root);
        plan.Step("remove the old /etc/conf.unix.old",
            """
            if [ -e "$O" ]; then mv "$O" "$W/conf.unix.old"; fi
            """,
            """
            if [ -e "$W/conf.unix.old" ] && [ ! -e "$O" ]; then mv "$W/conf.unix.old" "$O"; fi
            """);
        plan.Step("rename /etc/conf to /etc/conf.unix.old",
            """
            if [ -e "$C" ]; then mv "$C" "$O"; : > "$W/moved-conf"; fi
            """,
            """
            if [ -e "$W/moved-conf" ]; then mv "$O" "$C"; fi
            """);
        plan.Step("save the kernel include files into /etc/conf.unix.old/include.d",
            """
            if [ -d "$B/include.d" ] && [ -d "$O" ] && [ ! -e "$O/include.d" ]; then
              : > "$W/made-include"
              mkdir "$O/include.d"
              (cd "$B/include.d" && find . -type f -print) | while IFS= read -r f; do
                if [ -f "$U/$f" ]; then
                  mkdir -p "$O/include.d/$(dirname "$f")" && cp -p "$U/$f" "$O/include.d/$f" || exit 1
                fi
              done
            fi
            """,
            """
            if [ -e "$W/made-include" ]; then rm -rf "$O/include.d"; fi
            """);
        plan.Step("install the kernel include files into /usr/include",
            """
            if [ -d "$B/include.d" ]; then
              # Under a root (an image), nothing is written through a link that leads out of it.
              RP=; if [ -n "$TR" ]; then RP=$(cd -P "$TR" && pwd -P) || exit 1; fi
              inside() {
                [ -n "$RP" ] || return 0
                p=$(cd -P "$1" && pwd -P) || return 1
                case $p/ in "$RP"/*) return 0 ;; esac
                echo "kstuff: $1 leads to $p, outside the target's root $TR"; return 1
              }
              : > "$W/inc-new"; : > "$W/inc-dirs"; mkdir -p "$W/inc-old"
              (cd "$B/include.d" && find . -type d -print) | while IFS= read -r d; do
                if [ -d "$U/$d" ]; then inside "$U/$d" || exit 1
                else echo "$d" >> "$W/inc-dirs" && mkdir -p "$U/$d" || exit 1; fi
              done
              (cd "$B/include.d" && find . -type f -print) | while IFS= read -r f; do
                if [ -n "$RP" ] && [ -L "$U/$f" ]; then echo "kstuff: $U/$f is a symbolic link: not written through"; exit 1; fi
                if [ -e "$U/$f" ]; then
                  mkdir -p "$W/inc-old/$(dirname "$f")" && cp -p "$U/$f" "$W/inc-old/$f" || exit 1
                else
                  echo "$f" >> "$W/inc-new" || exit 1
                fi
                cp -p "$B/include.d/$f" "$U/$f" || exit 1
              done
            fi
            """,
            """
            if [ -e "$W/inc-new" ]; then while IFS= read -r f; do rm -f "$U/$f"; done < "$W/inc-new"; fi
            if [ -d "$W/inc-old" ]; then
              (cd "$W/inc-old" && find . -type f -print) | while IFS= read -r f; do cp -p "$W/inc-old/$f" "$U/$f"; done
            fi
            if [ -e "$W/inc-dirs" ]; then sort -r "$W/inc-dirs" | while IFS= read -r d; do rmdir "$U/$d" 2>/dev/null; done; fi
            true
            """);
        AddKernelRotation(plan);
        plan.Step("rename /etc/.kbundle to /etc/conf",
            """
            if [ -e "$C" ]; then echo "/etc/conf is in the way"; exit 1; fi
            mv "$B" "$C"
            : > "$W/moved-bundle"
            """,
            """
            if [ -e "$W/moved-bundle" ]; then mv "$C" "$B"; fi
            """);
        plan.Step("move the idtools in from /etc/conf.unix.old",
            """
            if [ ! -d "$C/bin" ] && [ -d "$O/bin" ]; then mv "$O/bin" "$C/bin"; : > "$W/moved-bin"; fi
            """,
            """
            if [ -e "$W/moved-bin" ]; then mv "$C/bin" "$O/bin"; fi
            """);
        AddKernelInstall(plan, "unix", "$C");
        plan.Commit = """
            rm -rf "$W/conf.unix.old"
            rm -f "$ST/.unix.old.kstuff-old" "$ST/.unix.kstuff-old"
            """;
        return plan;
    }

    /// <summary>
    /// -I or -Q with kname unix when the tree is already /etc/conf: only the kernels rotate,
    /// /stand/unix to /stand/unix.old and the new one to /stand/unix.
    /// </summary>
    public static InstallPlan UnixKernelOnly(KernelHost target)
    {
        var plan = new InstallPlan()
            .Variable("C", target.PathOf("/etc/conf"))
            .Variable("ST", target.PathOf(TargetLayout.StandDir))
            .Variable("K", "unix");
        AddKernelRotation(plan);
        AddKernelInstall(plan, "unix", "$C");
        plan.Commit = """
            rm -f "$ST/.unix.old.kstuff-old" "$ST/.unix.kstuff-old"
            """;
        return plan;
    }

    /// <summary>
    /// Last step: idmknod makes the nodes of the source-only drivers from the installed tree $C. It removes
    /// no node; if it fails, the nodes it made are removed again (those not there before it ran).
    /// </summary>
    public static InstallPlan WithDeviceNodes(this InstallPlan plan, KernelHost target, string configuredIdbuild, IReadOnlyList<string> drivers)
    {
        if (drivers.Count == 0) return plan;
        plan.Variable("IDB", configuredIdbuild).Variable("SYSIDB", target.PathOf(TargetLayout.SystemIdbuild)).Variable("DEV", target.PathOf(TargetLayout.DevDir));
        var args = string.Join(' ', drivers.Select(d => "-M " + PosixShell.Quote(d)));
        plan.Step("make the device nodes (idmknod)",
            $$"""
            (find "$DEV" -print 2>/dev/null || :) | sort > "$W/dev-before"
            S=$C
            set -- {{args}}
            {{RemoteScripts.MakeNodesBody}}
            """,
            """
            if [ -e "$W/dev-before" ]; then
              find "$DEV" -print 2>/dev/null | sort > "$W/dev-after"
              comm -13 "$W/dev-before" "$W/dev-after" | sort -r | while IFS= read -r p; do
                if [ -d "$p" ]; then rmdir "$p"; else rm -f "$p"; fi
              done
            fi
            true
            """);
        return plan;
    }

    private static void AddKernelRotation(InstallPlan plan) =>
        plan.Step("rename /stand/unix to /stand/unix.old",
            """
            if [ -e "$ST/unix.old" ]; then mv "$ST/unix.old" "$ST/.unix.old.kstuff-old"; : > "$W/moved-unix.old"; fi
            if [ -e "$ST/unix" ]; then mv "$ST/unix" "$ST/unix.old"; : > "$W/moved-unix"; fi
            """,
            """
            if [ -e "$W/moved-unix" ]; then mv "$ST/unix.old" "$ST/unix"; fi
            if [ -e "$W/moved-unix.old" ]; then mv "$ST/.unix.old.kstuff-old" "$ST/unix.old"; fi
            """);

    /// <summary>Copies tree/cf.d/unix to /stand/K through a temporary name, keeping the old kernel until commit.</summary>
    private static void AddKernelInstall(InstallPlan plan, string kname, string tree) =>
        plan.Step($"install the kernel as /stand/{kname}",
            $$"""
            if [ ! -d "$ST" ]; then echo "$ST is not a directory"; exit 1; fi
            cp "{{tree}}/cf.d/unix" "$ST/.$K.kstuff-new"
            if [ -e "$ST/$K" ]; then mv "$ST/$K" "$ST/.$K.kstuff-old"; : > "$W/moved-kernel"; fi
            mv "$ST/.$K.kstuff-new" "$ST/$K"
            : > "$W/new-kernel"
            """,
            """
            rm -f "$ST/.$K.kstuff-new"
            if [ -e "$W/new-kernel" ]; then rm -f "$ST/$K"; fi
            if [ -e "$W/moved-kernel" ]; then mv "$ST/.$K.kstuff-old" "$ST/$K"; fi
            """);
}
