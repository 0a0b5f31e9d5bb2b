namespace GitKsplice.Live;

/// <summary>
/// The POSIX sh scripts that apply, undo and view livepatches on a target. Every value arrives as an argument
/// ($1…), never spliced into the text; they need sh, cat, awk, sed, grep, insmod, rmmod and sha256sum (busybox
/// has them all). Lines of our own start with "@ " so that they stand apart from what the tools print.
/// </summary>
internal static class LiveScripts
{
    /// <summary>Where a target keeps the modules it loaded for us and the logs of the jobs that loaded them.</summary>
    public const string StateDirectory = "/var/lib/git-ksplice";

    /// <summary>What the target is: who we are there, its kernel, whether it has livepatch.</summary>
    public const string Probe = """
        echo "@ uid $(id -u)"
        echo "@ release $(uname -r)"
        echo "@ version $(cat /proc/version)"
        if [ -d /sys/kernel/livepatch ]; then echo "@ livepatch yes"; else echo "@ livepatch no"; fi
        """;

    /// <summary>Who the steps run as: through sudo -n, root unless sudo refuses (a password needed) or runs them as someone else.</summary>
    public const string Uid = "echo \"@ uid $(id -u)\"";

    /// <summary>The kallsyms lines of the symbols named by the arguments.</summary>
    public const string Symbols = """
        [ -r /proc/kallsyms ] || { echo "no /proc/kallsyms" >&2; exit 1; }
        awk 'BEGIN { for (i = 1; i < ARGC; i++) want[ARGV[i]] = 1; ARGC = 1 }
             ($3 in want) { print "@ symbol", $1, $2, $3, $4 }' "$@" </proc/kallsyms
        """;

    /// <summary>
    /// Copies standard input to $1/$2.ko (a temporary file renamed once complete) and prints its sha256, which the
    /// caller compares with the update's: a module that arrived damaged is removed, never loaded.
    /// </summary>
    public const string Copy = """
        dir=$1 name=$2 sha=$3
        mkdir -p "$dir" && chmod 700 "$dir" || exit 1
        cat >"$dir/$name.ko.tmp" || { rm -f "$dir/$name.ko.tmp"; exit 1; }
        got=$(sha256sum <"$dir/$name.ko.tmp" | cut -d' ' -f1)
        if [ "$got" != "$sha" ]; then rm -f "$dir/$name.ko.tmp"; echo "@ sha256 $got"; exit 3; fi
        mv -f "$dir/$name.ko.tmp" "$dir/$name.ko" && echo "@ sha256 $got"
        """;

    /// <summary>
    /// Starts a job ($3, with the arguments after it) immune to hangups, its output in the log $2, and waits up to $4
    /// seconds for its result line; the job finishes (or reverses) on its own if the connection drops.
    /// The log is printed at the end.
    /// </summary>
    public const string RunJob = """
        dir=$1 log=$2 job=$3 wait=$4
        shift 4
        mkdir -p "$dir" && chmod 700 "$dir" || exit 1
        if [ -f "$log" ] && ! grep -q '^@ result ' "$log" && [ -f "$log.pid" ] && kill -0 "$(cat "$log.pid")" 2>/dev/null; then
            echo "@ busy $(cat "$log.pid")"; exit 4
        fi
        : >"$log" || exit 1
        # Immune to the hangup a dropped connection sends, as nohup makes it (busybox may have no nohup).
        trap '' HUP
        /bin/sh -c "$job" ksplice-job "$@" >>"$log" 2>&1 </dev/null &
        echo $! >"$log.pid"
        ticks=0
        until grep -q '^@ result ' "$log"; do
            kill -0 $! 2>/dev/null || { grep -q '^@ result ' "$log" || { cat "$log"; echo "@ vanished"; exit 6; }; break; }
            ticks=$((ticks + 1))
            [ $ticks -gt $((wait * 10)) ] && { cat "$log"; echo "@ waiting"; exit 5; }
            sleep 0.1 2>/dev/null || sleep 1
        done
        cat "$log"
        """;

    // Shared by the jobs: waiting for a transition, and naming the tasks that have not switched.
    private const string JobFunctions = """
        now() { cut -d' ' -f1 /proc/uptime; }
        wait_transition() {
            ticks=0
            while [ "$(cat "$sys/transition" 2>/dev/null)" = 1 ]; do
                ticks=$((ticks + 1))
                [ $ticks -gt $(($1 * 20)) ] && return 1
                sleep 0.05 2>/dev/null || sleep 1
            done
        }
        blocked() {
            for t in /proc/[0-9]*/task/[0-9]*; do
                state=$(cat "$t/patch_state" 2>/dev/null) || continue
                [ "$state" = "$1" ] || [ "$state" = -1 ] && continue
                tid=${t##*/}
                echo "@ blocked $tid $(cat "$t/comm" 2>/dev/null)"
                [ -r "$t/stack" ] && sed "s/^/@ stack $tid /" "$t/stack" 2>/dev/null
            done
        }
        kernel_says() { dmesg 2>/dev/null | tail -n 3 | sed 's/^/kernel: /'; }
        """;

    /// <summary>
    /// The load job: insmod, then the transition within $3 seconds; if it does not complete, the tasks in the way
    /// are named and the patch reversed and unloaded, so a failed apply leaves nothing loaded.
    /// </summary>
    public const string LoadJob = JobFunctions + "\n" + """
        ko=$1 name=$2 limit=$3
        sys=/sys/kernel/livepatch/$name
        echo "@ start $(now)"
        if ! insmod "$ko"; then kernel_says; rm -f "$ko"; echo "@ result load-failed"; exit 1; fi
        if [ ! -d "$sys" ]; then rmmod "$name"; rm -f "$ko"; echo "@ result not-livepatch"; exit 1; fi
        if wait_transition "$limit"; then echo "@ switched $(now)"; echo "@ result applied"; exit 0; fi
        blocked 1
        echo 0 >"$sys/enabled"
        if wait_transition "$limit"; then
            rmmod "$name" && rm -f "$ko"
            echo "@ result reversed"; exit 1
        fi
        blocked 0
        echo "@ result stuck"; exit 1
        """;

    /// <summary>The undo job: disable, the transition back within $3 seconds (else re-enabled), unload, and the copied module removed.</summary>
    public const string UndoJob = JobFunctions + "\n" + """
        ko=$1 name=$2 limit=$3
        sys=/sys/kernel/livepatch/$name
        echo "@ start $(now)"
        if [ -d "$sys" ]; then
            if [ "$(cat "$sys/enabled")" = 1 ]; then echo 0 >"$sys/enabled" || { echo "@ result still-applied"; exit 1; }; fi
            if ! wait_transition "$limit"; then
                blocked 0
                echo 1 >"$sys/enabled"
                wait_transition "$limit"
                echo "@ result still-applied"; exit 1
            fi
        fi
        if [ -d "/sys/module/$name" ]; then
            rmmod "$name" || { kernel_says; echo "@ result unload-failed"; exit 1; }
        fi
        rm -f "$ko"
        echo "@ switched $(now)"
        echo "@ result undone"
        """;

    /// <summary>Every livepatch on the target, its state and functions, the sha256 of the module we copied for it, and our jobs' results.</summary>
    public const string View = """
        dir=$1
        echo "@ release $(uname -r)"
        [ -d /sys/kernel/livepatch ] || { echo "@ livepatch no"; exit 0; }
        echo "@ livepatch yes"
        for p in /sys/kernel/livepatch/*; do
            [ -d "$p" ] || continue
            n=${p##*/}
            echo "@ patch $n $(cat "$p/enabled" 2>/dev/null) $(cat "$p/transition" 2>/dev/null)"
            for o in "$p"/*; do
                [ -d "$o" ] || continue
                for f in "$o"/*; do [ -d "$f" ] && echo "@ function $n ${o##*/} ${f##*/}"; done
            done
            if [ -f "$dir/$n.ko" ]; then echo "@ sha256 $n $(sha256sum <"$dir/$n.ko" | cut -d' ' -f1)"; fi
        done
        for l in "$dir"/*.log; do
            [ -f "$l" ] || continue
            n=${l##*/}
            r=$(sed -n 's/^@ result //p' "$l" | tail -n 1)
            echo "@ job ${n%.log} ${r:-running}"
        done
        """;
}
