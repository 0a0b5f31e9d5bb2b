using GitKsplice.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Analysis;

/// <summary>
/// Small patches to real kernel sources (Debian's linux-source-6.1, e.g. built with make tinyconfig and
/// KCFLAGS="-ffunction-sections -fdata-sections"), compiled with the tree's own commands and compared.
/// Runs on the tree the Linux tests build (or the one GKS_LINUX_TREE names).
/// </summary>
[Trait(TestCategory.Name, TestCategory.Linux)]
[Collection(LinuxTreeCollection.Name)]
public sealed class LinuxKernelObjectTests : IDisposable
{
    private const string Fork = "kernel/fork.c";
    private readonly KernelTreeObjects _kernel = new();
    private readonly ElfObjectAnalyzer _analyzer = new();

    public void Dispose() => _kernel.Dispose();

    private ObjectComparison Patch(string file, Func<string, string> change)
    {
        var source = _kernel.Source(file);
        var patched = change(source);
        Assert.NotEqual(source, patched);
        return _analyzer.Compare(_kernel.Compile(file, source), _kernel.Compile(file, patched));
    }

    private static Func<string, string> Replace(string old, string @new) => s =>
    {
        Assert.Contains(old, s);
        return s.Replace(old, @new);
    };

    [Fact]
    public void Unchanged_source_compiles_to_an_identical_analysis()
    {
        var source = _kernel.Source(Fork);
        var r = _analyzer.Compare(_kernel.Compile(Fork, source), _kernel.Compile(Fork, source));
        Assert.False(r.HasFunctionalChange);
        Assert.Empty(r.Details);
    }

    [Fact]
    public void A_body_change_in_fork_c_is_that_function_only()
    {
        var r = Patch(Fork, Replace("\tint total = 0;\n\n\tfor_each_possible_cpu(cpu)", "\tint total = 1;\n\n\tfor_each_possible_cpu(cpu)"));
        Assert.Equal(["nr_processes"], r.Changed);
        Assert.Empty(r.New);
        Assert.Empty(r.Removed);
        Assert.Empty(r.Unsafe);
    }

    [Fact]
    public void Blank_lines_above_fork_c_functions_are_not_a_functional_change()
    {
        // Every WARN_ON, BUG_ON and friend below moves by two lines.
        var r = Patch(Fork, Replace("int nr_processes(void)\n", "\n\nint nr_processes(void)\n"));
        Assert.False(r.HasFunctionalChange, string.Join("\n", r.Details.Select(d => $"{d.Status} {d.Symbol}: {d.Reason}")));
        Assert.Empty(r.Unsafe);
    }

    [Fact]
    public void A_new_initial_value_for_existing_data_in_fork_c_is_unsafe()
    {
        var r = Patch(Fork, Replace("static int max_threads;", "static int max_threads = 1;"));
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("max_threads", finding.Symbol);
        Assert.Equal("section-changed", finding.Kind);
        Assert.Contains("moved from section .bss to .data", finding.Reason);
    }

    [Fact]
    public void A_changed_init_function_in_fork_c_is_unsafe()
    {
        var r = Patch(Fork, Replace("void __init fork_init(void)\n{\n\tint i;\n", "void __init fork_init(void)\n{\n\tint i;\n\ttotal_forks += 3;\n"));
        var finding = Assert.Single(r.Unsafe);
        Assert.Equal("init-changed", finding.Kind);
        Assert.Equal("fork_init", finding.Symbol);
        Assert.Empty(r.Changed);
    }

    [Fact]
    public void A_changed_meminfo_label_is_a_string_change_of_meminfo_proc_show()
    {
        var r = Patch("fs/proc/meminfo.c", Replace("\"MemTotal:       \"", "\"MemTotal(all):  \""));
        Assert.Equal(["meminfo_proc_show"], r.Changed);
        var reason = r.Details.Single().Reason!;
        Assert.Contains("MemTotal:", reason);
        Assert.Contains("MemTotal(all):", reason);
    }

    [Fact]
    public void Blank_lines_at_the_top_of_page_alloc_c_are_not_a_functional_change()
    {
        var r = Patch("mm/page_alloc.c", s => s.Replace("#include <linux/stddef.h>\n", "#include <linux/stddef.h>\n\n\n\n"));
        Assert.False(r.HasFunctionalChange, string.Join("\n", r.Details.Select(d => $"{d.Status} {d.Symbol}: {d.Reason}")));
    }

    [Fact]
    public void A_new_static_helper_in_exit_c_is_new_and_its_caller_changed()
    {
        var r = Patch("kernel/exit.c", Replace("SYSCALL_DEFINE1(exit, int, error_code)\n{\n\tdo_exit((error_code&0xff)<<8);",
            "static noinline int exit_code_of(int error_code)\n{\n\treturn (error_code & 0xff) << 8;\n}\n\nSYSCALL_DEFINE1(exit, int, error_code)\n{\n\tdo_exit(exit_code_of(error_code));"));
        Assert.Equal(["exit_code_of"], r.New);
        Assert.NotEmpty(r.Changed);
        Assert.All(r.Changed, name => Assert.Contains("sys_exit", name));
        Assert.Empty(r.Unsafe);
    }

    [Fact]
    public void Blank_lines_above_might_sleep_in_fork_c_are_line_number_only_changes()
    {
        var r = Patch(Fork, Replace("int nr_processes(void)\n", "\n\nint nr_processes(void)\n"));
        Assert.False(r.HasFunctionalChange, string.Join("\n", r.Details.Select(d => $"{d.Status} {d.Symbol}: {d.Reason}")));
        var mmput = Assert.Single(r.LineOnly, l => l.Symbol == "mmput");
        Assert.Contains("__might_sleep", mmput.Reason);
    }

    [Fact]
    public void Every_kernel_object_of_the_tree_compared_with_itself_is_no_change()
    {
        // The whole tree, not one file: the accounting of every byte walks every section kind the kernel has
        // (it once failed on assembler objects, whose referred-to places were recorded out of order).
        var compared = 0;
        var problems = new List<string>();
        foreach (var command in Directory.EnumerateFiles(KernelTreeObjects.Tree, ".*.o.cmd", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(command);
            var obj = Path.Combine(Path.GetDirectoryName(command)!, name[1..^".cmd".Length]);
            if (!File.Exists(obj)) continue;
            // Code not in a section per function (host tools, init/ which turns the flag off again, assembler
            // with several functions in .text) is refused, as it should be; anything else must compare.
            var line = File.ReadLines(command).First();
            var sectioned = line.LastIndexOf(" -ffunction-sections", StringComparison.Ordinal) > line.LastIndexOf(" -fno-function-sections", StringComparison.Ordinal);
            var assembler = line.Contains(" -D__ASSEMBLY__", StringComparison.Ordinal);
            try
            {
                var r = _analyzer.Compare(obj, obj);
                if (r.HasFunctionalChange || r.Details.Count > 0) problems.Add($"{obj}: {string.Join("; ", r.Details.Select(d => $"{d.Status} {d.Symbol}"))}");
                compared++;
            }
            catch (ObjectFormatException) when (!sectioned || assembler) { }
            catch (Exception e) { problems.Add($"{obj}: {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(compared > 300, $"only {compared} objects in {KernelTreeObjects.Tree}");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
