namespace GitKsplice.Tests.Support;

/// <summary>
/// A small C program with a plain Makefile (implicit rules through $(CC)), committed into a fresh repository:
/// the kind of tree git ksplice builds with its compiler wrapper.
/// </summary>
public static class CTree
{
    public const string Makefile = """
        CFLAGS = -O2 -g
        OBJS = main.o greet.o data.o

        all: prog mod.ko

        prog: $(OBJS)
        	$(CC) -o $@ $(OBJS)

        mod.ko: mod.o
        	ld -r -o $@ mod.o

        clean:
        	rm -f prog *.o *.ko
        """;

    public const string Greet = """
        #include <stdio.h>

        int greet(const char *name)
        {
        	return printf("hello, %s\n", name);
        }

        int shout(const char *name)
        {
        	return printf("HELLO, %s!\n", name);
        }
        """;

    public const string Data = """
        int counter = 1;
        int limits[4] = { 1, 2, 3, 4 };

        int bump(void)
        {
        	return ++counter;
        }
        """;

    public const string Main = """
        int greet(const char *name);
        int shout(const char *name);
        int bump(void);

        int main(int argc, char **argv)
        {
        	greet(argc > 1 ? argv[1] : "world");
        	shout("you");
        	return bump() > 100;
        }
        """;

    public const string Mod = """
        int mod_value(int x)
        {
        	return x * 3;
        }
        """;

    /// <summary>
    /// A repository holding the tree in one commit. With <paramref name="markPre"/>, that commit is marked as
    /// the running kernel's source (git ksplice series set HEAD), as a user does before committing fixes.
    /// </summary>
    public static TestRepo Create(bool markPre = true)
    {
        var repo = new TestRepo();
        repo.Write("Makefile", Makefile.Replace("\r", "") + "\n");
        repo.Write("greet.c", Greet + "\n");
        repo.Write("data.c", Data + "\n");
        repo.Write("main.c", Main + "\n");
        repo.Write("mod.c", Mod + "\n");
        repo.Write(".gitignore", "*.o\n*.ko\nprog\n");
        repo.Commit("initial tree");
        if (markPre)
        {
            var r = repo.Ksplice("series", "set", "HEAD");
            if (r.ExitCode != 0) throw new InvalidOperationException("git ksplice series set failed: " + r.All);
        }
        return repo;
    }
}
