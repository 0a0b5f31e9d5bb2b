/* git-ksplice's compiler wrapper (gcc and cc first on a plain Makefile's PATH): it runs the compiler exactly as
 * the build asks and, for each object the build compiles, records the command of a second compile of the same
 * source with one section per function and per data object, into the same path relative to GIT_KSPLICE_TREE
 * under GIT_KSPLICE_OBJECTS: <copy>.cmdline holds the directory, the copy's path and the command, each ended by
 * a NUL. With GIT_KSPLICE_SECTIONED=1 (the build of an update) it also runs that compile, at the same time as the
 * build's own; otherwise (the pre state's build) git-ksplice runs it later, only for the objects a change
 * rebuilds, so a cold create costs one full build, not two. GIT_KSPLICE_SECTIONED_SOURCES names a file listing
 * sources (relative to the tree, one per line) whose copies the pre build compiles beside all the same: those of
 * the files a create's change touches, so its pre copies cost no second trip of the tree to the pre source. The
 * build's own objects and link stay as the Makefile makes them; the analysis compares the sectioned copies. Each
 * record and copy gets the mtime of the object it was made with, so git-ksplice can tell it from a stale one (an
 * object a rule rebuilt without $(CC)); a record is always written to a new file renamed over the old one, never
 * rewritten in place (the pre snapshot links to it). Both compiles run through the compiler launcher (ccache,
 * distcc, icecc) when one is set. Copied under a launcher's name (ccache), the wrapper stands in for that launcher
 * when the build command names it (CC="ccache gcc"): it runs the real one for each of its compiles instead of
 * being run by it, so a cache hit never skips the sectioned copy. git-ksplice prepends the definitions of
 * GIT_KSPLICE_COMPILER (the real compiler), GIT_KSPLICE_SECTION_FLAGS, GIT_KSPLICE_LAUNCHER (its words, each
 * followed by a comma; none: empty) and GIT_KSPLICE_RELOCATABLE (1: every compile maps the tree's path to "."),
 * and compiles this once per repository. */
#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const real = GIT_KSPLICE_COMPILER;
static const char *const flags[] = { GIT_KSPLICE_SECTION_FLAGS };
#define NFLAGS ((int)(sizeof flags / sizeof flags[0]))
static const char *configured_launcher[] = { GIT_KSPLICE_LAUNCHER 0 };
/* The launcher every compile runs through (a null-terminated list of words), or none. */
static const char **launcher = configured_launcher;

/* Options whose value is the next argument (so that value is not taken for a source file). */
static int takes_value(const char *a)
{
    static const char *const names[] = { "-o", "-I", "-D", "-U", "-x", "-include", "-imacros", "-isystem", "-iquote",
        "-idirafter", "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot", "-imultilib", "-MF", "-MT", "-MQ",
        "-L", "-l", "-Xlinker", "-Xassembler", "-Xpreprocessor", "-aux-info", "-wrapper", "-T", "-u", "-z", "--param", 0 };
    for (int i = 0; names[i]; i++) if (strcmp(a, names[i]) == 0) return 1;
    return 0;
}

static int is_source(const char *a)
{
    static const char *const exts[] = { ".c", ".i", ".s", ".S", ".sx", ".cc", ".cp", ".cpp", ".cxx", ".c++", ".C", 0 };
    const char *dot = strrchr(a, '.');
    if (a[0] == '-' || !dot) return 0;
    for (int i = 0; exts[i]; i++) if (strcmp(dot, exts[i]) == 0) return 1;
    return 0;
}

/* Dependency-file options: the second compile must not write the build's .d files. */
static int dependency_option(char **argv, int i, int *skip)
{
    const char *a = argv[i];
    *skip = 0;
    if (strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0 || strcmp(a, "-MP") == 0) return 1;
    if (strcmp(a, "-MF") == 0 || strcmp(a, "-MT") == 0 || strcmp(a, "-MQ") == 0) { *skip = 1; return 1; }
    if (strncmp(a, "-MF", 3) == 0 || strncmp(a, "-MT", 3) == 0 || strncmp(a, "-MQ", 3) == 0) return 1;
    if (strncmp(a, "-Wp,-MD,", 8) == 0 || strncmp(a, "-Wp,-MMD,", 9) == 0) return 1;
    return 0;
}

static int mkdirs(char *path) /* the directories above path */
{
    for (char *p = path + 1; *p; p++)
    {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0777);
        *p = '/';
        if (r != 0 && errno != EEXIST) return -1;
    }
    return 0;
}

/* A compile: args (args[0] the real compiler) through the launcher, if any. */
static void exec_compile(char **args)
{
    int nl = 0, na = 0;
    while (launcher[nl]) nl++;
    if (nl == 0) { execv(real, args); perror(real); return; }
    while (args[na]) na++;
    char **full = calloc((size_t)(nl + na + 1), sizeof *full);
    if (!full) return;
    for (int i = 0; i < nl; i++) full[i] = (char *)launcher[i];
    for (int i = 0; i < na; i++) full[nl + i] = args[i];
    execv(launcher[0], full);
    perror(launcher[0]);
}

/* quiet: the sectioned compile's warnings are the build's own, already shown once. */
static pid_t spawn(char **args, int quiet)
{
    pid_t pid = fork();
    if (pid == 0)
    {
        if (quiet) { int null = open("/dev/null", O_WRONLY); dup2(null, 1); dup2(null, 2); }
        exec_compile(args);
        _exit(127);
    }
    return pid;
}

/* The program called name on PATH, skipping the directory this wrapper is in (it holds us under that name). */
static char *find_elsewhere(const char *name)
{
    char self[PATH_MAX], here[PATH_MAX], entry[PATH_MAX];
    const char *path = getenv("PATH");
    if (!path || !realpath("/proc/self/exe", self)) return 0;
    strcpy(here, dirname(self));
    for (const char *p = path; *p; )
    {
        size_t len = strcspn(p, ":");
        static char candidate[PATH_MAX * 2];
        if (len > 0 && len < PATH_MAX)
        {
            memcpy(entry, p, len);
            entry[len] = 0;
            char resolved[PATH_MAX];
            snprintf(candidate, sizeof candidate, "%s/%s", entry, name);
            if (!(realpath(entry, resolved) && strcmp(resolved, here) == 0) && access(candidate, X_OK) == 0) return candidate;
        }
        p += len + (p[len] == ':');
    }
    return 0;
}

/* <copy>.cmdline: the directory, the copy's path, then the launcher's words and the compile's arguments, each
 * ended by a NUL; written whole (a temporary file renamed) and stamped with the object's times. */
static int write_record(const char *copy, const char *cwd, char **args, const struct timespec times[2])
{
    size_t len = strlen(copy);
    char *path = malloc(len + 16), *temp = malloc(len + 48);
    if (!path || !temp) return -1;
    sprintf(path, "%s.cmdline", copy);
    sprintf(temp, "%s.cmdline.%ld", copy, (long)getpid());
    FILE *f = fopen(temp, "wb");
    if (!f) { perror(temp); return -1; }
    fwrite(cwd, 1, strlen(cwd) + 1, f);
    fwrite(copy, 1, len + 1, f);
    for (int i = 0; launcher[i]; i++) fwrite(launcher[i], 1, strlen(launcher[i]) + 1, f);
    for (int i = 0; args[i]; i++) fwrite(args[i], 1, strlen(args[i]) + 1, f);
    if (fclose(f) != 0 || utimensat(AT_FDCWD, temp, times, 0) != 0 || rename(temp, path) != 0) { perror(path); unlink(temp); return -1; }
    return 0;
}

/* Whether the file listed names source, a path below tree: one line of it, exactly. */
static int listed(const char *list, const char *source, const char *tree, size_t tree_len)
{
    char resolved[PATH_MAX], line[PATH_MAX + 2];
    if (!realpath(source, resolved) || strncmp(resolved, tree, tree_len) != 0 || resolved[tree_len] != '/') return 0;
    FILE *f = fopen(list, "r");
    if (!f) return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f))
    {
        line[strcspn(line, "\n")] = 0;
        found = strcmp(line, resolved + tree_len + 1) == 0;
    }
    fclose(f);
    return found;
}

static int is_our_compiler(const char *a)
{
    const char *base = strrchr(a, '/') ? strrchr(a, '/') + 1 : a;
    return strcmp(a, real) == 0 || strcmp(base, "gcc") == 0 || strcmp(base, "cc") == 0;
}

static int wait_for(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0) if (errno != EINTR) return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strcmp(name, "gcc") != 0 && strcmp(name, "cc") != 0)
    {
        /* Standing in for a launcher the build command names: it runs each of our compiles, not us. */
        static const char *named[2];
        named[0] = find_elsewhere(name);
        if (!named[0]) { fprintf(stderr, "git-ksplice: %s: not found on PATH\n", name); return 127; }
        if (argc < 2 || !is_our_compiler(argv[1]))
        {
            argv[0] = (char *)named[0];
            execv(named[0], argv);
            perror(named[0]);
            return 127;
        }
        launcher = named;
        argv++;
        argc--;
    }
    const char *objects = getenv("GIT_KSPLICE_OBJECTS"), *tree_env = getenv("GIT_KSPLICE_TREE");
    int compile_only = 0, output = -1, nsources = 0;
    for (int i = 1; i < argc; i++)
    {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0) compile_only = 1;
        else if (strcmp(a, "-E") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0) compile_only = -1;
        else if (strcmp(a, "-o") == 0 && i + 1 < argc) output = ++i;
        else if (takes_value(a)) i++;
        else if (is_source(a)) nsources++;
    }
    char tree[PATH_MAX], cwd[PATH_MAX];
    argv[0] = (char *)real;
    if (compile_only != 1 || nsources == 0 || !objects || !tree_env || !realpath(tree_env, tree) || !getcwd(cwd, sizeof cwd) ||
        (output >= 0 && (nsources != 1 || strcmp(argv[output], "-") == 0)))
    {
        execv(real, argv);
        perror(real);
        return 127;
    }

    /* One sectioned compile per object: the -o output, or each source's .o in the current directory. */
    size_t tree_len = strlen(tree);
    pid_t *pids = calloc((size_t)argc + 1, sizeof *pids);
    char ***sectioned = calloc((size_t)argc + 1, sizeof *sectioned);
    char **built = calloc((size_t)argc + 1, sizeof *built), **copies = calloc((size_t)argc + 1, sizeof *copies);
    char *prefix_map = malloc(strlen(tree) + 32), **own = calloc((size_t)argc + 2, sizeof *own);
    int *beside = calloc((size_t)argc + 1, sizeof *beside);
    if (!pids || !sectioned || !built || !copies || !prefix_map || !own || !beside) return 127;
    sprintf(prefix_map, "-ffile-prefix-map=%s=.", tree);
    /* The build's own compile, as asked (with the tree's path mapped to "." when relocatable). */
    for (int i = 0; i < argc; i++) own[i] = argv[i];
    if (GIT_KSPLICE_RELOCATABLE) own[argc] = prefix_map;
    const char *sectioned_env = getenv("GIT_KSPLICE_SECTIONED"), *sources_list = getenv("GIT_KSPLICE_SECTIONED_SOURCES");
    int all_beside = sectioned_env && strcmp(sectioned_env, "1") == 0;
    int n = 0, unwritable = 0;
    pids[n++] = spawn(own, 0);
    for (int s = 1; s < argc; s++)
    {
        if (!is_source(argv[s]) || takes_value(argv[s - 1])) continue;
        char out[PATH_MAX * 2];
        if (output >= 0) snprintf(out, sizeof out, "%s%s%s", argv[output][0] == '/' ? "" : cwd, argv[output][0] == '/' ? "" : "/", argv[output]);
        else
        {
            const char *base = strrchr(argv[s], '/') ? strrchr(argv[s], '/') + 1 : argv[s];
            snprintf(out, sizeof out, "%s/%.*s.o", cwd, (int)(strrchr(base, '.') - base), base);
        }
        if (strncmp(out, tree, tree_len) != 0 || out[tree_len] != '/') continue; /* not an object of the tree */
        /* The copy's path lives as long as its arguments: they are run again if the compile fails. */
        char *side = malloc(strlen(objects) + strlen(out + tree_len) + 1);
        char **args = calloc((size_t)argc + NFLAGS + 4, sizeof *args);
        built[n] = strdup(out); /* the build's object this copy belongs to */
        copies[n] = side;
        if (!side || !args || !built[n]) return 127;
        strcat(strcpy(side, objects), out + tree_len);
        if (mkdirs(side) != 0) { perror(side); unwritable = 1; continue; } /* a missing copy would hide a change */
        int k = 0;
        args[k++] = (char *)real;
        for (int f = 0; f < NFLAGS; f++) args[k++] = (char *)flags[f];
        for (int i = 1; i < argc; i++)
        {
            int skip;
            if (i == output) { args[k++] = side; continue; }
            if (dependency_option(argv, i, &skip)) { i += skip; continue; }
            if (is_source(argv[i]) && !takes_value(argv[i - 1]) && i != s) continue; /* another source's object */
            args[k++] = argv[i];
        }
        if (output < 0) { args[k++] = "-o"; args[k++] = side; }
        if (GIT_KSPLICE_RELOCATABLE) args[k++] = prefix_map;
        sectioned[n] = args;
        beside[n] = all_beside || (sources_list && listed(sources_list, argv[s], tree, tree_len));
        pids[n] = beside[n] ? spawn(args, 1) : 0;
        n++;
    }
    int status = wait_for(pids[0]), failed = 0;
    for (int i = 1; i < n; i++) if (pids[i] > 0 && wait_for(pids[i]) != 0 && !failed) failed = i;
    if (status == 0 && unwritable) return 1;
    if (status == 0 && failed)
    {
        /* Again with its messages shown: the build's own compile passed, so this is about the section flags. */
        fprintf(stderr, "git-ksplice: the compile with one section per function failed:\n");
        wait_for(spawn(sectioned[failed], 0));
        return 1;
    }
    if (status != 0) return status;
    /* The compiles are done: each record and copy takes its object's mtime, the stamp of having been made with it. */
    for (int i = 1; i < n; i++)
    {
        struct stat st;
        if (stat(built[i], &st) != 0) { perror(built[i]); return 1; }
        struct timespec times[2] = { st.st_atim, st.st_mtim };
        if (write_record(copies[i], cwd, sectioned[i], times) != 0) return 1;
        if (beside[i] && utimensat(AT_FDCWD, copies[i], times, 0) != 0) { perror(copies[i]); return 1; }
    }
    return 0;
}
