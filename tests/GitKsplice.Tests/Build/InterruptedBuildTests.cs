using System.Diagnostics;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Build;

/// <summary>
/// A create killed while its build runs leaves objects half made: written by the compiler, without the record
/// git-ksplice's compiler wrapper writes once an object's compiles are done. The next create must build them
/// again, not take them for objects compiled without the wrapper.
/// </summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public class InterruptedBuildTests
{
    [Fact]
    public async Task A_create_killed_between_an_objects_compile_and_its_record_does_not_poison_the_next()
    {
        using var repo = CTree.Create(markPre: false);
        // Objects make keeps when a build is killed (as it would a half-written one in flight when the compile
        // outlives make, or is started as make is signalled).
        repo.Write("Makefile", CTree.Makefile.Replace("\r", "") + "\n.PRECIOUS: %.o\n");
        repo.Commit("objects are precious");
        Assert.Equal(0, repo.Ksplice("series", "set", "HEAD").ExitCode);
        using var scratch = new TempDir();
        // A compiler whose sectioned compiles (the wrapper's second compile of each object) hang while the file
        // "slow" exists: the build's own compile of greet.o is done, its record not yet written.
        var slow = scratch["slow"];
        var started = scratch["sectioned-compile-started"];
        var compiler = scratch["slow-gcc"];
        // By its path: on the build's PATH, gcc is git-ksplice's wrapper, which runs this compiler.
        var gcc = ProcessRunner.Run("/", "sh", ["-c", "command -v gcc"]).StdOut.Trim();
        File.WriteAllText(compiler, $"""
            #!/bin/sh
            '{gcc}' "$@" || exit
            case " $* " in *" -ffunction-sections "*)
              if [ -e '{slow}' ]; then touch '{started}'; exec sleep 600; fi ;;
            esac
            """.Replace("\r", ""));
        File.SetUnixFileMode(compiler, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        repo.Git("config", "ksplice.compiler", compiler);
        var prebuild = repo.Ksplice("create", "--prebuild");
        Assert.True(prebuild.ExitCode == 0, prebuild.All);
        var treeObject = repo.Path(".git/ksplice/build/tree/greet.o");
        var preBuilt = File.GetLastWriteTimeUtc(treeObject);
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"HELLO", "return 3 * printf(\"HELLO") + "\n");
        var commit = repo.Commit("change");

        File.WriteAllText(slow, "");
        var psi = ProcessRunner.ToolWithDefaultSignals("git-ksplice", ["create", "--id", "killed", commit]);
        psi.WorkingDirectory = repo.Root;
        psi.RedirectStandardError = true;
        psi.RedirectStandardOutput = true;
        using (var killed = Process.Start(psi)!)
        {
            var stderr = killed.StandardError.ReadToEndAsync();
            var deadline = DateTime.UtcNow.AddMinutes(10);
            while (!(File.Exists(started) && File.GetLastWriteTimeUtc(treeObject) != preBuilt) && !killed.HasExited && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Assert.True(File.Exists(started) && File.GetLastWriteTimeUtc(treeObject) != preBuilt,
                "the post build never compiled greet.o: " + (killed.HasExited ? await stderr : "still running"));
            Assert.Equal(0, ProcessRunner.Run(repo.Root, "kill", ["-TERM", killed.Id.ToString()]).ExitCode);
            Assert.True(killed.WaitForExit(600_000), "git ksplice did not stop after SIGTERM");
            Assert.NotEqual(0, killed.ExitCode);
        }
        File.Delete(slow);

        var next = repo.Ksplice("create", "--id", "next", commit);

        Assert.True(next.ExitCode == 0, next.All);
        Assert.DoesNotContain("compiled without", next.StdErr);
        Assert.True(File.Exists(repo.Path("ksplice-next.tar.gz")));
        Assert.Contains("shout", repo.Ksplice("show", "next").StdOut);
    }
}
