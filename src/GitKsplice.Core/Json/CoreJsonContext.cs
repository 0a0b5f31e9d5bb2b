using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using GitKsplice.Build;
using GitKsplice.Hooks;
using GitKsplice.Updates;

namespace GitKsplice.Json;

/// <summary>
/// The serializers of the files people and scripts read (manifest.json, the hook's job files) and the options
/// of every --json output: camelCase, indented. Generated at build time, so the tools need no reflection and
/// run under Native AOT.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(WireTimeConverter)])]
[JsonSerializable(typeof(Manifest))]
[JsonSerializable(typeof(JobRequest))]
[JsonSerializable(typeof(RunningJob))]
[JsonSerializable(typeof(JobOutcome))]
[JsonSerializable(typeof(PendingRecord))]
public sealed partial class CoreJsonContext : JsonSerializerContext
{
    private static CoreJsonContext? s_relaxed;

    /// <summary>
    /// The generated options plus the relaxed encoder, which the attribute cannot name: non-ASCII text and
    /// &lt;, &gt;, &amp;, ' are written as they are, as people expect to read them. Made on first use, once the
    /// generated Default (a static of the other half of this partial class) surely exists.
    /// </summary>
    public static CoreJsonContext Relaxed =>
        s_relaxed ??= new(new JsonSerializerOptions(Default.Options) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

/// <summary>
/// The build state files under the git dir, in the shape they have always had (PascalCase names, one line), so
/// state written by an earlier version still reads.
/// </summary>
[JsonSerializable(typeof(BuildTreeState))]
[JsonSerializable(typeof(SnapshotState))]
[JsonSerializable(typeof(LastBuild))]
internal sealed partial class StateJsonContext : JsonSerializerContext;
