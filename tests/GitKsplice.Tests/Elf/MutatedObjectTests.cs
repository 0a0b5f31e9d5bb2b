using GitKsplice.Analysis;
using GitKsplice.Elf;
using GitKsplice.Tests.Analysis;
using GitKsplice.Tests.Support;

namespace GitKsplice.Tests.Elf;

/// <summary>
/// A property over thousands of corrupted copies of real objects: the reader and the analysis either work or
/// fail with one clean error (ElfFormatException / ObjectFormatException), never any other exception.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Scale)]
public sealed class MutatedObjectTests : IDisposable
{
    /// <summary>GKS_FUZZ_ITERATIONS and GKS_FUZZ_SEED explore further than the fixed, repeatable default run.</summary>
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("GKS_FUZZ_ITERATIONS"), out var n) ? n : 6000;
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("GKS_FUZZ_SEED"), out var s) ? s : 20261124;
    private readonly CompiledObjects _cc = new();
    public void Dispose() => _cc.Dispose();

    private const string Source = """
        extern int printf(const char *, ...);
        extern void __might_sleep(const char *, int);
        struct pair { int a, b; };
        struct pair table[3] = { { 1, 2 }, { 3, 4 }, { 5, 6 } };
        static int counter;
        static int bump(int x) { static int calls; calls++; return x + ++counter + calls; }
        int api(int x) { __might_sleep(__FILE__, __LINE__); printf("api %d\n", x); return bump(x) + table[x & 1].b; }
        int other(int x) { switch (x) { case 0: return 4; case 1: return 9; case 2: return 1; case 3: return 7; case 4: return 2; default: return x; } }
        int (*hook)(int) = api;
        double scale(double d) { return d * 1.25 + 0.5; }
        """;

    [Fact]
    public void Corrupted_objects_give_only_clean_errors()
    {
        var seeds = new List<byte[]>
        {
            File.ReadAllBytes(_cc.Compile(Source, CompiledObjects.KernelLikeFlags + " -pg -mrecord-mcount -mfentry")),
            File.ReadAllBytes(_cc.Compile(Source, CompiledObjects.KernelLikeFlags + " -g")),
        };
        if (CompiledObjects.Have("aarch64-linux-gnu-gcc"))
            seeds.Add(File.ReadAllBytes(_cc.Compile(Source, CompiledObjects.KernelLikeFlags, "aarch64-linux-gnu-gcc")));
        if (CompiledObjects.Have("mips-linux-gnu-gcc"))
        {
            seeds.Add(File.ReadAllBytes(_cc.Compile(Source, "-O2 -ffunction-sections -fdata-sections -fno-pic -mno-abicalls", "mips-linux-gnu-gcc")));
            seeds.Add(File.ReadAllBytes(_cc.Compile(Source, "-O2 -mabi=64 -ffunction-sections -fdata-sections", "mips-linux-gnu-gcc")));
        }
        var analyzer = new ElfObjectAnalyzer();
        var random = new Random(Seed);
        var failures = new List<string>();
        int clean = 0, accepted = 0;
        for (int i = 0; i < Iterations; i++)
        {
            var seed = seeds[i % seeds.Count];
            var pristine = new ElfFile(seed, "pristine.o");
            var (bytes, how) = Mutate(seed, pristine, random);
            try
            {
                var mutated = new ElfFile(bytes, "mutated.o");
                foreach (var s in mutated.Sections) { _ = s.Contents.Length; _ = mutated.RelocationsFor(s).Length; }
                analyzer.Compare(pristine, mutated);
                analyzer.Compare(mutated, pristine);
                analyzer.Compare(null, mutated);
                accepted++;
            }
            catch (ElfFormatException e) { Assert.StartsWith("mutated.o", e.Message); clean++; }
            catch (ObjectFormatException e) { Assert.Contains("mutated.o", e.Message); clean++; }
            catch (Exception e)
            {
                failures.Add($"iteration {i} ({how}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} unclean failures with seed {Seed}; first:\n{string.Join("\n\n", failures.Take(3))}");
        // Both outcomes must really occur, or the mutations are not exercising anything.
        Assert.True(clean > Iterations / 10, $"only {clean} mutations were rejected");
        Assert.True(accepted > Iterations / 10, $"only {accepted} mutations were accepted");
    }

    /// <summary>One corruption: flipped bytes, a truncation, or a header, symbol or relocation field set to an edge value.</summary>
    private static (byte[] Bytes, string How) Mutate(byte[] seed, ElfFile pristine, Random random)
    {
        var bytes = (byte[])seed.Clone();
        switch (random.Next(6))
        {
            case 0:
                int flips = random.Next(1, 9);
                for (int k = 0; k < flips; k++) bytes[random.Next(bytes.Length)] ^= (byte)random.Next(1, 256);
                return (bytes, $"{flips} flipped bytes");
            case 1:
                int length = random.Next(bytes.Length);
                return (bytes[..length], $"truncated to {length}");
            case 2:
                int header = random.Next(pristine.Is64 ? 64 : 52);
                Poke(bytes, header, random);
                return (bytes, $"ELF header at {header}");
            case 3:
                var section = pristine.Sections[random.Next(pristine.Sections.Count)];
                int entry = pristine.Is64 ? 64 : 40;
                ulong table = pristine.Is64 ? BitConverter.ToUInt64(seed, 40) : BitConverter.ToUInt32(seed, 32);
                if (pristine.IsBigEndian) table = pristine.Is64 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(seed.AsSpan(40)) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(seed.AsSpan(32));
                int at = (int)table + section.Index * entry + random.Next(entry);
                Poke(bytes, at, random);
                return (bytes, $"section header {section.Index} at {at}");
            default:
                var tables = pristine.Sections.Where(s => s.Type is SectionType.SymTab or SectionType.Rela or SectionType.Rel or SectionType.Group && s.Size > 0).ToList();
                var t = tables[random.Next(tables.Count)];
                int where = (int)t.Offset + random.Next((int)t.Size);
                Poke(bytes, where, random);
                return (bytes, $"{t.Name} at {where}");
        }
    }

    /// <summary>Writes an edge value (0, all ones, a large or a small number) over up to 8 bytes.</summary>
    private static void Poke(byte[] bytes, int at, Random random)
    {
        ulong value = random.Next(5) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)random.Next(1, 64),
            3 => (ulong)bytes.Length + (ulong)random.Next(-16, 16),
            _ => (ulong)random.NextInt64(),
        };
        int width = new[] { 1, 2, 4, 8 }[random.Next(4)];
        for (int k = 0; k < width && at + k < bytes.Length; k++)
            bytes[at + k] = (byte)(value >> (8 * k));
    }
}
