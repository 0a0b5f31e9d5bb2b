#!/usr/bin/env bash
# Benchmark of git ksplice create on a generated C tree (default 300 files).
# Reports, from one run:
#   warm ratio = time of a warm `git ksplice create` for a one-function change, after a --prebuild
#                / time of the bare incremental `make` for the same change   (target <= 1.3):
#                the median of the ratios of nine such changes, each create timed right beside its make
#   cold ratio = time of a cold `git ksplice create` (pre and post built from nothing)
#                / time of one full build   (target <= 1.2: the pre build compiles each object once, the
#                sectioned copies only of what the change rebuilds): the median of the ratios of four such
#                pairs, each create timed right beside its full build, the two taking turns to go first
# Usage: bench/create/run.sh [files]   (git-ksplice must be on PATH: ./install.sh)
set -euo pipefail
files=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib/ctree.sh
. "$(dirname "$0")/../lib/ctree.sh"

change() { sed -i "s/s += v\[k\] \* $2;/s += v[k] * $2 + ${3:-1};/" "$1/src/unit$2.c"; }

echo "generating a tree of $files C files in $work" >&2
gen_tree "$work/base" "$files"
cd "$work/base"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm tree
git ksplice series set HEAD >/dev/null
change "$work/base" 7 && git -c user.name=b -c user.email=b@b commit -qam "change unit7"
jobs=$(nproc)

# Cold creates: a full build as a user would run it (plain make, same parallelism) in a fresh copy of the
# tree, and a cold create (nothing built yet) in a fresh copy of the repository, four times. A full build
# varies by 15% from one minute to the next on a shared machine, and the second of two builds run back to back
# tends to be the slower, so each create is paired with a build run right beside it, the two taking turns to
# go first, and the ratio reported is the median of the four pairs' ratios.
full_times=()
cold_times=()
cold_ratios=()
time_full() { t0=$(now); make -s -C "$work/plain" -j"$jobs" >/dev/null; t1=$(now); full=$(elapsed "$t0" "$t1"); }
time_cold() { t0=$(now); (cd "$work/repo" && git ksplice create -q --id cold -j"$jobs" HEAD); t1=$(now); cold=$(elapsed "$t0" "$t1"); }
for round in 1 2 3 4; do
  cd "$work"
  rm -rf "$work/plain" "$work/repo"
  cp -a "$work/base" "$work/plain"
  cp -a "$work/base" "$work/repo"
  if [ $((round % 2)) = 1 ]; then time_full; time_cold; else time_cold; time_full; fi
  full_times+=("$full")
  cold_times+=("$cold")
  cold_ratios+=("$(echo "$cold / $full" | bc -l)")
done
middle() { printf '%s\n' "$@" | sort -n | sed -n '2,3p' | paste -sd+ | sed 's/^/(/; s/$/) \/ 2/' | bc -l; }
cd "$work/repo"

# Warm creates: nine one-function changes, one commit and one update each; the same changes made by hand in
# the built plain tree and rebuilt by a bare incremental make. A single ~0.1 s make varies by 20% from run to
# run on a shared machine, so each create is paired with the make of the same change run right after it, and
# the ratio reported is the median of the nine pairs' ratios. Twice: after the cold create, when each create
# also compiles the pre copy of the object it rebuilds (the tree moved to the pre source and back), and after a
# --prebuild, which compiles every pre copy ahead of time.
warm_round() { # label units...: nine pairs; prints the summary lines
  local label=$1 unit warm incremental
  shift
  local warm_times=() make_times=() ratios=()
  for unit in "$@"; do
    change "$work/repo" "$unit" && git -c user.name=b -c user.email=b@b commit -qam "change unit$unit"
    t0=$(now); git ksplice create -q --id "warm$unit" -j"$jobs" HEAD; t1=$(now)
    warm=$(elapsed "$t0" "$t1")
    change "$work/plain" "$unit"
    t0=$(now); make -s -C "$work/plain" -j"$jobs" >/dev/null; t1=$(now)
    incremental=$(elapsed "$t0" "$t1")
    warm_times+=("$warm")
    make_times+=("$incremental")
    ratios+=("$(echo "$warm / $incremental" | bc -l)")
  done
  printf '%s\n' "$label"
  printf '  incremental make:    %6.3f s   (median of 9: %s)\n' "$(median "${make_times[@]}")" "${make_times[*]}"
  printf '  warm create:         %6.3f s   (median of 9: %s)\n' "$(median "${warm_times[@]}")" "${warm_times[*]}"
  printf '  ratios of the pairs: %s\n' "$(printf '%.2f ' "${ratios[@]}")"
  printf '  warm / incremental make = %.2f (the median of the pairs)\n' "$(median "${ratios[@]}")"
}
median() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
after_cold=$(warm_round "warm creates after the cold create (each compiles its pre copy):" 42 71 99 128 150 183 211 246 287)
t0=$(now); git ksplice create -q --prebuild -j"$jobs"; t1=$(now)
prebuild=$(elapsed "$t0" "$t1")
after_prebuild=$(warm_round "warm creates after a --prebuild (target <= 1.3; the first rebuilds all ten changed objects, which the prebuild moved back):" 23 57 88 112 164 199 232 263 299)

printf 'files: %s, jobs: %s\n' "$files" "$jobs"
printf 'full build:            %6.2f s   (median of 4: %s)\n' "$(middle "${full_times[@]}")" "${full_times[*]}"
printf 'cold create:           %6.2f s   (median of 4: %s)\n' "$(middle "${cold_times[@]}")" "${cold_times[*]}"
printf 'cold / full build = %.2f (target <= 1.2; the median of the pairs: %s)\n' "$(middle "${cold_ratios[@]}")" "$(printf '%.2f ' "${cold_ratios[@]}")"
printf '%s\n' "$after_cold"
printf -- '--prebuild after the updates: %.2f s (it moves the tree back to the pre source and compiles every pre copy not made yet)\n' "$prebuild"
printf '%s\n' "$after_prebuild"
