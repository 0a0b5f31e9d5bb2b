using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Kstuff.Delivery;

/// <summary>
/// A developer's world for git kstuff: a git repository, a cross-environment build tree at $ROOT/$MACH and
/// a UnixWare-like target root (its /etc/conf, /stand, /usr/include, /dev and the stand-in idtools), reached
/// through the test sshd or as a local directory.
/// </summary>
public sealed class DeliveryWorld : IDisposable
{
    private readonly TempDir _dir = new();
    public TestRepo Repo { get; } = new();
    public string Root => _dir["cross"];
    public const string Mach = "i386at";
    public string BuildTree => Path.Combine(Root, Mach);
    public ConfTreeWriter Source { get; }
    public string TargetRoot => _dir["target"];
    public ConfTreeWriter TargetConf { get; }
    public string Home => _dir["home"];
    private readonly SshServer? _sshd;

    /// <summary>
    /// The stand-in idbuild: records its arguments and $ROOT/$MACH in /var/idbuild.log of the target, fails
    /// like a link error when a Driver.o says BROKEN, waits for a drop when one says SLOW, and writes a
    /// "kernel" listing the configured drivers and the hash of every Driver.o to the -O file. (SLOW: it
    /// waits until /var/idbuild.go exists, at most an hour: longer than the tests' hang guard, so a step left
    /// running on the target fails as a hang.)
    /// </summary>
    public const string StandInIdbuild = """
        #!/bin/sh
        tree=$ROOT/$MACH/etc/conf
        log=$(cd -P "$tree" && cd ../.. && pwd -P)/var/idbuild.log
        mkdir -p "$(dirname "$log")"
        echo "idbuild $* ROOT=$ROOT MACH=$MACH" >> "$log"
        out=
        while [ $# -gt 0 ]; do
          case $1 in -O) out=$2; shift ;; -I) shift ;; esac
          shift
        done
        [ -n "$out" ] || { echo "idbuild: no -O" >&2; exit 2; }
        echo "idbuild: configuring"
        if grep -l BROKEN "$tree"/pack.d/*/Driver.o >/dev/null 2>&1; then
          echo "ld: undefined symbol broken_init in $(grep -l BROKEN "$tree"/pack.d/*/Driver.o | head -n 1)" >&2
          exit 2
        fi
        if grep -l SLOW "$tree"/pack.d/*/Driver.o >/dev/null 2>&1; then
          echo $$ > "$(dirname "$log")/idbuild.slow"
          i=0
          while [ $i -lt 36000 ] && [ ! -e "$(dirname "$log")/idbuild.go" ]; do sleep 0.1; i=$((i + 1)); done
        fi
        {
          echo "KERNEL"
          for f in "$tree"/sdevice.d/*; do
            if grep -q '^[A-Za-z_0-9]*[	 ][	 ]*Y' "$f"; then echo "configured $(basename "$f")"; fi
          done
          for f in "$tree"/pack.d/*/Driver.o; do echo "object $(basename "$(dirname "$f")") $(cksum < "$f")"; done
        } > "$out"
        echo "idbuild: kernel written"
        """;

    /// <summary>The stand-in idmknod: records its arguments and makes a plain file for each node of each -M driver.</summary>
    public const string StandInIdmknod = """
        #!/bin/sh
        log=$(cd "$(dirname "$0")/../../.." && pwd -P)/var/idmknod.log
        echo "idmknod $*" >> "$log"
        dev= conf=
        while [ $# -gt 0 ]; do
          case $1 in
            -o) dev=$2; shift ;;
            -r) conf=$2; shift ;;
            -M) if [ -f "$conf/node.d/$2" ]; then
                  while read -r mod node type minor rest; do
                    [ -e "$dev/$node" ] || echo "$type $minor" > "$dev/$node"
                  done < "$conf/node.d/$2"
                fi
                shift ;;
          esac
          shift
        done
        """;

    public DeliveryWorld(SshServer? sshd = null)
    {
        _sshd = sshd;
        Directory.CreateDirectory(Home);
        Source = new ConfTreeWriter(Path.Combine(BuildTree, "etc", "conf"));
        TargetConf = new ConfTreeWriter(Path.Combine(TargetRoot, "etc", "conf"));

        // The source: a driver the target has too, the kerntp ktest, and two more only the source has.
        Source.Driver("foo", "ocH", cmaj: "40", driverO: "foo object v1\n");
        Source.Driver("ktest", "ocr", cmaj: "60", node: "ktest\tktest\tc\t0\n", driverO: "ktest object\n");
        Source.Driver("newdrv", "oc", cmaj: "61", node: "newdrv\tnewdrv0\tc\t0\n", driverO: "newdrv object\n");
        Source.Driver("srcdrv", "o", driverO: "srcdrv object\n");
        Source.File("cf.d/mdevice.tmp", "left over\n");
        Write(Path.Combine(BuildTree, "usr/include/sys/kstuff.h"), "#define KSTUFF 2\n");

        // The target: foo with majors of its own, a hardware driver and a software one only it has.
        TargetConf.Driver("foo", "ocH", cmaj: "41", driverO: "target foo object\n");
        TargetConf.Driver("hwonly", "hc", cmaj: "42", driverO: "hw object\n");
        TargetConf.Driver("swonly", "o", driverO: "sw object\n");
        TargetConf.File("init.d/hwonly", "hwonly init\n").File("rc.d/hwonly", "rc\n").File("sd.d/hwonly", "sd\n");
        TargetConf.File("cf.d/res_major", "c 41 foo\n").File("cf.d/stune", "NPROC 400\n");
        TargetConf.File("cf.d/unix", "installed kernel build output\n");
        Executable(Path.Combine(TargetConf.Root, "bin/idbuild"), StandInIdbuild);
        Executable(Path.Combine(TargetConf.Root, "bin/idmknod"), StandInIdmknod);
        Write(Path.Combine(TargetRoot, "stand/unix"), "the running kernel\n");
        Write(Path.Combine(TargetRoot, "usr/include/sys/kstuff.h"), "#define KSTUFF 1\n");
        Directory.CreateDirectory(Path.Combine(TargetRoot, "dev"));
        Directory.CreateDirectory(Path.Combine(TargetRoot, "var"));

        Repo.Write("driver/foo.c", "int foo;\n");
        Repo.Commit("first build");
        if (sshd != null) Repo.Git("config", "kstuff.sshCommand", sshd.SshCommand);
    }

    /// <summary>The host operand that reaches the target over ssh, with a kname.</summary>
    public static string Host(string kname) => SshServer.HostAlias + ":" + kname;

    /// <summary>Runs git kstuff as a developer in the cross environment would, with no rc files but those given.</summary>
    public RunResult Kstuff(string[] args, string? stdin = null, bool viaSsh = true, IDictionary<string, string?>? env = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ROOT"] = Root,
            ["MACH"] = Mach,
            ["HOME"] = Home,
            ["LOGNAME"] = "tester",
            ["KSTUFF_SYSTEM_RC"] = "",
        };
        if (env != null) foreach (var (k, v) in env) environment[k] = v;
        string[] full = viaSsh ? ["kstuff", "--target-root", TargetRoot, .. args] : ["kstuff", .. args];
        return ProcessRunner.Run(Repo.Root, "git", full, environment, stdin ?? "");
    }

    public string Target(string relative) => Path.Combine(TargetRoot, relative);
    public string ReadTarget(string relative) => File.ReadAllText(Target(relative));

    /// <summary>The target's files, but for the stand-in tools' own logs under /var.</summary>
    public SortedDictionary<string, string> TargetSnapshot()
    {
        var s = TreeSnapshot.Take(TargetRoot);
        foreach (var key in s.Keys.Where(k => k == "var" || k.StartsWith("var/", StringComparison.Ordinal) || k.StartsWith("etc/.kstuff-install.", StringComparison.Ordinal)).ToList())
            s.Remove(key);
        return s;
    }

    public static void Write(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public static void Executable(string path, string content)
    {
        Write(path, content.Replace("\r", "") + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
    }

    public void Dispose()
    {
        Repo.Dispose();
        _dir.Dispose();
    }
}
