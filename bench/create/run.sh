#!/usr/bin/env bash
# Benchmark of git ksplice create on a generated C tree (default 300 files).
# Reports, from one run:
#   warm ratio = time of a warm `git ksplice create` for a one-function change
#                / time of the bare incremental `make` for the same change   (target <= 1.3):
#                the median of the ratios of nine such changes, each create timed right beside its make
#   cold ratio = time of a cold `git ksplice create` (pre and post built from nothing)
#                / time of one full build   (target <= 1.2: the pre build compiles each object once, the
#                sectioned copies only of what the change rebuilds)
# Usage: bench/create/run.sh [files]   (git-ksplice must be on PATH: ./install.sh)
set -euo pipefail
files=${1:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=bench/lib/ctree.sh
. "$(dirname "$0")/../lib/ctree.sh"

change() { sed -i "s/s += v\[k\] \* $2;/s += v[k] * $2 + ${3:-1};/" "$1/src/unit$2.c"; }

echo "generating a tree of $files C files in $work" >&2
gen_tree "$work/repo" "$files"
cd "$work/repo"
git init -q -b main && git add -A && git -c user.name=b -c user.email=b@b commit -qm tree
git ksplice series set HEAD >/dev/null

# One full build, as a user would run it (plain make, same parallelism).
jobs=$(nproc)
cp -a "$work/repo" "$work/plain"
t0=$(now); make -s -C "$work/plain" -j"$jobs" >/dev/null; t1=$(now)
full=$(elapsed "$t0" "$t1")

# Cold create: nothing built yet.
change "$work/repo" 7 && git -c user.name=b -c user.email=b@b commit -qam "change unit7"
t0=$(now); git ksplice create -q --id cold -j"$jobs" HEAD; t1=$(now)
cold=$(elapsed "$t0" "$t1")

# Warm creates: nine more one-function changes, one commit and one update each; the same changes made by
# hand in the built plain tree and rebuilt by a bare incremental make. A single ~0.1 s make varies by 20%
# from run to run on a shared machine, so each create is paired with the make of the same change run right
# after it, and the ratio reported is the median of the nine pairs' ratios.
warm_times=()
make_times=()
ratios=()
for unit in 42 71 99 128 150 183 211 246 287; do
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
median() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
warm=$(median "${warm_times[@]}")
incremental=$(median "${make_times[@]}")
ratio=$(median "${ratios[@]}")

printf 'files: %s, jobs: %s\n' "$files" "$jobs"
printf 'full build:            %6.2f s\n' "$full"
printf 'cold create:           %6.2f s   cold / full build = %.2f (target <= 1.2)\n' "$cold" "$(echo "$cold / $full" | bc -l)"
printf 'incremental make:      %6.3f s   (median of 9: %s)\n' "$incremental" "${make_times[*]}"
printf 'warm create:           %6.3f s   (median of 9: %s)\n' "$warm" "${warm_times[*]}"
printf 'ratios of the pairs:   %s\n' "$(printf '%.2f ' "${ratios[@]}")"
printf 'warm / incremental make = %.2f (target <= 1.3; the median of the pairs)\n' "$ratio"
