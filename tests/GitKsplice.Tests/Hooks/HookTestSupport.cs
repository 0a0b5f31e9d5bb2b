using System.Text.Json;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Hooks;

/// <summary>Shared steps of the hook tests: edits of the C tree, verdicts read as a user reads them.</summary>
internal static class HookTestSupport
{
    public static string SafeChange(TestRepo repo, string message = "fix greeting", string suffix = " + 1")
    {
        repo.Write("greet.c", CTree.Greet.Replace("return printf(\"hello, %s\\n\", name);", $"return printf(\"hello, %s\\n\", name){suffix};") + "\n");
        return repo.Commit(message);
    }

    /// <summary>
    /// Makes every build wait until the returned file exists: what returns while the build waits did not wait
    /// for it, with no clock involved.
    /// </summary>
    public static string HeldBuild(TestRepo repo)
    {
        var go = repo.Path(".git/test-go");
        repo.Git("config", "ksplice.buildCommand", $"while [ ! -e '{go}' ]; do sleep 0.05; done; make");
        return go;
    }

    public static void InstallHooks(TestRepo repo, string mode)
    {
        repo.Git("config", "ksplice.hook.mode", mode);
        var r = repo.Ksplice("hooks", "install");
        Assert.True(r.ExitCode == 0, r.All);
    }

    /// <summary>The ksplice note of a commit as `git log --notes=ksplice` prints it (empty when there is none).</summary>
    public static string NoteOf(TestRepo repo, string commit)
    {
        var log = repo.Git("log", "-1", "--notes=ksplice", "--format=%N", commit);
        return log.Trim();
    }

    public static JsonDocument Status(TestRepo repo)
    {
        var r = repo.Ksplice("status", "--json");
        Assert.True(r.ExitCode == 0, r.All);
        return JsonDocument.Parse(r.StdOut);
    }

    /// <summary>The verdict of a commit from `git ksplice status --json`, or null.</summary>
    public static string? VerdictOf(JsonDocument status, string commit) => VerdictOf(status.RootElement, commit);

    public static string? VerdictOf(JsonElement status, string commit) =>
        status.GetProperty("verdicts").EnumerateArray()
            .Where(v => v.GetProperty("commit").GetString() == commit)
            .Select(v => v.GetProperty("verdict").GetString())
            .FirstOrDefault();

    /// <summary>Polls `git ksplice status --json` until the condition holds; fails the test as a hang after the guard.</summary>
    public static JsonDocument WaitFor(TestRepo repo, Func<JsonElement, bool> condition, string what)
    {
        JsonDocument? status = null;
        try
        {
            HangGuard.Until(() =>
            {
                status?.Dispose();
                status = Status(repo);
                return condition(status.RootElement);
            }, what);
        }
        catch (TimeoutException e) { Assert.Fail($"{e.Message}; last status: {status?.RootElement}"); }
        return status!;
    }

    public static bool Idle(JsonElement status) =>
        status.GetProperty("running").ValueKind == JsonValueKind.Null && status.GetProperty("queued").ValueKind == JsonValueKind.Null;

    public static string? RunningCommit(JsonElement status) =>
        status.GetProperty("running") is { ValueKind: JsonValueKind.Object } running ? running.GetProperty("commit").GetString() : null;
}
