#!/usr/bin/env bash
# `git ksplice try` from command to verdict: boot of the running kernel's image under QEMU (TCG), load of the
# update's livepatch module, transition, one check before/applied/after, undo, report and note. Target: 15 s.
#
# Usage: bench/try/run.sh REPO [ID] [RUNS]
#   REPO: a git repository with a recorded update that holds a livepatch module (`git ksplice create` on a
#   Kbuild tree whose ORIG_CONFIG, REPO/ksplice, has CONFIG_LIVEPATCH=y and the running kernel's bzImage);
#   ID: the update (default: the newest); RUNS: how many tries (default 5).
# Prints each run's wall time and the guest's own time (from --json), then the median of each.
# git-ksplice must be on PATH (./install.sh).
set -euo pipefail
repo=${1:?usage: bench/try/run.sh REPO [ID] [RUNS]}
id=${2:-}
runs=${3:-5}
cd "$repo"
now() { date +%s.%N; }
walls=() guests=()
for i in $(seq "$runs"); do
  start=$(now)
  out=$(git ksplice try $id --check 'cat /proc/version' --json) || { echo "run $i: try failed" >&2; echo "$out" >&2; exit 1; }
  end=$(now)
  wall=$(echo "$end - $start" | bc)
  guest=$(printf '%s\n' "$out" | sed -n 's/^  "seconds": \([0-9.]*\),$/\1/p')
  printf 'run %d: %.2f s command to verdict, %.2f s in QEMU\n' "$i" "$wall" "$guest"
  walls+=("$wall") guests+=("$guest")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf 'median: %.2f s command to verdict (target 15 s), %.2f s in QEMU; load average %s\n' \
  "$(median "${walls[@]}")" "$(median "${guests[@]}")" "$(cut -d' ' -f1-3 /proc/loadavg)"
