using GitKsplice.Tests.Cli;

namespace GitKsplice.Tests.Architecture;

/// <summary>
/// The test tree mirrors the source: the tests of src/GitKsplice.Kernel/Elf are in tests/GitKsplice.Tests/Elf.
/// A project's folders are its namespaces; a project without folders (GitKsplice.Cli) is one folder by its own
/// name. Kstuff's folders, whose names (Config, Options, Targets) say little alone, sit under Kstuff/.
/// </summary>
public sealed class TestLayoutTests
{
    private static string Src => Path.Combine(InstalledTools.RepositoryRoot, "src");
    private static string Tests => Path.Combine(InstalledTools.RepositoryRoot, "tests", "GitKsplice.Tests");

    [Fact]
    public void Every_source_folder_has_a_test_folder_of_the_same_name_with_tests_in_it()
    {
        var untested = new List<string>();
        foreach (var project in Directory.GetFiles(Src, "*.csproj", SearchOption.AllDirectories).Select(Path.GetDirectoryName))
        {
            var area = Path.GetFileName(project)!.Replace("GitKsplice.", "");
            var folders = Directory.GetDirectories(project!).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToList();
            foreach (var folder in folders.Count > 0 ? folders : [area])
            {
                var candidates = new[] { Path.Combine(Tests, folder!), Path.Combine(Tests, area, folder!) };
                if (!candidates.Any(dir => Directory.Exists(dir) && Directory.EnumerateFiles(dir, "*Tests.cs").Any()))
                    untested.Add(Path.GetRelativePath(Src, Path.Combine(project!, folder == area ? "" : folder!)));
            }
        }
        Assert.Empty(untested);
    }
}
