#!/usr/bin/env bash
# Scale benchmark of the read commands: a repository with a long history and many recorded updates.
#
# Generates, with git fast-import, one history of --commits commits (default 100000), then for each size in
# --sizes (default "1000 10000 100000") a copy of it with that many recorded updates: refs/ksplice/updates/<id>
# (packed, as git gc leaves them), one refs/notes/ksplice note per update (an update record and a hook verdict),
# refs/ksplice/pre, and as many kstuff bundle notes on refs/notes/kstuff (every tenth with a delivery record). Then times each command (median of
# --runs runs) and its ratio to the matching plain git command:
#   git ksplice list / series / status      vs  git notes --ref=ksplice list
#   git ksplice show <id>                   vs  git log -1 --notes=ksplice refs/ksplice/updates/<id>
#   git kstuff bundles / log                vs  git notes --ref=kstuff list
# Commands this build does not have (e.g. status) are reported as "n/a".
#
# Usage: bench/scale/run.sh [--commits N] [--sizes "1000 10000 100000"] [--runs 5] [--keep DIR]
# git-ksplice and git-kstuff must be on PATH (./install.sh), or set KSPLICE_BIN to the directory holding them.
set -euo pipefail
commits=100000
sizes="1000 10000 100000"
runs=5
keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --commits) commits=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "usage: $0 [--commits N] [--sizes \"1000 10000 100000\"] [--runs N] [--keep DIR]" >&2; exit 129 ;;
  esac
done
[ -n "${KSPLICE_BIN:-}" ] && export PATH="$KSPLICE_BIN:$PATH"
command -v git-ksplice >/dev/null || { echo "git-ksplice is not on PATH (run ./install.sh or set KSPLICE_BIN)" >&2; exit 1; }

if [ -n "$keep" ]; then work=$keep; mkdir -p "$work"; else work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com

now_ns() { date +%s%N; }

# The history: $commits small commits on main, each editing one of 500 files in 50 directories.
make_history() {
  local dir=$1
  rm -rf "$dir" && git init -q -b main "$dir"
  awk -v n="$commits" 'BEGIN {
    for (i = 1; i <= n; i++) {
      printf "commit refs/heads/main\nmark :%d\ncommitter bench <bench@example.com> %d +0000\n", i, 1500000000 + i
      msg = "change " i
      printf "data %d\n%s\n", length(msg), msg
      if (i > 1) printf "from :%d\n", i - 1
      body = "int value_" i " = " i ";\n"
      printf "M 100644 inline dir%d/file%d.c\ndata %d\n%s\n", i % 50, i % 500, length(body), body
    }
  }' | git -C "$dir" fast-import --quiet
  git -C "$dir" rev-list --reverse main > "$work/commits.txt"
}

# Updates spread evenly over the history; the last ten are built on refs/ksplice/pre (what `series` lists).
add_updates() {
  local dir=$1 count=$2
  awk -v count="$count" -v total="$commits" -v when=1700000000 '
    { sha[NR] = $1 }
    END {
      step = total / count; if (step < 1) step = 1
      pre = sha[total - 11]
      printf "commit refs/notes/ksplice\ncommitter bench <bench@example.com> %d +0000\ndata 13\nksplice notes\n", when
      for (u = 1; u <= count; u++) {
        c = int((u - 1) * step) + 1; if (c > total) c = total
        post = sha[c]; base = (u > count - 10) ? pre : sha[c > 1 ? c - 1 : 1]
        id = sprintf("u%07d", u)
        note = "ksplice-update: " id "\npre: " base "\npost: " post "\nsource: commit " substr(post, 1, 12) \
          "\nverdict: hot-patchable\ntarball: /srv/updates/ksplice-" id ".tar.gz\nobject: dir" (u % 50) "/file" (u % 500) ".o" \
          "\nchanged: dir" (u % 50) "/file" (u % 500) ".o: value_fn_" u "\n\nksplice-verdict: hot-patchable\npre: " base \
          "\nchecked: 2024-01-01T00:00:00Z\nchanged: dir" (u % 50) "/file" (u % 500) ".o: value_fn_" u "\n"
        printf "N inline %s\ndata %d\n%s\n", post, length(note), note
        posts[u] = post
      }
      printf "\ncommit refs/notes/kstuff\ncommitter bench <bench@example.com> %d +0000\ndata 12\nkstuff notes\n", when
      for (u = 1; u <= count; u++) {
        note = "kstuff-bundle: /srv/bundles/bundle-" u ".cpio\nsha256: " sprintf("%064d", u) "\nsize: 123456\ntime: 2024-01-01T00:00:00Z" \
          "\nroot: /src/root\nmach: mach" (u % 4) "\nidtools: no\nfiles: 42\ndrivers: drv_a drv_b\n"
        if (u % 10 == 0) note = note "\nkstuff-delivery: 2024-01-02T00:00:00.000Z host" (u % 7) ":unix\ntarget: host" (u % 7) \
          "\nkname: unix\nmode: install\ntime: 2024-01-02T00:00:00.000Z\nresult: ok\nbundle: /srv/bundles/bundle-" u ".cpio\n"
        printf "N inline %s\ndata %d\n%s\n", posts[u], length(note), note
      }
      printf "\nreset refs/ksplice/pre\nfrom %s\n\n", pre
      for (u = 1; u <= count; u++) printf "%s refs/ksplice/updates/u%07d\n", posts[u], u > "/dev/stderr"
    }' "$work/commits.txt" 2>"$work/update-refs.txt" | git -C "$dir" fast-import --quiet
  # The update refs go straight into packed-refs (where git gc leaves them): fast-import would write
  # 100,000 loose refs one lock file at a time.
  git -C "$dir" pack-refs --all
  local packed="$dir/.git/packed-refs"
  { head -n 1 "$packed"; { tail -n +2 "$packed"; cat "$work/update-refs.txt"; } | LC_ALL=C sort -k2,2; } > "$packed.new"
  mv "$packed.new" "$packed"
}

# Median wall time of a command in seconds (runs it $runs times, output discarded).
time_cmd() {
  local dir=$1; shift
  local times=()
  for _ in $(seq 1 "$runs"); do
    local t0 t1
    t0=$(now_ns)
    (cd "$dir" && "$@" >/dev/null 2>&1) || return 1
    t1=$(now_ns)
    times+=($(( t1 - t0 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", a[int((NR + 1) / 2)] / 1e9 }'
}

has_command() { (cd "$1" && git "$2" -h 2>/dev/null | grep -q "^  $3 "); }

echo "generating a history of $commits commits in $work" >&2
t0=$(now_ns); make_history "$work/history"; t1=$(now_ns)
echo "history: $(( (t1 - t0) / 1000000 )) ms" >&2

declare -A result
for size in $sizes; do
  repo="$work/repo-$size"
  rm -rf "$repo" && cp -a "$work/history" "$repo"
  t0=$(now_ns); add_updates "$repo" "$size"; t1=$(now_ns)
  echo "$size updates recorded: $(( (t1 - t0) / 1000000 )) ms" >&2
  mid=$(printf 'u%07d' $(( size / 2 )))
  git -C "$repo" ksplice list >/dev/null # warm the page cache and check it runs
  result[$size,notes]=$(time_cmd "$repo" git notes --ref=ksplice list)
  result[$size,knotes]=$(time_cmd "$repo" git notes --ref=kstuff list)
  result[$size,log]=$(time_cmd "$repo" git log -1 --notes=ksplice "refs/ksplice/updates/$mid")
  result[$size,list]=$(time_cmd "$repo" git ksplice list)
  result[$size,show]=$(time_cmd "$repo" git ksplice show "$mid")
  result[$size,series]=$(time_cmd "$repo" git ksplice series)
  if has_command "$repo" ksplice status; then result[$size,status]=$(time_cmd "$repo" git ksplice status); else result[$size,status]=n/a; fi
  result[$size,bundles]=$(time_cmd "$repo" git kstuff bundles)
  if has_command "$repo" kstuff log; then result[$size,klog]=$(time_cmd "$repo" git kstuff log); else result[$size,klog]=n/a; fi
done

ratio() { [ "$1" = n/a ] && { echo n/a; return; }; awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
printf '\n%d commits; median of %d runs; seconds (ratio to the plain git command)\n' "$commits" "$runs"
printf '%-26s' "command"; for size in $sizes; do printf '%22s' "$size updates"; done; printf '\n'
row() { # label key baseline-key
  printf '%-26s' "$1"
  for size in $sizes; do
    local t=${result[$size,$2]} base=${result[$size,$3]}
    if [ "$2" = "$3" ] || [ "$t" = n/a ]; then printf '%22s' "$t"; else printf '%22s' "$t ($(ratio "$t" "$base")x)"; fi
  done
  printf '\n'
}
row "git notes list (ksplice)" notes notes
row "git notes list (kstuff)" knotes knotes
row "git log -1 --notes" log log
row "git ksplice list" list notes
row "git ksplice show <id>" show log
row "git ksplice series" series notes
row "git ksplice status" status notes
row "git kstuff bundles" bundles knotes
row "git kstuff log" klog knotes
