using System.Text.Json;
using GitKsplice.Cli;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>git ksplice diff-objects as a user runs it: through git, on objects gcc built; exit codes are the verdict.</summary>
[Trait(TestCategory.Name, TestCategory.EndToEnd)]
public sealed class DiffObjectsCommandTests : IDisposable
{
    private readonly CompiledObjects _cc = new();
    private readonly TestRepo _repo = new();

    public void Dispose()
    {
        _cc.Dispose();
        _repo.Dispose();
    }

    private const string Source = """
        int limit = 3;
        int check(int x) { return x > limit; }
        int twice(int x) { return x * 2; }
        """;

    private RunResult Diff(params string[] args) => _repo.Ksplice(["diff-objects", .. args]);

    [Fact]
    public void A_patchable_change_exits_0_and_lists_the_function()
    {
        var (o, p) = _cc.Pair(Source, Source.Replace("x * 2", "x * 4"));
        var r = Diff(o, p);
        Assert.Equal(ExitCodes.Success, r.ExitCode);
        Assert.Matches(@"^changed\s+twice\t\S.*\n$", r.StdOut);
        Assert.Equal("", r.StdErr);
    }

    [Fact]
    public void The_json_output_has_stable_keys()
    {
        var (o, p) = _cc.Pair(Source, Source.Replace("x * 2", "x * 4") + "int extra(void) { return 1; }\n");
        var r = Diff(o, p, "--json");
        Assert.Equal(ExitCodes.Success, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        var root = doc.RootElement;
        Assert.Equal(["original", "patched", "verdict", "changed", "new", "removed", "unsafe", "line_only", "details"],
            root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal("patchable", root.GetProperty("verdict").GetString());
        Assert.Equal(o, root.GetProperty("original").GetString());
        Assert.Equal(["twice"], root.GetProperty("changed").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["extra"], root.GetProperty("new").EnumerateArray().Select(e => e.GetString()!).ToArray());
        var detail = root.GetProperty("details").EnumerateArray().First(d => d.GetProperty("symbol").GetString() == "twice");
        Assert.Equal("changed", detail.GetProperty("status").GetString());
        Assert.Equal("function", detail.GetProperty("kind").GetString());
    }

    [Fact]
    public void An_unsafe_change_exits_2_and_explains_itself()
    {
        var (o, p) = _cc.Pair(Source, Source.Replace("limit = 3", "limit = 4"));
        var r = Diff(o, p, "--json");
        Assert.Equal(ExitCodes.Unsafe, r.ExitCode);
        var finding = JsonDocument.Parse(r.StdOut).RootElement.GetProperty("unsafe")[0];
        Assert.Equal("data-changed", finding.GetProperty("kind").GetString());
        Assert.Equal("limit", finding.GetProperty("symbol").GetString());
        Assert.Contains("initial contents", finding.GetProperty("reason").GetString());
        var text = Diff(o, p);
        Assert.Contains("unsafe     limit\tdata-changed: the initial contents of data object 'limit' changed", text.StdOut);
    }

    [Fact]
    public void No_functional_change_exits_3()
    {
        var (o, p) = _cc.Pair(Source, "/* a comment */\n" + Source);
        var r = Diff(o, p);
        Assert.Equal(ExitCodes.NoChange, r.ExitCode);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void Dev_null_stands_for_an_object_the_change_added()
    {
        var p = _cc.Compile(Source);
        var r = Diff("/dev/null", p, "--json");
        Assert.Equal(ExitCodes.Success, r.ExitCode);
        var root = JsonDocument.Parse(r.StdOut).RootElement;
        Assert.Equal(JsonValueKind.Null, root.GetProperty("original").ValueKind);
        Assert.Equal(["check", "twice"], root.GetProperty("new").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public void A_non_elf_file_is_one_fatal_line_and_exit_1()
    {
        var good = _cc.Compile(Source);
        var text = _repo.Write("notes.txt", "just text\n");
        var r = Diff(text, good);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal($"fatal: {text}: not an ELF file (bad magic number)\n", r.StdErr);
        Assert.Equal("", r.StdOut);
    }

    [Fact]
    public void A_truncated_object_is_one_fatal_line_and_exit_1()
    {
        var good = _cc.Compile(Source);
        var bytes = File.ReadAllBytes(good);
        var cut = Path.Combine(_cc.Directory, "cut.o");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 100)]);
        var r = Diff(good, cut);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Matches($"^fatal: {System.Text.RegularExpressions.Regex.Escape(cut)}: .*truncated.*\n$", r.StdErr);
    }

    [Fact]
    public void An_object_without_function_sections_is_refused_with_the_fix()
    {
        var (o, p) = _cc.Pair(Source, Source.Replace("x * 2", "x * 4"), "-O2");
        var r = Diff(o, p);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal($"fatal: {o}: built without -ffunction-sections (.text holds 2 functions: check, twice); rebuild with -ffunction-sections -fdata-sections\n", r.StdErr);
    }

    [Fact]
    public void A_linked_program_is_not_an_object()
    {
        var c = _repo.Write("prog.c", "int main(void) { return 0; }\n");
        var exe = _repo.Path("prog");
        Assert.Equal(0, ProcessRunner.Run(_repo.Root, "gcc", ["-o", exe, c]).ExitCode);
        var r = Diff(exe, exe);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Contains("not a relocatable object (ET_", r.StdErr);
    }

    [Fact]
    public void A_stripped_object_is_refused()
    {
        var o = _cc.Compile(Source);
        var stripped = Path.Combine(_cc.Directory, "stripped.o");
        Assert.Equal(0, ProcessRunner.Run(_cc.Directory, "strip", ["-o", stripped, o]).ExitCode);
        var r = Diff(o, stripped);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal($"fatal: {stripped}: has no symbol table (stripped?)\n", r.StdErr);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var r = Diff("/nonexistent/a.o", "/nonexistent/b.o");
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal("fatal: /nonexistent/a.o: no such file\n", r.StdErr);
    }
}
