using System.Text;
using System.Text.Json;
using GitKsplice.Reporting;
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

    /// <summary>The verdict is said in the words create and the hook use for the same findings.</summary>
    [Fact]
    public void The_json_verdict_is_a_word_of_the_one_verdict_table()
    {
        var (o, p) = _cc.Pair(Source, Source.Replace("x * 2", "x * 4"));
        Assert.Equal("hot-patchable", JsonDocument.Parse(Diff(o, p, "--json").StdOut).RootElement.GetProperty("verdict").GetString());
        var same = _cc.Compile(Source);
        Assert.Equal("no-code-change", JsonDocument.Parse(Diff(same, same, "--json").StdOut).RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public void The_json_output_stays_as_it_is()
    {
        const string original = """
            extern void __might_sleep(const char *, int);
            int limit = 3;
            static const int steps[4] = { 1, 2, 3, 4 };
            int check(int x) { return x > limit; }
            int twice(int x) { return x * 2; }
            int step(int i) { return steps[i & 3]; }
            int gone(void) { return 7; }
            /*LINE*/
            void nap(void) { __might_sleep(__FILE__, __LINE__); }
            """;
        var patched = original.Replace("x * 2", "x * 4").Replace("limit = 3", "limit = 4").Replace("3, 4 }", "3, 5 }")
            .Replace("int gone(void) { return 7; }", "int extra(void) { return 1; }").Replace("/*LINE*/", "\n");
        // One file name for both versions, so __FILE__ is the same string.
        var o = _cc.Compile(original, name: "a/unit");
        var p = _cc.Compile(patched, name: "b/unit");
        var r = Diff(o, p, "--json");
        Assert.Equal(ExitCodes.Unsafe, r.ExitCode);
        using var doc = JsonDocument.Parse(r.StdOut);
        var root = doc.RootElement;
        Golden.Check("diff-objects.json", Golden.Normalise(r.StdOut, [(_cc.Directory, "<objects>")]));
        Assert.Equal("unsafe", root.GetProperty("verdict").GetString());
        Assert.Equal(o, root.GetProperty("original").GetString());
        Assert.Equal(["step", "twice"], root.GetProperty("changed").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["extra"], root.GetProperty("new").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["gone"], root.GetProperty("removed").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal("nap", root.GetProperty("lineOnly")[0].GetProperty("symbol").GetString());
        var carried = root.GetProperty("carried")[0];
        Assert.Equal("step", carried.GetProperty("function").GetString());
        Assert.Equal(["steps"], carried.GetProperty("data").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(3, root.GetProperty("functionCount").GetInt32());
        var detail = root.GetProperty("details").EnumerateArray().First(d => d.GetProperty("symbol").GetString() == "twice");
        Assert.Equal("changed", detail.GetProperty("status").GetString());
        Assert.Equal("function", detail.GetProperty("kind").GetString());
    }

    [Fact]
    public void A_fifo_is_refused_by_its_type_without_waiting_for_a_writer()
    {
        var good = _cc.Compile(Source);
        var fifo = Path.Combine(_cc.Directory, "pipe.o");
        Assert.Equal(0, ProcessRunner.Run(_cc.Directory, "mkfifo", [fifo]).ExitCode);
        // A wait on the FIFO, which has no writer, never ends: ProcessRunner's hang guard fails it.
        var r = ProcessRunner.Run(_repo.Root, "git", ["ksplice", "diff-objects", good, fifo]);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal($"fatal: {fifo}: not a regular file (a FIFO, socket or device), not an object file\n", r.StdErr);
    }

    [Fact]
    public void An_object_above_the_size_limit_is_refused_without_reading_it()
    {
        var good = _cc.Compile(Source);
        var huge = Path.Combine(_cc.Directory, "huge.o");
        using (var f = File.Create(huge)) f.SetLength(3L << 30); // sparse: takes no disk space
        var r = Diff(good, huge);
        Assert.Equal(ExitCodes.Error, r.ExitCode);
        Assert.Equal($"fatal: {huge}: 3072 MiB is larger than the 1 GiB an object file of one translation unit can be; not compared\n", r.StdErr);
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

    /// <summary>An object of <paramref name="functions"/> functions, each in its own section, assembled by gcc; f17 differs by <paramref name="delta"/>.</summary>
    private string Assembled(string name, int functions, int delta)
    {
        var source = new StringBuilder();
        for (var i = 0; i < functions; i++)
            source.Append($"\t.section .text.f{i},\"ax\",@progbits\n\t.globl f{i}\n\t.type f{i}, @function\nf{i}:\n")
                .Append($"\tleal {i + (i == 17 ? delta : 0)}(%rdi), %eax\n\tret\n\t.size f{i}, .-f{i}\n");
        var asm = Path.Combine(_repo.Root, name + ".s");
        File.WriteAllText(asm, source.ToString());
        var obj = Path.Combine(_repo.Root, name + ".o");
        var gcc = ProcessRunner.Run(_repo.Root, "gcc", ["-c", asm, "-o", obj]);
        Assert.True(gcc.ExitCode == 0, gcc.All);
        return obj;
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_comparison_of_large_objects_stops_on_a_signal(string signal)
    {
        // 200 000 functions: seconds of analysis, which used to run to its end (exit 0) after SIGTERM or ^C.
        string[] objects = new string[2];
        Parallel.For(0, 2, i => objects[i] = Assembled(i == 0 ? "large-pre" : "large-post", 200_000, i));
        var psi = ProcessRunner.ToolWithDefaultSignals("git-ksplice", ["diff-objects", objects[0], objects[1]]);
        psi.WorkingDirectory = _repo.Root;
        var (full, work) = ProcessRunner.RunMeasuringWork(psi);
        Assert.True(full.ExitCode == ExitCodes.Success, full.All);
        Assert.Equal("changed    f17\tcode differs at +0x2\n", full.StdOut);

        // A quarter of the whole comparison's work in: well inside the analysis, far from its end.
        var stopped = await ProcessRunner.InterruptedPartWay(psi, work / 4, signal);
        Assert.Equal(ExitCodes.Interrupted, stopped.ExitCode);
        Assert.Equal("fatal: interrupted\n", stopped.StdErr);
        Assert.Equal("", stopped.StdOut);
    }
}
