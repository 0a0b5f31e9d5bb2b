using GitKsplice.Reporting;
using GitKsplice.Vm;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GitKsplice.Tests.Support;

/// <summary>
/// The programs a test runs that a machine may lack, by the name it runs them by. scripts/install-test-deps.sh
/// installs every one.
/// </summary>
public static class Tool
{
    public const string Gcc = "gcc";
    public const string Ld = "ld";
    public const string Make = "make";
    public const string Aarch64Gcc = "aarch64-linux-gnu-gcc";
    public const string MipsGcc = "mips-linux-gnu-gcc";
    public const string Cpio = "cpio";
    public const string Patch = "patch";
    public const string Dash = "dash";
    public const string Busybox = "busybox";
    /// <summary>A statically linked busybox, the one a guest gets (Debian's busybox-static).</summary>
    public const string StaticBusybox = "busybox-static";
    public const string Pgrep = "pgrep";
    public const string Unshare = "unshare";

    /// <summary>
    /// Whether this machine has <paramref name="tool"/>: on PATH (the tests run programs by name), the busybox
    /// statically linked.
    /// </summary>
    public static bool Have(string tool) => tool == StaticBusybox ? HasStaticBusybox.Value : OnPath(tool);

    private static readonly Lazy<bool> HasStaticBusybox = new(() =>
    {
        try { VmTools.StaticBusybox(); return true; }
        catch (UserError) { return false; }
    });

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));
}

/// <summary>
/// What a test needing tools does where some are missing. Outside CI it is skipped, and the reason names the
/// tools in a form test.sh counts ("needs gcc, make; scripts/install-test-deps.sh installs them"); on CI (CI=true)
/// it fails instead, so that a CI machine that lost a package cannot silently lose the tests that use it.
/// </summary>
public static class Requirements
{
    private const string SkipPrefix = "needs ";
    private const string Installer = "scripts/install-test-deps.sh";

    public static bool OnCi => Environment.GetEnvironmentVariable("CI") == "true";

    public static IReadOnlyList<string> Missing(IEnumerable<string> tools) => tools.Distinct().Where(t => !Tool.Have(t)).ToList();

    public static string SkipReason(IReadOnlyList<string> missing) => $"{SkipPrefix}{string.Join(", ", missing)}; {Installs(missing)}";

    private static string CiFailure(IReadOnlyList<string> missing) =>
        $"CI=true and this machine lacks {string.Join(", ", missing)}: on CI a missing tool fails its tests ({Installs(missing)})";

    private static string Installs(IReadOnlyList<string> missing) => $"{Installer} installs {(missing.Count == 1 ? "it" : "them")}";

    /// <summary>The skip reason outside CI where tools are missing, else null (the test runs, or fails on CI).</summary>
    public static string? SkipOutsideCi(IEnumerable<string> tools) =>
        !OnCi && Missing(tools) is { Count: > 0 } missing ? SkipReason(missing) : null;

    internal static ExecutionErrorTestCase CiFailureCase(IMessageSink sink, ITestFrameworkDiscoveryOptions options, ITestMethod method, IReadOnlyList<string> missing) =>
        new(sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(), method, CiFailure(missing));
}

/// <summary>A fact that runs <see cref="Tools"/>: skipped where one is missing, failed on CI (<see cref="Requirements"/>).</summary>
[XunitTestCaseDiscoverer("GitKsplice.Tests.Support.RequiresFactDiscoverer", "GitKsplice.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresFactAttribute : FactAttribute
{
    public RequiresFactAttribute(params string[] tools)
    {
        Tools = tools;
        Skip = Requirements.SkipOutsideCi(tools);
    }

    public IReadOnlyList<string> Tools { get; }
}

/// <summary>
/// A theory that runs <see cref="Tools"/>, as <see cref="RequiresFactAttribute"/>. A data row that names a tool
/// (a compiler, say) needs that tool too: only that row is skipped where it is missing.
/// </summary>
[XunitTestCaseDiscoverer("GitKsplice.Tests.Support.RequiresTheoryDiscoverer", "GitKsplice.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresTheoryAttribute : TheoryAttribute
{
    public RequiresTheoryAttribute(params string[] tools)
    {
        Tools = tools;
        Skip = Requirements.SkipOutsideCi(tools);
    }

    public IReadOnlyList<string> Tools { get; }
}

public sealed class RequiresFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo fact)
    {
        var tools = ((RequiresFactAttribute)((IReflectionAttributeInfo)fact).Attribute).Tools;
        return Requirements.OnCi && Requirements.Missing(tools) is { Count: > 0 } missing
            ? [Requirements.CiFailureCase(DiagnosticMessageSink, options, method, missing)]
            : base.Discover(options, method, fact);
    }
}

public sealed class RequiresTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    private static readonly HashSet<string> Tools = typeof(Tool).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo theory)
    {
        var tools = ((RequiresTheoryAttribute)((IReflectionAttributeInfo)theory).Attribute).Tools;
        if (!Requirements.OnCi) return base.Discover(options, method, theory);
        // On CI the rows are discovered first, so that the tools their data names count as missing too.
        var cases = base.Discover(options, method, theory).ToList();
        var missing = Requirements.Missing(tools.Concat(cases.SelectMany(c => RowTools(c.TestMethodArguments))));
        return missing.Count == 0 ? cases : [Requirements.CiFailureCase(DiagnosticMessageSink, options, method, missing)];
    }

    protected override IEnumerable<IXunitTestCase> CreateTestCasesForDataRow(ITestFrameworkDiscoveryOptions options, ITestMethod method, IAttributeInfo theory, object[] dataRow) =>
        !Requirements.OnCi && Requirements.Missing(RowTools(dataRow)) is { Count: > 0 } missing
            ? CreateTestCasesForSkippedDataRow(options, method, theory, dataRow, Requirements.SkipReason(missing))
            : base.CreateTestCasesForDataRow(options, method, theory, dataRow);

    private static IEnumerable<string> RowTools(object[]? dataRow) => (dataRow ?? []).OfType<string>().Where(Tools.Contains);
}
