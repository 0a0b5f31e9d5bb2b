using System.Text.RegularExpressions;
using System.Xml.Linq;
using GitKsplice.Tests.Cli;

namespace GitKsplice.Tests.Architecture;

/// <summary>
/// The layers of src/, as the compiler enforces them: a project references only projects of a lower layer, and
/// inside a project no two namespaces (folders) reach each other in a loop.
/// </summary>
public sealed partial class LayerTests
{
    /// <summary>Every project under src/ and its layer, lowest first. A new project is added here, at its layer.</summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["GitKsplice.Foundation"] = 0,
        ["GitKsplice.Git"] = 1,
        ["GitKsplice.Transport"] = 1,
        ["GitKsplice.Kernel"] = 2,
        ["GitKsplice.Ksplice"] = 3,
        ["GitKsplice.Kstuff"] = 3,
        ["GitKsplice.Cli"] = 4,
        ["git-ksplice"] = 5,
        ["git-kstuff"] = 5,
    };

    private static string Src => Path.Combine(InstalledTools.RepositoryRoot, "src");

    [Fact]
    public void Every_project_is_in_the_table_of_layers()
    {
        var projects = Directory.GetFiles(Src, "*.csproj", SearchOption.AllDirectories).Select(Path.GetFileNameWithoutExtension).Order();
        Assert.Equal(Layers.Keys.Order(), projects);
    }

    [Fact]
    public void A_project_references_only_projects_below_it()
    {
        var upward = new List<string>();
        foreach (var project in Layers.Keys)
        {
            var file = Path.Combine(Src, project, project + ".csproj");
            foreach (var reference in XDocument.Load(file).Descendants("ProjectReference"))
            {
                var target = Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/'));
                if (!Layers.TryGetValue(target, out var layer) || layer >= Layers[project]) upward.Add($"{project} -> {target}");
            }
        }
        Assert.Empty(upward);
    }

    [Fact]
    public void No_namespaces_reach_each_other_in_a_loop()
    {
        var uses = new Dictionary<string, HashSet<string>>();
        foreach (var file in Directory.GetFiles(Src, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")) continue;
            var text = File.ReadAllText(file);
            if (Namespace().Match(text) is not { Success: true } ns) continue;
            var set = uses.TryGetValue(ns.Groups[1].Value, out var s) ? s : uses[ns.Groups[1].Value] = [];
            foreach (Match u in Using().Matches(text))
                if (u.Groups[1].Value != ns.Groups[1].Value) set.Add(u.Groups[1].Value);
        }
        Assert.Empty(Loops(uses));
    }

    /// <summary>The namespaces on a loop, each as "A -> B -> … -> A" (a depth-first walk that meets a namespace still on its path).</summary>
    private static List<string> Loops(Dictionary<string, HashSet<string>> uses)
    {
        var loops = new List<string>();
        var done = new HashSet<string>();
        var path = new List<string>();
        void Walk(string ns)
        {
            if (path.IndexOf(ns) is var at && at >= 0) { loops.Add(string.Join(" -> ", path[at..].Append(ns))); return; }
            if (!done.Add(ns)) return;
            path.Add(ns);
            foreach (var next in uses.GetValueOrDefault(ns, [])) Walk(next);
            path.RemoveAt(path.Count - 1);
        }
        foreach (var ns in uses.Keys) Walk(ns);
        return loops;
    }

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^using (GitKsplice[\w.]*);", RegexOptions.Multiline)]
    private static partial Regex Using();
}
