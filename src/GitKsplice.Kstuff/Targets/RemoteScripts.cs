namespace GitKsplice.Kstuff.Targets;

/// <summary>
/// The POSIX shell scripts kstuff runs on a target. Every value reaches them as an argument ($1…),
/// never inside the script text; none of them exits 255, which ssh keeps for a lost connection.
/// </summary>
public static class RemoteScripts
{
    private const string Prologue = "LC_ALL=C; export LC_ALL\n";

    /// <summary>The parts of a configuration tree the merge reads (not pack.d, which stays there), as a tar stream on stdout. $1: tree.</summary>
    public const string ReadConfiguration = Prologue + """
        T=$1
        if [ ! -d "$T" ]; then echo "no configuration tree $T" >&2; exit 3; fi
        cd "$T" || exit 3
        set --
        for p in mdevice.d sdevice.d node.d init.d rc.d sd.d mtune.d dtune.d autotune.d mfsys.d sfsys.d; do
          if [ -e "$p" ]; then set -- "$@" "$p"; fi
        done
        if [ $# -eq 0 ]; then echo "$T holds no Master, System or Node files" >&2; exit 3; fi
        # cf.d without what idbuild makes again (objects, the kernel, generated sources).
        for f in cf.d/*; do
          case ${f#cf.d/} in
            unix|*.o|config.h|conf.c|direct|ifile|modlist|sdevice.new|mdevice|sdevice|mfsys|sfsys|mtune|mod_register|'*') ;;
            *) if [ -f "$f" ]; then set -- "$@" "$f"; fi ;;
          esac
        done
        tar cf - "$@"
        """;

    /// <summary>The block and character nodes under a /dev directory, "ls -ln" style. $1: the directory.</summary>
    public const string ListDeviceNodes = Prologue + """
        if [ ! -d "$1" ]; then exit 0; fi
        find "$1" \( -type b -o -type c \) -exec ls -ln {} + 2>/dev/null
        exit 0
        """;

    /// <summary>Receives a tar stream into a fresh staging directory. $1: the directory.</summary>
    public const string ReceiveTree = Prologue + """
        S=$1
        rm -rf "$S" && mkdir -p "$S" && cd "$S" && tar xf - || { echo "cannot unpack into $S" >&2; exit 1; }
        """;

    /// <summary>Copies the named drivers' pack.d directories from one tree into another. $1: from, $2: to, $3…: drivers.</summary>
    public const string CopyDriverPacks = Prologue + """
        F=$1; S=$2; shift 2
        mkdir -p "$S/pack.d" || exit 1
        for d in "$@"; do
          if [ -d "$F/pack.d/$d" ]; then
            rm -rf "$S/pack.d/$d" && cp -Rp "$F/pack.d/$d" "$S/pack.d/$d" || { echo "cannot copy $F/pack.d/$d" >&2; exit 1; }
          fi
        done
        """;

    /// <summary>
    /// Takes the lock of one kname on the target (mkdir is atomic), so that two deliveries never share a
    /// staging directory. $1: the lock directory, $2: who holds it. Exit 75 when another delivery holds it;
    /// a target without the lock's directory (no /etc: not the root of a system) is told so.
    /// </summary>
    public const string Lock = Prologue + """
        if mkdir "$1" 2>/dev/null; then echo "$2" > "$1/owner"; exit 0; fi
        D=$(dirname "$1")
        if [ ! -d "$D" ]; then echo "no directory $D: the target's root holds no etc/ (is it the root of a system?)" >&2; exit 1; fi
        if [ ! -d "$1" ]; then echo "cannot create $1 (is $D writable?)" >&2; exit 1; fi
        echo "held by $(cat "$1/owner" 2>/dev/null || echo "an unknown delivery"); remove $1 if that one is gone" >&2
        exit 75
        """;

    /// <summary>
    /// Removes a staging directory or file, if there. $1…: paths. A step stopped because its connection closed
    /// (an interrupted idbuild) may still be writing there for a moment: then it tries once more.
    /// </summary>
    public const string Remove = Prologue + """
        rm -rf "$@" 2>/dev/null || { sleep 1; rm -rf "$@"; }
        """;

    /// <summary>
    /// Keeps the -c command's file, which arrives on stdin, ready to run. A step of its own, so that the command
    /// runs with its input held open, as every step that may be interrupted does (it stops with the connection).
    /// $1: where to keep the file.
    /// </summary>
    public const string ReceiveCommand = Prologue + """
        cat > "$1" && chmod 700 "$1" || { echo "cannot write $1" >&2; rm -f "$1"; exit 1; }
        """;

    /// <summary>Runs the -c command as "command target-tree source-tree", then removes it. $1: the command's file, $2: target tree, $3: source (merged) tree.</summary>
    public const string RunCommand = Prologue + """
        "$1" "$2" "$3"
        rc=$?
        rm -f "$1"
        [ $rc -ne 255 ] || rc=254
        exit $rc
        """;

    /// <summary>
    /// Finds idbuild for a tree: the configured one, else the tree's bin/idbuild, else /etc/conf/bin/idbuild.
    /// Expects $S (tree), $IDB (configured, may be empty) and $SYSIDB (/etc/conf/bin/idbuild on the target); sets $IDB.
    /// </summary>
    private const string FindIdbuild = """
        if [ -z "$IDB" ]; then
          if [ -x "$S/bin/idbuild" ]; then IDB=$S/bin/idbuild; else IDB=$SYSIDB; fi
        fi
        if [ ! -x "$IDB" ]; then echo "kstuff: no idbuild at $IDB" >&2; exit 127; fi
        """ + "\n";

    /// <summary>
    /// The idbuild of a tree, written so that it runs inside a plan step as well as alone. idbuild reads
    /// $ROOT/$MACH/etc/conf, so ROOT points at a directory whose etc/conf is the tree; the kernel goes to
    /// the tree's cf.d/unix. Expects $S, $IDB, $SYSIDB and the idbuild options in "$@".
    /// </summary>
    public const string BuildBody = FindIdbuild + """
        rm -rf "$S/.kstuff-root" && mkdir -p "$S/.kstuff-root/etc" "$S/cf.d" && ln -s ../.. "$S/.kstuff-root/etc/conf" || exit 1
        rm -f "$S/cf.d/unix"
        if [ -d "$S/include.d" ]; then set -- "$@" -I "$S/include.d"; fi
        echo "kstuff: $IDB $*"
        ( ROOT=$S/.kstuff-root; MACH=.; export ROOT MACH; exec "$IDB" "$@" -O "$S/cf.d/unix" )
        rc=$?
        rm -rf "$S/.kstuff-root"
        if [ $rc -ne 0 ]; then echo "kstuff: idbuild failed with exit status $rc" >&2; [ $rc -ne 255 ] || rc=254; exit $rc; fi
        if [ ! -s "$S/cf.d/unix" ]; then echo "kstuff: idbuild made no kernel at $S/cf.d/unix" >&2; exit 1; fi
        """;

    /// <summary>idbuild as a step of its own. $1: tree, $2: configured idbuild or "", $3: the system's idbuild, $4…: idbuild options.</summary>
    public const string Build = Prologue + """
        S=$1; IDB=$2; SYSIDB=$3; shift 3
        """ + "\n" + BuildBody;

    /// <summary>
    /// idmknod for the included source-only drivers, never removing a node (-s). Expects $S (the installed
    /// tree), $IDB, $SYSIDB, $DEV and "-M driver" pairs in "$@"; runs as a step of the install plan.
    /// </summary>
    public const string MakeNodesBody = FindIdbuild + """
        IDM=$(dirname "$IDB")/idmknod
        if [ ! -x "$IDM" ]; then echo "kstuff: no idmknod beside $IDB" >&2; exit 127; fi
        echo "kstuff: $IDM -o $DEV -r $S -s $*"
        "$IDM" -o "$DEV" -r "$S" -s "$@"
        """;

    /// <summary>Reads the log an install left. $1: the log.</summary>
    public const string ReadLog = Prologue + """
        cat "$1" 2>/dev/null
        exit 0
        """;
}
